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
  /** A version number, `$LATEST` or an alias; none: the unqualified function (`$LATEST`). */
  readonly qualifier?: string;
}

/** What the caller gets: the environment's output and the version that ran it. */
export interface InvokeResult extends InvokeOutput {
  /** `X-Amz-Executed-Version`: a version number or `$LATEST`. */
  readonly executedVersion: string;
}

/** A named function the front doors can invoke, by any qualifier. */
export interface FunctionInvoker {
  /** True when `qualifier` names `$LATEST`, a published version or an alias of the function. */
  has(qualifier: string): boolean;
  invoke(request: InvokeRequest): Promise<InvokeResult>;
}

/** A runner plus the Lambda service's tracing: one version of a function. */
export class TracedFunction {
  constructor(
    readonly definition: FunctionDefinition,
    readonly runner: FunctionRunner,
    private readonly segments: LambdaSegmentWriter,
  ) {}

  async invoke(
    request: Omit<InvokeInput, 'traceHeader'> & { readonly traceHeader?: string },
  ): Promise<InvokeOutput> {
    const invocation = this.segments.begin(request.traceHeader);
    const output = await this.runner.invoke({ ...request, traceHeader: invocation.traceHeader });
    try {
      this.segments.complete(invocation, output);
    } catch {
      // Tracing never fails the invocation it describes.
    }
    return output;
  }
}
