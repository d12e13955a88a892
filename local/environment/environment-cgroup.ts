/**
 * The cgroups of one execution environment (one per controller: `cpu`, `memory`, `freezer`),
 * which give it Lambda's resources:
 * - CPU in proportion to memory during invokes (1,769 MB = one vCPU, capped at the cores
 *   present), unthrottled during Init, as Lambda's managed runtimes get burst CPU then;
 * - the function's memory as a hard limit for the runtime and the extensions together, which the
 *   kernel enforces by OOM-killing a process of the environment;
 * - "Max Memory Used" as the kernel counts it against that limit;
 * - freezing between invokes.
 *
 * Every process joins the cgroups before its first instruction (see {@link launch}): memory
 * charged while outside would not move with it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { pause } from '../../common/deadline';
import type { CgroupDirs, Controller } from './cgroup-probe';
import { type ProcessExit, processAlive } from './environment-process';

/** Lambda's ratio: a function with 1,769 MB has the equivalent of one vCPU. */
const MB_PER_VCPU = 1_769;
/**
 * The CFS period. 20 ms is the shortest period at which a 128 MB function's share (about 7 %)
 * still gets the kernel's minimum quota of 1 ms, and a shorter period spreads the throttling more
 * evenly than the 100 ms default (a 7 % share would otherwise run 7 ms and stall 93 ms). Lambda's
 * own period is not published.
 */
const CPU_PERIOD_US = 20_000;
/** Freezing waits this long for every task to reach a freeze point before carrying on. */
const FREEZE_LIMIT_MS = 2_000;
/** Removing waits this long for killed processes to leave the cgroups. */
const REMOVE_LIMIT_MS = 2_000;
const POLL_MS = 2;

/** `<sandbox pid>-<environment id>`: the name of an environment's cgroup in every hierarchy. */
const NAME = /^(\d+)-[0-9a-f]+$/;

/** vCPUs of a function of `memoryMb` during invokes. */
export function vcpuShare(memoryMb: number): number {
  return Math.min(memoryMb / MB_PER_VCPU, availableParallelism());
}

function pidsIn(procs: string): number[] {
  return procs.split('\n').filter(Boolean).map(Number);
}

function killAll(pids: readonly number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Environments' cgroups that may still hold processes, for the exit hook. */
const live = new Set<EnvironmentCgroup>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A process in a frozen cgroup v1 does not act on SIGKILL until it is thawed: an aborted
  // sandbox thaws its environments and kills what they hold. Only synchronous work runs in 'exit'.
  process.once('exit', () => {
    for (const cgroup of live) {
      try {
        writeFileSync(cgroup.file('freezer', 'freezer.state'), 'THAWED');
        killAll(pidsIn(readFileSync(cgroup.file('freezer', 'cgroup.procs'), 'utf8')));
      } catch {
        // Removed meanwhile.
      }
    }
  });
}

