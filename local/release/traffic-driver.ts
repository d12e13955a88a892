/**
 * Steady customer traffic through the HTTP API front door (real HTTP), open loop: a request
 * leaves every 1/rps seconds whether or not the earlier ones have answered, as independent
 * customers would send them. The mix covers the todo routes: create, read, list, patch, delete.
 * Every answer is kept as the customer saw it (status and latency), nothing else.
 */
import { randomUUID } from 'node:crypto';

/** One answer a customer received. */
export interface CustomerResponse {
  /** Wall-clock epoch milliseconds when the request left. */
  readonly sentAt: number;
  readonly route: string;
  /** HTTP status, or 0 when no answer came (connection refused or reset). */
  readonly status: number;
  readonly latencyMs: number;
}

export interface TrafficOptions {
  /** The HTTP API's base URL (`sandbox.apiUrl`). */
  readonly apiUrl: string;
  /** Requests per wall-clock second. */
  readonly rps: number;
  /** Gives up on a request after this long; the HTTP API answers 504 at 30 s on its own. @default 35_000 */
  readonly requestTimeoutMs?: number;
}

// Enough recently created todos to read, patch and delete without touching a deleted one often.
const KNOWN_IDS = 64;
// Far above a rehearsal's length at any sensible rate (an hour at 50 rps is 180,000).
const MAX_RESPONSES = 500_000;

interface Request {
  readonly route: string;
  readonly method: string;
  readonly path: string;
  readonly body?: unknown;
}

/** Sends steady traffic until stopped. */
export class TrafficDriver {
  private readonly responses: CustomerResponse[] = [];
  private readonly ids: string[] = [];
  /** Requests awaiting an answer, with the wall-clock time each left. */
  private readonly inFlight = new Map<Promise<void>, number>();
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private sent = 0;
  /** Answers not kept because {@link MAX_RESPONSES} was reached. */
  dropped = 0;

  constructor(private readonly options: TrafficOptions) {
    if (!(options.rps > 0)) throw new RangeError(`rps must be a positive number, got ${options.rps}`);
  }

  /** Starts sending; a no-op when already sending. */
  start(): void {
    if (this.timer) return;
    this.startedAt = performance.now();
    // Each tick sends what is due since the start, so a late timer on a busy host does not
    // lower the rate: customers do not slow down because the test machine does.
    this.timer = setInterval(() => {
      const due = Math.floor(((performance.now() - this.startedAt) * this.options.rps) / 1000);
      while (this.sent < due) this.send();
    }, 1000 / this.options.rps);
  }

  /** Stops sending and waits for the requests in flight. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all(this.inFlight.keys());
  }

  /** Wall-clock time the oldest unanswered request left; undefined when all are answered. */
  oldestUnanswered(): number | undefined {
    let oldest: number | undefined;
    for (const sentAt of this.inFlight.values()) if (oldest === undefined || sentAt < oldest) oldest = sentAt;
    return oldest;
  }

  /** Number of answers received so far. */
  get answered(): number {
    return this.responses.length + this.dropped;
  }

  /** Everything answered so far, in the order the requests left. */
  observed(): readonly CustomerResponse[] {
    return [...this.responses].sort((a, b) => a.sentAt - b.sentAt);
  }

  private next(): Request {
    const turn = this.sent++;
    const id = this.ids.length > 0 ? this.ids[turn % this.ids.length] : undefined;
    // Ten-request cycle: 3 creates, 3 reads, 2 lists, 1 patch, 1 delete.
    const slot = turn % 10;
    if (id === undefined || slot < 3) {
      return {
        route: 'POST /todos',
        method: 'POST',
        path: '/todos',
        body: { text: `canary ${randomUUID()}` },
      };
    }
    if (slot < 6) return { route: 'GET /todos/{id}', method: 'GET', path: `/todos/${id}` };
    if (slot < 8) return { route: 'GET /todos', method: 'GET', path: '/todos?limit=10' };
    if (slot < 9)
      return { route: 'PATCH /todos/{id}', method: 'PATCH', path: `/todos/${id}`, body: { done: true } };
    this.ids.splice(this.ids.indexOf(id), 1);
    return { route: 'DELETE /todos/{id}', method: 'DELETE', path: `/todos/${id}` };
  }

  private send(): void {
    const request = this.next();
    const sentAt = Date.now();
    const started = performance.now();
    const work = (async () => {
      let status = 0;
      try {
        const response = await fetch(`${this.options.apiUrl}${request.path}`, {
          method: request.method,
          ...(request.body === undefined
            ? {}
            : { body: JSON.stringify(request.body), headers: { 'content-type': 'application/json' } }),
          signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 35_000),
        });
        status = response.status;
        const text = await response.text();
        if (request.method === 'POST' && status === 201) this.remember(text);
      } catch {
        // No answer: kept as status 0, which the report counts apart from 5xx.
      }
      this.record({ sentAt, route: request.route, status, latencyMs: performance.now() - started });
    })();
    this.inFlight.set(work, sentAt);
    void work.finally(() => this.inFlight.delete(work));
  }

  private remember(body: string): void {
    try {
      const id = (JSON.parse(body) as { id?: unknown }).id;
      if (typeof id !== 'string') return;
      this.ids.push(id);
      if (this.ids.length > KNOWN_IDS) this.ids.shift();
    } catch {
      // A body that is not a todo leaves nothing to remember.
    }
  }

  private record(response: CustomerResponse): void {
    if (this.responses.length >= MAX_RESPONSES) {
      this.dropped++;
      return;
    }
    this.responses.push(response);
  }
}
