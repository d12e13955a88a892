import { settledBy } from '../../common/deadline';
import type { Invocation } from './invocation-tracker';
import type { RuntimeDoneRecord } from './telemetry-api';

/** What the policy needs from the rest of the extension; injected so it can run on a fake clock. */
export interface FlushPolicyDependencies {
  /** Resolves with the invocation's `platform.runtimeDone`, or `undefined` if it has not come by `until`. */
  waitForRuntimeDone(requestId: string, until: number): Promise<RuntimeDoneRecord | undefined>;
  /**
   * Epoch ms at which the platform emitted the invocation's `runtimeDone` (the event's own
   * `time`), when known. The post-runtime phase is billed from there, not from delivery.
   */
  runtimeDoneAt?(requestId: string): number | undefined;
  /** Resolves when the invocation's spans have arrived or at `until`. */
  waitForSpans(invocation: Invocation, until: number): Promise<void>;
  /** Exports what is buffered (spans and metrics) until `until` or until `signal` aborts; never rejects. */
  flush(until: number, signal?: AbortSignal): Promise<void>;
  /** How full the span buffer is, 0 to 1 (the larger of its span and byte ratios). */
  backlog?(): number;
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
  /** vCPUs during invokes (1,769 MB = 1); absent: a full one. */
  readonly cpuShare?: number;
}

/** Settings of the periodic and adaptive policies. */
export interface PeriodicFlushPolicyOptions extends FlushPolicyOptions {
  /** Time between two periodic flushes. */
  readonly intervalMs: number;
}

/** How one invocation's post-runtime phase went. */
export interface PostRuntimeResult {
  /** Absent when `runtimeDone` did not come (no subscription, or the function timed out first). */
  readonly runtimeDone: RuntimeDoneRecord | undefined;
  /**
   * Epoch ms when the post-runtime phase began: when the platform emitted `runtimeDone` (or, if
   * that time is unknown or implausible, when it was received), or INVOKE without one.
   */
  readonly startedAt: number;
  /**
   * True when the extension goes back to `next` at INVOKE, without waiting for `runtimeDone`
   * (nothing to flush): the invoke phase then ends with the runtime and costs no post-runtime time.
   */
  readonly beforeRuntimeDone?: boolean;
}

/**
 * Decides when the extension spends time exporting: {@link PerInvocationFlushPolicy},
 * {@link PeriodicFlushPolicy}, or {@link AdaptiveFlushPolicy} switching between the two.
 */
export interface FlushPolicy {
  /** Runs between an INVOKE and the extension's next `next` call. */
  afterInvoke(invocation: Invocation): Promise<PostRuntimeResult>;
  /** Runs at SHUTDOWN; resolves before `deadlineMs` (epoch ms) minus the margin. */
  shutdown(deadlineMs: number): Promise<void>;
}

// The Telemetry API holds events for at most its largest buffering timeout before delivering
// them; a runtimeDone time further back than that (or in the future) is a clock problem, not a
// delivery delay, and the time of receipt is used instead.
const MAX_DELIVERY_DELAY_MS = 30_000;

/**
 * Where the post-runtime budget starts: the platform's own `runtimeDone` time. The platform
 * bills (and Lambda's `PostRuntimeExtensionDuration` counts) from that moment, so a budget
 * counted from delivery would overrun by however long the Telemetry API held the event.
 */
function postRuntimeStart(deps: FlushPolicyDependencies, requestId: string): number {
  const now = Date.now();
  const emittedAt = deps.runtimeDoneAt?.(requestId);
  return emittedAt !== undefined && emittedAt <= now && now - emittedAt <= MAX_DELIVERY_DELAY_MS
    ? emittedAt
    : now;
}

// Timers fire late when the machine is loaded (a timer is a lower bound, never a promise), so
// budgets are aimed early to hold as a hard limit: 5 ms (or a tenth of a small budget) with a
// full vCPU. With a fraction of one (a small function's share), the work between the deadline
// and `next` (the abort, the `next` request) and any synchronous export work the deadline lands
// in take 1/share as long in wall time, and a throttled process waits for its next CPU period
// before it runs at all, so the slack grows by the same factor, up to half the budget.
const SCHEDULING_SLACK_MS = 5;

