/**
 * Delivery to the extension's receiver: OTLP/HTTP spans to `/v1/traces`, EMF documents to
 * `/emf`. Nothing here is awaited by the handler and nothing throws: a send starts while the
 * response is being returned, the extension (which waits a short bounded time for in-flight
 * telemetry after the runtime is done) receives it, and the outcome is counted.
 *
 * Every EMF document reaches CloudWatch exactly once, through the extension or through stdout
 * (where Lambda's log pipeline extracts it), because what decides between the two is what the
 * wire proves, not whether a send "failed":
 * - an answer below 300: the extension holds the batch. Done.
 * - an answer of 300 or more, or a connection that was never established: the extension
 *   certainly does not hold it (the receiver looks a batch id up before anything else, so a
 *   refusal of a repeat means the first attempt took nothing either). EMF goes to stdout.
 * - no answer after the request may have gone out (a timeout, a reset, a freeze of the
 *   environment cutting the wait): unknown. Falling back here is what once counted documents
 *   twice. Instead the same body is posted again under the same batch id
 *   (`RECEIVER_HEADERS.batchId`); the receiver remembers the ids it took and answers a repeat
 *   as the first time without taking it again, so the repeat turns "unknown" into an answer.
 * - still unknown after {@link MAX_ATTEMPTS}, or the receiver gone (connection refused) after an
 *   unknown attempt: the batch is counted `emfUnconfirmed` and NOT written to stdout. An
 *   extension stops listening only at SHUTDOWN, after flushing what it took, or by crashing,
 *   which makes Lambda reset the environment and lose every document it held (acknowledged or
 *   not) along with this process; writing the batch would double-count the first case and
 *   cannot repair the second.
 * Spans follow the same rules, except that nothing falls back: spans not taken are dropped.
 */
import type { Agent, ClientRequest } from 'node:http';
import { RECEIVER_CONTENT_TYPES, RECEIVER_HEADERS, RECEIVER_PATHS } from '../../contracts/telemetry-receiver';

// Long enough for a receiver that answers at once on loopback even on a busy host. A freeze
// does not stop the clock this timer runs on: a send cut by the freeze may time out at the
// thaw although the receiver took it, which is the unknown outcome a repeat settles.
const SEND_TIMEOUT_MS = 2_000;
// Attempts of one batch when the outcome stays unknown. A repeat is cheap (the receiver
// answers it from memory); three cover a timeout at a thaw plus a reset of the repeat.
const MAX_ATTEMPTS = 3;
// After the receiver refused a connection, EMF goes straight to stdout for this long
// (synchronously, before the environment can freeze), then one send probes the receiver
// again. Covers a function deployed without the extension.
const RECEIVER_DOWN_MS = 10_000;

/** Counters of what was delivered, what was lost and what fell back to stdout. */
export interface DeliveryCounters {
  /** Spans the receiver acknowledged. */
  spansSent: number;
  /** Spans not acknowledged: receiver absent, failing, never answering, or the in-process buffer full. */
  spansDropped: number;
  /** EMF documents the receiver acknowledged. */
  emfSent: number;
  /** EMF documents written to stdout because the receiver certainly did not take them. */
  emfToStdout: number;
  /** EMF documents the receiver may have taken but never confirmed (see the module header); not written. */
  emfUnconfirmed: number;
  /** Attempts that ended without an acknowledgement (refused, reset, timeout, non-2xx), repeats included. */
  sendFailures: number;
}

/** Where EMF falls back to; `process.stdout` unless a test passes its own sink. */
export type LineSink = (text: string) => void;

/** Settings of a {@link ReceiverClient}; every field is for tests. */
export interface ReceiverClientOptions {
  /** Where EMF falls back to. @default process stdout */
  readonly stdout?: LineSink;
  /** Wait for an answer before an attempt counts as unknown. @default SEND_TIMEOUT_MS */
  readonly timeoutMs?: number;
}

/** What the end of one attempt proves about the batch. */
type Attempt =
  /** An answer below 300. */
  | 'taken'
  /** An answer of 300 or more: the receiver looked and does not hold the batch. */
  | 'refused'
  /** The connection was never established: the request never left. */
  | 'unreachable'
  /** The request may have reached the receiver; no answer came. */
  | 'unknown';

/** How a batch ended, after all its attempts. */
type Delivery = 'taken' | 'not-taken' | 'unconfirmed';

/** A client of the extension's receiver at `host:port`. */
export class ReceiverClient {
  readonly counters: DeliveryCounters = {
    spansSent: 0,
    spansDropped: 0,
    emfSent: 0,
    emfToStdout: 0,
    emfUnconfirmed: 0,
    sendFailures: 0,
  };
  readonly #host: string;
  readonly #port: number;
  readonly #timeoutMs: number;
  // node:http is loaded at the first send, after the first response, not at
  // import: a function that does not load it already (the AWS SDK does) keeps
  // it out of its cold start.
  #http?: typeof import('node:http');
  // One keep-alive connection saves the TCP handshake per invocation; idle
  // sockets are unref'ed by Node, so they never hold a process open.
  #agent?: Agent;
  readonly #stdout: LineSink;
  readonly #inFlight = new Set<Promise<void>>();
  #downUntil = 0;
  // Batch ids are unique per receiver, which serves one environment: a random prefix per
  // process (an environment's runtime may restart) and a counter. Math.random suffices for
  // uniqueness and spares loading node:crypto.
  readonly #batchPrefix = Math.floor(Math.random() * 2 ** 48).toString(36);
  #batches = 0;

