/**
 * The variables Lambda gives the runtime and the extensions of an environment, with local values.
 */
import path from 'node:path';
import type { EnvironmentView } from './environment-view';
import type { FunctionDefinition } from './types';

/** The account id in local ARNs (Lambda's documentation example account). */
export const LOCAL_ACCOUNT_ID = '123456789012';
/** The version of functions that were never published. */
const UNPUBLISHED_VERSION = '$LATEST';
const NODE_EXECUTION_ENV = 'AWS_Lambda_nodejs24.x';

/** The per-environment facts the variables are made of. */
export interface EnvironmentFacts {
  readonly def: FunctionDefinition;
  /** The paths and addresses the environment's processes see. */
  readonly view: EnvironmentView;
  readonly logStreamName: string;
  /** Whether the runtime is the emulated managed one (not the code's own `bootstrap`). */
  readonly managedRuntime: boolean;
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

/** `/opt/<sub>`, or each layer's `<sub>` where layers are not merged. */
function optPaths(view: EnvironmentView, sub: string): string[] {
  return view.optDirs.map((dir) => path.join(dir, sub));
}

/** What both the runtime and the extensions see: defaults, then the function's variables, then the platform's. */
function shared(facts: EnvironmentFacts): {
  defaults: Record<string, string>;
  reserved: Record<string, string>;
} {
  const { def, view } = facts;
  // The runtime's Node is /var/lang/bin/node: extensions launched with `node` find it first.
  const nodeBin = path.dirname(view.nodeBinary);
  return {
    defaults: {
      // Dummy credentials, as `sam local` provides: SDK clients sign without an account.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      ...view.defaults,
      LANG: 'en_US.UTF-8',
    },
    reserved: {
      ...view.endpoints,
      PATH: [nodeBin, '/usr/local/bin', '/usr/bin', '/bin', ...optPaths(view, 'bin')].join(':'),
      LD_LIBRARY_PATH: ['/lib64', '/usr/lib64', ...optPaths(view, 'lib')].join(':'),
      TZ: ':UTC',
      AWS_REGION: def.region,
      AWS_DEFAULT_REGION: def.region,
      AWS_LAMBDA_FUNCTION_NAME: def.name,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(def.memoryMb),
      AWS_LAMBDA_FUNCTION_VERSION: functionVersion(def),
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_LAMBDA_RUNTIME_API: view.runtimeApi,
    },
  };
}

/** The runtime process's environment. */
export function runtimeVariables(facts: EnvironmentFacts): Record<string, string> {
  const { def, view } = facts;
  const { defaults, reserved } = shared(facts);
  const runtimeOnly: Record<string, string> = {
    _HANDLER: def.handler,
    LAMBDA_TASK_ROOT: view.taskRoot,
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${def.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: facts.logStreamName,
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  };
  // Lambda tells the runtime the JSON format this way (and Powertools reads it too).
  if (def.logFormat === 'JSON') runtimeOnly.AWS_LAMBDA_LOG_FORMAT = 'JSON';
  if (facts.managedRuntime) {
    runtimeOnly.AWS_EXECUTION_ENV = NODE_EXECUTION_ENV;
    runtimeOnly.LAMBDA_RUNTIME_DIR = view.runtimeDir;
    // The managed nodejs24.x runtime never sees the AWS SDK's warning about Node
    // versions below 22; the host's Node that stands in for it when no Node 24 is installed may be 20.
    runtimeOnly.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // Lambda's order: the layers, then the runtime's own packages, then the code.
    runtimeOnly.NODE_PATH = [
      ...optPaths(view, 'nodejs/node24/node_modules'),
      ...optPaths(view, 'nodejs/node_modules'),
      path.join(view.runtimeDir, 'node_modules'),
      view.runtimeDir,
      view.taskRoot,
    ].join(':');
  }
  return {
    ...defaults,
    AWS_XRAY_DAEMON_ADDRESS: view.xrayDaemonAddress,
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