/** Epoch ms at which a budget of `budgetMs` starting at `startedAt` must be over, slack included. */
function budgetEndOf(startedAt: number, budgetMs: number, cpuShare = 1): number {
  const slack = Math.min(SCHEDULING_SLACK_MS, budgetMs / 10) / cpuShare;
  return startedAt + budgetMs - Math.min(slack, budgetMs / 2);
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
      await flushWithin(
        this.deps,
        budgetEndOf(startedAt, this.options.postRuntimeBudgetMs, this.options.cpuShare),
      );
      return { runtimeDone: undefined, startedAt };
    }
    const runtimeDone = await this.deps.waitForRuntimeDone(
      invocation.requestId,
      invocation.deadlineMs + RUNTIME_DONE_SLACK_MS,
    );
    const startedAt = postRuntimeStart(this.deps, invocation.requestId);
    const budgetEnd = budgetEndOf(startedAt, this.options.postRuntimeBudgetMs, this.options.cpuShare);
    await this.deps.waitForSpans(invocation, Math.min(startedAt + this.options.spanWaitMs, budgetEnd));
    await flushWithin(this.deps, budgetEnd);
    return { runtimeDone, startedAt };
  }

  async shutdown(deadlineMs: number): Promise<void> {
    await flushWithin(this.deps, deadlineMs - this.options.shutdownMarginMs);
  }
}

/**
 * Flushes until `until` and returns by then whatever the flush is doing: an export that ignores
 * its deadline is aborted and no longer waited for, so no backend can stretch a budget.
 */
async function flushWithin(deps: FlushPolicyDependencies, until: number): Promise<void> {
  const controller = new AbortController();
  await abortAfter(deps.flush(until, controller.signal), controller, until);
}

/** Waits for `done` until `until` (epoch ms), then aborts whatever of it is still running. */
async function abortAfter(done: Promise<void>, controller: AbortController, until: number): Promise<void> {
  await settledBy(done, until);
  controller.abort();
}

// A periodic flush also starts early once the buffer is half full, so a burst between two
// intervals is exported rather than refused.
const BACKLOG_FLUSH_RATIO = 0.5;

/**
 * Flush every `intervalMs`, overlapping an invocation instead of extending one. The environment
 * is frozen between invocations, so no timer can fire there: the flush starts when an INVOKE
 * arrives and the interval has passed, runs while the handler works, and gets whatever is left
 * of the post-runtime budget after `runtimeDone`; then it is aborted (an export frozen
 * mid-flight only fails) and what it did not send stays buffered. The invocation's own spans
 * are not waited for: they ride with a later flush. When no flush is due the extension returns
 * to `next` at once, while the handler still runs, so the invocation costs nothing after it.
 */
export class PeriodicFlushPolicy implements FlushPolicy {
  private lastFlushAt: number;
  private background: { readonly controller: AbortController; readonly done: Promise<void> } | undefined;

  constructor(
    private readonly deps: FlushPolicyDependencies,
    private readonly options: PeriodicFlushPolicyOptions,
  ) {
    this.lastFlushAt = Date.now();
  }

  /** Restarts the interval, e.g. after a per-invocation flush emptied the buffer. */
  markFlushed(at: number): void {
    this.lastFlushAt = at;
  }

  async afterInvoke(invocation: Invocation): Promise<PostRuntimeResult> {
    const invokedAt = Date.now();
    const dueByTime = invokedAt - this.lastFlushAt >= this.options.intervalMs;
    if (dueByTime || (this.deps.backlog?.() ?? 0) >= BACKLOG_FLUSH_RATIO) {
      this.lastFlushAt = invokedAt;
      const controller = new AbortController();
      this.background = { controller, done: this.deps.flush(invocation.deadlineMs, controller.signal) };
    } else {
      return { runtimeDone: undefined, startedAt: invokedAt, beforeRuntimeDone: true };
    }
    if (!this.deps.telemetryAvailable) {
      await this.settle(budgetEndOf(invokedAt, this.options.postRuntimeBudgetMs, this.options.cpuShare));
      return { runtimeDone: undefined, startedAt: invokedAt };
    }
    const runtimeDone = await this.deps.waitForRuntimeDone(
      invocation.requestId,
      invocation.deadlineMs + RUNTIME_DONE_SLACK_MS,
    );
    const startedAt = postRuntimeStart(this.deps, invocation.requestId);
    await this.settle(budgetEndOf(startedAt, this.options.postRuntimeBudgetMs, this.options.cpuShare));
    return { runtimeDone, startedAt };
  }

