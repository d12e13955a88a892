/**
 * Wire contract: how the function hands telemetry to the extension.
 *
 * The extension listens on `TELEMETRY_RECEIVER_ADDRESS` (`host:port`, default the OTLP/HTTP port
 * any OpenTelemetry SDK already sends to) and serves
 * - `POST /v1/traces`: an OTLP `ExportTraceServiceRequest`, JSON or protobuf, gzip or not;
 *   answered with an `ExportTraceServiceResponse`, partial success naming refused spans;
 * - `POST /emf`: EMF documents, one JSON object per line.
 * Any answer below 300 means the extension holds the telemetry; anything else, or no answer,
 * means it does not, and the function may write EMF to stdout instead.
 *
 * Dependency-free on purpose: esbuild inlines it into the handler bundle and the extension
 * bundle alike, and neither depends on the other.
 */

/** The variable both sides read the receiver's `host:port` from. */
export const RECEIVER_ADDRESS_VARIABLE = 'TELEMETRY_RECEIVER_ADDRESS';

/** The receiver's address when the variable is not set: OTLP/HTTP's port, on loopback. */
export const DEFAULT_RECEIVER_ADDRESS = '127.0.0.1:4318';

/** The paths the receiver serves. */
export const RECEIVER_PATHS = { traces: '/v1/traces', emf: '/emf' } as const;

/** The content types of what is posted to {@link RECEIVER_PATHS}. */
export const RECEIVER_CONTENT_TYPES = {
  otlpJson: 'application/json',
  otlpProtobuf: 'application/x-protobuf',
  emf: 'application/x-ndjson',
} as const;
