/**
 * The variables Lambda gives the runtime and the extensions of an environment, with local values.
 */
import path from 'node:path';
import { DEFAULT_RECEIVER_ADDRESS, RECEIVER_ADDRESS_VARIABLE } from '../../contracts/telemetry-receiver';
import { runtimeNode } from './runtime-node';
import type { FunctionDefinition } from './types';

const RECEIVER_PORT = DEFAULT_RECEIVER_ADDRESS.slice(DEFAULT_RECEIVER_ADDRESS.lastIndexOf(':') + 1);

/** The account id in local ARNs (Lambda's documentation example account). */
export const LOCAL_ACCOUNT_ID = '123456789012';
/** The version of functions that were never published. */
const UNPUBLISHED_VERSION = '$LATEST';
const NODE_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';

/** The per-environment facts the variables are made of. */
export interface EnvironmentFacts {
  readonly def: FunctionDefinition;
  /** The environment's loopback address (127.x.y.z). */
  readonly address: string;
  readonly apiPort: number;
  readonly logStreamName: string;
  /** Directory of the emulated managed runtime (`LAMBDA_RUNTIME_DIR`); undefined for a custom runtime. */
  readonly runtimeDir: string | undefined;
}

/** The version an environment of `def` runs: a published version's number, or `$LATEST`. */
export function functionVersion(def: FunctionDefinition): string {
  return def.version ?? UNPUBLISHED_VERSION;
}

/** `arn:aws:lambda:<region>:<account>:function:<name>`. */
export function functionArn(def: FunctionDefinition): string {
  return `arn:aws:lambda:${def.region}:${LOCAL_ACCOUNT_ID}:function:${def.name}`;
}

/** `YYYY/MM/DD/[<version>]<32 hex>`, as Lambda names an environment's log stream. */
export function logStreamName(now: Date, hex32: string, version: string = UNPUBLISHED_VERSION): string {
  const day = now.toISOString().slice(0, 10).replaceAll('-', '/');
  return `${day}/[${version}]${hex32}`;
}

/** Layer-relative search paths, as `/opt/<dir>` is in Lambda. */
function layerPaths(def: FunctionDefinition, sub: string): string[] {
  return def.layers.map((layer) => path.join(layer, sub));
}

/** What both the runtime and the extensions see: defaults, then the function's variables, then the platform's. */
function shared(facts: EnvironmentFacts): {
  defaults: Record<string, string>;
  reserved: Record<string, string>;
} {
  const { def, address } = facts;
  // The runtime's Node stands in for /var/lang/bin/node: extensions launched with `node` find it first.
  const nodeBin = path.dirname(runtimeNode().path);
  return {
    defaults: {
      // Dummy credentials, as `sam local` provides: SDK clients sign without an account.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      // The receiver's port as the contract defines it, on this environment's own loopback address.
      [RECEIVER_ADDRESS_VARIABLE]: `${address}:${RECEIVER_PORT}`,
      TELEMETRY_LISTENER_ADDRESS: `${address}:4243`,
      LANG: 'en_US.UTF-8',
    },
    reserved: {
      PATH: [nodeBin, '/usr/local/bin', '/usr/bin', '/bin', ...layerPaths(def, 'bin')].join(':'),
      LD_LIBRARY_PATH: ['/lib64', '/usr/lib64', ...layerPaths(def, 'lib')].join(':'),
      TZ: ':UTC',
      AWS_REGION: def.region,
      AWS_DEFAULT_REGION: def.region,
      AWS_LAMBDA_FUNCTION_NAME: def.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(def.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: functionVersion(def),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_RUNTIME_API: `${address}:${facts.apiPort}`,
    },
  };
}

/** The runtime process's environment. */
export function runtimeVariables(facts: EnvironmentFacts): Record<string, string> {
  const { def } = facts;
  const { defaults, reserved } = shared(facts);
  const runtimeOnly: Record<string, string> = {
    _HANDLER: def.handler,
    LAMBDA_TASK_ROOT: def.codeDir,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${def.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: facts.logStreamName,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  };
  // Lambda tells the runtime the JSON format this way (and Powertools reads it too).
  if (def.logFormat === 'JSON') runtimeOnly.AWS_LAMBDA_LOG_FORMAT = 'JSON';
  if (facts.runtimeDir) {
    runtimeOnly.AWS_EXECUTION_ENV = NODE_EXECUTION_ENV;
    runtimeOnly.LAMBDA_RUNTIME_DIR = facts.runtimeDir;
    // The managed nodejs24.x runtime never sees the AWS SDK's warning about Node
    // versions below 22; the host's Node that stands in for it when no Node 24 is installed may be 20.
    runtimeOnly.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    runtimeOnly.NODE_PATH = [
      ...layerPaths(def, 'nodejs/node24/node_modules'),
      ...layerPaths(def, 'nodejs/node_modules'),
    ].join(':');
  }
  return {
    ...defaults,
    // Lambda's daemon address is a link-local IP; locally the X-Ray stand-in's UDP port.
    AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2000',
    ...def.environment,
    ...reserved,
    ...runtimeOnly,
  };
}

/** An extension process's environment: no runtime-only variables (`_HANDLER`, `LAMBDA_TASK_ROOT`, ...). */
export function extensionVariables(facts: EnvironmentFacts): Record<string, string> {
  const { defaults, reserved } = shared(facts);
  return { ...defaults, ...facts.def.environment, ...reserved };
}
