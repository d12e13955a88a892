import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  Operation,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  Alias,
  ApplicationLogLevel,
  Architecture,
  Code,
  Function as LambdaFunction,
  LayerVersion,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
  type Version,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { EXTENSION_METRICS } from '../extension/src/metric-names';
import { TODO_METRICS } from '../functions/todos/metric-names';
import { TODO_TABLE } from '../functions/todos/table';
import { ARTIFACTS } from './artifacts';
import { acknowledgeLogRetention, logRetention } from './log-retention';

/** Settings of the todo service. */
export interface TodoServiceProps {
  /** Customer-managed key for the function's log group. */
  readonly logEncryptionKey: IKey;
  /** Throwaway stack: destroy the table and logs with the stack. @default false */
  readonly ephemeral?: boolean;
  /** Function memory in MB. @default 1024 */
  readonly memorySize?: number;
  /** Function timeout. @default 10 seconds */
  readonly timeout?: Duration;
}

/** The alias API Gateway integrates and CodeDeploy shifts. */
export const LIVE_ALIAS = 'live';

/**
 * The DynamoDB calls the handler makes, and nothing more: the IAM policy and the table alarms
 * are both built from this list.
 */
export const TABLE_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.QUERY,
] as const;

// Lambda gives CPU in proportion to memory (one full vCPU at 1,769 MB); 1,024 MB keeps the
// cold start's module loading short for a few cents more per million requests.
const DEFAULT_MEMORY_MB = 1024;
// Well inside API Gateway's 30 s integration timeout; the handler's DynamoDB client gives up
// (and answers 503) before this.
const DEFAULT_TIMEOUT = Duration.seconds(10);
/**
 * The table, the todo function with the telemetry extension layer, its version and the `live`
 * alias. Every change of code, layer or configuration makes a new version that reaches users
 * only through CodeDeploy.
 */
export class TodoService extends Construct {
  readonly table: Table;
  readonly function: LambdaFunction;
  readonly layer: LayerVersion;
  readonly logGroup: LogGroup;
  readonly version: Version;
  readonly alias: Alias;
  readonly cursorSecret: Secret;

  constructor(scope: Construct, id: string, props: TodoServiceProps) {
    super(scope, id);
    const ephemeral = props.ephemeral ?? false;
    const removalPolicy = ephemeral ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TODO_TABLE.partitionKey.name, type: AttributeType.STRING },
      sortKey: { name: TODO_TABLE.sortKey.name, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      deletionProtection: !ephemeral,
      removalPolicy,
    });
    this.table.addLocalSecondaryIndex({
      indexName: TODO_TABLE.creationIndex.name,
      sortKey: { name: TODO_TABLE.creationIndex.sortKey.name, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    // The cursor key only detects tampering with pagination cursors (every query is scoped to
    // the caller anyway). A generated secret resolved by CloudFormation keeps it out of the
    // template and off the cold-start path (no Secrets Manager call at init).
    this.cursorSecret = new Secret(this, 'CursorSecret', {
      description: 'HMAC key that signs the todo API pagination cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy,
    });
    Validations.of(this.cursorSecret).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Rotating the cursor key would invalidate every outstanding pagination cursor; the key only ' +
        'detects tampering, cursors grant nothing beyond the caller-scoped query. Rotate by replacing the secret.',
    });

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: logRetention(ephemeral),
      encryptionKey: props.logEncryptionKey,
      removalPolicy,
    });
    acknowledgeLogRetention(this.logGroup);

    this.layer = new LayerVersion(this, 'TelemetryExtension', {
      code: Code.fromAsset(ARTIFACTS.extensionLayer),
      description: 'Telemetry extension: OTLP/EMF receiver, batching, X-Ray and CloudWatch export',
      compatibleRuntimes: [Runtime.NODEJS_24_X],
      compatibleArchitectures: [Architecture.ARM_64],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An explicit role instead of AWSLambdaBasicExecutionRole: logs only to this log group,
    // DynamoDB only on this table and its one index.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Todo API function: its log group, its table, X-Ray',
    });
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.logGroupArn}`],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: TABLE_OPERATIONS.map((operation) => `dynamodb:${operation}`),
        resources: [this.table.tableArn, `${this.table.tableArn}/index/${TODO_TABLE.creationIndex.name}`],
      }),
    );

    this.function = new LambdaFunction(this, 'Function', {
      description: 'Todo API (HTTP API payload 2.0)',
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      code: Code.fromAsset(ARTIFACTS.todoFunction),
      handler: 'index.handler',
      memorySize: props.memorySize ?? DEFAULT_MEMORY_MB,
      timeout: props.timeout ?? DEFAULT_TIMEOUT,
      tracing: Tracing.ACTIVE,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      logGroup: this.logGroup,
      layers: [this.layer],
      role,
      environment: {
        TABLE_NAME: this.table.tableName,
        CURSOR_SECRET: this.cursorSecret.secretValue.unsafeUnwrap(),
        POWERTOOLS_SERVICE_NAME: TODO_METRICS.defaultService,
        POWERTOOLS_METRICS_NAMESPACE: TODO_METRICS.defaultNamespace,
        OTEL_SERVICE_NAME: TODO_METRICS.defaultService,
        TELEMETRY_METRICS_NAMESPACE: EXTENSION_METRICS.defaultNamespace,
      },
    });

    Validations.of(role).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason:
        "Only xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing and the extension's " +
        'X-Ray exporter): X-Ray has no resource-level permissions for them.',
    });
    Validations.of(this.function).acknowledge(
      {
        id: 'Serverless::Serverless-LambdaDLQ',
        reason:
          'Invoked synchronously by API Gateway only; a dead-letter queue applies to asynchronous ' +
          'invocations and would never receive anything.',
      },
      {
        id: 'cdk-validator-cfnguard::lambda_inside_vpc_check',
        reason:
          'The function reaches only AWS APIs (DynamoDB, X-Ray, CloudWatch) over TLS with IAM; there is ' +
          'no private network resource to protect, and a VPC would add NAT or endpoint cost and ENI setup.',
      },
    );

    this.version = this.function.currentVersion;
    this.alias = new Alias(this, 'LiveAlias', { aliasName: LIVE_ALIAS, version: this.version });
  }
}
