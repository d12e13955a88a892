/**
 * The alarms of a synthesized CloudFormation template as {@link AlarmDefinition}s: the template
 * is the one source, so a change to `dashboards/` changes what the rehearsal evaluates. The
 * rollback alarms are the ones the CodeDeploy deployment group lists, read from there.
 */
import type {
  AlarmDefinition,
  AlarmMetric,
  ComparisonOperator,
  MetricDataQuery,
  MetricStat,
  TreatMissingData,
} from './alarm-definitions';
import { resolveTemplateValue, type TemplateResolver, TemplateValueError } from './template-values';

/** A synthesized template as `app.synth()` gives it (only `Resources` is read). */
export type SynthesizedTemplate = Readonly<Record<string, unknown>>;

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

const ALARM_TYPE = 'AWS::CloudWatch::Alarm';
const DEPLOYMENT_GROUP_TYPE = 'AWS::CodeDeploy::DeploymentGroup';

const COMPARISON_OPERATORS: readonly ComparisonOperator[] = [
  'GreaterThanOrEqualToThreshold',
  'GreaterThanThreshold',
  'LessThanThreshold',
  'LessThanOrEqualToThreshold',
];
const TREAT_MISSING_DATA: readonly TreatMissingData[] = ['missing', 'notBreaching', 'breaching', 'ignore'];

const resourcesOf = (template: SynthesizedTemplate): Record<string, TemplateResource> =>
  (template.Resources ?? {}) as Record<string, TemplateResource>;

