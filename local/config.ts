/**
 * The sandbox process's configuration: command-line flags and the environment, read once into
 * a typed object. Nothing else in the sandbox reads `process.argv` or `process.env`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseOrigin } from '../infra/cors-policy';
import type { JwtSettings } from './auth/authorizer-config';
import { DEV_AUDIENCE, DEV_ISSUER } from './auth/dev-issuer';
import { parseFlags } from './command-line';
import { UsageError } from './sandbox-errors';

/** The project root (the directory above `local/`). */
export const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Defaults, Lambda's own where Lambda has one. */
export const DEFAULTS = {
  functionName: 'todos',
  codeDir: path.join(PROJECT_ROOT, 'dist', 'functions', 'todos'),
  layerDir: path.join(PROJECT_ROOT, 'dist', 'layer'),
  /** The operator console's built page. */
  consoleDir: path.join(PROJECT_ROOT, 'dist', 'console'),
  handler: 'index.handler',
  port: 3000,
  lambdaPort: 3001,
  /** The X-Ray daemon's port, UDP and TCP, as the real daemon uses it. */
  xrayPort: 2000,
  /** The operator console's port, beside the API's 3000 and the Invoke API's 3001. */
  consolePort: 3002,
  /**
   * The memory and timeout the stack deploys the todo function with (infra/todo-service.ts; not
   * imported from there, as that would load the CDK into the sandbox; the stack test checks they
   * agree). The memory sets the CPU share, so locally the function runs as fast as deployed.
   */
  memoryMb: 1024,
  timeoutSec: 10,
  /** Each environment is a runtime plus one process per extension; 10 bounds a laptop's load. */
  concurrency: 10,
  /** Lambda keeps idle environments for minutes; 5 minutes keeps a dev session warm. */
  idleTimeoutSec: 300,
  region: 'us-east-1',
  tableName: 'todos',
  /**
   * The alias the HTTP API integrates. The deployed stack's is infra/todo-service.ts's LIVE_ALIAS;
   * not imported from there, as that would load the CDK into the sandbox.
   */
  alias: 'live',
  stateDir: path.join(PROJECT_ROOT, '.local'),
} as const;

/** Lambda's limits for the values the flags set. */
export const LIMITS = {
  memory: [128, 10_240],
  timeout: [1, 900],
  concurrency: [1, 1000],
  /** 0 throttles every invocation, as Lambda allows; 1,000 is the default account limit. */
  reservedConcurrency: [0, 1000],
} as const;

/** Prefixes of the sandbox's own variables that reach the function and its extensions. */
const PASSTHROUGH_PREFIXES = ['AWS_ENDPOINT_URL', 'OTEL_', 'POWERTOOLS_', 'TELEMETRY_'] as const;

export interface SandboxConfig {
  readonly functionName: string;
  readonly codeDir: string;
  /** True when `--code` was not given: the project's function, built by `npm start` if needed. */
  readonly defaultCode: boolean;
  readonly handler: string;
  readonly memoryMb: number;
  readonly timeoutSec: number;
  readonly concurrency: number;
  /** `--reserved-concurrency`: Lambda's reserved concurrency; absent: no throttling. */
  readonly reservedConcurrency?: number;
  /** Layers in order: the project's extension layer, then every `--layer`. */
  readonly layers: readonly string[];
  /** `--env` values. */
  readonly environment: Readonly<Record<string, string>>;
  /** The sandbox environment's `AWS_ENDPOINT_URL*`, `OTEL_*`, `POWERTOOLS_*`, `TELEMETRY_*`. */
  readonly passthrough: Readonly<Record<string, string>>;
  readonly freeze: boolean;
  /** `--unconstrained`: no CPU share or memory limit even where cgroups allow them. */
  readonly unconstrained: boolean;
  /** `--share-host`: the host's filesystem and network even where namespaces give Lambda's. */
  readonly shareHost: boolean;
  readonly idleTimeoutMs: number;
  readonly inMemory: boolean;
  readonly host: string;
  readonly port: number;
  readonly lambdaPort: number;
  readonly xrayPort: number;
  /** `--console-port`: the operator console's port. */
  readonly consolePort: number;
  /** `--log-format`: Lambda's log format for the function's and the platform's lines. */
  readonly logFormat: 'Text' | 'JSON';
  readonly region: string;
  readonly stateDir: string;
  /** `AWS_ENDPOINT_URL_DYNAMODB` of the sandbox's environment: use it instead of the embedded store. */
  readonly dynamodbEndpoint?: string;
  /** The JWT authorizer; absent: the API is open and serves a single tenant. */
  readonly jwt?: JwtSettings;
  /** `--cors-origin` values, as origins; empty: no CORS configuration. */
  readonly corsOrigins: readonly string[];
  readonly help: boolean;
}

