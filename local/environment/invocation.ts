/**
 * One invocation as an execution environment tracks it: from the caller's request, through the
 * runtime's `next` and its response or error, to the invoke phase's report.
 */
import type { Fault } from './lifecycle';
import type { InvocationTrace } from './trace-header';
import type { InvokeInput, InvokeStatus } from './types';

/** What the caller of an invoke gets, before the environment adds the log tail and its id. */
export interface Outcome {
  readonly status: InvokeStatus;
  readonly payload: Buffer;
  readonly errorType?: string;
}

/** A `platform.runtimeDone` span (`responseLatency`, `responseDuration`). */
interface ResponseSpan {
  readonly name: string;
  readonly start: string;
  readonly durationMs: number;
}

export interface Invocation {
  readonly requestId: string;
  /** Epoch milliseconds; the function timeout covers the whole invoke phase. */
  readonly deadlineMs: number;
  /** `performance.now()` at the start, for durations. */
  readonly startedAt: number;
  readonly startTime: Date;
  readonly payload: Buffer;
  readonly trace: InvocationTrace;
  readonly clientContext: string | undefined;
  /** The ARN the caller invoked (qualified when it was), for the runtime and the extensions. */
  readonly invokedFunctionArn: string;
  /** The runtime has received it from `next`. */
  delivered: boolean;
  /** Set once: by the runtime's response or error, or by the fault that ended the invoke. */
  outcome: Outcome | undefined;
  /** `platform.runtimeDone` was emitted (on the runtime's next `next`, or when the phase ended). */
  runtimeDone: boolean;
  producedBytes: number;
  spans: ResponseSpan[];
  /** Hands the outcome to the caller of the invoke. */
  readonly answer: (outcome: Outcome) => void;
}

/** Lambda's error document, `{errorType, errorMessage}`. */
export function errorPayload(errorType: string, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage }));
}

/** Milliseconds with three decimals, as the Telemetry API reports durations. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** A new invocation of `input`, due `timeoutSec` from now. */
export function newInvocation(
  requestId: string,
  input: InvokeInput & { readonly invokedFunctionArn: string },
  trace: InvocationTrace,
  timeoutSec: number,
  answer: (outcome: Outcome) => void,
): Invocation {
  const startTime = new Date();
  return {
    requestId,
    deadlineMs: startTime.getTime() + timeoutSec * 1000,
    startedAt: performance.now(),
    startTime,
    payload: input.payload,
    trace,
    clientContext: input.clientContext,
    invokedFunctionArn: input.invokedFunctionArn,
    delivered: false,
    outcome: undefined,
    runtimeDone: false,
    producedBytes: 0,
    spans: [],
    answer,
  };
}

/** The fault of an invoke phase that passed the function timeout. */
export function timeoutFault(requestId: string, timeoutSec: number): Fault {
  return {
    status: 'timeout',
    errorType: 'Sandbox.Timedout',
    message: `${new Date().toISOString()} ${requestId} Task timed out after ${timeoutSec.toFixed(2)} seconds`,
    reason: 'timeout',
  };
}

/** What the caller gets when a fault ended the invocation before the runtime answered. */
export function faultOutcome(fault: Fault, requestId: string): Outcome {
  const payload =
    fault.status === 'timeout'
      ? Buffer.from(JSON.stringify({ errorMessage: fault.message }))
      : errorPayload(fault.errorType, `RequestId: ${requestId} Error: ${fault.message}`);
  return { status: fault.status, payload, errorType: fault.errorType };
}
