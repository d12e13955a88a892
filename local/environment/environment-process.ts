/**
 * A process of an execution environment (the runtime or an extension): spawned in its own
 * process group so that freezing, thawing and killing reach everything it started, with its
 * output split into lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { settledWithin } from '../../common/deadline';

/** How a process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface EnvironmentProcessOptions {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Record<string, string>;
  readonly onLine: (line: string) => void;
}

/** Process groups still alive, so they can be killed if the sandbox exits without shutting down. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function trackGroup(pid: number): void {
  liveGroups.add(pid);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A frozen process cannot notice its parent died: without this, an aborted sandbox would
  // leave stopped runtimes and extensions behind. Only synchronous work runs in 'exit'.
  process.once('exit', () => {
    for (const group of liveGroups) {
      try {
        process.kill(-group, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  });
}

/** Whether process `pid` exists (one of another user's counts: EPERM). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A spawned process and its group. */
export class EnvironmentProcess {
  readonly exited: Promise<ProcessExit>;
  private exit: ProcessExit | undefined;
  private readonly child: ChildProcess;

  constructor(options: EnvironmentProcessOptions) {
    this.child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env,
      // Its own group (pgid = pid): signals to -pid reach the process and its children.
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream)
        createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', options.onLine);
    }
    const pid = this.child.pid;
    if (pid !== undefined) trackGroup(pid);
    this.exited = new Promise((resolve) => {
      this.child.once('error', () => {
        this.exit ??= { code: 127, signal: null };
        resolve(this.exit);
      });
      this.child.once('exit', (code, signal) => {
        if (pid !== undefined) liveGroups.delete(pid);
        this.exit ??= { code, signal };
        resolve(this.exit);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.exit === undefined;
  }

  /** Sends a signal to the whole group; a group already gone is not an error. */
  signal(signal: NodeJS.Signals): void {
    const pid = this.child.pid;
    if (pid === undefined) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group has no process left.
    }
  }

  /** Waits for the exit up to `ms`; true when it exited. */
  waitForExit(ms: number): Promise<boolean> {
    return this.alive ? settledWithin(this.exited, ms) : Promise.resolve(true);
  }

  /** SIGKILL to the group, then waits for the exit. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    if (this.alive) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/**
 * Peak resident memory (VmHWM) of the given processes and all their descendants, summed, in kB,
 * from /proc. The sum of per-process peaks bounds the environment's peak from above, as Lambda's
 * cgroup figure does; it reads a few small files per process, so it runs once per invoke.
 */
export async function peakResidentKb(roots: readonly number[]): Promise<number> {
  const seen = new Set<number>();
  let pending = [...roots];
  let total = 0;
  while (pending.length > 0) {
    const batch = pending.filter((pid) => !seen.has(pid));
    for (const pid of batch) seen.add(pid);
    const found = await Promise.all(
      batch.map(async (pid) => {
        try {
          const status = await readFile(`/proc/${pid}/status`, 'utf8');
          const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
          if (match) total += Number(match[1]);
          const tasks = await readdir(`/proc/${pid}/task`);
          const children = await Promise.all(
            tasks.map((tid) => readFile(`/proc/${pid}/task/${tid}/children`, 'utf8').catch(() => '')),
          );
          return children.join(' ').split(/\s+/).filter(Boolean).map(Number);
        } catch {
          // The process ended meanwhile.
          return [];
        }
      }),
    );
    pending = found.flat();
  }
  return total;
}
