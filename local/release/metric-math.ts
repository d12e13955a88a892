/**
 * CloudWatch metric math over series aligned to one period grid, as an alarm uses it.
 *
 * A series holds one value per period of the grid, `undefined` where the period has no
 * datapoint. As in CloudWatch, an operation with a missing operand yields no datapoint (only
 * `FILL` puts one back), and a result that is not a finite number (x / 0, LOG of a negative)
 * yields none either. Comparisons and AND / OR / NOT give 1 or 0. Supported: numbers, metric
 * ids, `+ - * / ^`, unary minus, `> >= < <= == !=`, `AND OR NOT`, `IF(cond, a[, b])`,
 * `FILL(m, value | REPEAT | LINEAR)`, `MIN MAX SUM AVG` (of a series: one number over the grid;
 * of an array `[a, b]`: per period over the members that have a value), `ABS CEIL FLOOR SQRT
 * LOG LOG10 EXP`, `PERIOD(m)`. `SEARCH` is refused: CloudWatch does not allow it in alarms.
 */

/** One value per period of the grid; `undefined` is a missing datapoint. */
export type Series = readonly (number | undefined)[];

/** A value of the expression language. */
type MathValue =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'series'; readonly points: Series }
  | { readonly kind: 'array'; readonly items: readonly Series[] };

/** An expression CloudWatch would reject, or one this evaluator does not support; names the expression. */
export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

/** What an expression reads: the other queries by id, on a grid of `size` periods of `period` seconds. */
export interface MathInputs {
  /** The series of a query id (a metric or another expression); `undefined` for an unknown id. */
  readonly series: (id: string) => Series | undefined;
  readonly size: number;
  readonly period: number;
}

type Node =
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'id'; readonly name: string }
  | { readonly type: 'keyword'; readonly name: 'REPEAT' | 'LINEAR' }
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'array'; readonly items: readonly Node[] }
  | { readonly type: 'unary'; readonly op: '-' | 'NOT'; readonly operand: Node }
  | { readonly type: 'binary'; readonly op: string; readonly left: Node; readonly right: Node }
  | { readonly type: 'call'; readonly name: string; readonly args: readonly Node[] };

const TOKEN =
  /\s*(?:(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(>=|<=|==|!=|[-+*/^()<>,[\]]))/y;

const tokenize = (expression: string): string[] => {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < expression.length) {
    const at = TOKEN.lastIndex;
    const match = TOKEN.exec(expression);
    if (!match) {
      if (expression.slice(at).trim() === '') break;
      throw new MetricMathError(`expression "${expression}": unexpected "${expression.slice(at).trim()[0]}"`);
    }
    tokens.push(match[1] ?? match[2] ?? match[3] ?? (match[4] as string));
  }
  return tokens;
};

/** Recursive-descent parser; precedence from loosest: OR, AND, NOT, comparison, + -, * /, ^, unary minus. */
function parse(expression: string): Node {
  const tokens = tokenize(expression);
  let position = 0;
  const fail = (reason: string): never => {
    throw new MetricMathError(`expression "${expression}": ${reason}`);
  };
  const peek = (): string | undefined => tokens[position];
  const take = (expected?: string): string => {
    const token = tokens[position] ?? fail(`ends early${expected ? `, expected "${expected}"` : ''}`);
    if (expected !== undefined && token !== expected) fail(`expected "${expected}", found "${token}"`);
    position += 1;
    return token;
  };
  /** Consumes `token` when it comes next. */
  const accept = (token: string): boolean => {
    if (tokens[position] !== token) return false;
    position += 1;
    return true;
  };
  const binaryLevel =
    (operators: readonly string[], next: () => Node): (() => Node) =>
    () => {
      let left = next();
      while (operators.includes(peek() ?? '')) {
        const op = take();
        left = { type: 'binary', op, left, right: next() };
      }
      return left;
    };

  const primary = (): Node => {
    const token = take();
    if (/^[\d.]/.test(token)) return { type: 'number', value: Number(token) };
    if (token.startsWith("'") || token.startsWith('"')) return { type: 'string', value: token.slice(1, -1) };
    if (token === '(') {
      const inner = or();
      take(')');
      return inner;
    }
    if (token === '[') {
      const items: Node[] = [];
      while (peek() !== ']') {
        items.push(or());
        if (peek() !== ']') take(',');
      }
      take(']');
      return { type: 'array', items };
    }
    if (token === 'REPEAT' || token === 'LINEAR') return { type: 'keyword', name: token };
    if (/^[A-Za-z_]/.test(token)) {
      if (peek() !== '(') return { type: 'id', name: token };
      take('(');
      const args: Node[] = [];
      while (peek() !== ')') {
        args.push(or());
        if (peek() !== ')') take(',');
      }
      take(')');
      return { type: 'call', name: token.toUpperCase(), args };
    }
    return fail(`unexpected "${token}"`);
  };
  const unary = (): Node => (accept('-') ? { type: 'unary', op: '-', operand: unary() } : primary());
  const power = (): Node => {
    const base = unary();
    return accept('^') ? { type: 'binary', op: '^', left: base, right: power() } : base;
  };
  const multiplicative = binaryLevel(['*', '/'], power);
  const additive = binaryLevel(['+', '-'], multiplicative);
  const comparison = binaryLevel(['>', '>=', '<', '<=', '==', '!='], additive);
  const not = (): Node => (accept('NOT') ? { type: 'unary', op: 'NOT', operand: not() } : comparison());
  const and = binaryLevel(['AND'], not);
  const or = binaryLevel(['OR'], and);

  const tree = or();
  if (position < tokens.length) fail(`unexpected "${tokens[position]}"`);
  return tree;
}

