import type { Invocation } from './invocation-tracker';
import type { RuntimeDoneRecord } from './telemetry-api';

/** What the policy needs from the rest of the extension; injected so it can run on a fake clock. */
export interface FlushPolicyDependencies {
  /** Resolves with the invocation's `platform.runtimeDone`, or `undefined` if it has not come by `until`. */
  waitForRuntimeDone(requestId: string, until: number): Promise<RuntimeDoneRecord | undefined>;
  /** Resolves when the invocation's spans have arrived or at `until`. */
  waitForSpans(invocation: Invocation, until: number): Promise<void>;
  /** Exports what is buffered (spans and metrics) until `until`; never rejects. */
  flush(until: number): Promise<void>;
  /** False when the Telemetry API subscription failed: `runtimeDone` will never come. */
  readonly telemetryAvailable: boolean;
}

/** Timing settings of the policy. */
export interface FlushPolicyOptions {
  /** Longest wait after `runtimeDone` for the invocation's spans. */
  readonly spanWaitMs: number;
  /** Hard cap on the time from `runtimeDone` to `next`, span wait included. */
  readonly postRuntimeBudgetMs: number;
  /** Kept free before the SHUTDOWN deadline. */
  readonly shutdownMarginMs: number;
}

/** How one invocation's post-runtime phase went. */
export interface PostRuntimeResult {
  /** Absent when `runtimeDone` did not come (no subscription, or the function timed out first). */
  readonly runtimeDone: RuntimeDoneRecord | undefined;
  /** Epoch ms when the post-runtime phase began (`runtimeDone` received, or INVOKE without one). */
  readonly startedAt: number;
}

/**
 * Decides when the extension spends time exporting. Per-invocation now; periodic and adaptive
 * modes implement the same interface.
 */
export interface FlushPolicy {
  /** Runs between an INVOKE and the extension's next `next` call. */
  afterInvoke(invocation: Invocation): Promise<PostRuntimeResult>;
  /** Runs at SHUTDOWN; resolves before `deadlineMs` (epoch ms) minus the margin. */
  shutdown(deadlineMs: number): Promise<void>;
}

// The function may still be running right up to its deadline; runtimeDone follows within the
// Telemetry API's 25 ms buffering. Past that the environment is being reset anyway.
const RUNTIME_DONE_SLACK_MS = 100;

/**
 * Flush after each invocation, after its response: wait for `platform.runtimeDone`, give the
 * invocation's spans at most `spanWaitMs` to arrive (the handler sends without waiting, and once
 * everyone calls `next` the environment freezes), flush until the post-runtime budget is spent,
 * then let the extension call `next`. What the budget does not cover stays buffered for the next
 * flush. Without a Telemetry API subscription it flushes at INVOKE what earlier invocations left,
 * concurrently with the handler, which never delays a response either.
 */
export class PerInvocationFlushPolicy implements FlushPolicy {
  constructor(
    private readonly deps: FlushPolicyDependencies,
    private readonly options: FlushPolicyOptions,
  ) {}

  async afterInvoke(invocation: Invocation): Promise<PostRuntimeResult> {
    if (!this.deps.telemetryAvailable) {
      const startedAt = Date.now();
      await this.deps.flush(startedAt + this.options.postRuntimeBudgetMs);
      return { runtimeDone: undefined, startedAt };
    }
    const runtimeDone = await this.deps.waitForRuntimeDone(
      invocation.requestId,
      invocation.deadlineMs + RUNTIME_DONE_SLACK_MS,
    );
    const startedAt = Date.now();
    const budgetEnd = startedAt + this.options.postRuntimeBudgetMs;
    await this.deps.waitForSpans(invocation, Math.min(startedAt + this.options.spanWaitMs, budgetEnd));
    await this.deps.flush(budgetEnd);
    return { runtimeDone, startedAt };
  }

  async shutdown(deadlineMs: number): Promise<void> {
    await this.deps.flush(deadlineMs - this.options.shutdownMarginMs);
  }
}
