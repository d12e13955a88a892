import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { PagingAlarmSet } from '../dashboards/paging-alarms';
import { RollbackAlarmSet } from '../dashboards/rollback-alarms';
import { TodoDashboard } from '../dashboards/todo-dashboard';
import { TodoMetricFactory } from '../dashboards/todo-metrics';
import { CanaryRelease } from './canary-release';
import type { DeploymentSettings } from './deployment-settings';
import { logRetention } from './log-retention';
import { OperationsKey } from './operations-key';
import { TodoHttpApi } from './todo-http-api';
import { LIVE_ALIAS, TABLE_OPERATIONS, TodoService } from './todo-service';

/** Props of the todo API stack. */
export interface TodoApiStackProps extends StackProps {
  /** Deployment settings (from CDK context). */
  readonly settings: DeploymentSettings;
}

/**
 * The todo API: DynamoDB table, function with the telemetry extension, `live` alias released by
 * CodeDeploy canaries, HTTP API, rollback and paging alarms, and the operations dashboard.
 */
export class TodoApiStack extends Stack {
  readonly service: TodoService;
  readonly http: TodoHttpApi;
  readonly release: CanaryRelease;
  readonly rollbackAlarms: RollbackAlarmSet;
  readonly pagingAlarms: PagingAlarmSet;
  readonly alarmTopic: Topic;
  readonly dashboard: TodoDashboard;

  constructor(scope: Construct, id: string, props: TodoApiStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const removalPolicy = settings.ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    const retention = logRetention(settings.ephemeral);

    const { key } = new OperationsKey(this, 'OperationsKey', { removalPolicy });
    this.service = new TodoService(this, 'Todos', { ephemeral: settings.ephemeral, logEncryptionKey: key });
    const { table, version, alias, logGroup } = this.service;

    this.http = new TodoHttpApi(this, 'Http', {
      target: alias,
      logRetention: retention,
      logEncryptionKey: key,
      logRemovalPolicy: removalPolicy,
      jwtIssuer: settings.jwtIssuer,
      jwtAudience: settings.jwtAudience,
      corsOrigins: settings.corsOrigins,
    });

    const metrics = new TodoMetricFactory({
      functionName: this.service.function.functionName,
      aliasName: LIVE_ALIAS,
      version: version.version,
    });

    this.rollbackAlarms = new RollbackAlarmSet(this, 'RollbackAlarms', metrics);
    this.release = new CanaryRelease(this, 'Release', {
      alias,
      version,
      rollbackAlarms: this.rollbackAlarms.all,
      canaryPercent: settings.canaryPercent,
      canaryMinutes: settings.canaryMinutes,
      logRetention: retention,
      logRemovalPolicy: removalPolicy,
      logEncryptionKey: key,
    });

    this.alarmTopic = new Topic(this, 'AlarmTopic', {
      displayName: 'Todo API on-call',
      masterKey: key,
      enforceSSL: true,
    });
    if (settings.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    }

    this.pagingAlarms = new PagingAlarmSet(this, 'PagingAlarms', {
      metrics,
      api: this.http.api,
      table,
      tableOperations: TABLE_OPERATIONS,
      topic: this.alarmTopic,
    });

    this.dashboard = new TodoDashboard(this, 'Dashboard', {
      metrics,
      api: this.http.api,
      table,
      tableOperations: TABLE_OPERATIONS,
      functionLogGroup: logGroup,
      alarms: [...this.pagingAlarms.all, ...this.rollbackAlarms.all],
      serverErrorRateAlarm: this.rollbackAlarms.alarms.serverErrorRate,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.http.url, description: 'Base URL of the todo API' });
    new CfnOutput(this, 'DashboardName', { value: this.dashboard.dashboard.dashboardName });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }
}
