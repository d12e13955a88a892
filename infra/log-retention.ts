import { Validations } from 'aws-cdk-lib';
import { type LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';

// Production logs are kept for a month of incident look-back; throwaway stacks a week.
const PRODUCTION_LOG_RETENTION = RetentionDays.ONE_MONTH;
const EPHEMERAL_LOG_RETENTION = RetentionDays.ONE_WEEK;

/** Log retention for a stack of this kind. */
export const logRetention = (ephemeral: boolean): RetentionDays =>
  ephemeral ? EPHEMERAL_LOG_RETENTION : PRODUCTION_LOG_RETENTION;

/**
 * Acknowledges the one-year retention control on a log group: the retention is chosen on
 * purpose (see `logRetention`).
 */
export const acknowledgeLogRetention = (logGroup: LogGroup): void => {
  Validations.of(logGroup).acknowledge({
    id: 'cdk-validator-cfnguard::cloudwatch_log_group_retention_period_check',
    reason:
      'Retention is 30 days in production (7 for throwaway stacks): long enough for incident ' +
      'look-back, while logs and access logs hold client IPs and request ids that data ' +
      'minimisation says not to keep for a year; long-term trends live in metrics.',
  });
};
