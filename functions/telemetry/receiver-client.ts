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
import type { Socket } from 'node:net';
import { RECEIVER_CONTENT_TYPES, RECEIVER_HEADERS, RECEIVER_PATHS } from '../../contracts/telemetry-receiver';
import { AnswerReader } from './http-answer-reader';

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
// Connections kept open between invocations: an invocation's sends share one, and a second
// covers a write that starts while the first is still waiting for answers.
const MAX_IDLE_SOCKETS = 2;

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

/** One attempt waiting for the next write: its whole HTTP request, and what settles it. */
interface QueuedRequest {
  readonly request: string;
  readonly finish: (outcome: Attempt) => void;
}

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
  // node:net is loaded at the first send, after the first response, not at import.
  #net?: typeof import('node:net');
  // Keep-alive connections save the TCP handshake per invocation; idle ones are unref'ed, so
  // they never hold a process open, and at most MAX_IDLE_SOCKETS are kept.
  readonly #idle: Socket[] = [];
  readonly #hostHeader: string;
  readonly #stdout: LineSink;
  readonly #inFlight = new Set<Promise<void>>();
  #queue: QueuedRequest[] = [];
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
    this.#hostHeader = address;
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
    const head =
      `POST ${path} HTTP/1.1\r\nhost: ${this.#hostHeader}\r\ncontent-type: ${contentType}\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\n${RECEIVER_HEADERS.batchId}: ` +
      `"${this.#batchPrefix}-${this.#batches.toString(36)}"\r\n\r\n`;
    const request = `${head}${body}`;
    let maybeTaken = false;
    const attempt = (number: number) =>
      this.#enqueue(request, (outcome) => {
        if (outcome !== 'taken') this.counters.sendFailures += 1;
        if (outcome === 'unknown') maybeTaken = true;
        if (outcome === 'taken') done('taken');
        else if (outcome === 'refused' || (outcome === 'unreachable' && !maybeTaken)) done('not-taken');
        else if (outcome === 'unknown' && number < MAX_ATTEMPTS) attempt(number + 1);
        else done('unconfirmed');
      });
    attempt(1);
  }

  /**
   * Queues one attempt for the next write. Attempts queued in the same turn of the event loop
   * (an invocation's spans and EMF; the repeats of attempts that failed together) leave in one
   * write on one connection, pipelined.
   */
  #enqueue(request: string, done: (outcome: Attempt) => void): void {
    let settle!: () => void;
    const tracked = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#inFlight.add(tracked);
    let finished = false;
    this.#queue.push({
      request,
      finish: (outcome) => {
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
      },
    });
    if (this.#queue.length === 1) queueMicrotask(() => this.#post(this.#queue.splice(0)));
  }

  /**
   * One write: the queued requests, plain HTTP/1.1, pipelined in one piece on a kept-alive or
   * new socket, and the status lines of their answers, which come back in request order.
   * Written on `node:net` rather than `node:http`: the receiver's answers need only their
   * status, and the general client's request and response machinery, and a connection per
   * request, cost several times the CPU of the write itself, spent between the response and
   * the runtime's next `next`, which the platform bills as function duration.
   *
   * Each request is settled by its own answer. What happens to the connection settles only the
   * requests not answered yet: all of them `unreachable` when it never connected, `unknown`
   * once it had (the receiver may have read them).
   */
  #post(requests: readonly QueuedRequest[]): void {
    let answered = 0;
    const finishRest = (outcome: Attempt) => {
      while (answered < requests.length) requests[answered++]!.finish(outcome);
    };
    let socket: Socket | undefined;
    try {
      socket = this.#idle.pop() ?? this.#connect();
      const sent = socket;
      // A kept-alive socket is connected: whatever happens to it now may be after the
      // receiver read the requests.
      let connected = !sent.connecting;
      if (!connected) sent.once('connect', () => (connected = true));
      const answers = new AnswerReader();
      const onData = (chunk: Buffer) => {
        // The status line is the receiver's verdict on a request; the rest of the answer only
        // decides where the next answer starts and whether the connection can carry more.
        for (const status of answers.push(chunk)) {
          if (answered < requests.length) requests[answered++]!.finish(status < 300 ? 'taken' : 'refused');
        }
        if (answered === requests.length && answers.idle) release(answers.usable);
        else if (!answers.usable) {
          // No later answer can be read here, though the receiver may have read the requests.
          release(false);
          finishRest('unknown');
        }
      };
      const onError = (error: NodeJS.ErrnoException) => {
        release(false);
        if (connected) {
          finishRest('unknown');
          return;
        }
        if (error.code === 'ECONNREFUSED') this.#downUntil = Date.now() + RECEIVER_DOWN_MS;
        finishRest('unreachable');
      };
      const onClose = () =>
        onError(Object.assign(new Error('receiver closed the connection'), { code: 'ECONNRESET' }));
      const onTimeout = () => {
        release(false);
        finishRest(connected ? 'unknown' : 'unreachable');
      };
      const release = (reusable: boolean) => {
        sent.off('data', onData);
        sent.off('error', onError);
        sent.off('close', onClose);
        sent.off('timeout', onTimeout);
        sent.setTimeout(0);
        if (reusable && this.#idle.length < MAX_IDLE_SOCKETS && !sent.destroyed) {
          sent.unref();
          sent.once('error', () => sent.destroy());
          sent.once('close', () => this.#forget(sent));
          this.#idle.push(sent);
        } else {
          sent.destroy();
        }
      };
      sent.ref();
      sent.removeAllListeners('error');
      sent.removeAllListeners('close');
      sent.on('data', onData);
      sent.on('error', onError);
      sent.on('close', onClose);
      sent.on('timeout', onTimeout);
      sent.setTimeout(this.#timeoutMs);
      let text = '';
      for (const { request } of requests) text += request;
      sent.write(text);
    } catch {
      // Nothing was written when the socket could not even be made.
      socket?.destroy();
      finishRest('unreachable');
    }
  }

  #connect(): Socket {
    this.#net ??= process.getBuiltinModule('node:net');
    const socket = this.#net.connect({ host: this.#host, port: this.#port });
    socket.setNoDelay(true);
    return socket;
  }

  #forget(socket: Socket): void {
    const index = this.#idle.indexOf(socket);
    if (index >= 0) this.#idle.splice(index, 1);
  }
}
