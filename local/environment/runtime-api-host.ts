/**
 * The environment's side of the Runtime API: what a runtime's `next`, response and error mean in
 * the current lifecycle state. `local/apis/runtime-api.ts` speaks the HTTP; this decides.
 */
import { ForbiddenError } from '../apis/api-error';
import {
  invalidRequestId,
  type RuntimeApiHost,
  type RuntimeErrorReport,
  type RuntimeInvocation,
} from '../apis/runtime-api';
import { errorPayload, type Invocation, roundMs } from './invocation';
import type { Lifecycle } from './lifecycle';
import type { PlatformTelemetry } from './platform-telemetry';

function errorBody(report: RuntimeErrorReport): Buffer {
  if (report.parsed) return report.body;
  return errorPayload(report.errorType, report.body.toString('utf8'));
}

export class EnvironmentRuntimeApi implements RuntimeApiHost {
  /** The runtime's pending `next`, when it arrived before the invocation. */
  private waiter: ((invocation: Invocation) => void) | undefined;

  constructor(
    private readonly lifecycle: Lifecycle,
    private readonly telemetry: PlatformTelemetry,
  ) {}

  /** Hands the invocation to a runtime already waiting in `next`; otherwise its next `next` takes it. */
  offer(invocation: Invocation): void {
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    invocation.delivered = true;
    waiter(invocation);
  }

  /** Drops a pending `next` (its runtime is gone). */
  forgetWaiter(): void {
    this.waiter = undefined;
  }

  nextInvocation(signal: AbortSignal): Promise<RuntimeInvocation> {
    const state = this.lifecycle.state;
    if (state.kind === 'registering') {
      // The runtime's first `next` closes registration and subscriptions and ends runtime init.
      this.lifecycle.enter({ kind: 'initializing', phase: state.phase });
      this.telemetry.initRuntimeDone(state.phase, 'success');
    }
    const current = this.lifecycle.invocation;
    // A `next` after the response ends the runtime's part of the invocation.
    if (current?.outcome && !current.runtimeDone) {
      this.lifecycle.runtimeDone(current, current.outcome.status, current.outcome.errorType);
    }
    this.lifecycle.notify();
    const toRuntime = (invocation: Invocation): RuntimeInvocation => ({
      requestId: invocation.requestId,
      deadlineMs: invocation.deadlineMs,
      invokedFunctionArn: invocation.invokedFunctionArn,
      traceId: invocation.trace.header,
      ...(invocation.clientContext ? { clientContext: invocation.clientContext } : {}),
      payload: invocation.payload,
    });
    if (current && !current.delivered) {
      current.delivered = true;
      return Promise.resolve(toRuntime(current));
    }
    return new Promise((resolve) => {
      const waiter = (invocation: Invocation) => resolve(toRuntime(invocation));
      this.waiter = waiter;
      signal.addEventListener('abort', () => {
        if (this.waiter === waiter) this.waiter = undefined;
      });
    });
  }

  checkResponse(requestId: string): void {
    this.respondable(requestId);
  }

  postResponse(requestId: string, body: Buffer, firstByteAt: number, lastByteAt: number): void {
    const invocation = this.respondable(requestId);
    invocation.producedBytes = body.length;
    const firstByteTime = new Date(invocation.startTime.getTime() + (firstByteAt - invocation.startedAt));
    invocation.spans = [
      {
        name: 'responseLatency',
        start: invocation.startTime.toISOString(),
        durationMs: roundMs(firstByteAt - invocation.startedAt),
      },
      {
        name: 'responseDuration',
        start: firstByteTime.toISOString(),
        durationMs: roundMs(lastByteAt - firstByteAt),
      },
    ];
    this.lifecycle.settle(invocation, { status: 'success', payload: body });
  }

  responseTooLarge(requestId: string, size: string): void {
    const invocation = this.respondable(requestId);
    const errorType = 'Function.ResponseSizeTooLarge';
    const message = `Response payload size (${size} bytes) exceeded maximum allowed payload size (6291556 bytes).`;
    this.lifecycle.settle(invocation, {
      status: 'error',
      payload: errorPayload(errorType, message),
      errorType,
    });
  }

  postInvocationError(requestId: string, report: RuntimeErrorReport): void {
    const invocation = this.respondable(requestId);
    this.lifecycle.settle(invocation, {
      status: 'error',
      payload: errorBody(report),
      errorType: report.errorType,
    });
  }

  postInitError(report: RuntimeErrorReport): void {
    if (!this.lifecycle.runtimeInitOpen) {
      throw new ForbiddenError('InvalidStateTransition', 'Init error reported outside of Init');
    }
    this.lifecycle.failInit({ status: 'error', errorType: report.errorType, payload: errorBody(report) });
  }

  /** The invocation `requestId` names, when the runtime received it and has not answered it yet. */
  private respondable(requestId: string): Invocation {
    const current = this.lifecycle.invocation;
    if (!current || current.requestId !== requestId || !current.delivered) throw invalidRequestId(requestId);
    if (current.outcome) {
      throw new ForbiddenError('InvalidStateTransition', `Invocation ${requestId} already has a response`);
    }
    return current;
  }
}