/** The `--help` text. */
export const USAGE = `Usage: npm start -- [options]

Runs a function in a local Lambda sandbox behind an API Gateway HTTP API and the Lambda Invoke API.

  --code DIR             function code directory (default: dist/functions/todos, built if needed)
  --handler FILE.EXPORT  handler (default: index.handler)
  --name NAME            function name (default: todos; the code directory's name with --code)
  --port N               HTTP API port (default: $PORT or 3000; 0 picks a free port)
  --lambda-port N        Lambda Invoke API port (default: 3001)
  --xray-port N          X-Ray daemon port, UDP and HTTP (default: 2000)
  --log-format F          Lambda's log format, Text or JSON (default: Text; the stack deploys
                         JSON, which the dashboard's Logs Insights widget reads as fields)
  --console-port N       operator console port: service map, traces, the stack's dashboard and
                         alarms, releases (default: 3002)
  --memory MB            memory size, 128-10240 (default: 1024, as deployed); with cgroups also the
                         environment's memory limit and CPU share (1769 MB = one vCPU)
  --timeout S            function timeout in seconds, 1-900 (default: 10, as deployed)
  --concurrency N        maximum execution environments of each version (default: 10)
  --reserved-concurrency N
                         throttle invocations beyond N in flight, all versions together, as
                         Lambda's reserved concurrency (default: none, nothing is throttled)
  --env K=V              function variable, repeatable
  --layer DIR            extra layer directory, repeatable (dist/layer is always included)
  --no-freeze            do not freeze environments between invokes
  --unconstrained        no CPU share or memory limit, even where cgroups allow them
  --share-host           run code where it lies, on the host's network, even where namespaces
                         give each environment Lambda's /var/task, /opt, /tmp and 127.0.0.1
  --idle-timeout S       shut an environment down after S idle seconds (default: 300)
  --in-memory            keep the embedded DynamoDB in memory instead of .local/dynamodb
  --state-dir DIR        where logs, metrics, traces and DynamoDB data go (default: .local)
  --jwt-issuer URL       require a JWT from this issuer on every route, as API Gateway's JWT
                         authorizer does; "local" uses the dev issuer of "npm run token"
  --jwks FILE            the issuer's JSON Web Key Set (required with an issuer URL)
  --jwt-audience AUD     accepted aud (or client_id), repeatable (required with an issuer URL;
                         default with "local": todos)
  --cors-origin URL      let pages from this origin (scheme://host[:port]) call the API, as the
                         stack's CORS configuration does with context corsOrigins; repeatable
                         (default: none, no CORS configuration)
  --help                 print this text
`;

function integer(
  flag: string,
  value: string | undefined,
  fallback: number,
  range?: readonly [number, number],
): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) {
    throw new UsageError(`${flag} needs a whole number, got "${value}"`);
  }
  if (range && (parsed < range[0] || parsed > range[1])) {
    throw new UsageError(`${flag} must be between ${range[0]} and ${range[1]}, got ${parsed}`);
  }
  return parsed;
}