/** Thaws, kills what is left and removes the cgroups of one environment in every hierarchy. */
async function removeCgroups(dirs: CgroupDirs): Promise<void> {
  await writeFile(path.join(dirs.freezer, 'freezer.state'), 'THAWED').catch(() => undefined);
  const deadline = Date.now() + REMOVE_LIMIT_MS;
  for (const dir of Object.values(dirs)) {
    for (;;) {
      const procs = await readFile(path.join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
      killAll(pidsIn(procs));
      try {
        await rmdir(dir);
        break;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        // EBUSY: a killed process has not left yet. Past the limit the next sandbox's sweep removes it.
        if (code !== 'EBUSY' || Date.now() > deadline) break;
        await pause(POLL_MS);
      }
    }
  }
}

/**
 * Removes the cgroups of environments whose sandbox process is gone (it was killed before it
 * could shut down), and whatever still runs in them. A cgroup whose sandbox is alive, or that the
 * sandbox did not name, is never touched.
 */
export async function sweepStaleCgroups(parents: CgroupDirs): Promise<void> {
  const stale = new Set<string>();
  for (const parent of Object.values(parents)) {
    const names = await readdir(parent).catch(() => [] as string[]);
    for (const name of names) {
      const match = NAME.exec(name);
      if (match && !processAlive(Number(match[1]))) stale.add(name);
    }
  }
  for (const name of stale) {
    const dirs = Object.fromEntries(
      Object.entries(parents).map(([controller, parent]) => [controller, path.join(parent, name)]),
    ) as Record<Controller, string>;
    await removeCgroups(dirs);
  }
}

/** CPU during Init (`burst`: unthrottled) or from the end of Init on (`throttled`: the memory's share). */
export type CpuMode = 'burst' | 'throttled';

export class EnvironmentCgroup {
  private oomKillsSeen = 0;
  private failuresSeen = 0;
  private removed: Promise<void> | undefined;

  private constructor(
    readonly dirs: CgroupDirs,
    private readonly memoryMb: number,
  ) {}

  /** Creates the environment's cgroups: memory limited, CPU unthrottled (Init comes first), thawed. */
  static async create(
    parents: CgroupDirs,
    environmentId: string,
    memoryMb: number,
  ): Promise<EnvironmentCgroup> {
    const name = `${process.pid}-${environmentId}`;
    const dirs = Object.fromEntries(
      Object.entries(parents).map(([controller, parent]) => [controller, path.join(parent, name)]),
    ) as Record<Controller, string>;
    const cgroup = new EnvironmentCgroup(dirs, memoryMb);
    installExitHook();
    live.add(cgroup);
    try {
      await Promise.all(Object.values(dirs).map((dir) => mkdir(dir)));
      const bytes = String(memoryMb * 1024 * 1024);
      await writeFile(cgroup.file('memory', 'memory.limit_in_bytes'), bytes);
      // With swap accounting, memory + swap gets the same limit: swap must not stretch it.
      await writeFile(cgroup.file('memory', 'memory.memsw.limit_in_bytes'), bytes).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        return writeFile(cgroup.file('memory', 'memory.swappiness'), '0').catch(() => undefined);
      });
      await writeFile(cgroup.file('cpu', 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
      await cgroup.cpu('burst');
      return cgroup;
    } catch (error) {
      await cgroup.remove();
      throw error;
    }
  }

  /** A file of the environment's cgroup of `controller`. */
  file(controller: Controller, name: string): string {
    return path.join(this.dirs[controller], name);
  }

  /**
   * How to start `command` inside the cgroups from its first instruction: a shell writes its own
   * pid into each cgroup, then execs the command (same pid, same process group).
   */
  launch(command: string, args: readonly string[]): { command: string; args: string[] } {
    const procs = (['cpu', 'memory', 'freezer'] as const).map((c) => this.file(c, 'cgroup.procs'));
    return {
      command: '/bin/sh',
      args: [
        '-c',
        'echo $$ > "$1" && echo $$ > "$2" && echo $$ > "$3" || exit 125; shift 3; exec "$@"',
        'lambda-environment',
        ...procs,
        command,
        ...args,
      ],
    };
  }

  async cpu(mode: CpuMode): Promise<void> {
    const quota = mode === 'burst' ? -1 : Math.round(vcpuShare(this.memoryMb) * CPU_PERIOD_US);
    await writeFile(this.file('cpu', 'cpu.cfs_quota_us'), String(quota));
  }

  /** Freezes every process of the environment; resolves once the kernel reports them all frozen. */
  async freeze(): Promise<void> {
    const state = this.file('freezer', 'freezer.state');
    await writeFile(state, 'FROZEN');
    // Tasks stop at their next freeze point; until all have, the state reads FREEZING.
    const deadline = Date.now() + FREEZE_LIMIT_MS;
    while ((await readFile(state, 'utf8')).trim() !== 'FROZEN' && Date.now() < deadline) await pause(POLL_MS);
  }

  async thaw(): Promise<void> {
    await writeFile(this.file('freezer', 'freezer.state'), 'THAWED');
  }

  /**
   * Whether the kernel's OOM killer ended this process: the memory cgroup counted an OOM kill
   * since the last exit looked at (or, on kernels without that count, the limit was hit and the
   * process got a SIGKILL the sandbox did not send). Read synchronously, at the exit, so the
   * fault is known before anything else can end the phase.
   */
  killedForMemory(exit: ProcessExit): boolean {
    try {
      const control = readFileSync(this.file('memory', 'memory.oom_control'), 'utf8');
      const match = /^oom_kill (\d+)$/m.exec(control);
      if (match) {
        const kills = Number(match[1]);
        const killed = kills > this.oomKillsSeen;
        this.oomKillsSeen = kills;
        return killed;
      }
      const failures = Number(readFileSync(this.file('memory', 'memory.failcnt'), 'utf8'));
      const hit = failures > this.failuresSeen;
      this.failuresSeen = failures;
      return hit && exit.signal === 'SIGKILL';
    } catch {
      return false;
    }
  }

  /** The highest memory use of the environment so far, page cache included, in bytes. */
  async maxUsageBytes(): Promise<number> {
    return Number(await readFile(this.file('memory', 'memory.max_usage_in_bytes'), 'utf8'));
  }

  /** Kills every process still in the environment (those started by its runtime or extensions too). */
  async killRemaining(): Promise<void> {
    killAll(pidsIn(await readFile(this.file('freezer', 'cgroup.procs'), 'utf8').catch(() => '')));
  }

  /** Thaws, kills what is left and removes the cgroups. Idempotent. */
  remove(): Promise<void> {
    this.removed ??= removeCgroups(this.dirs).finally(() => live.delete(this));
    return this.removed;
  }
}
