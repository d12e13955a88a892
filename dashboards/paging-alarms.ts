import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { tableOperationsSum } from './table-operation-metrics';
import { METRIC_PERIOD, type TodoMetricFactory } from './todo-metrics';

/** What the paging alarms watch and where they send. */
export interface PagingAlarmProps {
  readonly metrics: TodoMetricFactory;
  readonly api: IHttpApi;
  readonly table: ITable;
  /** The DynamoDB operations the handler calls (throttles and system errors are per operation). */
  readonly tableOperations: readonly Operation[];
  /** Topic that pages on-call; alarms also notify it when they recover. */
  readonly topic: ITopic;
  /** 5xx responses in percent of requests. @default 1 */
  readonly serverErrorRatePercent?: number;
  /** API p99 latency in milliseconds. @default 1000 */
  readonly p99LatencyMs?: number;
  /** p99 time the extensions keep the environment after the response, in milliseconds. @default 100 */
  readonly p99PostRuntimeMs?: number;
}

// One percent of requests failing for three minutes out of five: a real outage, not one bad request.
const DEFAULT_SERVER_ERROR_RATE_PERCENT = 1;
// API Gateway's integration timeout is 30 s; users notice well before, a second at p99 is the line.
const DEFAULT_P99_LATENCY_MS = 1000;
// The extension exports after the response; beyond 100 ms at p99 it is billing real time and
// holding environments that new requests would otherwise reuse.
const DEFAULT_P99_POST_RUNTIME_MS = 100;

/** The paging alarms by name. */
export interface PagingAlarms {
  readonly serverErrorRate: Alarm;
  readonly p99Latency: Alarm;
  readonly tableThrottles: Alarm;
  readonly tableSystemErrors: Alarm;
  readonly postRuntimeDuration: Alarm;
}

/**
 * On-call alarms at the alias and API level: they see old and new versions together, so they
 * page people and never decide a rollback. Each description says what the alarm means and what
 * to do first.
 */
export class PagingAlarmSet extends Construct {
  readonly alarms: PagingAlarms;

  constructor(scope: Construct, id: string, props: PagingAlarmProps) {
    super(scope, id);
    const make = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
      datapointsToAlarm: number,
      description: string,
    ): Alarm => {
      const alarm = new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(new SnsAction(props.topic));
      alarm.addOkAction(new SnsAction(props.topic));
      return alarm;
    };

    const serverErrorRate = new MathExpression({
      expression: '100 * FILL(errors, 0) / IF(FILL(requests, 0) > 0, requests, 1)',
      usingMetrics: {
        errors: props.api.metricServerError({ period: METRIC_PERIOD, statistic: Stats.SUM }),
        requests: props.api.metricCount({ period: METRIC_PERIOD, statistic: Stats.SUM }),
      },
      label: '5xx rate (%)',
      period: METRIC_PERIOD,
    });

    const errorRate = props.serverErrorRatePercent ?? DEFAULT_SERVER_ERROR_RATE_PERCENT;
    const latency = props.p99LatencyMs ?? DEFAULT_P99_LATENCY_MS;
    const postRuntime = props.p99PostRuntimeMs ?? DEFAULT_P99_POST_RUNTIME_MS;
    this.alarms = {
      serverErrorRate: make(
        'ServerErrorRate',
        serverErrorRate,
        errorRate,
        5,
        3,
        `Page: ${errorRate} % or more of API requests end in 5xx. Users are failing. First: check whether a ` +
          'deployment is in progress (CodeDeploy console), then the DynamoDB widgets (a 503 means ' +
          'throttling or an outage), then the Logs Insights errors widget.',
      ),
      p99Latency: make(
        'P99Latency',
        props.api.metricLatency({ period: METRIC_PERIOD, statistic: Stats.p(99) }),
        latency,
        5,
        3,
        `Page: API p99 latency is ${latency} ms or more. First: compare Lambda duration by version and ` +
          'DynamoDB latency on the dashboard; open a slow trace from the X-Ray service map.',
      ),
      tableThrottles: make(
        'TableThrottles',
        tableOperationsSum(props.table, 'ThrottledRequests', props.tableOperations, 'Throttled requests'),
        1,
        3,
        2,
        'Page: DynamoDB throttled the todo table; the API answers 503 with Retry-After. First: look ' +
          'for a hot partition (one owner with a burst) and at account-level on-demand limits.',
      ),
      tableSystemErrors: make(
        'TableSystemErrors',
        tableOperationsSum(props.table, 'SystemErrors', props.tableOperations, 'System errors'),
        1,
        3,
        2,
        'Page: DynamoDB returned internal errors for the todo table. First: check the AWS Health ' +
          'Dashboard for DynamoDB in this region; the handler already retries within its timeout.',
      ),
      postRuntimeDuration: make(
        'PostRuntimeDuration',
        props.metrics.lambdaOfAlias('PostRuntimeExtensionsDuration', Stats.p(99), 'Post-runtime p99'),
        postRuntime,
        5,
        3,
        `Page: the telemetry extension holds environments ${postRuntime} ms or more after responses (p99). ` +
          'It is billed and reduces reuse. First: check the export latency and dropped telemetry ' +
          'widgets; a slow or failing exporter endpoint is the usual cause.',
      ),
    };
  }

  /** The alarms as a list. */
  get all(): Alarm[] {
    return Object.values(this.alarms);
  }
}