/** `--log-format`: Lambda's names, any case. */
function logFormat(value: string | undefined): 'Text' | 'JSON' {
  if (value === undefined) return 'Text';
  const known = ({ text: 'Text', json: 'JSON' } as const)[value.toLowerCase() as 'text' | 'json'];
  if (known === undefined) throw new UsageError(`--log-format must be Text or JSON, got "${value}"`);
  return known;
}

function port(flag: string, value: string | undefined, fallback: number): number {
  return integer(flag, value, fallback, [0, 65_535]);
}

/** The `--jwt-*` and `--jwks` flags, checked as API Gateway checks a JWT authorizer's configuration. */
function jwtSettings(
  issuer: string | undefined,
  jwks: string | undefined,
  audiences: readonly string[] | undefined,
): JwtSettings | undefined {
  if (issuer === undefined) {
    if (jwks !== undefined || audiences !== undefined) {
      throw new UsageError(
        `${jwks !== undefined ? '--jwks' : '--jwt-audience'} has no effect without --jwt-issuer; add --jwt-issuer URL, or --jwt-issuer local for dev tokens`,
      );
    }
    return undefined;
  }
  for (const audience of audiences ?? []) {
    if (audience.trim() === '')
      throw new UsageError('--jwt-audience is empty; pass the aud (or client_id) tokens carry');
  }
  if (issuer === 'local') {
    if (jwks !== undefined) {
      throw new UsageError(
        '--jwks cannot be used with --jwt-issuer local, which uses its own key under <state dir>/jwt; drop --jwks or pass the issuer URL',
      );
    }
    return { dev: true, issuer: DEV_ISSUER, audiences: audiences ?? [DEV_AUDIENCE] };
  }
  if (!/^https:\/\/[^\s/]+/.test(issuer)) {
    throw new UsageError(
      `--jwt-issuer "${issuer}" is not an https:// URL; pass the issuer's URL as tokens carry it in iss, or "local"`,
    );
  }
  if (jwks === undefined) {
    throw new UsageError(
      `--jwt-issuer ${issuer} needs --jwks FILE (the issuer's JSON Web Key Set, as its jwks_uri serves it)`,
    );
  }
  const jwksFile = path.resolve(jwks);
  if (!existsSync(jwksFile))
    throw new UsageError(`--jwks ${jwks}: no such file; pass the issuer's JWKS as a JSON file`);
  if (audiences === undefined) {
    throw new UsageError(
      `--jwt-issuer ${issuer} needs at least one --jwt-audience AUD, as API Gateway's JWT authorizer does`,
    );
  }
  return { dev: false, issuer, jwksFile, audiences };
}

/**
 * Reads the configuration from command-line arguments and the environment.
 * Throws {@link UsageError} with a one-line explanation on bad input.
 */