/** Reads one alarm resource; every expression goes through `resolver`. */
function readAlarm(
  logicalId: string,
  properties: Record<string, unknown>,
  resolver: TemplateResolver,
): AlarmDefinition {
  const where = `alarm ${logicalId}`;
  const fail = (reason: string): never => {
    throw new TemplateValueError(`${where}: ${reason}`);
  };
  const text = (value: unknown, property: string): string => {
    const resolved = resolveTemplateValue(value, resolver, `${where} ${property}`);
    return Array.isArray(resolved) ? fail(`${property} is a list`) : resolved;
  };
  const optionalText = (value: unknown, property: string): string | undefined =>
    value === undefined ? undefined : text(value, property);
  const number = (value: unknown, property: string): number => {
    const parsed = Number(text(value, property));
    return Number.isFinite(parsed) ? parsed : fail(`${property} is not a number`);
  };
  const dimensions = (value: unknown, property: string): Record<string, string> =>
    Object.fromEntries(
      ((value ?? []) as { Name: unknown; Value: unknown }[]).map((dimension) => [
        text(dimension.Name, `${property}.Name`),
        text(dimension.Value, `${property}.Value`),
      ]),
    );

  if (properties.ThresholdMetricId !== undefined)
    fail('anomaly-detection alarms (ThresholdMetricId) are not supported');
  const operator = text(properties.ComparisonOperator, 'ComparisonOperator') as ComparisonOperator;
  if (!COMPARISON_OPERATORS.includes(operator)) fail(`unsupported ComparisonOperator ${operator}`);
  const treatMissingData = (optionalText(properties.TreatMissingData, 'TreatMissingData') ??
    'missing') as TreatMissingData;
  if (!TREAT_MISSING_DATA.includes(treatMissingData))
    fail(`unsupported TreatMissingData ${treatMissingData}`);

  let metric: AlarmMetric;
  if (properties.Metrics !== undefined) {
    const queries = (properties.Metrics as Record<string, unknown>[]).map((query, index): MetricDataQuery => {
      const at = `Metrics[${index}]`;
      const stat = query.MetricStat as Record<string, unknown> | undefined;
      const statMetric = stat?.Metric as Record<string, unknown> | undefined;
      const metricStat: MetricStat | undefined =
        stat && statMetric
          ? {
              metric: {
                namespace: text(statMetric.Namespace, `${at}.MetricStat.Metric.Namespace`),
                metricName: text(statMetric.MetricName, `${at}.MetricStat.Metric.MetricName`),
                dimensions: dimensions(statMetric.Dimensions, `${at}.MetricStat.Metric.Dimensions`),
              },
              period: number(stat.Period, `${at}.MetricStat.Period`),
              stat: text(stat.Stat, `${at}.MetricStat.Stat`),
              unit: optionalText(stat.Unit, `${at}.MetricStat.Unit`),
            }
          : undefined;
      const expression = optionalText(query.Expression, `${at}.Expression`);
      if ((metricStat === undefined) === (expression === undefined))
        fail(`${at} needs exactly one of MetricStat and Expression`);
      return {
        id: text(query.Id, `${at}.Id`),
        metricStat,
        expression,
        returnData:
          query.ReturnData === undefined ? true : text(query.ReturnData, `${at}.ReturnData`) === 'true',
        label: optionalText(query.Label, `${at}.Label`),
        period: query.Period === undefined ? undefined : number(query.Period, `${at}.Period`),
      };
    });
    if (queries.filter((query) => query.returnData).length !== 1)
      fail('exactly one of Metrics must have ReturnData true');
    const periods = new Set(queries.flatMap((query) => query.metricStat?.period ?? []));
    if (periods.size > 1) fail(`the metrics of an alarm share one period, found ${[...periods].join(', ')}`);
    metric = { kind: 'math', queries };
  } else {
    const statistic = optionalText(properties.Statistic, 'Statistic');
    const extended = optionalText(properties.ExtendedStatistic, 'ExtendedStatistic');
    if ((statistic === undefined) === (extended === undefined))
      fail('needs exactly one of Statistic and ExtendedStatistic');
    metric = {
      kind: 'metric',
      metricStat: {
        metric: {
          namespace: text(properties.Namespace, 'Namespace'),
          metricName: text(properties.MetricName, 'MetricName'),
          dimensions: dimensions(properties.Dimensions, 'Dimensions'),
        },
        period: number(properties.Period, 'Period'),
        stat: (statistic ?? extended) as string,
        unit: optionalText(properties.Unit, 'Unit'),
      },
    };
  }

  const evaluationPeriods = number(properties.EvaluationPeriods, 'EvaluationPeriods');
  return {
    logicalId,
    alarmName: optionalText(properties.AlarmName, 'AlarmName') ?? logicalId,
    alarmDescription: optionalText(properties.AlarmDescription, 'AlarmDescription'),
    metric,
    evaluationPeriods,
    datapointsToAlarm:
      properties.DatapointsToAlarm === undefined
        ? evaluationPeriods
        : number(properties.DatapointsToAlarm, 'DatapointsToAlarm'),
    comparisonOperator: operator,
    threshold: number(properties.Threshold, 'Threshold'),
    treatMissingData,
  };
}

/** Every `AWS::CloudWatch::Alarm` of the template, in template order. */
export function readAlarms(template: SynthesizedTemplate, resolver: TemplateResolver): AlarmDefinition[] {
  return Object.entries(resourcesOf(template))
    .filter(([, resource]) => resource.Type === ALARM_TYPE)
    .map(([logicalId, resource]) => readAlarm(logicalId, resource.Properties ?? {}, resolver));
}

/**
 * The alarms a CodeDeploy deployment group watches (`AlarmConfiguration.Alarms`), in its order;
 * empty when the group's alarm configuration is disabled. A `Ref` to an alarm resource selects
 * that alarm; a plain name selects the alarm with that `AlarmName`.
 *
 * @param deploymentGroupId logical id of the group; needed only when the template has several.
 */
