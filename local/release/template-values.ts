/**
 * CloudFormation values of a synthesized template, resolved the way CloudFormation would at
 * deploy time, with the caller standing in for the deployed resources: a `Ref` or `Fn::GetAtt`
 * asks the caller's resolver (logical id → value), the string functions are applied here.
 */

/** A reference to a resource (or a pseudo parameter such as `AWS::Region`) in the template. */
interface TemplateReference {
  readonly logicalId: string;
  /** The `Fn::GetAtt` attribute; absent for a `Ref`. */
  readonly attribute?: string;
}

/** Answers a reference with the value the deployed resource would give, or `undefined` when it cannot. */
export type TemplateResolver = (reference: TemplateReference) => string | undefined;

/** A value of the template that cannot be resolved: names where it sits and the expression. */
export class TemplateValueError extends Error {
  override readonly name = 'TemplateValueError';
}

const describe = (value: unknown): string => JSON.stringify(value);

const referenceOf = (value: unknown): TemplateReference | undefined => {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  if (keys.length !== 1) return undefined;
  if (typeof record.Ref === 'string') return { logicalId: record.Ref };
  const getAtt = record['Fn::GetAtt'];
  if (Array.isArray(getAtt) && getAtt.length === 2 && getAtt.every((part) => typeof part === 'string')) {
    return { logicalId: getAtt[0] as string, attribute: getAtt[1] as string };
  }
  if (typeof getAtt === 'string' && getAtt.includes('.')) {
    const dot = getAtt.indexOf('.');
    return { logicalId: getAtt.slice(0, dot), attribute: getAtt.slice(dot + 1) };
  }
  return undefined;
};

/** `${Name}` and `${Name.Attribute}` of `Fn::Sub`; `${!Literal}` stays literal. */
const substitute = (
  text: string,
  variables: Record<string, string>,
  lookup: (reference: TemplateReference) => string,
): string =>
  text.replace(/\$\{([^}]+)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    const variable = variables[name];
    if (variable !== undefined) return variable;
    const dot = name.indexOf('.');
    return dot > 0 && !name.startsWith('AWS::')
      ? lookup({ logicalId: name.slice(0, dot), attribute: name.slice(dot + 1) })
      : lookup({ logicalId: name });
  });

/**
 * Resolves a template value to a string (numbers and booleans as CloudFormation passes them,
 * as strings) or a list of strings. `where` names the place in the template for the error.
 *
 * @example
 * resolveTemplateValue({ 'Fn::Join': ['', [{ Ref: 'Fn123' }, ':live']] }, resolver, 'alarm Errors')
 * // → 'todos:live' when the resolver answers Fn123 with 'todos'
 */
export function resolveTemplateValue(
  value: unknown,
  resolver: TemplateResolver,
  where: string,
): string | string[] {
  const fail = (reason: string): never => {
    throw new TemplateValueError(`${where}: ${reason} in ${describe(value)}`);
  };
  const lookup = (reference: TemplateReference): string => {
    const resolved = resolver(reference);
    if (resolved === undefined) {
      const expression = reference.attribute
        ? `Fn::GetAtt ${reference.logicalId}.${reference.attribute}`
        : `Ref ${reference.logicalId}`;
      throw new TemplateValueError(`${where}: cannot resolve ${expression} in ${describe(value)}`);
    }
    return resolved;
  };
  const scalar = (inner: unknown): string => {
    const resolved = resolveTemplateValue(inner, resolver, where);
    return Array.isArray(resolved) ? fail('a list where a single value belongs') : resolved;
  };
  const list = (inner: unknown): string[] => {
    if (Array.isArray(inner)) return inner.map(scalar);
    const resolved = resolveTemplateValue(inner, resolver, where);
    return Array.isArray(resolved) ? resolved : fail('a single value where a list belongs');
  };

  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map(scalar);
  const reference = referenceOf(value);
  if (reference) return lookup(reference);
  if (value === null || typeof value !== 'object') return fail('not a CloudFormation value');

  const [fn, args] = Object.entries(value as Record<string, unknown>)[0] ?? fail('an empty object');
  switch (fn) {
    case 'Fn::Join': {
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string')
        return fail('a malformed Fn::Join');
      return list(args[1]).join(args[0]);
    }
    case 'Fn::Select': {
      if (!Array.isArray(args) || args.length !== 2) return fail('a malformed Fn::Select');
      const index = Number(scalar(args[0]));
      const items = list(args[1]);
      return items[index] ?? fail(`index ${index} out of ${items.length} items`);
    }
    case 'Fn::Split': {
      if (!Array.isArray(args) || args.length !== 2 || typeof args[0] !== 'string')
        return fail('a malformed Fn::Split');
      return scalar(args[1]).split(args[0]);
    }
    case 'Fn::Sub': {
      if (typeof args === 'string') return substitute(args, {}, lookup);
      if (!Array.isArray(args) || typeof args[0] !== 'string') return fail('a malformed Fn::Sub');
      const variables = Object.fromEntries(
        Object.entries((args[1] ?? {}) as Record<string, unknown>).map(([name, inner]) => [
          name,
          scalar(inner),
        ]),
      );
      return substitute(args[0], variables, lookup);
    }
    default:
      return fail(`unsupported ${fn}`);
  }
}
