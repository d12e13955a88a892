/**
 * How the processes of an environment see the machine, which the variables and launch commands
 * are made of. Two views:
 * - `lambda`: the environment has its own mount and network namespace
 *   (`isolation/environment-namespace.ts`), so it sees Lambda's paths and addresses: code at
 *   `/var/task`, layers at `/opt`, the APIs at `127.0.0.1:9001`; the sandbox's own endpoints are
 *   reached at `SANDBOX_HOST_ADDRESS`, and the X-Ray daemon at Lambda's address.
 * - `shared`: where namespaces are not available, the environment shares the host's filesystem
 *   and network: paths are where things lie on disk, and the environment has a loopback address
 *   of its own (127.x.y.z) for the APIs, the telemetry receiver and the Telemetry API listener,
 *   told to the processes in sandbox-only variables.
 */
import path from 'node:path';
import { DEFAULT_RECEIVER_ADDRESS, RECEIVER_ADDRESS_VARIABLE } from '../../contracts/telemetry-receiver';
import { LAMBDA_API_PORT } from '../apis/lambda-api-server';
import { RUNTIME_DIR } from '../node-runtime/runtime-bundle';
import { SANDBOX_HOST_ADDRESS, XRAY_DAEMON_ADDRESS } from './isolation/gateway-protocol';
import { LAMBDA_PATHS } from './isolation/lambda-paths';
import { runtimeNode } from './runtime-node';
import type { FunctionDefinition } from './types';

const RECEIVER_PORT = DEFAULT_RECEIVER_ADDRESS.slice(DEFAULT_RECEIVER_ADDRESS.lastIndexOf(':') + 1);
const LISTENER_PORT = 4243;

export interface EnvironmentView {
  readonly kind: 'lambda' | 'shared';
  /** The code directory (`LAMBDA_TASK_ROOT`, the working directory). */
  readonly taskRoot: string;
  /** What stands for `/opt`: the merged `/opt`, or each layer in order where they are not merged. */
  readonly optDirs: readonly string[];
  /** The managed runtime's directory (`LAMBDA_RUNTIME_DIR`). */
  readonly runtimeDir: string;
  /** The runtime's `node` (`/var/lang/bin/node` in Lambda). */
  readonly nodeBinary: string;
  /** `AWS_LAMBDA_RUNTIME_API`. */
  readonly runtimeApi: string;
  /** The runtime's default `AWS_XRAY_DAEMON_ADDRESS`. */
  readonly xrayDaemonAddress: string;
  /** Defaults the function's variables may override. */
  readonly defaults: Readonly<Record<string, string>>;
  /** Values that replace the function's: the sandbox's endpoints as the environment reaches them. */
  readonly endpoints: Readonly<Record<string, string>>;
}

/** `/opt/extensions/<name>` of the view, for an extension found in the layer directories. */
export function extensionPath(view: EnvironmentView, name: string, hostPath: string): string {
  return view.kind === 'lambda' ? path.posix.join(LAMBDA_PATHS.opt, 'extensions', name) : hostPath;
}

/** The shared view: the environment's own loopback address stands for Lambda's `127.0.0.1`. */
export function sharedView(def: FunctionDefinition, address: string): EnvironmentView {
  return {
    kind: 'shared',
    taskRoot: def.codeDir,
    optDirs: def.layers,
    runtimeDir: RUNTIME_DIR,
    nodeBinary: runtimeNode().path,
    runtimeApi: `${address}:${LAMBDA_API_PORT}`,
    // Lambda's daemon address is a link-local IP; here the sandbox's daemon, which its variables name.
    xrayDaemonAddress: '127.0.0.1:2000',
    defaults: {
      // The receiver's port as the contract defines it, on this environment's own loopback address.
      [RECEIVER_ADDRESS_VARIABLE]: `${address}:${RECEIVER_PORT}`,
      TELEMETRY_LISTENER_ADDRESS: `${address}:${LISTENER_PORT}`,
    },
    endpoints: {},
  };
}

/** `127.0.0.1:<port>`, `localhost:<port>` or `[::1]:<port>` in a variable's value. */
const LOOPBACK_ENDPOINT = /(?:\b127\.0\.0\.1|\blocalhost|\[::1\]):(\d{1,5})\b/g;

/** The sandbox's endpoints of a function as an environment with its own network reaches them. */
export interface SandboxEndpoints {
  /** The variables of `def.sandboxEndpoints`, their loopback hosts replaced with `SANDBOX_HOST_ADDRESS`. */
  readonly variables: Readonly<Record<string, string>>;
  /** The loopback ports they name, which the environment's gateway forwards. */
  readonly ports: readonly number[];
  /** The sandbox's X-Ray daemon, reached at Lambda's daemon address. */
  readonly xrayDaemon?: { readonly host: string; readonly port: number };
}

/**
 * Splits the function's sandbox endpoints (see `FunctionDefinition.sandboxEndpoints`): the X-Ray
 * daemon's address becomes Lambda's, every other loopback endpoint the sandbox host's address.
 */
export function sandboxEndpoints(def: FunctionDefinition): SandboxEndpoints {
  const variables: Record<string, string> = {};
  const ports = new Set<number>();
  let xrayDaemon: SandboxEndpoints['xrayDaemon'];
  for (const name of def.sandboxEndpoints ?? []) {
    const value = def.environment[name];
    if (value === undefined) continue;
    // `host:port` is relayed from Lambda's daemon address; another form (the SDK's
    // `tcp:… udp:…`) is left as it is, as an endpoint elsewhere is.
    const daemon = name === 'AWS_XRAY_DAEMON_ADDRESS' ? /^([\d.]+|localhost):(\d{1,5})$/.exec(value) : null;
    if (daemon) {
      xrayDaemon = { host: daemon[1] === 'localhost' ? '127.0.0.1' : daemon[1]!, port: Number(daemon[2]) };
      variables[name] = `${XRAY_DAEMON_ADDRESS.host}:${XRAY_DAEMON_ADDRESS.port}`;
      continue;
    }
    variables[name] = value.replace(LOOPBACK_ENDPOINT, (_, port: string) => {
      ports.add(Number(port));
      return `${SANDBOX_HOST_ADDRESS}:${port}`;
    });
  }
  return { variables, ports: [...ports], ...(xrayDaemon ? { xrayDaemon } : {}) };
}

/** Lambda's view, for an environment with its own namespaces. */
export function lambdaView(endpoints: SandboxEndpoints): EnvironmentView {
  return {
    kind: 'lambda',
    taskRoot: LAMBDA_PATHS.taskRoot,
    optDirs: [LAMBDA_PATHS.opt],
    runtimeDir: LAMBDA_PATHS.runtimeDir,
    nodeBinary: path.posix.join(LAMBDA_PATHS.langDir, 'bin', 'node'),
    runtimeApi: `127.0.0.1:${LAMBDA_API_PORT}`,
    xrayDaemonAddress: `${XRAY_DAEMON_ADDRESS.host}:${XRAY_DAEMON_ADDRESS.port}`,
    defaults: {},
    endpoints: endpoints.variables,
  };
}
