import { Match } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import { TODO_METRICS } from '../../functions/todos/metric-names';
import { ROUTES, routeKey } from '../../functions/todos/routes';
import { TODO_TABLE } from '../../functions/todos/table';
import { DEFAULTS as SANDBOX_DEFAULTS } from '../../local/config';
import {
  flatten,
  logicalId,
  maskedTemplate,
  onlyResource,
  type SynthesizedApp,
  synthesizeApp,
} from './synthesized-app';

// One synth with the validation plugins takes tens of seconds on a shared machine.
const SYNTH_TIMEOUT_MS = 300_000;
const ISSUER = 'https://issuer.example.com/';
const AUDIENCE = 'todo-api';

describe('the production stack', () => {
  let synth: SynthesizedApp;
  let fnId: string;
  let versionId: string;
  let aliasId: string;
  beforeAll(() => {
    synth = synthesizeApp({ jwtIssuer: ISSUER, jwtAudience: AUDIENCE });
    fnId = logicalId(synth.template, 'AWS::Lambda::Function', 'TodosFunction');
    versionId = logicalId(synth.template, 'AWS::Lambda::Version', 'TodosFunctionCurrentVersion');
    aliasId = logicalId(synth.template, 'AWS::Lambda::Alias', 'TodosLiveAlias');
  }, SYNTH_TIMEOUT_MS);
  afterAll(() => synth.cleanup());

  describe('validation', () => {
    it('has no unacknowledged cdk-nag or cfn-guard finding', () => {
      // Assess
      const plugins = synth.reports.map((report) => report.pluginName);
      expect(plugins).toEqual(
        expect.arrayContaining(['AwsSolutions', 'Serverless', 'cdk-validator-cfnguard']),
      );
      for (const report of synth.reports) {
        expect({ plugin: report.pluginName, violations: report.violations }).toEqual({
          plugin: report.pluginName,
          violations: [],
        });
      }
    });

    it('gives every acknowledged finding a reason of at least a sentence', () => {
      // Assess
      const acknowledged = synth.reports.flatMap((report) => report.suppressedViolations ?? []);
      expect(acknowledged.length).toBeGreaterThan(0);
      for (const finding of acknowledged) expect(finding.reason?.length ?? 0).toBeGreaterThan(60);
    });
  });

  describe('table', () => {
    it('is on-demand, recoverable, encrypted, protected and retained, with the shared key schema', () => {
      // Assess
      const { resource } = onlyResource(synth.template, 'AWS::DynamoDB::Table');
      expect(resource.DeletionPolicy).toBe('Retain');
      expect(resource.UpdateReplacePolicy).toBe('Retain');
      expect(resource.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        DeletionProtectionEnabled: true,
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        KeySchema: [
          { AttributeName: TODO_TABLE.partitionKey.name, KeyType: 'HASH' },
          { AttributeName: TODO_TABLE.sortKey.name, KeyType: 'RANGE' },
        ],
        LocalSecondaryIndexes: [
          {
            IndexName: TODO_TABLE.creationIndex.name,
            KeySchema: [
              { AttributeName: TODO_TABLE.partitionKey.name, KeyType: 'HASH' },
              { AttributeName: TODO_TABLE.creationIndex.sortKey.name, KeyType: 'RANGE' },
            ],
          },
        ],
      });
    });
  });

  describe('function', () => {
    it('runs nodejs24.x on arm64 with active tracing, JSON logs to its own group and the extension layer', () => {
      // Assess
      const layerId = logicalId(synth.template, 'AWS::Lambda::LayerVersion', 'TodosTelemetryExtension');
      const logsId = logicalId(synth.template, 'AWS::Logs::LogGroup', 'TodosLogs');
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        // The sandbox runs the function as deployed: same memory (so the same CPU share), same timeout.
        MemorySize: SANDBOX_DEFAULTS.memoryMb,
        Timeout: SANDBOX_DEFAULTS.timeoutSec,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: logsId } },
        Layers: [{ Ref: layerId }],
        Environment: {
          Variables: Match.objectLike({
            TABLE_NAME: { Ref: logicalId(synth.template, 'AWS::DynamoDB::Table', 'TodosTable') },
            POWERTOOLS_SERVICE_NAME: TODO_METRICS.defaultService,
            POWERTOOLS_METRICS_NAMESPACE: TODO_METRICS.defaultNamespace,
            TELEMETRY_METRICS_NAMESPACE: EXTENSION_METRICS.defaultNamespace,
          }),
        },
      });
      synth.template.hasResourceProperties('AWS::Lambda::LayerVersion', {
        CompatibleArchitectures: ['arm64'],
        CompatibleRuntimes: ['nodejs24.x'],
      });
      synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    });

    it('takes the cursor key from Secrets Manager at deploy time, never as a literal', () => {
      // Assess
      const variables =
        synth.template.findResources('AWS::Lambda::Function')[fnId]!.Properties.Environment.Variables;
      expect(flatten(variables.CURSOR_SECRET)).toMatch(
        /^\{\{resolve:secretsmanager:\{Ref:TodosCursorSecret\w+\}:SecretString:::\}\}$/,
      );
    });

    it('publishes a version whose content hash changes with the code and the layer, behind the live alias', () => {
      // Assess
      synth.template.hasResourceProperties('AWS::Lambda::Version', { FunctionName: { Ref: fnId } });
      synth.template.hasResourceProperties('AWS::Lambda::Alias', {
        Name: 'live',
        FunctionName: { Ref: fnId },
        FunctionVersion: { 'Fn::GetAtt': [versionId, 'Version'] },
      });
    });
  });

  describe('least privilege', () => {
    const statementsOf = (policyPrefix: string) => {
      const id = logicalId(synth.template, 'AWS::IAM::Policy', policyPrefix);
      return synth.template.findResources('AWS::IAM::Policy')[id]!.Properties.PolicyDocument.Statement as {
        Action: string | string[];
        Resource: unknown;
        Effect: string;
      }[];
    };

    it('lets the function touch only its table and index, its log group, and X-Ray', () => {
      // Assess
      const tableId = logicalId(synth.template, 'AWS::DynamoDB::Table', 'TodosTable');
      const logsId = logicalId(synth.template, 'AWS::Logs::LogGroup', 'TodosLogs');
      const statements = statementsOf('TodosRoleDefaultPolicy').map((statement) => ({
        actions: [statement.Action].flat().sort(),
        resources: [statement.Resource].flat().map(flatten).sort(),
      }));
      expect(statements).toEqual(
        expect.arrayContaining([
          { actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [`{GetAtt:${logsId}.Arn}`] },
          {
            actions: [
              'dynamodb:DeleteItem',
              'dynamodb:GetItem',
              'dynamodb:PutItem',
              'dynamodb:Query',
              'dynamodb:UpdateItem',
            ],
            resources: [
              `{GetAtt:${tableId}.Arn}`,
              `{GetAtt:${tableId}.Arn}/index/${TODO_TABLE.creationIndex.name}`,
            ],
          },
          { actions: ['xray:PutTelemetryRecords', 'xray:PutTraceSegments'], resources: ['*'] },
        ]),
      );
      expect(statements).toHaveLength(3);
      const role = onlyRole(synth, 'TodosRole');
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('lets the hook invoke exactly the new version and report only to its deployment group', () => {
      // Assess
      const groupId = logicalId(synth.template, 'AWS::CodeDeploy::DeploymentGroup', 'ReleaseDeploymentGroup');
      const statements = statementsOf('ReleaseHookRoleDefaultPolicy').map((statement) => ({
        actions: [statement.Action].flat().sort(),
        resources: [statement.Resource].flat().map(flatten).sort(),
      }));
      expect(statements).toContainEqual({
        actions: ['lambda:InvokeFunction'],
        resources: [`{Ref:${versionId}}`],
      });
      const report = statements.find((s) =>
        s.actions.includes('codedeploy:PutLifecycleEventHookExecutionStatus'),
      );
      expect(report?.actions).toEqual(['codedeploy:PutLifecycleEventHookExecutionStatus']);
      expect(report?.resources).toHaveLength(1);
      expect(report?.resources[0]).toContain(`{Ref:ReleaseApplication`);
      expect(report?.resources[0]).toContain(`{Ref:${groupId}}`);
      expect(statements.flatMap((s) => s.actions).some((action) => action.endsWith('*'))).toBe(false);
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('Smoke-tests'),
        Environment: { Variables: { TARGET_VERSION_ARN: { Ref: versionId } } },
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
      });
    });
  });

  describe('canary release', () => {
    it('puts the alias under CodeDeploy with the pre-traffic hook', () => {
      // Assess
      const hookId = logicalId(synth.template, 'AWS::Lambda::Function', 'ReleasePreTrafficHook');
      const alias = synth.template.findResources('AWS::Lambda::Alias')[aliasId]!;
      expect(alias.UpdatePolicy).toEqual({
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: {
            Ref: logicalId(synth.template, 'AWS::CodeDeploy::Application', 'ReleaseApplication'),
          },
          DeploymentGroupName: {
            Ref: logicalId(synth.template, 'AWS::CodeDeploy::DeploymentGroup', 'ReleaseDeploymentGroup'),
          },
          BeforeAllowTrafficHook: { Ref: hookId },
        },
      });
    });

    it('shifts 10 % for 5 minutes and rolls back on alarm, failure and stop', () => {
      // Assess
      const { resource } = onlyResource(synth.template, 'AWS::CodeDeploy::DeploymentGroup');
      const rollbackAlarms = Object.keys(synth.template.findResources('AWS::CloudWatch::Alarm')).filter(
        (id) => id.startsWith('RollbackAlarms'),
      );
      expect(flatten(resource.Properties.DeploymentConfigName)).toContain(
        'CodeDeployDefault.LambdaCanary10Percent5Minutes',
      );
      expect(resource.Properties.AutoRollbackConfiguration).toEqual({
        Enabled: true,
        Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
      });
      const configured = resource.Properties.AlarmConfiguration.Alarms.map((alarm: { Name: unknown }) =>
        flatten(alarm.Name),
      );
      expect(resource.Properties.AlarmConfiguration.Enabled).toBe(true);
      expect(configured.sort()).toEqual(rollbackAlarms.map((id) => `{Ref:${id}}`).sort());
      expect(configured.length).toBeGreaterThanOrEqual(5);
      expect(configured.length).toBeLessThanOrEqual(10);
    });

    it.each([
      ['RollbackAlarmsErrors', 'Errors', { Statistic: 'Sum' }, 1],
      ['RollbackAlarmsP99Duration', 'Duration', { ExtendedStatistic: 'p99' }, 1000],
    ])(
      '%s watches AWS/Lambda %s of the new version only, per minute, missing data not breaching',
      (prefix, metricName, statistic, threshold) => {
        // Assess
        const id = logicalId(synth.template, 'AWS::CloudWatch::Alarm', prefix);
        const alarm = synth.template.findResources('AWS::CloudWatch::Alarm')[id]!.Properties;
        expect(alarm).toMatchObject({
          Namespace: 'AWS/Lambda',
          MetricName: metricName,
          Period: 60,
          Threshold: threshold,
          TreatMissingData: 'notBreaching',
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          ...statistic,
        });
        const dimensions = Object.fromEntries(
          (alarm.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, flatten(d.Value)]),
        );
        expect(dimensions).toEqual({
          FunctionName: `{Ref:${fnId}}`,
          Resource: `{Ref:${fnId}}:live`,
          ExecutedVersion: `{GetAtt:${versionId}.Version}`,
        });
        expect(alarm.AlarmActions).toBeUndefined();
      },
    );

    it('watches the alias for throttles, since throttled invocations run no version, two minutes of three', () => {
      // Assess
      const id = logicalId(synth.template, 'AWS::CloudWatch::Alarm', 'RollbackAlarmsThrottles');
      const alarm = synth.template.findResources('AWS::CloudWatch::Alarm')[id]!.Properties;
      expect(alarm).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Throttles',
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      const dimensions = Object.fromEntries(
        (alarm.Dimensions as { Name: string; Value: unknown }[]).map((d) => [d.Name, flatten(d.Value)]),
      );
      expect(dimensions).toEqual({ FunctionName: `{Ref:${fnId}}`, Resource: `{Ref:${fnId}}:live` });
    });

    it("rolls back on the new version's 5xx share of its own requests, judged from a minimum of requests", () => {
      // Assess
      const id = logicalId(synth.template, 'AWS::CloudWatch::Alarm', 'RollbackAlarmsServerErrorRate');
      const alarm = synth.template.findResources('AWS::CloudWatch::Alarm')[id]!.Properties;
      type Query = {
        Id: string;
        Expression?: string;
        ReturnData?: boolean;
        MetricStat?: {
          Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
          Period: number;
          Stat: string;
        };
      };
      const queries = alarm.Metrics as Query[];
      const expression = queries.find((q) => q.Expression !== undefined)!;
      const stats = queries
        .filter((q) => q.MetricStat !== undefined)
        .map((q) => ({
          id: q.Id,
          namespace: q.MetricStat!.Metric.Namespace,
          name: q.MetricStat!.Metric.MetricName,
          stat: q.MetricStat!.Stat,
          period: q.MetricStat!.Period,
          dimensions: Object.fromEntries(
            q.MetricStat!.Metric.Dimensions.map((d) => [d.Name, flatten(d.Value)]),
          ),
        }));
      const version = {
        [TODO_METRICS.dimensions.service]: TODO_METRICS.defaultService,
        [TODO_METRICS.dimensions.functionVersion]: `{GetAtt:${versionId}.Version}`,
      };
      expect(expression.Expression).toBe(
        'IF(FILL(requests, 0) >= 20, 100 * FILL(serverErrors, 0) / FILL(requests, 1), 0)',
      );
      expect(expression.ReturnData ?? true).toBe(true);
      expect(stats).toEqual(
        expect.arrayContaining([
          {
            id: 'requests',
            namespace: TODO_METRICS.defaultNamespace,
            name: TODO_METRICS.requests,
            stat: 'Sum',
            period: 60,
            dimensions: version,
          },
          {
            id: 'serverErrors',
            namespace: TODO_METRICS.defaultNamespace,
            name: TODO_METRICS.requests,
            stat: 'Sum',
            period: 60,
            dimensions: { ...version, [TODO_METRICS.dimensions.statusClass]: '5xx' },
          },
        ]),
      );
      expect(stats).toHaveLength(2);
      expect(alarm).toMatchObject({
        Threshold: 10,
        EvaluationPeriods: 3,
        DatapointsToAlarm: 2,
        TreatMissingData: 'notBreaching',
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      });
      expect(alarm.AlarmActions).toBeUndefined();
    });

    it('keeps every rollback alarm to what CloudWatch alarms evaluate: no SEARCH', () => {
      // Assess
      const alarms = Object.entries(synth.template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
        id.startsWith('RollbackAlarms'),
      );
      expect(alarms.length).toBe(5);
      for (const [, alarm] of alarms) expect(JSON.stringify(alarm.Properties)).not.toContain('SEARCH(');
    });

    it("watches the new version's dropped telemetry with the extension's own metric names", () => {
      // Assess
      const id = logicalId(synth.template, 'AWS::CloudWatch::Alarm', 'RollbackAlarmsTelemetryDropped');
      const alarm = synth.template.findResources('AWS::CloudWatch::Alarm')[id]!.Properties;
      const stats = (
        alarm.Metrics as {
          MetricStat?: {
            Metric: { Namespace: string; MetricName: string; Dimensions: unknown };
            Period: number;
          };
        }[]
      )
        .filter((m) => m.MetricStat !== undefined)
        .map((m) => ({
          namespace: m.MetricStat!.Metric.Namespace,
          name: m.MetricStat!.Metric.MetricName,
          period: m.MetricStat!.Period,
          dimensions: Object.fromEntries(
            (m.MetricStat!.Metric.Dimensions as { Name: string; Value: unknown }[]).map((d) => [
              d.Name,
              flatten(d.Value),
            ]),
          ),
        }));
      const expectedDimensions = {
        [EXTENSION_METRICS.dimensions.functionName]: `{Ref:${fnId}}`,
        [EXTENSION_METRICS.dimensions.functionVersion]: `{GetAtt:${versionId}.Version}`,
      };
      expect(stats).toEqual(
        expect.arrayContaining([
          {
            namespace: EXTENSION_METRICS.defaultNamespace,
            name: EXTENSION_METRICS.spansDropped,
            period: 60,
            dimensions: expectedDimensions,
          },
          {
            namespace: EXTENSION_METRICS.defaultNamespace,
            name: EXTENSION_METRICS.metricDocumentsDropped,
            period: 60,
            dimensions: expectedDimensions,
          },
        ]),
      );
      expect(alarm.TreatMissingData).toBe('notBreaching');
    });
  });

  describe('paging alarms', () => {
    it('page the on-call topic with a description that says what to do first', () => {
      // Assess
      const topicId = logicalId(synth.template, 'AWS::SNS::Topic', 'AlarmTopic');
      const paging = Object.entries(synth.template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
        id.startsWith('PagingAlarms'),
      );
      expect(paging.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
        'PagingAlarmsP99Latency',
        'PagingAlarmsPostRuntimeDuration',
        'PagingAlarmsServerErrorRate',
        'PagingAlarmsTableSystemErrors',
        'PagingAlarmsTableThrottles',
      ]);
      for (const [, alarm] of paging) {
        expect(alarm.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
        expect(alarm.Properties.AlarmDescription).toMatch(/^Page: .+ First: /);
        expect(alarm.Properties.TreatMissingData).toBe('notBreaching');
      }
    });
  });

  describe('HTTP API', () => {
    it('has one route per entry of the route table, each behind the JWT authorizer and integrating the alias', () => {
      // Assess
      const routes = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route')).filter(
        (route) => route.Properties.RouteKey !== '$default',
      );
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(ROUTES.map(routeKey).sort());
      for (const route of routes) {
        expect(route.Properties.AuthorizationType).toBe('JWT');
        expect(route.Properties.AuthorizerId).toBeDefined();
      }
      synth.template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        IdentitySource: ['$request.header.Authorization'],
        JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] },
      });
      for (const integration of Object.values(
        synth.template.findResources('AWS::ApiGatewayV2::Integration'),
      )) {
        expect(integration.Properties).toMatchObject({
          IntegrationType: 'AWS_PROXY',
          IntegrationUri: { Ref: aliasId },
          PayloadFormatVersion: '2.0',
        });
      }
    });

    it('sends unmatched requests to the function through a $default route without the authorizer', () => {
      // Assess
      const routes = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route')).filter(
        (route) => route.Properties.RouteKey === '$default',
      );
      expect(routes).toHaveLength(1);
      expect(routes[0]!.Properties.AuthorizationType).toBe('NONE');
      expect(routes[0]!.Properties.AuthorizerId).toBeUndefined();
      const others = Object.values(synth.template.findResources('AWS::ApiGatewayV2::Route')).filter(
        (route) => route.Properties.RouteKey !== '$default',
      );
      for (const route of others) expect(route.Properties.Target).toEqual(routes[0]!.Properties.Target);
    });

    it('lets API Gateway invoke the alias for the $default route', () => {
      // Assess
      const permissions = Object.entries(synth.template.findResources('AWS::Lambda::Permission'));
      const forDefault = permissions.filter(([id]) => id.includes('DefaultRoute'));
      expect(forDefault).toHaveLength(1);
      // `$default` matches any method and path, so its grant is for any: `<api>/*/*`.
      expect(JSON.stringify(forDefault[0]![1].Properties.SourceArn)).toMatch(/"\/\*\/\*"\]\]\}$/);
    });

    it('acknowledges the token-less $default route with its reason', () => {
      // Assess
      const acknowledged = synth.reports
        .flatMap((report) => report.suppressedViolations ?? [])
        .filter((finding) =>
          finding.violatingConstructs.some((c) => c.constructPath.includes('DefaultRoute')),
        );
      expect(acknowledged.map((finding) => finding.ruleName)).toEqual(
        expect.arrayContaining(['AwsSolutions-APIG4']),
      );
    });

    it('throttles the stage and writes JSON access logs with the request id', () => {
      // Assess
      const { resource } = onlyResource(synth.template, 'AWS::ApiGatewayV2::Stage');
      expect(resource.Properties).toMatchObject({
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      });
      const format = JSON.parse(resource.Properties.AccessLogSettings.Format as string) as Record<
        string,
        string
      >;
      expect(format.requestId).toBe('$context.requestId');
      expect(format.status).toBe('$context.status');
    });
  });

  describe('dashboard', () => {
    let widgets: {
      type: string;
      properties: {
        title?: string;
        markdown?: string;
        metrics?: unknown[][];
        alarms?: unknown[];
        query?: string;
      };
    }[];
    beforeAll(() => {
      const { resource } = onlyResource(synth.template, 'AWS::CloudWatch::Dashboard');
      // Tokens become placeholders inside the JSON strings, so the body parses as JSON.
      widgets = JSON.parse(flatten(resource.Properties.DashboardBody)).widgets;
    });
    const metricsOf = (titlePart: string): unknown[][] =>
      widgets
        .filter((w) => String(w.properties.title ?? '').includes(titlePart))
        .flatMap((w) => w.properties.metrics ?? []);

    it('shows the alarm status of every alarm', () => {
      // Assess
      const status = widgets.find((w) => w.type === 'alarm');
      const alarmCount = Object.keys(synth.template.findResources('AWS::CloudWatch::Alarm')).length;
      expect(status?.properties.alarms).toHaveLength(alarmCount);
    });

    it('shows payload sizes per route from the handler EMF names, namespace and dimensions', () => {
      // Assess
      const requestSizes = metricsOf('Request payload size').map(describeMetric);
      for (const route of ROUTES) {
        expect(requestSizes).toContainEqual({
          namespace: TODO_METRICS.defaultNamespace,
          name: TODO_METRICS.requestSize,
          dimensions: {
            [TODO_METRICS.dimensions.service]: TODO_METRICS.defaultService,
            [TODO_METRICS.dimensions.route]: routeKey(route),
          },
          stat: 'p99',
        });
      }
      expect(metricsOf('Response payload size').flat()).toContain(TODO_METRICS.responseSize);
      expect(metricsOf('Cold starts').flat()).toEqual(
        expect.arrayContaining([TODO_METRICS.defaultNamespace, TODO_METRICS.coldStart]),
      );
    });

    it('shows extension health from the extension EMF names of the new version', () => {
      // Assess
      const extensionMetrics = [
        ...metricsOf('Post-runtime'),
        ...metricsOf('Telemetry exported'),
        ...metricsOf('Telemetry dropped'),
        ...metricsOf('Init duration'),
        ...metricsOf('Export latency'),
      ].filter((m) => m[0] === EXTENSION_METRICS.defaultNamespace);
      const names = extensionMetrics.map((m) => m[1]);
      expect(names).toEqual(
        expect.arrayContaining([
          EXTENSION_METRICS.postRuntimeDuration,
          EXTENSION_METRICS.spansExported,
          EXTENSION_METRICS.metricDocumentsExported,
          EXTENSION_METRICS.spansDropped,
          EXTENSION_METRICS.metricDocumentsDropped,
          EXTENSION_METRICS.initDuration,
          EXTENSION_METRICS.exportLatency,
        ]),
      );
      for (const metric of extensionMetrics.map(describeMetric)) {
        expect(metric.dimensions).toEqual({
          [EXTENSION_METRICS.dimensions.functionName]: `{Ref:${fnId}}`,
          [EXTENSION_METRICS.dimensions.functionVersion]: `{GetAtt:${versionId}.Version}`,
        });
      }
    });

    it('shows customers, deployment by executed version, DynamoDB, recent errors and the service map', () => {
      // Assess
      const titles = widgets.map((w) => String(w.properties.title ?? w.properties.markdown ?? ''));
      for (const expected of [
        'Requests',
        'Error rate',
        'Latency',
        'Invocations by version',
        'Errors by version',
        'Duration p99 by version',
        'Consumed capacity',
        'Throttled requests',
        'Recent errors',
      ]) {
        expect(titles.some((title) => title.includes(expected))).toBe(true);
      }
      const byVersion = JSON.stringify(metricsOf('by version'));
      expect(byVersion).toContain('SEARCH(');
      expect(byVersion).toContain('ExecutedVersion');
      const logs = widgets.find((w) => w.type === 'log');
      expect(logs?.properties.query).toContain(
        `SOURCE '{Ref:${logicalId(synth.template, 'AWS::Logs::LogGroup', 'TodosLogs')}}'`,
      );
      expect(logs?.properties.query).toContain('level = "ERROR"');
      expect(titles.some((title) => title.includes('xray:service-map'))).toBe(true);
    });

    it('shows request outcomes per version and per route from the handler counts, and the 5xx rollback alarm', () => {
      // Assess
      const byVersion = JSON.stringify(metricsOf('Requests per minute by version and status class'));
      const { dimensions } = TODO_METRICS;
      expect(byVersion).toContain(
        `{${TODO_METRICS.defaultNamespace},${dimensions.functionVersion},${dimensions.service},${dimensions.statusClass}}`,
      );
      expect(byVersion).toContain(`MetricName=\\"${TODO_METRICS.requests}\\"`);
      const byRoute = JSON.stringify(metricsOf('Requests per minute by route and status class'));
      expect(byRoute).toContain(`${dimensions.route},${dimensions.service},${dimensions.statusClass}}`);
      const rateWidget = widgets.find((w) => String(w.properties.title).includes('New version 5xx rate'));
      const alarmId = logicalId(synth.template, 'AWS::CloudWatch::Alarm', 'RollbackAlarmsServerErrorRate');
      expect(JSON.stringify(rateWidget?.properties)).toContain(`{GetAtt:${alarmId}.Arn}`);
    });
  });

  it('matches the masked template snapshot', () => {
    // Assess
    expect(maskedTemplate(synth.json)).toMatchSnapshot();
  });
});

const onlyRole = (synth: SynthesizedApp, prefix: string) =>
  synth.template.findResources('AWS::IAM::Role')[logicalId(synth.template, 'AWS::IAM::Role', prefix)]!;

/** A dashboard metric array (`[namespace, name, dim, value, ..., options]`) as an object. */
const describeMetric = (metric: unknown[]) => {
  const options = metric.at(-1) as { stat?: string };
  const pairs = metric.slice(2, -1) as string[];
  const dimensions: Record<string, string> = {};
  for (let i = 0; i + 1 < pairs.length; i += 2) dimensions[pairs[i]!] = pairs[i + 1]!;
  return { namespace: metric[0], name: metric[1], dimensions, stat: options.stat };
};
