/**
 * Whether this machine can give execution environments Lambda's filesystem and network view
 * (see `environment-namespace.ts`): Linux, root, util-linux's `unshare` and `nsenter`, iproute2's
 * `ip`, and a kernel that lets a new mount namespace stack overlayfs (to merge layers at /opt).
 * The probe makes one throwaway namespace with each of those, once per process; where it fails,
 * `reason` says why in one line and environments share the host's filesystem and network.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type IsolationSupport =
  | { readonly available: true }
  | { readonly available: false; readonly reason: string };

/** The tools, with the Debian package each comes from. */
const TOOLS = [
  ['unshare', 'util-linux'],
  ['nsenter', 'util-linux'],
  ['ip', 'iproute2'],
] as const;

const PROBE_SCRIPT = [
  'set -e',
  'mount -t tmpfs probe "$1"',
  'mkdir "$1/lower" "$1/upper" "$1/merged"',
  'mount -t overlay probe -o ro,lowerdir="$1/upper:$1/lower" "$1/merged"',
  'ip link set lo up',
].join('\n');

function run(command: string, args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error) => resolve({ code: 127, stderr: error.message }));
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

async function probe(): Promise<IsolationSupport> {
  if (process.platform !== 'linux')
    return { available: false, reason: `namespaces are Linux-only (this is ${process.platform})` };
  const uid = process.getuid?.();
  if (uid !== 0)
    return {
      available: false,
      reason: `mount and network namespaces need root (this process runs as uid ${uid})`,
    };
  for (const [tool, pkg] of TOOLS) {
    const found = await run('sh', ['-c', `command -v ${tool}`]);
    if (found.code !== 0)
      return { available: false, reason: `\`${tool}\` is not installed (Debian: apt-get install ${pkg})` };
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'lambda-isolation-probe-'));
  try {
    const result = await run('unshare', [
      '--mount',
      '--net',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      PROBE_SCRIPT,
      'sh',
      dir,
    ]);
    if (result.code === 0) return { available: true };
    const line = result.stderr.trim().split('\n').at(-1) || `exit status ${result.code}`;
    return { available: false, reason: `a mount and network namespace could not be set up: ${line}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let probed: Promise<IsolationSupport> | undefined;

/** Whether environments can get Lambda's filesystem and network view here, probed once per process. */
export function isolationSupport(): Promise<IsolationSupport> {
  probed ??= probe();
  return probed;
}
