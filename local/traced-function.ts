/**
 * A function as the front doors see it: the environment pool behind the Lambda service's
 * tracing. Every invoke gets its trace header decided here (the caller's, or a new sampled
 * trace) and its `AWS::Lambda` / `AWS::Lambda::Function` segments written afterwards.
 */
import type { FunctionDefinition, InvokeInput, InvokeOutput } from './environment/types';
import type { LambdaSegmentWriter } from './xray/lambda-segments';

/** What runs invocations: the core's `FunctionPool` satisfies it. */
export interface FunctionRunner {
  invoke(input: InvokeInput): Promise<InvokeOutput>;
  shutdown(): Promise<void>;
}

/** One invocation request from a front door. */
export interface InvokeRequest {
  readonly payload: Buffer;
  /** The caller's `X-Amzn-Trace-Id`, if any. */
  readonly traceHeader?: string;
  /** Base64 client context. */
  readonly clientContext?: string;
}

/** A named function the front doors can invoke. */
export interface FunctionInvoker {
  readonly definition: FunctionDefinition;
  invoke(request: InvokeRequest): Promise<InvokeOutput>;
}

/** A runner plus the Lambda service's tracing. */
export class TracedFunction implements FunctionInvoker {
  constructor(
    readonly definition: FunctionDefinition,
    private readonly runner: FunctionRunner,
    private readonly segments: LambdaSegmentWriter,
  ) {}

  async invoke(request: InvokeRequest): Promise<InvokeOutput> {
    const invocation = this.segments.begin(request.traceHeader);
    const output = await this.runner.invoke({
      payload: request.payload,
      traceHeader: invocation.traceHeader,
      ...(request.clientContext ? { clientContext: request.clientContext } : {}),
    });
    try {
      this.segments.complete(invocation, output);
    } catch {
      // Tracing never fails the invocation it describes.
    }
    return output;
  }
}