  constructor(address: string, options: ReceiverClientOptions = {}) {
    const separator = address.lastIndexOf(':');
    this.#host = address.slice(0, separator).replace(/^\[|\]$/g, '');
    this.#port = Number(address.slice(separator + 1));
    this.#stdout = options.stdout ?? ((text) => process.stdout.write(text));
    this.#timeoutMs = options.timeoutMs ?? SEND_TIMEOUT_MS;
  }

  /** Sends an OTLP/JSON trace request holding `spanCount` spans. */
  sendSpans(body: string, spanCount: number): void {
    if (Date.now() < this.#downUntil) {
      this.counters.spansDropped += spanCount;
      return;
    }
    this.#deliver(RECEIVER_PATHS.traces, RECEIVER_CONTENT_TYPES.otlpJson, body, (delivery) => {
      if (delivery === 'taken') this.counters.spansSent += spanCount;
      else this.counters.spansDropped += spanCount;
    });
  }

  /** Sends EMF documents (one JSON object each), or writes them to stdout when the receiver certainly does not take them. */
  sendEmf(documents: readonly string[]): void {
    if (documents.length === 0) return;
    const body = `${documents.join('\n')}\n`;
    if (Date.now() < this.#downUntil) {
      this.#fallBack(body, documents.length);
      return;
    }
    this.#deliver(RECEIVER_PATHS.emf, RECEIVER_CONTENT_TYPES.emf, body, (delivery) => {
      if (delivery === 'taken') this.counters.emfSent += documents.length;
      else if (delivery === 'not-taken') this.#fallBack(body, documents.length);
      else this.counters.emfUnconfirmed += documents.length;
    });
  }

  /** Resolves when every send started so far has finished (for tests and shutdown hooks; the handler never waits). */
  async settled(): Promise<void> {
    while (this.#inFlight.size > 0) await Promise.all([...this.#inFlight]);
  }

  #fallBack(body: string, count: number): void {
    try {
      this.#stdout(body);
      this.counters.emfToStdout += count;
    } catch {
      // stdout itself failing leaves nowhere to report to; the metric is lost.
    }
  }

  /** Posts one batch, repeating it under the same batch id while the outcome is unknown. */
  #deliver(path: string, contentType: string, body: string, done: (delivery: Delivery) => void): void {
    this.#batches += 1;
    const batchId = `"${this.#batchPrefix}-${this.#batches.toString(36)}"`;
    let maybeTaken = false;
    const attempt = (number: number) =>
      this.#post(path, contentType, batchId, body, (outcome) => {
        if (outcome !== 'taken') this.counters.sendFailures += 1;
        if (outcome === 'unknown') maybeTaken = true;
        if (outcome === 'taken') done('taken');
        else if (outcome === 'refused' || (outcome === 'unreachable' && !maybeTaken)) done('not-taken');
        else if (outcome === 'unknown' && number < MAX_ATTEMPTS) attempt(number + 1);
        else done('unconfirmed');
      });
    attempt(1);
  }

  #post(
    path: string,
    contentType: string,
    batchId: string,
    body: string,
    done: (outcome: Attempt) => void,
  ): void {
    let settle!: () => void;
    const tracked = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#inFlight.add(tracked);
    let finished = false;
    const finish = (outcome: Attempt) => {
      if (finished) return;
      finished = true;
      try {
        done(outcome);
      } finally {
        // A repeat registers itself in done() before this attempt leaves the set, so
        // settled() never sees an empty set while a batch is still under way.
        this.#inFlight.delete(tracked);
        settle();
      }
    };
    let req: ClientRequest | undefined;
    let connected = false;
    try {
      this.#http ??= process.getBuiltinModule('node:http');
      this.#agent ??= new this.#http.Agent({ keepAlive: true, maxSockets: 2 });
      req = this.#http.request(
        {
          host: this.#host,
          port: this.#port,
          method: 'POST',
          path,
          agent: this.#agent,
          timeout: this.#timeoutMs,
          headers: {
            'content-type': contentType,
            'content-length': Buffer.byteLength(body),
            [RECEIVER_HEADERS.batchId]: batchId,
          },
        },
        (res) => {
          // The status line is the receiver's verdict; losing the rest of the answer changes
          // nothing. The body is drained so the connection can be kept alive.
          res.resume();
          finish((res.statusCode ?? 500) < 300 ? 'taken' : 'refused');
        },
      );
      const sent = req;
      sent.on('socket', (socket) => {
        if (!socket.connecting) connected = true;
        else socket.once('connect', () => (connected = true));
      });
      sent.on('timeout', () => sent.destroy(new Error('receiver timeout')));
      sent.on('error', (error: NodeJS.ErrnoException) => {
        if (connected) {
          finish('unknown');
          return;
        }
        if (error.code === 'ECONNREFUSED') this.#downUntil = Date.now() + RECEIVER_DOWN_MS;
        finish('unreachable');
      });
      sent.end(body);
    } catch {
      // http.request throws before any byte leaves (e.g. an invalid header): nothing was sent.
      if (!req) finish('unreachable');
      else finish(connected ? 'unknown' : 'unreachable');
    }
  }
}
