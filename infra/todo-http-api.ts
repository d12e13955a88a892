import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  type CorsPreflightOptions,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  type IHttpRouteAuthorizer,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES } from '../functions/todos/routes';
import { ACCESS_LOG_FIELDS } from './access-log-fields';
import { type CorsPolicy, corsPolicy } from './cors-policy';
import { acknowledgeLogRetention } from './log-retention';

/** Settings of the HTTP API. */
export interface TodoHttpApiProps {
  /** What the routes integrate: the `live` alias, never a bare function or version. */
  readonly target: IFunction;
  /** Access-log retention. */
  readonly logRetention: RetentionDays;
  /** Customer-managed key for the access logs. */
  readonly logEncryptionKey: IKey;
  /** Removal policy of the access logs. */
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * JWT issuer; with it every route requires a token, and the handler scopes data to its `sub`.
   * @default - no authorizer: the API is open and serves a single tenant
   */
  readonly jwtIssuer?: string;
  /** Audiences the JWT authorizer accepts (required with `jwtIssuer`). @default [] */
  readonly jwtAudience?: readonly string[];
  /**
   * Origins whose pages may call the API; API Gateway answers their preflights and adds the CORS
   * headers of `cors-policy.ts` to every response.
   * @default [] - no CORS configuration: browsers refuse cross-origin calls
   */
  readonly corsOrigins?: readonly string[];
  /** Steady-state requests per second for the whole stage. @default 100 */
  readonly throttleRateLimit?: number;
  /** Burst of requests allowed above the rate. @default 200 */
  readonly throttleBurstLimit?: number;
}

// A todo API for people, not machines: 100 requests/s steady with bursts of 200 covers a team
// of thousands and caps the bill (and the table) if a client loops.
const DEFAULT_RATE_LIMIT = 100;
const DEFAULT_BURST_LIMIT = 200;

/** API Gateway's CORS configuration for `policy`. */
const corsPreflightOf = (policy: CorsPolicy): CorsPreflightOptions => ({
  allowOrigins: [...policy.allowOrigins],
  allowMethods: policy.allowMethods.map((method) => CorsHttpMethod[method as keyof typeof CorsHttpMethod]),
  allowHeaders: [...policy.allowHeaders],
  exposeHeaders: [...policy.exposeHeaders],
  maxAge: Duration.seconds(policy.maxAgeSeconds),
  allowCredentials: policy.allowCredentials,
});

/**
 * The HTTP API: one route per entry of the shared route table, all integrating the alias with
 * payload format 2.0, plus a `$default` route to the same integration so that the handler, not
 * API Gateway, answers unknown paths (404) and methods (405 with `Allow`) in the API's one error
 * format; stage throttling, JSON access logs, optional CORS, and an optional JWT authorizer on
 * every route of the table.
 */
export class TodoHttpApi extends Construct {
  readonly api: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;
  readonly authorizer?: IHttpRouteAuthorizer;

  constructor(scope: Construct, id: string, props: TodoHttpApiProps) {
    super(scope, id);
    if (props.jwtIssuer !== undefined) {
      this.authorizer = new HttpJwtAuthorizer('Jwt', props.jwtIssuer, {
        jwtAudience: [...(props.jwtAudience ?? [])],
      });
    }

    this.api = new HttpApi(this, 'Api', {
      description: 'Todo API',
      createDefaultStage: false,
      defaultAuthorizer: this.authorizer,
      ...(props.corsOrigins?.length ? { corsPreflight: corsPreflightOf(corsPolicy(props.corsOrigins)) } : {}),
    });

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: props.logRemovalPolicy,
    });
    acknowledgeLogRetention(this.accessLogs);
    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: {
        rateLimit: props.throttleRateLimit ?? DEFAULT_RATE_LIMIT,
        burstLimit: props.throttleBurstLimit ?? DEFAULT_BURST_LIMIT,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
      },
    });

    const integration = new HttpLambdaIntegration('Todos', props.target);
    for (const route of ROUTES) {
      this.api.addRoutes({ path: route.path, methods: [HttpMethod[route.method]], integration });
    }
    // No authorizer on $default: it also catches OPTIONS requests, and a browser's preflight never
    // carries a token, so an authorizer here would refuse every preflight. What it reaches needs
    // none: the handler answers 404/405 from the route table, which is public, and reads no data.
    const defaultRoute = new HttpRoute(this.api, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration,
      authorizer: new HttpNoneAuthorizer(),
    });

    Validations.of(this.api).acknowledge({
      id: 'cdk-validator-cfnguard::lambda_function_public_access_prohibited_check',
      reason:
        "Each permission names apigateway.amazonaws.com with SourceArn set to this API's execute-api " +
        'ARN for its route; the rule cannot evaluate the Fn::Join that builds that ARN, the grant is not public.',
    });
    if (this.authorizer !== undefined) {
      const reason =
        'The $default route only reaches 404/405 answers built from the public route table, and must ' +
        'let token-less CORS preflights through; every route of the table requires a token.';
      Validations.of(defaultRoute).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-APIG4', reason },
        { id: 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check', reason },
      );
    }
    if (this.authorizer === undefined) {
      const reason =
        'Deployed without jwtIssuer on purpose: the API is open and serves one tenant (documented in ' +
        'README); pass -c jwtIssuer=... -c jwtAudience=... to require a token on every route.';
      Validations.of(this.api).acknowledge(
        { id: 'AwsSolutions::AwsSolutions-APIG4', reason },
        { id: 'cdk-validator-cfnguard::api_gw_v2_authorization_type_configured_check', reason },
      );
    }
  }

  /** The URL clients call. */
  get url(): string {
    return this.stage.url;
  }
}
