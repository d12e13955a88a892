/**
 * Spawning and reaping the processes a bench starts, so none outlives it: every child is
 * tracked, and an exit of the bench (normal, error or Ctrl-C) kills what is left.
 */
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';
import { settledWithin } from '../common/deadline';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) child.kill('SIGKILL');
}
process.once('exit', killAll);

/** Spawns a tracked child. Its last 4 KB of output are kept for error messages. */
export function spawnTracked(command: string, args: string[], options: SpawnOptions): TrackedChild {
  const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  return new TrackedChild(child);
}

export class TrackedChild {
  private output = '';
  readonly exited: Promise<number | null>;

  constructor(readonly process: ChildProcess) {
    const keep = (chunk: Buffer): void => {
      // Only the tail is needed to explain a failure; keep memory flat on chatty children.
      this.output = (this.output + chunk.toString('utf8')).slice(-4096);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => {
      process.once('exit', (code) => {
        live.delete(process);
        resolve(code);
      });
      process.once('error', () => {
        live.delete(process);
        resolve(null);
      });
    });
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`process did not start: ${this.tail}`);
    return this.process.pid;
  }

  get tail(): string {
    return this.output.trim();
  }

  /** Waits up to `graceMs` for the process to exit, then kills it. */
  async stop(graceMs: number, signal: NodeJS.Signals | undefined = undefined): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    if (signal) this.process.kill(signal);
    if (await settledWithin(this.exited, graceMs)) return;
    this.process.kill('SIGKILL');
    await this.exited;
  }
}