  async shutdown(deadlineMs: number): Promise<void> {
    await this.settle(Date.now());
    await flushWithin(this.deps, deadlineMs - this.options.shutdownMarginMs);
  }

  // Gives the flush in progress until `budgetEnd`, then aborts the rest of it.
  private async settle(budgetEnd: number): Promise<void> {
    const background = this.background;
    if (!background) return;
    this.background = undefined;
    await abortAfter(background.done, background.controller, budgetEnd);
  }
}

/** Which policy {@link AdaptiveFlushPolicy} is following. */
export type AdaptiveMode = 'invocation' | 'periodic';

// Cost model: a flush costs one export round trip C (10-30 ms warm), billed as post-runtime
// time and keeping the environment from its next request. With K invocations per interval,
// flushing per invocation costs K*C; periodically at most C (less when it overlaps a handler),
// paid for with spans arriving up to one interval later.
// - Enter periodic at K >= 4 (mean gap <= interval/4): at least 75 % of the flush time saved.
// - Leave at K < 2 (mean gap > interval/2): at most 50 % saved, while the last invocation's
//   spans sit frozen until the next one; the gap between 4 and 2 keeps the mode from flapping.
// - Leave at once on a single gap >= interval: a lull has begun, periodic would flush every
//   invocation anyway (saving nothing) and one invocation late.
const ENTER_PERIODIC_GAP_FRACTION = 1 / 4;
const LEAVE_PERIODIC_GAP_FRACTION = 1 / 2;
// The mean gap is an exponentially weighted average: a new gap counts for a quarter, so about
// four invocations at a new rate move it across a threshold and one odd gap does not.
const GAP_WEIGHT = 0.25;
// Gaps measured before the mean is trusted.
const MIN_GAPS = 3;

/**
 * The default: per-invocation while invocations are rare (nothing waits in a frozen
 * environment), periodic while they come often (a busy function pays almost nothing per
 * request), switching on the mean time between INVOKE events. Gaps are wall-clock time, freezes
 * included, which is exactly the time spans would wait.
 */
export class AdaptiveFlushPolicy implements FlushPolicy {
  private readonly perInvocation: PerInvocationFlushPolicy;
  private readonly periodic: PeriodicFlushPolicy;
  private current: AdaptiveMode = 'invocation';
  private lastInvokeAt: number | undefined;
  private meanGapMs = 0;
  private gaps = 0;

  constructor(
    deps: FlushPolicyDependencies,
    private readonly options: PeriodicFlushPolicyOptions,
  ) {
    this.perInvocation = new PerInvocationFlushPolicy(deps, options);
    this.periodic = new PeriodicFlushPolicy(deps, options);
  }

  /** The policy the next invocation follows. */
  get mode(): AdaptiveMode {
    return this.current;
  }

  async afterInvoke(invocation: Invocation): Promise<PostRuntimeResult> {
    this.observeArrival(Date.now());
    if (this.current === 'periodic') return this.periodic.afterInvoke(invocation);
    const result = await this.perInvocation.afterInvoke(invocation);
    this.periodic.markFlushed(Date.now());
    return result;
  }

  shutdown(deadlineMs: number): Promise<void> {
    return this.periodic.shutdown(deadlineMs);
  }

  private observeArrival(now: number): void {
    const previous = this.lastInvokeAt;
    this.lastInvokeAt = now;
    if (previous === undefined) return;
    const gap = now - previous;
    this.meanGapMs = this.gaps === 0 ? gap : this.meanGapMs + GAP_WEIGHT * (gap - this.meanGapMs);
    this.gaps++;
    const interval = this.options.intervalMs;
    if (this.current === 'invocation') {
      if (this.gaps >= MIN_GAPS && this.meanGapMs <= interval * ENTER_PERIODIC_GAP_FRACTION) {
        this.current = 'periodic';
      }
    } else if (gap >= interval || this.meanGapMs > interval * LEAVE_PERIODIC_GAP_FRACTION) {
      this.current = 'invocation';
      // After a lull, about five invocations at a busy rate are needed to come back.
      this.meanGapMs = Math.max(this.meanGapMs, gap);
    }
  }
}
