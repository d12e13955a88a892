/**
 * One trace, summed up: its {@link TraceSummary} for the list and the samples it adds to the
 * service map's nodes and edges, computed from the reduced segments of the trace (and the HTTP
 * API's access log line of its request, when the sandbox writes one).
 */
import type { MapNodeType, TraceSummary } from '../console-api';
import type { AccessLogEntry } from './access-log';
import type { Outcome, SegmentFacts } from './segment-facts';

/** A node a trace passes through. `id` carries the function version (`function:todos@2`). */
export interface NodeRef {
  readonly id: string;
  readonly name: string;
  readonly type: MapNodeType;
  /** The id without the version, shared by every version of a function. */
  readonly base: string;
  readonly version?: string;
}

/** One request seen by a node, or by an edge when `from` is set. */
interface Sample extends Outcome {
  /** The node id, or the edge id `<from>-><to>`, with versioned node ids. */
  readonly key: string;
  readonly to: string;
  readonly from?: string;
  readonly latencyMs: number | undefined;
}

export interface SummedTrace {
  readonly summary: TraceSummary;
  readonly nodes: readonly NodeRef[];
  /** Edges as `[from, to]`, with versioned node ids. */
  readonly edges: readonly (readonly [string, string])[];
  readonly samples: readonly Sample[];
}

const OK: Outcome = { fault: false, error: false, throttle: false };

/** X-Ray's reading of an HTTP status: 429 is a throttle (and an error), 4xx an error, 5xx a fault. */
function outcomeOfStatus(status: number | undefined): Outcome {
  if (status === undefined) return OK;
  return {
    fault: status >= 500,
    error: status >= 400 && status < 500,
    throttle: status === 429,
  };
}

const either = (...outcomes: Outcome[]): Outcome => ({
  fault: outcomes.some((outcome) => outcome.fault),
  error: outcomes.some((outcome) => outcome.error),
  throttle: outcomes.some((outcome) => outcome.throttle),
});

const latency = (start: number, end: number | undefined): number | undefined =>
  end === undefined ? undefined : Math.max(0, end - start);

/** The handler's SERVER span: the route's, else an HTTP span, else the function segment's child. */
function handlerOf(facts: readonly SegmentFacts[], fn: SegmentFacts | undefined): SegmentFacts | undefined {
  const own = facts.filter((fact) => fact.origin === undefined && fact.namespace === undefined);
  return (
    own.find((fact) => fact.route !== undefined) ??
    own.find((fact) => fact.method !== undefined) ??
    (fn ? own.find((fact) => fact.parentId === fn.id) : undefined)
  );
}

/**
 * Sums up one trace. `access` is the access log line of its request, when there is one.
 *
 * @example
 * const { summary } = sumTrace('1-6b0d1c80-b7dc3361125ae393e590a0aa', facts, undefined);
 */
