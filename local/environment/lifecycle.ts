/**
 * Where an execution environment is in Lambda's lifecycle (Init, Invoke, frozen between invokes,
 * Shutdown), as one explicit state, with what failed in the current phase, the invocation in
 * progress, and a way to wait for a condition over all of it with a deadline.
 *
 * The Lambda API hosts read the state to decide what a request means now (registration is open
 * only while registering, `init/error` only before the runtime's first `next`); the environment's
 * sequences move it from one state to the next.
 */
import { settledWithin } from '../../common/deadline';
import type { ShutdownReason } from '../apis/extensions-api';
import type { Invocation, Outcome } from './invocation';
import type { PlatformTelemetry } from './platform-telemetry';
import type { InvokeStatus } from './types';

/** The `phase` of an Init: `init` before any invoke, `invoke` when a failed Init is retried inside one. */
export type InitPhase = 'init' | 'invoke';

/**
 * - `cold`: no process runs; the next invoke starts with Init.
 * - `registering`: Init; extensions start and register, the runtime starts once every external
 *   extension has registered; registration and Telemetry subscriptions are open until the
 *   runtime's first `next`.
 * - `initializing`: Init; the runtime called `next`; Init ends when every extension has too.
 * - `invoking`: an invoke phase runs: the invocation, its report, the wait before freezing.
 * - `ready`: initialized and idle, not frozen (freezing is off).
 * - `frozen`: initialized and idle, every process stopped (freezer cgroup, else SIGSTOP).
 * - `shuttingDown`: the shutdown sequence runs; `interrupted` is the state it ended, `then` the
 *   state it leaves the environment in (`cold` to retry Init, `stopped` for good).
 * - `stopped`: the environment serves no more invokes.
 */
export type LifecycleState =
  | { readonly kind: 'cold' }
  | { readonly kind: 'registering'; readonly phase: InitPhase }
  | { readonly kind: 'initializing'; readonly phase: InitPhase }
  | { readonly kind: 'invoking' }
  | { readonly kind: 'ready' }
  | { readonly kind: 'frozen' }
  | {
      readonly kind: 'shuttingDown';
      readonly interrupted: LifecycleKind;
      readonly then: 'cold' | 'stopped';
      readonly done: Promise<void>;
    }
  | { readonly kind: 'stopped' };

export type LifecycleKind = LifecycleState['kind'];

/** A failure that ends the current Init or invoke phase and resets the environment. */
export interface Fault {
  readonly status: InvokeStatus;
  readonly errorType: string;
  readonly message: string;
  readonly reason: ShutdownReason;
}

/** An error reported to end Init (the runtime's `init/error`, an extension's `init/error`). */
export interface InitFailure {
  readonly status: InvokeStatus;
  readonly errorType: string;
  readonly payload: Buffer;
}

const INITIALIZED: ReadonlySet<LifecycleKind> = new Set(['invoking', 'ready', 'frozen']);

export class Lifecycle {
  private current: LifecycleState = { kind: 'cold' };
  private failure: Fault | undefined;
  private initFailure: InitFailure | undefined;
  /** The invocation of the running invoke phase, until its report. */
  invocation: Invocation | undefined;
  private readonly watchers = new Set<() => void>();

  constructor(private readonly telemetry: PlatformTelemetry) {}

  get state(): LifecycleState {
    return this.current;
  }

  enter(state: LifecycleState): void {
    this.current = state;
    this.notify();
  }

  /** What an API request is judged against: during the shutdown sequence, the state it interrupted. */
  private get effectiveKind(): LifecycleKind {
    return this.current.kind === 'shuttingDown' ? this.current.interrupted : this.current.kind;
  }

  /** Extensions may register and subscribe (Init, before the runtime's first `next`). */
  get registrationOpen(): boolean {
    return this.current.kind === 'registering';
  }

  /** The runtime may still report an Init error: it has not called `next` in this Init. */
  get runtimeInitOpen(): boolean {
    return this.effectiveKind === 'registering';
  }

  /** Init succeeded and the processes it started still run. */
  get initialized(): boolean {
    return INITIALIZED.has(this.effectiveKind);
  }

  /** Between invokes: a failure now must take the environment out of the pool. */
  get idle(): boolean {
    return this.current.kind === 'ready' || this.current.kind === 'frozen';
  }

  /** The environment can serve no more invokes (stopped, or being stopped for good). */
  get dead(): boolean {
    return (
      this.current.kind === 'stopped' ||
      (this.current.kind === 'shuttingDown' && this.current.then === 'stopped')
    );
  }

  /** Process exits and errors are expected now (the environment is stopping them) and mean nothing. */
  get stopping(): boolean {
    return this.current.kind === 'shuttingDown' || this.current.kind === 'stopped';
  }

  get fault(): Fault | undefined {
    return this.failure;
  }

  get initError(): InitFailure | undefined {
    return this.initFailure;
  }

  /** Records the fault that ends the current phase; the first one wins. */
  fail(fault: Fault): void {
    this.failure ??= fault;
    this.notify();
  }

  /** Records the error that ends Init; the first one wins. */
  failInit(failure: InitFailure): void {
    this.initFailure ??= failure;
    this.notify();
  }

  /** Starts an Init: no failure yet, registration open. */
  beginInit(phase: InitPhase): void {
    this.failure = undefined;
    this.initFailure = undefined;
    this.enter({ kind: 'registering', phase });
  }

  /** A fault during Init became the Init's result; it must not end the invoke that follows. */
  endInit(): void {
    this.failure = undefined;
  }

  /** The runtime responded, or the fault that ended the invoke answers the caller in its place. */
  settle(invocation: Invocation, outcome: Outcome): void {
    invocation.outcome = outcome;
    invocation.answer(outcome);
    this.notify();
  }

  /** Emits `platform.runtimeDone` for the invocation, once. */
  runtimeDone(invocation: Invocation, status: InvokeStatus, errorType: string | undefined): void {
    invocation.runtimeDone = true;
    this.telemetry.runtimeDone(invocation, status, errorType);
    this.notify();
  }

  /** Re-checks every pending {@link waitUntil}; called after anything a condition may read changed. */
  notify(): void {
    for (const check of [...this.watchers]) check();
  }

  /** Resolves true as soon as `predicate` holds, false if it still does not after `ms`. */
  async waitUntil(predicate: () => boolean, ms: number): Promise<boolean> {
    if (predicate()) return true;
    if (ms <= 0) return false;
    let check = () => {};
    const holds = new Promise<void>((resolve) => {
      check = () => {
        if (predicate()) resolve();
      };
    });
    this.watchers.add(check);
    try {
      return (await settledWithin(holds, ms)) || predicate();
    } finally {
      this.watchers.delete(check);
    }
  }
}
