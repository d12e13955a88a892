/**
 * The extension's Telemetry API subscription (`PUT /2022-07-01/telemetry`), written once: Node
 * sends this body when it subscribes itself, and scripts/build.mjs renders the same function
 * into the layer's launcher, which subscribes before Node starts. Dependency-free so the build
 * can evaluate it on its own.
 */

/** Buffering asked of the Telemetry API. */
interface TelemetryBuffering {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/**
 * Delivery as fast as the API allows: 25 ms is the minimum `timeoutMs`, and `runtimeDone` is what
 * ends the extension's wait after each invocation. Items and bytes stay at their defaults.
 */
const RUNTIME_DONE_BUFFERING: TelemetryBuffering = {
  maxItems: 1_000,
  maxBytes: 262_144,
  timeoutMs: 25,
};

const SCHEMA_VERSION = '2022-12-13';

/** Platform events only: function and extension logs already reach CloudWatch without us. */
const TYPES: readonly ('platform' | 'function' | 'extension')[] = ['platform'];

/** Port of the Telemetry API listener when `TELEMETRY_LISTENER_ADDRESS` does not name one. */
export const DEFAULT_LISTENER_PORT = 4243;

/**
 * The subscription body, with destination `http://sandbox.localdomain:<port>/`
 * (`sandbox.localdomain` is the execution environment itself; the listener binds there).
 * `port` is a string only when the build renders the launcher around a placeholder.
 */
export function telemetrySubscriptionBody(port: number | string): string {
  return JSON.stringify({
    schemaVersion: SCHEMA_VERSION,
    types: TYPES,
    buffering: RUNTIME_DONE_BUFFERING,
    destination: { protocol: 'HTTP', URI: `http://sandbox.localdomain:${port}/` },
  });
}