export function readRollbackAlarms(
  template: SynthesizedTemplate,
  resolver: TemplateResolver,
  deploymentGroupId?: string,
): AlarmDefinition[] {
  const resources = resourcesOf(template);
  const groups = Object.entries(resources).filter(
    ([id, resource]) =>
      resource.Type === DEPLOYMENT_GROUP_TYPE &&
      (deploymentGroupId === undefined || id === deploymentGroupId),
  );
  const [group, ...others] = groups;
  if (group === undefined || others.length > 0) {
    throw new TemplateValueError(
      `expected one ${DEPLOYMENT_GROUP_TYPE}${deploymentGroupId ? ` ${deploymentGroupId}` : ''}, ` +
        `found ${groups.map(([id]) => id).join(', ') || 'none'}`,
    );
  }
  const [groupId, groupResource] = group;
  const configuration = groupResource.Properties?.AlarmConfiguration as
    | { Enabled?: unknown; Alarms?: { Name: unknown }[] }
    | undefined;
  if (configuration === undefined || configuration.Enabled === false || configuration.Enabled === 'false')
    return [];

  // Only the listed alarms are read: the others may reference resources the caller cannot resolve.
  const alarmIds = Object.keys(resources).filter((id) => resources[id]?.Type === ALARM_TYPE);
  const read = (id: string): AlarmDefinition => readAlarm(id, resources[id]?.Properties ?? {}, resolver);
  return (configuration.Alarms ?? []).map(({ Name: name }, index) => {
    const ref = (name as { Ref?: unknown } | null)?.Ref;
    if (typeof ref === 'string' && alarmIds.includes(ref)) return read(ref);
    const where = `deployment group ${groupId} AlarmConfiguration.Alarms[${index}]`;
    const wanted = resolveTemplateValue(name, resolver, where);
    const found = alarmIds.find((id) => {
      const alarmName = resources[id]?.Properties?.AlarmName;
      return (
        (alarmName === undefined
          ? id
          : resolveTemplateValue(alarmName, resolver, `alarm ${id} AlarmName`)) === wanted
      );
    });
    if (found === undefined)
      throw new TemplateValueError(`${where}: no alarm named ${String(wanted)} in the template`);
    return read(found);
  });
}

/** What the sandbox deploys in place of the template's function, version and alias. */
export interface SandboxNames {
  /** The sandbox's function name (e.g. `todos`). */
  readonly functionName: string;
  /** The version being deployed (e.g. `2`). */
  readonly version: string;
  /** The alias CodeDeploy shifts, as the template names it (e.g. `live`). */
  readonly aliasName: string;
}

/**
 * A resolver that answers for the function behind the template's `aliasName` alias, the version
 * that alias points at, and the alias itself, with the sandbox's names; everything else goes to
 * `fallback`. The logical ids come from the alias resource, so they may change with the stack.
 */
export function sandboxResolver(
  template: SynthesizedTemplate,
  names: SandboxNames,
  fallback: TemplateResolver = () => undefined,
): TemplateResolver {
  const resources = resourcesOf(template);
  const aliases = Object.entries(resources).filter(
    ([, resource]) => resource.Type === 'AWS::Lambda::Alias' && resource.Properties?.Name === names.aliasName,
  );
  const [alias, ...others] = aliases;
  if (alias === undefined || others.length > 0) {
    throw new TemplateValueError(
      `expected one AWS::Lambda::Alias named ${names.aliasName}, found ${aliases.length}`,
    );
  }
  const [aliasId, { Properties: aliasProperties = {} }] = alias;
  const functionId = (aliasProperties.FunctionName as { Ref?: string } | undefined)?.Ref;
  const versionId = (aliasProperties.FunctionVersion as { 'Fn::GetAtt'?: string[] } | undefined)?.[
    'Fn::GetAtt'
  ]?.[0];
  if (functionId === undefined || versionId === undefined) {
    throw new TemplateValueError(
      `alias ${aliasId}: FunctionName must be a Ref and FunctionVersion a Fn::GetAtt`,
    );
  }
  const qualified = (qualifier: string): string => `${names.functionName}:${qualifier}`;
  return (reference) => {
    const { logicalId, attribute } = reference;
    if (logicalId === functionId && (attribute === undefined || attribute === 'Name'))
      return names.functionName;
    if (logicalId === versionId && attribute === 'Version') return names.version;
    if (logicalId === versionId && attribute === undefined) return qualified(names.version);
    if (logicalId === aliasId && attribute === undefined) return qualified(names.aliasName);
    return fallback(reference);
  };
}
