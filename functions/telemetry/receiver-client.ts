/**
 * Fire-and-forget delivery to the extension's receiver: OTLP/HTTP spans to
 * `/v1/traces`, EMF documents to `/emf`. Nothing here is awaited by the
 * handler and nothing throws: a send starts while the response is being
 * returned, the extension (which waits a short bounded time for in-flight
 * telemetry after the runtime is done) receives it, and a failure is counted.
 * EMF that cannot be delivered is written to stdout instead, where Lambda's
 * log pipeline extracts it, so no metric is lost.
 */
import type { Agent } from 'node:http';
import { RECEIVER_CONTENT_TYPES, RECEIVER_PATHS } from '../../contracts/telemetry-receiver';

// Long enough for a receiver that answers at once on loopback even on a busy
// host; a frozen environment stops this timer too, so a send cut by the freeze
// resumes at the next thaw rather than timing out.
const SEND_TIMEOUT_MS = 2_000;
// After the receiver refused a connection, EMF goes straight to stdout for this
// long (synchronously, before the environment can freeze), then one send probes
// the receiver again. Covers a function deployed without the extension.
const RECEIVER_DOWN_MS = 10_000;

/** Counters of what was delivered, what was lost and what fell back to stdout. */
export interface DeliveryCounters {
  /** Spans the receiver acknowledged. */
  spansSent: number;
  /** Spans lost: receiver absent, failing, or the in-process buffer full. */
  spansDropped: number;
  /** EMF documents the receiver acknowledged. */
  emfSent: number;
  /** EMF documents written to stdout because the receiver did not take them. */
  emfToStdout: number;
  /** Failed sends of either kind (refused, reset, timeout, non-2xx). */
  sendFailures: number;
}

/** Where EMF falls back to; `process.stdout` unless a test passes its own sink. */
export type LineSink = (text: string) => void;

/** A client of the extension's receiver at `host:port`. */
export class ReceiverClient {
  readonly counters: DeliveryCounters = {
    spansSent: 0,
    spansDropped: 0,
    emfSent: 0,
    emfToStdout: 0,
    sendFailures: 0,
  };
  readonly #host: string;
  readonly #port: number;
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

  constructor(address: string, stdout: LineSink = (text) => process.stdout.write(text)) {
    const separator = address.lastIndexOf(':');
    this.#host = address.slice(0, separator).replace(/^\[|\]$/g, '');
    this.#port = Number(address.slice(separator + 1));
    this.#stdout = stdout;
  }

  /** Sends an OTLP/JSON trace request holding `spanCount` spans. */
  sendSpans(body: string, spanCount: number): void {
    if (Date.now() < this.#downUntil) {
      this.counters.spansDropped += spanCount;
      return;
    }
    this.#post(RECEIVER_PATHS.traces, RECEIVER_CONTENT_TYPES.otlpJson, body, (ok) => {
      if (ok) this.counters.spansSent += spanCount;
      else this.counters.spansDropped += spanCount;
    });
  }

  /** Sends EMF documents (one JSON object each), or writes them to stdout when the receiver does not take them. */
  sendEmf(documents: readonly string[]): void {
    if (documents.length === 0) return;
    const body = `${documents.join('\n')}\n`;
    if (Date.now() < this.#downUntil) {
      this.#fallBack(body, documents.length);
      return;
    }
    this.#post(RECEIVER_PATHS.emf, RECEIVER_CONTENT_TYPES.emf, body, (ok) => {
      if (ok) this.counters.emfSent += documents.length;
      else this.#fallBack(body, documents.length);
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

  #post(path: string, contentType: string, body: string, done: (ok: boolean) => void, retried = false): void {
    let settle!: () => void;
    const tracked = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.#inFlight.add(tracked);
    let finished = false;
    const finish = (ok: boolean, retry: boolean) => {
      if (finished) return;
      finished = true;
      this.#inFlight.delete(tracked);
      if (retry) this.#post(path, contentType, body, done, true);
      else {
        if (!ok) this.counters.sendFailures += 1;
        done(ok);
      }
      settle();
    };
    try {
      this.#http ??= process.getBuiltinModule('node:http');
      this.#agent ??= new this.#http.Agent({ keepAlive: true, maxSockets: 2 });
      const req = this.#http.request(
        {
          host: this.#host,
          port: this.#port,
          method: 'POST',
          path,
          agent: this.#agent,
          timeout: SEND_TIMEOUT_MS,
          headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          res.resume();
          res.on('end', () => finish((res.statusCode ?? 500) < 300, false));
          res.on('error', () => finish(false, false));
        },
      );
      req.on('timeout', () => req.destroy(new Error('receiver timeout')));
      req.on('error', (error: NodeJS.ErrnoException) => {
        // A kept-alive socket the receiver closed while this environment was
        // frozen fails on first reuse; one retry on a fresh connection is safe
        // because the receiver never saw the request (Node's documented pattern).
        if (!retried && req.reusedSocket && error.code === 'ECONNRESET') {
          finish(false, true);
          return;
        }
        if (error.code === 'ECONNREFUSED') this.#downUntil = Date.now() + RECEIVER_DOWN_MS;
        finish(false, false);
      });
      req.end(body);
    } catch {
      finish(false, false);
    }
  }
}