const finite = (value: number): number | undefined => (Number.isFinite(value) ? value : undefined);
const truth = (value: boolean): number => (value ? 1 : 0);

const BINARY: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
  '^': (a, b) => a ** b,
  '>': (a, b) => truth(a > b),
  '>=': (a, b) => truth(a >= b),
  '<': (a, b) => truth(a < b),
  '<=': (a, b) => truth(a <= b),
  '==': (a, b) => truth(a === b),
  '!=': (a, b) => truth(a !== b),
  AND: (a, b) => truth(a !== 0 && b !== 0),
  OR: (a, b) => truth(a !== 0 || b !== 0),
};

const UNARY: Record<string, (a: number) => number> = {
  ABS: Math.abs,
  CEIL: Math.ceil,
  FLOOR: Math.floor,
  SQRT: Math.sqrt,
  LOG: Math.log,
  LOG10: Math.log10,
  EXP: Math.exp,
};

const AGGREGATES: Record<string, (values: readonly number[]) => number> = {
  MIN: (values) => Math.min(...values),
  MAX: (values) => Math.max(...values),
  SUM: (values) => values.reduce((sum, value) => sum + value, 0),
  AVG: (values) => values.reduce((sum, value) => sum + value, 0) / values.length,
};

/** Fills the missing points of a series (see {@link evaluateMetricMath} for the rules). */
const fill = (points: Series, how: MathValue | 'REPEAT' | 'LINEAR'): Series => {
  if (how === 'REPEAT') {
    let last: number | undefined;
    // A gap before the first datapoint has nothing to repeat and stays missing.
    return points.map((point) => {
      if (point !== undefined) last = point;
      return last;
    });
  }
  if (how === 'LINEAR') {
    return points.map((point, index) => {
      if (point !== undefined) return point;
      const before = points.slice(0, index).findLastIndex((value) => value !== undefined);
      const after = points.findIndex((value, at) => at > index && value !== undefined);
      // Only gaps between two datapoints can be interpolated; gaps at the ends stay missing.
      if (before < 0 || after < 0) return undefined;
      const from = points[before] as number;
      const to = points[after] as number;
      return from + ((to - from) * (index - before)) / (after - before);
    });
  }
  return points.map((point, index) =>
    point !== undefined
      ? point
      : how.kind === 'scalar'
        ? how.value
        : how.kind === 'series'
          ? how.points[index]
          : undefined,
  );
};

/**
 * Evaluates a metric-math expression to one series on the grid of `inputs`.
 *
 * @example
 * evaluateMetricMath('100 * FILL(errors, 0) / IF(FILL(requests, 0) > 0, requests, 1)', {
 *   series: (id) => ({ errors: [1, undefined], requests: [10, undefined] })[id],
 *   size: 2,
 *   period: 60,
 * }) // → [10, 0]
 */
