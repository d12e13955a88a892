import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import {
  type ILambdaDeploymentConfig,
  LambdaApplication,
  LambdaDeploymentConfig,
  LambdaDeploymentGroup,
  TrafficRouting,
} from 'aws-cdk-lib/aws-codedeploy';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  type Alias,
  Architecture,
  Code,
  Function as LambdaFunction,
  LoggingFormat,
  Runtime,
  Tracing,
  type Version,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ARTIFACTS } from './artifacts';
import { acknowledgeLogRetention } from './log-retention';

/** Settings of the canary release. */
export interface CanaryReleaseProps {
  /** The alias CodeDeploy shifts. */
  readonly alias: Alias;
  /** The version being deployed; the pre-traffic hook invokes exactly this version. */
  readonly version: Version;
  /** Alarms that roll the deployment back (at most 10, on the new version only). */
  readonly rollbackAlarms: readonly Alarm[];
  /** Percent of traffic the canary takes first. @default 10 */
  readonly canaryPercent?: number;
  /** Minutes before the rest of the traffic shifts. @default 5 */
  readonly canaryMinutes?: number;
  /** Log retention of the hook's log group. */
  readonly logRetention: RetentionDays;
  /** Removal policy of the hook's log group. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Customer-managed key for the hook's log group. */
  readonly logEncryptionKey: IKey;
}

// CodeDeploy refuses a deployment group with more than 10 alarms.
const MAX_ROLLBACK_ALARMS = 10;

/** The deployment config: CodeDeploy's predefined one for the default canary, a custom one otherwise. */
const deploymentConfig = (scope: Construct, percent: number, minutes: number): ILambdaDeploymentConfig =>
  percent === 10 && minutes === 5
    ? LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES
    : new LambdaDeploymentConfig(scope, 'Config', {
        trafficRouting: TrafficRouting.timeBasedCanary({
          percentage: percent,
          interval: Duration.minutes(minutes),
        }),
      });

/**
 * CodeDeploy on the `live` alias: a pre-traffic hook smoke-tests the new version, then a canary
 * takes a share of the traffic; any rollback alarm, a failed hook or a stopped deployment sends
 * all traffic back to the previous version.
 */
export class CanaryRelease extends Construct {
  readonly hook: LambdaFunction;
  readonly deploymentGroup: LambdaDeploymentGroup;

  constructor(scope: Construct, id: string, props: CanaryReleaseProps) {
    super(scope, id);
    if (props.rollbackAlarms.length > MAX_ROLLBACK_ALARMS) {
      throw new Error(
        `a deployment group takes at most ${MAX_ROLLBACK_ALARMS} alarms, got ${props.rollbackAlarms.length}`,
      );
    }

    const hookLogs = new LogGroup(this, 'HookLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
      encryptionKey: props.logEncryptionKey,
    });
    acknowledgeLogRetention(hookLogs);
    const hookRole = new Role(this, 'HookRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Pre-traffic hook: invoke the new version, report to CodeDeploy',
    });
    hookRole.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [hookLogs.logGroupArn],
      }),
    );

    this.hook = new LambdaFunction(this, 'PreTrafficHook', {
      description: 'Smoke-tests a new todo API version before CodeDeploy shifts traffic to it',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      code: Code.fromAsset(ARTIFACTS.deployHook),
      handler: 'index.handler',
      memorySize: 256,
      // Three sequential invokes of a function whose own timeout is 10 s, plus the report.
      timeout: Duration.minutes(1),
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      logGroup: hookLogs,
      role: hookRole,
      environment: { TARGET_VERSION_ARN: props.version.functionArn },
    });
    props.version.grantInvoke(this.hook);

    this.deploymentGroup = new LambdaDeploymentGroup(this, 'DeploymentGroup', {
      application: new LambdaApplication(this, 'Application'),
      alias: props.alias,
      deploymentConfig: deploymentConfig(this, props.canaryPercent ?? 10, props.canaryMinutes ?? 5),
      alarms: [...props.rollbackAlarms],
      preHook: this.hook,
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });

    Validations.of(hookRole).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only xray:PutTraceSegments and xray:PutTelemetryRecords for active tracing: X-Ray has no ' +
        'resource-level permissions for them. Invoke and CodeDeploy grants name their resources.',
    });
    Validations.of(this.hook).acknowledge(
      {
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'CodeDeploy invokes the hook and waits for its status report; a run that never reports fails ' +
          'the deployment (and rolls it back) on its own, so a dead-letter queue would hold events nobody replays.',
      },
      {
        id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
        reason:
          'The hook calls only the Lambda and CodeDeploy APIs over TLS with IAM; there is no private ' +
          'network resource to reach, and a VPC would add NAT or endpoint cost.',
      },
    );
    Validations.of(this.deploymentGroup).acknowledge(
      {
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
        reason:
          'The AWS-maintained policy made for CodeDeploy on Lambda (read and update aliases, read alarms); ' +
          'AWS keeps it current as CodeDeploy changes, which a copied inline policy would not be.',
      },
      {
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::<ReleasePreTrafficHook6304800F.Arn>:*]',
        reason:
          'CodeDeploy invokes the pre-traffic hook by a qualified ARN; the grant covers the versions ' +
          'and aliases of that one function and nothing else.',
      },
    );
    for (const alarm of props.rollbackAlarms) {
      Validations.of(alarm).acknowledge({
        id: 'cdk-validator-cfnguard::cloudwatch_alarm_action_check',
        reason:
          'A rollback alarm acts through CodeDeploy, which polls it during a deployment and rolls back; ' +
          'it deliberately notifies no one (the paging alarms do, with actions).',
      });
    }
  }
}
