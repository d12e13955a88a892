import { MathExpression, Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable, Operation } from 'aws-cdk-lib/aws-dynamodb';
import { METRIC_PERIOD } from './todo-metrics';

/** The DynamoDB metrics published per table and operation that the alarms and dashboard add up. */
type PerOperationMetric = 'ThrottledRequests' | 'SystemErrors';

/**
 * One DynamoDB per-operation metric summed over `operations`, each operation's series filled
 * with 0 first. CDK's `metricThrottledRequestsForOperations` / `metricSystemErrorsForOperations`
 * add the series as they are, and in metric math a missing operand makes the whole sum missing:
 * DynamoDB publishes these metrics only for operations that had one, so that sum has a datapoint
 * only in a minute where every operation throttled (or failed), and an alarm on it never fires.
 *
 * @example
 * tableOperationsSum(table, 'ThrottledRequests', ['GetItem', 'Query'], 'Throttled requests')
 * // → FILL(getitem, 0) + FILL(query, 0)
 */
export function tableOperationsSum(
  table: ITable,
  metricName: PerOperationMetric,
  operations: readonly Operation[],
  label: string,
): MathExpression {
  if (operations.length === 0) throw new Error(`${metricName}: name at least one operation`);
  const ids = operations.map((operation) => operation.toLowerCase());
  return new MathExpression({
    expression: ids.map((id) => `FILL(${id}, 0)`).join(' + '),
    usingMetrics: Object.fromEntries(
      operations.map((operation, index) => [
        ids[index],
        table.metric(metricName, {
          dimensionsMap: { TableName: table.tableName, Operation: operation },
          statistic: Stats.SUM,
          period: METRIC_PERIOD,
        }),
      ]),
    ),
    label,
    period: METRIC_PERIOD,
  });
}