export function evaluateMetricMath(expression: string, inputs: MathInputs): Series {
  const fail = (reason: string): never => {
    throw new MetricMathError(`expression "${expression}": ${reason}`);
  };
  const grid = (value: (index: number) => number | undefined): Series =>
    Array.from({ length: inputs.size }, (_, index) => value(index));
  const pointsOf = (value: MathValue): Series =>
    value.kind === 'series'
      ? value.points
      : value.kind === 'scalar'
        ? grid(() => finite(value.value))
        : fail('an array [..] can only be an argument of MIN, MAX, SUM, AVG or FILL');
  const combine = (values: readonly MathValue[], apply: (...operands: number[]) => number): MathValue => {
    if (values.every((value) => value.kind === 'scalar')) {
      return { kind: 'scalar', value: apply(...values.map((value) => (value as { value: number }).value)) };
    }
    const all = values.map(pointsOf);
    return {
      kind: 'series',
      points: grid((index) => {
        const operands = all.map((points) => points[index]);
        return operands.every((operand) => operand !== undefined)
          ? finite(apply(...(operands as number[])))
          : undefined;
      }),
    };
  };

  const evaluate = (node: Node): MathValue => {
    switch (node.type) {
      case 'number':
        return { kind: 'scalar', value: node.value };
      case 'id': {
        const points = inputs.series(node.name) ?? fail(`unknown id "${node.name}"`);
        return { kind: 'series', points };
      }
      case 'string':
      case 'keyword':
        return fail(
          `${node.type === 'string' ? `'${node.value}'` : node.name} is only valid inside a function`,
        );
      case 'array':
        return { kind: 'array', items: node.items.map((item) => pointsOf(evaluate(item))) };
      case 'unary':
        return combine([evaluate(node.operand)], node.op === '-' ? (a) => -a : (a) => truth(a === 0));
      case 'binary':
        return combine(
          [evaluate(node.left), evaluate(node.right)],
          BINARY[node.op] as (a: number, b: number) => number,
        );
      case 'call':
        return call(node.name, node.args);
    }
  };

  const call = (name: string, args: readonly Node[]): MathValue => {
    const arity = (min: number, max = min): void => {
      if (args.length < min || args.length > max)
        fail(`${name} takes ${min === max ? min : `${min} to ${max}`} arguments`);
    };
    if (name === 'SEARCH')
      return fail('SEARCH is not allowed in alarms; name the metrics in the alarm instead');
    const unary = UNARY[name];
    if (unary) {
      arity(1);
      return combine([evaluate(args[0] as Node)], unary);
    }
    const aggregate = AGGREGATES[name];
    if (aggregate) {
      arity(1);
      const argument = evaluate(args[0] as Node);
      if (argument.kind === 'array') {
        return {
          kind: 'series',
          points: grid((index) => {
            const present = argument.items.flatMap((points) => points[index] ?? []);
            return present.length === 0 ? undefined : finite(aggregate(present));
          }),
        };
      }
      const present = pointsOf(argument).flatMap((point) => point ?? []);
      return { kind: 'scalar', value: present.length === 0 ? Number.NaN : aggregate(present) };
    }
    switch (name) {
      case 'IF': {
        arity(2, 3);
        const [condition, whenTrue, whenFalse] = args.map(evaluate) as [MathValue, MathValue, MathValue?];
        if (condition.kind === 'scalar') {
          return condition.value !== 0
            ? whenTrue
            : (whenFalse ?? { kind: 'series', points: grid(() => undefined) });
        }
        const test = pointsOf(condition);
        const yes = pointsOf(whenTrue);
        const no = whenFalse === undefined ? undefined : pointsOf(whenFalse);
        return {
          kind: 'series',
          points: grid((index) => {
            const value = test[index];
            if (value === undefined) return undefined;
            return value !== 0 ? yes[index] : no?.[index];
          }),
        };
      }
      case 'FILL': {
        arity(2);
        const target = evaluate(args[0] as Node);
        const with_ = args[1] as Node;
        const how = with_.type === 'keyword' ? with_.name : evaluate(with_);
        if (how !== 'REPEAT' && how !== 'LINEAR' && how.kind === 'array')
          fail('FILL takes a number, a series, REPEAT or LINEAR');
        if (target.kind === 'array')
          return { kind: 'array', items: target.items.map((points) => fill(points, how)) };
        return { kind: 'series', points: fill(pointsOf(target), how) };
      }
      case 'PERIOD':
        arity(1);
        evaluate(args[0] as Node);
        return { kind: 'scalar', value: inputs.period };
      default:
        return fail(`unsupported function ${name}`);
    }
  };

  const result = evaluate(parse(expression));
  if (result.kind !== 'series') fail('an alarm expression must give one time series');
  return (result as { points: Series }).points;
}
