/**
 * The stand-in for `telemetry.ts` in a `TELEMETRY=off` build (the build
 * resolves `./telemetry` here): same interface, no spans, no metrics, and
 * none of the OpenTelemetry or Powertools code in the bundle. Powertools runs
 * code at import, so tree shaking alone could not drop it.
 */
import type { EMPTY_COUNTERS as EmptyCounters, HandlerTelemetry, TelemetryOptions } from './telemetry';

const NOTHING_SENT: typeof EmptyCounters = Object.freeze({
  spansSent: 0,
  spansDropped: 0,
  emfSent: 0,
  emfToStdout: 0,
  emfUnconfirmed: 0,
  sendFailures: 0,
});

/** Telemetry that does nothing: handlers and clients are returned as they are. */
export class Telemetry implements HandlerTelemetry {
  // biome-ignore lint/complexity/noUselessConstructor: keeps the real Telemetry's signature, so callers compile against either build
  constructor(_options?: TelemetryOptions) {}

  instrumentHandler<H>(handler: H): H {
    return handler;
  }
  instrumentAwsClient<T>(client: T): T {
    return client;
  }
  get counters() {
    return NOTHING_SENT;
  }
  async settled(): Promise<void> {}
}
