/**
 * The function as the front doors invoke it: a qualifier (none, `$LATEST`, a version, an alias)
 * resolved to the version that runs, each version in environments of its own, the request id
 * assigned up front as Lambda's front end does, and every invocation accounted for in the
 * `AWS/Lambda` metrics (admitted or throttled).
 */
import { randomUUID } from 'node:crypto';
import { functionArn } from '../environment/environment-variables';
import type { FunctionDefinition } from '../environment/types';
import type { LambdaMetrics } from '../logs/lambda-metrics';
import type {
  FunctionInvoker,
  FunctionRunner,
  InvokeRequest,
  InvokeResult,
  TracedFunction,
} from '../traced-function';
import type { VersionRegistry } from './function-versions';

/** The qualifier names no version or alias: Lambda's `ResourceNotFoundException`. */
export class UnknownQualifierError extends Error {
  constructor(readonly arn: string) {
    super(`Function not found: ${arn}`);
    this.name = 'UnknownQualifierError';
  }
}

/** The function's reserved concurrency is used up: Lambda's `TooManyRequestsException`. */
export class ThrottledError extends Error {
  constructor(functionName: string, limit: number | undefined) {
    super(`Rate Exceeded: ${functionName} already runs its reserved concurrency of ${limit} invocations`);
    this.name = 'ThrottledError';
  }
}

export interface VersionedFunctionOptions {
  readonly versions: VersionRegistry;
  readonly metrics: LambdaMetrics;
  /** Reserved concurrency, quoted in throttling errors. */
  readonly reservedConcurrency?: number;
  /** Builds the traced runner of one version's definition; called once per version, on first use. */
  readonly createFunction: (definition: FunctionDefinition) => TracedFunction;
}

export class VersionedFunction implements FunctionInvoker {
  private readonly functions = new Map<string, TracedFunction>();
  private readonly runners: FunctionRunner[] = [];
  private closed = false;

  constructor(private readonly options: VersionedFunctionOptions) {}

  private get name(): string {
    return this.options.versions.latest.name;
  }

  has(qualifier: string): boolean {
    return this.options.versions.has(qualifier);
  }

  async invoke(request: InvokeRequest): Promise<InvokeResult> {
    const { versions, metrics } = this.options;
    const { qualifier } = request;
    const target = versions.resolve(qualifier);
    const arn = `${functionArn(versions.latest)}${qualifier === undefined ? '' : `:${qualifier}`}`;
    if (!target) throw new UnknownQualifierError(arn);
    const requestId = randomUUID();
    const admitted = metrics.admit({
      requestId,
      resource: qualifier === undefined ? this.name : `${this.name}:${qualifier}`,
      executedVersion: target.version,
      viaAlias: target.alias !== undefined,
    });
    if (!admitted) throw new ThrottledError(this.name, this.options.reservedConcurrency);
    try {
      const output = await this.function(target.version).invoke({
        payload: request.payload,
        requestId,
        invokedFunctionArn: arn,
        ...(request.traceHeader ? { traceHeader: request.traceHeader } : {}),
        ...(request.clientContext ? { clientContext: request.clientContext } : {}),
      });
      metrics.answered(output);
      return { ...output, executedVersion: target.version };
    } catch (error) {
      metrics.abandon(requestId);
      throw error;
    }
  }

  /** Shuts every version's environments down; later invokes are refused. */
  async shutdown(): Promise<void> {
    this.closed = true;
    await Promise.all(this.runners.map((runner) => runner.shutdown()));
  }

  private function(version: string): TracedFunction {
    let fn = this.functions.get(version);
    if (!fn) {
      if (this.closed) throw new Error(`Function ${this.name} is shutting down`);
      fn = this.options.createFunction(this.options.versions.definition(version));
      this.functions.set(version, fn);
      this.runners.push(fn.runner);
    }
    return fn;
  }
}
