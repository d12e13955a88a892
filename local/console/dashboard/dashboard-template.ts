/**
 * The stack's dashboard as the synthesized template holds it: the `DashboardBody` of its
 * `AWS::CloudWatch::Dashboard`, with every `Ref` / `Fn::GetAtt` answered for the sandbox, parsed
 * into widgets. No second definition: a change to `dashboards/` changes what the console shows.
 */
import { type SandboxNames, type SynthesizedTemplate, sandboxResolver } from '../../release/alarm-template';
import {
  resolveTemplateValue,
  type TemplateResolver,
  TemplateValueError,
} from '../../release/template-values';
import { LOCAL_ACCOUNT_ID } from '../../xray/lambda-segments';

/** What the sandbox runs in place of the template's resources. */
export interface DashboardNames extends SandboxNames {
  /** The sandbox's HTTP API id (what `Ref` of the `AWS::ApiGatewayV2::Api` gives). */
  readonly apiId: string;
  /** The table the function uses (`TABLE_NAME`). */
  readonly tableName: string;
  /** `AWS::Region`. */
  readonly region: string;
}

/** One widget of the body, placement and raw properties as the body has them. */
export interface BodyWidget {
  readonly type: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  readonly properties: Readonly<Record<string, unknown>>;
}

export interface DashboardBody {
  /** Logical id of the dashboard resource. */
  readonly logicalId: string;
  readonly widgets: readonly BodyWidget[];
}

type Resource = { readonly Type: string; readonly Properties?: Record<string, unknown> };

const resourcesOf = (template: SynthesizedTemplate): Record<string, Resource> =>
  (template.Resources ?? {}) as Record<string, Resource>;

const refOf = (value: unknown): string | undefined => {
  const ref = (value as { Ref?: unknown } | null | undefined)?.Ref;
  return typeof ref === 'string' ? ref : undefined;
};

/** `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`, the `Arn` attribute of an alarm. */
export const alarmArn = (region: string, alarmName: string): string =>
  `arn:aws:cloudwatch:${region}:${LOCAL_ACCOUNT_ID}:alarm:${alarmName}`;

/**
 * A resolver answering for the sandbox: the function, its version and alias (`sandboxResolver`),
 * the HTTP API, the table, the function's log group (`/aws/lambda/<function>`, as Lambda names
 * it), alarms and the pseudo parameters. Alarms have no `AlarmName` in the template (CloudFormation
 * generates one on deploy); locally an alarm is named by its logical id, the name `readAlarms`
 * gives it too, so a widget's alarm ARN and the evaluated alarm agree.
 */
export function dashboardResolver(template: SynthesizedTemplate, names: DashboardNames): TemplateResolver {
  const resources = resourcesOf(template);
  const functionLogGroups = new Set(
    Object.values(resources).flatMap((resource) =>
      resource.Type === 'AWS::Lambda::Function'
        ? (refOf((resource.Properties?.LoggingConfig as Record<string, unknown> | undefined)?.LogGroup) ?? [])
        : [],
    ),
  );
  const alias = Object.values(resources).find(
    (resource) => resource.Type === 'AWS::Lambda::Alias' && resource.Properties?.Name === names.aliasName,
  );
  const functionId = refOf(alias?.Properties?.FunctionName);
  const functionLogGroup = refOf(
    (resources[functionId ?? '']?.Properties?.LoggingConfig as Record<string, unknown> | undefined)?.LogGroup,
  );
  const alarmName = (logicalId: string, properties: Record<string, unknown>): string | undefined => {
    if (properties.AlarmName === undefined) return logicalId;
    const resolved = resolveTemplateValue(properties.AlarmName, resolver, `alarm ${logicalId} AlarmName`);
    return Array.isArray(resolved) ? undefined : resolved;
  };
  const fallback: TemplateResolver = ({ logicalId, attribute }) => {
    if (logicalId === 'AWS::Region') return names.region;
    if (logicalId === 'AWS::AccountId') return LOCAL_ACCOUNT_ID;
    if (logicalId === 'AWS::Partition') return 'aws';
    if (logicalId === 'AWS::URLSuffix') return 'amazonaws.com';
    const resource = resources[logicalId];
    const properties = resource?.Properties ?? {};
    switch (resource?.Type) {
      case 'AWS::ApiGatewayV2::Api':
        return attribute === undefined || attribute === 'ApiId' ? names.apiId : undefined;
      case 'AWS::DynamoDB::Table':
        return attribute === undefined ? names.tableName : undefined;
      case 'AWS::Logs::LogGroup':
        if (attribute !== undefined) return undefined;
        if (logicalId === functionLogGroup) return `/aws/lambda/${names.functionName}`;
        if (typeof properties.LogGroupName === 'string') return properties.LogGroupName;
        // Another function's group: named by the logical id, as no local function writes it.
        return functionLogGroups.has(logicalId) ? `/aws/lambda/${logicalId}` : undefined;
      case 'AWS::CloudWatch::Alarm': {
        const name = alarmName(logicalId, properties);
        if (name === undefined) return undefined;
        if (attribute === undefined) return name;
        return attribute === 'Arn' ? alarmArn(names.region, name) : undefined;
      }
      default:
        return undefined;
    }
  };
  const resolver = sandboxResolver(template, names, fallback);
  return resolver;
}

const number = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

/**
 * The dashboard of the template, its body resolved with `resolver` and parsed.
 *
 * @param dashboardId logical id of the dashboard; needed only when the template has several.
 */
export function readDashboard(
  template: SynthesizedTemplate,
  resolver: TemplateResolver,
  dashboardId?: string,
): DashboardBody {
  const dashboards = Object.entries(resourcesOf(template)).filter(
    ([id, resource]) =>
      resource.Type === 'AWS::CloudWatch::Dashboard' && (dashboardId === undefined || id === dashboardId),
  );
  const [dashboard, ...others] = dashboards;
  if (dashboard === undefined || others.length > 0) {
    throw new TemplateValueError(
      `expected one AWS::CloudWatch::Dashboard${dashboardId ? ` ${dashboardId}` : ''}, found ${dashboards.map(([id]) => id).join(', ') || 'none'}`,
    );
  }
  const [logicalId, resource] = dashboard;
  const where = `dashboard ${logicalId} DashboardBody`;
  const text = resolveTemplateValue(resource.Properties?.DashboardBody, resolver, where);
  if (Array.isArray(text)) throw new TemplateValueError(`${where}: a list where a JSON string belongs`);
  let body: { widgets?: unknown };
  try {
    body = JSON.parse(text) as { widgets?: unknown };
  } catch (error) {
    throw new TemplateValueError(`${where}: not JSON once resolved (${(error as Error).message})`);
  }
  const widgets = Array.isArray(body.widgets) ? (body.widgets as Record<string, unknown>[]) : [];
  return {
    logicalId,
    widgets: widgets.map((widget) => ({
      type: typeof widget.type === 'string' ? widget.type : 'unknown',
      x: number(widget.x, 0),
      y: number(widget.y, 0),
      width: number(widget.width, 6),
      height: number(widget.height, 6),
      properties: (widget.properties ?? {}) as Record<string, unknown>,
    })),
  };
}