export function sumTrace(
  traceId: string,
  facts: readonly SegmentFacts[],
  access: AccessLogEntry | undefined,
): SummedTrace {
  const service = facts.find((fact) => fact.origin === 'AWS::Lambda');
  const fn = facts.find((fact) => fact.origin === 'AWS::Lambda::Function');
  const handler = handlerOf(facts, fn);
  const functionName = service?.name ?? fn?.name ?? handler?.name ?? 'function';
  const version = handler?.version;

  let start = Number.POSITIVE_INFINITY;
  let end = Number.NEGATIVE_INFINITY;
  const flags = { ...outcomeOfStatus(access?.status) };
  const mark = (outcome: Outcome) => {
    flags.fault ||= outcome.fault;
    flags.error ||= outcome.error;
    flags.throttle ||= outcome.throttle;
  };
  for (const fact of facts) {
    start = Math.min(start, fact.start);
    end = Math.max(end, fact.end ?? fact.start);
    mark(fact);
    mark(fact.nestedOutcome);
    for (const call of fact.calls) mark(call);
  }
  if (!Number.isFinite(start)) start = 0;
  if (!Number.isFinite(end)) end = start;

  const nodes: NodeRef[] = [{ id: 'client', name: 'Client', type: 'client', base: 'client' }];
  const samples: Sample[] = [];
  const edges: [string, string][] = [];
  /** `edgeLatencyMs`: the caller's view of the call when it differs from the node's own time. */
  const visit = (
    node: NodeRef,
    from: NodeRef,
    latencyMs: number | undefined,
    outcome: Outcome,
    edgeLatencyMs = latencyMs,
  ) => {
    if (!nodes.some((known) => known.id === node.id)) nodes.push(node);
    const edge = `${from.id}->${node.id}`;
    const { fault, error, throttle } = outcome;
    samples.push({ key: node.id, to: node.id, latencyMs, fault, error, throttle });
    samples.push({ key: edge, to: node.id, from: from.id, latencyMs: edgeLatencyMs, fault, error, throttle });
    if (!edges.some(([edgeFrom, edgeTo]) => edgeFrom === from.id && edgeTo === node.id))
      edges.push([from.id, node.id]);
  };
  const client = nodes[0]!;
  const handlerOutcome = handler ? either(handler, outcomeOfStatus(handler.status)) : OK;
  const lambdaOutcome: Outcome = service ?? OK;
  const lambdaLatency = service ? latency(service.start, service.ownEnd) : undefined;

  let upstream = client;
  if (access || handler?.apiRequestId) {
    const api: NodeRef = { id: 'api', name: 'HTTP API', type: 'AWS::ApiGatewayV2::Api', base: 'api' };
    if (access) {
      visit(api, client, access.responseLatencyMs, outcomeOfStatus(access.status));
    } else {
      // No access log line (the sandbox writes none, or not yet): the API is known to be there
      // from the request id it handed the function, and drawn with the function-side figures
      // (the Lambda service's time, the handler's status).
      visit(
        api,
        client,
        lambdaLatency ?? (handler && latency(handler.start, handler.ownEnd)),
        either(lambdaOutcome, handlerOutcome),
      );
    }
    upstream = api;
  }
  if (service) {
    const lambda: NodeRef = {
      id: `lambda:${functionName}`,
      name: functionName,
      type: 'AWS::Lambda',
      base: `lambda:${functionName}`,
    };
    // The API's integration latency is its view of the invoke: the edge's figure.
    visit(lambda, upstream, lambdaLatency, lambdaOutcome, access?.integrationLatencyMs ?? lambdaLatency);
    upstream = lambda;
  }
  let functionNode: NodeRef | undefined;
  if (fn || handler) {
    const base = `function:${functionName}`;
    functionNode = {
      id: version ? `${base}@${version}` : base,
      name: functionName,
      type: 'AWS::Lambda::Function',
      base,
      ...(version ? { version } : {}),
    };
    const own = fn ?? handler!;
    // The function segment carries the runtime's failures (timeouts, crashes); the handler's span
    // carries what the code answered, so the function node shows both, as the X-Ray SDK would
    // have marked the segment it owns.
    visit(functionNode, upstream, latency(own.start, own.ownEnd), either(own, handlerOutcome));
  }
  for (const fact of facts) {
    for (const call of fact.calls) {
      const id = `${call.namespace}:${call.name}`;
      const type: MapNodeType =
        call.namespace === 'aws' && call.name === 'DynamoDB' ? 'AWS::DynamoDB::Table' : 'remote';
      visit(
        { id, name: call.name, type, base: id },
        functionNode ?? upstream,
        latency(call.start, call.end),
        call,
      );
    }
  }

  // The client's own figures are those of the call it made: the first edge out of it.
  const sent = samples.find((sample) => sample.from === client.id);
  if (sent) {
    const { fault, error, throttle, latencyMs } = sent;
    samples.push({ key: client.id, to: client.id, latencyMs, fault, error, throttle });
  }

  const routeKey = access?.routeKey?.match(/^[A-Z]+ (.+)$/)?.[1];
  const method = handler?.method ?? access?.method;
  const route = handler?.route ?? routeKey;
  const status = access?.status ?? handler?.status;
  const coldStart = handler?.coldStart ?? fn?.initialized ?? false;
  const requestId = service?.requestId ?? handler?.requestId;
  const summary: TraceSummary = {
    traceId,
    startTime: start,
    durationMs: Math.max(0, end - start),
    ...(method ? { method } : {}),
    ...(route ? { route } : {}),
    ...(status === undefined ? {} : { status }),
    ...(version ? { version } : {}),
    coldStart,
    ...flags,
    ...(requestId ? { requestId } : {}),
    nodes: nodes.map((node) => node.id),
  };
  return { summary, nodes, edges, samples };
}
