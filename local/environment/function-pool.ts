/**
 * The execution environments of one function: created on demand up to the concurrency limit,
 * reused while warm (most recently used first, as Lambda tends to), shut down when idle.
 */
import { ExecutionEnvironment } from './execution-environment';
import type { FunctionDefinition, InvokeInput, InvokeOutput, SandboxObserver } from './types';

/** Raised by `invoke` once the pool is shutting down. */
class PoolClosedError extends Error {
  constructor(name: string) {
    super(`Function ${name} is shutting down`);
    this.name = 'PoolClosedError';
  }
}

/**
 * Runs invocations of one function in real execution environments.
 *
 * @example
 * const pool = new FunctionPool(def, observer);
 * const out = await pool.invoke({ payload: Buffer.from('{}') });
 * await pool.shutdown();
 */
export class FunctionPool {
  private readonly environments = new Set<ExecutionEnvironment>();
  /** Warm environments, most recently released last. */
  private readonly idle: ExecutionEnvironment[] = [];
  private readonly idleTimers = new Map<ExecutionEnvironment, NodeJS.Timeout>();
  private readonly waiting: (() => void)[] = [];
  private readonly phases = new Set<Promise<void>>();
  private closed = false;
  private shutdownPromise: Promise<void> | undefined;

  constructor(
    private readonly def: FunctionDefinition,
    private readonly observer: SandboxObserver,
  ) {}

  /** Number of environments alive (initialising, busy or warm). */
  get size(): number {
    return this.environments.size;
  }

  /**
   * Number of warm environments waiting for an invoke: their invoke phase is over, including the
   * freeze that ends it when freezing is on.
   */
  get warm(): number {
    return this.idle.length;
  }

  /** Invokes the function; resolves with the response as soon as the runtime gives it. */
  async invoke(input: InvokeInput): Promise<InvokeOutput> {
    const env = await this.acquire();
    const { output, phaseEnded } = env.invoke(input);
    const phase = phaseEnded.then(() => this.release(env));
    this.phases.add(phase);
    void phase.finally(() => this.phases.delete(phase));
    return output;
  }

  /** Shuts every environment down (SHUTDOWN `spindown`, 2 s deadline); invokes still queued are rejected. */
  shutdown(): Promise<void> {
    this.shutdownPromise ??= (async () => {
      this.closed = true;
      for (const wake of this.waiting.splice(0)) wake();
      for (const timer of this.idleTimers.values()) clearTimeout(timer);
      this.idleTimers.clear();
      this.idle.length = 0;
      await Promise.all([...this.environments].map((env) => env.shutdown()));
      await Promise.all([...this.phases]);
      this.environments.clear();
    })();
    return this.shutdownPromise;
  }

  private async acquire(): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.closed) throw new PoolClosedError(this.def.name);
      const warm = this.idle.pop();
      if (warm) {
        clearTimeout(this.idleTimers.get(warm));
        this.idleTimers.delete(warm);
        if (!warm.dead) return warm;
        this.discard(warm);
        continue;
      }
      if (this.environments.size < Math.max(1, this.def.concurrency)) {
        const env = new ExecutionEnvironment(this.def, this.observer, (failed) => this.discard(failed));
        this.environments.add(env);
        try {
          await env.start();
        } catch (error) {
          this.environments.delete(env);
          this.wakeOne();
          throw error;
        }
        return env;
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  private release(env: ExecutionEnvironment): void {
    if (env.dead || this.closed) {
      this.discard(env);
      return;
    }
    this.idle.push(env);
    const timer = setTimeout(() => {
      this.idleTimers.delete(env);
      const at = this.idle.indexOf(env);
      if (at >= 0) this.idle.splice(at, 1);
      this.discard(env);
    }, this.def.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(env, timer);
    this.wakeOne();
  }

  /** Removes an environment for good: its slot frees at once, its shutdown runs in the background. */
  private discard(env: ExecutionEnvironment): void {
    if (!this.environments.delete(env)) return;
    const at = this.idle.indexOf(env);
    if (at >= 0) this.idle.splice(at, 1);
    const stopping = env.shutdown();
    this.phases.add(stopping);
    void stopping.finally(() => this.phases.delete(stopping));
    this.wakeOne();
  }

  private wakeOne(): void {
    this.waiting.shift()?.();
  }
}
