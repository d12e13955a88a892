/**
 * Whether this machine can give execution environments Lambda's resources through Linux cgroup
 * v1, and where: the `cpu`, `memory` and `freezer` hierarchies must be mounted and this process
 * must be allowed to create cgroups in them (root). Each environment's cgroups go beneath this
 * process's own cgroup in each hierarchy (it may already sit in a sub-cgroup, e.g.
 * `memory:/process_api/<id>`), under `lambda-sandbox/`, so that limits set above the sandbox still
 * bound its environments.
 *
 * The probe runs once per process; it also removes the cgroups left by sandboxes that died
 * without shutting down. Where it fails, `reason` says why in one line and the sandbox runs
 * unconstrained.
 */
import { access, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sweepStaleCgroups, vcpuShare } from './environment-cgroup';
import type { EnvironmentResources } from './types';

export const CONTROLLERS = ['cpu', 'memory', 'freezer'] as const;
export type Controller = (typeof CONTROLLERS)[number];

/** The directory of each controller's hierarchy under which the sandbox makes its cgroups. */
export type CgroupDirs = Readonly<Record<Controller, string>>;

/** Where the sandbox's cgroups go (`<own cgroup>/lambda-sandbox` in each hierarchy). */
const SANDBOX_DIR = 'lambda-sandbox';

/** A file each controller's cgroups must have for what the sandbox does with them. */
const REQUIRED_FILES: Readonly<Record<Controller, string>> = {
  cpu: 'cpu.cfs_quota_us',
  memory: 'memory.max_usage_in_bytes',
  freezer: 'freezer.state',
};

export type CgroupSupport =
  | { readonly available: true; readonly parents: CgroupDirs }
  | { readonly available: false; readonly reason: string };

interface CgroupMount {
  /** The path inside the hierarchy that is mounted (`/` unless a container mounts a sub-tree). */
  readonly root: string;
  readonly mountPoint: string;
}

/** Undoes the octal escapes of /proc mount tables (`\040` for a space). */
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/** The cgroup v1 mounts of this process's mount namespace, by controller. */
async function v1Mounts(): Promise<Map<string, CgroupMount>> {
  const mounts = new Map<string, CgroupMount>();
  const table = await readFile('/proc/self/mountinfo', 'utf8');
  for (const line of table.split('\n')) {
    // `id parent major:minor root mount-point options [optional...] - fstype source super-options`
    const [before, after] = line.split(' - ');
    if (!before || !after) continue;
    const [fsType, , superOptions = ''] = after.split(' ');
    if (fsType !== 'cgroup') continue;
    const fields = before.split(' ');
    const root = unescapeMountField(fields[3] ?? '/');
    const mountPoint = unescapeMountField(fields[4] ?? '');
    for (const option of superOptions.split(',')) {
      if (!mounts.has(option)) mounts.set(option, { root, mountPoint });
    }
  }
  return mounts;
}

/** The cgroup of `pid` in each v1 hierarchy, by controller (`/proc/<pid>/cgroup`). */
async function cgroupPaths(pid: number | 'self'): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8');
  for (const line of text.split('\n')) {
    // `hierarchy-id:controller[,controller...]:path`; cgroup v2's line has no controllers.
    const match = /^\d+:([^:]+):(.*)$/.exec(line);
    if (!match) continue;
    for (const controller of match[1]!.split(',')) paths.set(controller, match[2]!);
  }
  return paths;
}

/**
 * The directory of the cgroup `pid` is in for `controller`, or undefined when the process is gone
 * or the hierarchy is not mounted here.
 */
export async function cgroupDirOf(pid: number | 'self', controller: Controller): Promise<string | undefined> {
  try {
    const [mounts, paths] = await Promise.all([v1Mounts(), cgroupPaths(pid)]);
    const mount = mounts.get(controller);
    const own = paths.get(controller);
    if (!mount || own === undefined) return undefined;
    const relative =
      mount.root === '/' ? own : own.startsWith(mount.root) ? own.slice(mount.root.length) : undefined;
    return relative === undefined ? undefined : path.join(mount.mountPoint, relative);
  } catch {
    return undefined;
  }
}

function describe(error: unknown): string {
  const { code, message } = error as NodeJS.ErrnoException;
  if (code === 'EACCES' || code === 'EPERM') return `${code}: creating cgroups needs root`;
  if (code === 'EROFS') return 'EROFS: the cgroup file system is mounted read-only';
  return code ?? message;
}

async function probe(): Promise<CgroupSupport> {
  if (process.platform !== 'linux')
    return { available: false, reason: `cgroups are Linux-only (this is ${process.platform})` };
  const parents: Partial<Record<Controller, string>> = {};
  for (const controller of CONTROLLERS) {
    const own = await cgroupDirOf('self', controller);
    if (!own) {
      return {
        available: false,
        reason: `no cgroup v1 hierarchy with the ${controller} controller is mounted (cgroup v2 is not supported)`,
      };
    }
    const parent = path.join(own, SANDBOX_DIR);
    try {
      await mkdir(parent, { recursive: true });
      await access(path.join(parent, REQUIRED_FILES[controller]));
    } catch (error) {
      return { available: false, reason: `cannot use ${parent}: ${describe(error)}` };
    }
    parents[controller] = parent;
  }
  const dirs = parents as CgroupDirs;
  await sweepStaleCgroups(dirs);
  return { available: true, parents: dirs };
}

let probed: Promise<CgroupSupport> | undefined;

/** Whether environments can get cgroups here, probed once per process. */
export function cgroupSupport(): Promise<CgroupSupport> {
  probed ??= probe();
  return probed;
}

/**
 * What the environments of a function of `memoryMb` get: Lambda's limits where cgroups are
 * available and not turned off, otherwise the reason they are not.
 */
export async function environmentResources(
  memoryMb: number,
  unconstrained: boolean,
): Promise<EnvironmentResources> {
  if (unconstrained) return { constrained: false, reason: 'turned off (unconstrained option)' };
  const support = await cgroupSupport();
  return support.available
    ? { constrained: true, cpuShare: vcpuShare(memoryMb), memoryLimitMb: memoryMb }
    : { constrained: false, reason: support.reason };
}