export function readSandboxConfig(
  argv: readonly string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): SandboxConfig {
  const values = parseFlags(argv, {
    code: { type: 'string' },
    handler: { type: 'string' },
    name: { type: 'string' },
    port: { type: 'string' },
    'lambda-port': { type: 'string' },
    'xray-port': { type: 'string' },
    'console-port': { type: 'string' },
    'log-format': { type: 'string' },
    memory: { type: 'string' },
    timeout: { type: 'string' },
    concurrency: { type: 'string' },
    'reserved-concurrency': { type: 'string' },
    env: { type: 'string', multiple: true },
    layer: { type: 'string', multiple: true },
    'no-freeze': { type: 'boolean' },
    unconstrained: { type: 'boolean' },
    'share-host': { type: 'boolean' },
    'idle-timeout': { type: 'string' },
    'in-memory': { type: 'boolean' },
    'state-dir': { type: 'string' },
    'jwt-issuer': { type: 'string' },
    jwks: { type: 'string' },
    'jwt-audience': { type: 'string', multiple: true },
    'cors-origin': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });

  const codeDir = values.code === undefined ? DEFAULTS.codeDir : path.resolve(values.code);
  if (values.code !== undefined && !existsSync(codeDir)) {
    throw new UsageError(
      `--code ${values.code}: no such directory; pass the directory holding the function's code`,
    );
  }
  const handler = values.handler ?? DEFAULTS.handler;
  if (!/^[^.\s]+(\.[^.\s]+)+$/.test(handler)) {
    throw new UsageError(`--handler "${handler}" is not FILE.EXPORT; use e.g. --handler index.handler`);
  }
  const functionName =
    values.name ?? (values.code === undefined ? DEFAULTS.functionName : path.basename(codeDir));
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(functionName)) {
    throw new UsageError(
      `--name "${functionName}" is not a Lambda function name; use 1-64 letters, digits, - or _`,
    );
  }

  const environment: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const equals = pair.indexOf('=');
    const key = equals < 0 ? '' : pair.slice(0, equals);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
      throw new UsageError(`--env "${pair}" is not KEY=VALUE; use e.g. --env LOG_LEVEL=debug`);
    }
    environment[key] = pair.slice(equals + 1);
  }

  const layers = [DEFAULTS.layerDir];
  for (const layer of values.layer ?? []) {
    const dir = path.resolve(layer);
    if (!existsSync(dir))
      throw new UsageError(`--layer ${layer}: no such directory; pass a layer directory (as /opt)`);
    layers.push(dir);
  }

  const passthrough: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && PASSTHROUGH_PREFIXES.some((prefix) => key.startsWith(prefix)))
      passthrough[key] = value;
  }

  const jwt = jwtSettings(values['jwt-issuer'], values.jwks, values['jwt-audience']);
  const corsOrigins = (values['cors-origin'] ?? []).map((value) => {
    const origin = parseOrigin(value);
    if (origin === undefined) {
      throw new UsageError(
        `--cors-origin "${value}" is not an origin; pass scheme://host[:port], e.g. http://localhost:5173`,
      );
    }
    return origin;
  });

  const idleTimeoutSec = integer(
    '--idle-timeout',
    values['idle-timeout'],
    DEFAULTS.idleTimeoutSec,
    [1, 86_400],
  );
  return {
    functionName,
    codeDir,
    defaultCode: values.code === undefined,
    handler,
    memoryMb: integer('--memory', values.memory, DEFAULTS.memoryMb, LIMITS.memory),
    timeoutSec: integer('--timeout', values.timeout, DEFAULTS.timeoutSec, LIMITS.timeout),
    concurrency: integer('--concurrency', values.concurrency, DEFAULTS.concurrency, LIMITS.concurrency),
    ...(values['reserved-concurrency'] === undefined
      ? {}
      : {
          reservedConcurrency: integer(
            '--reserved-concurrency',
            values['reserved-concurrency'],
            0,
            LIMITS.reservedConcurrency,
          ),
        }),
    layers,
    environment,
    passthrough,
    freeze: values['no-freeze'] !== true,
    unconstrained: values.unconstrained === true,
    shareHost: values['share-host'] === true,
    idleTimeoutMs: idleTimeoutSec * 1000,
    inMemory: values['in-memory'] === true,
    host: '127.0.0.1',
    port: port('--port', values.port ?? env.PORT, DEFAULTS.port),
    lambdaPort: port('--lambda-port', values['lambda-port'], DEFAULTS.lambdaPort),
    xrayPort: port('--xray-port', values['xray-port'], DEFAULTS.xrayPort),
    consolePort: port('--console-port', values['console-port'], DEFAULTS.consolePort),
    logFormat: logFormat(values['log-format']),
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULTS.region,
    stateDir: values['state-dir'] === undefined ? DEFAULTS.stateDir : path.resolve(values['state-dir']),
    ...(env.AWS_ENDPOINT_URL_DYNAMODB ? { dynamodbEndpoint: env.AWS_ENDPOINT_URL_DYNAMODB } : {}),
    ...(jwt ? { jwt } : {}),
    corsOrigins,
    help: values.help === true,
  };
}
