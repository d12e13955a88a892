/**
 * Wire contract: how the function hands telemetry to the extension.
 *
 * The extension listens on `TELEMETRY_RECEIVER_ADDRESS` (`host:port`, default the OTLP/HTTP port
 * any OpenTelemetry SDK already sends to) and serves
 * - `POST /v1/traces`: an OTLP `ExportTraceServiceRequest`, JSON or protobuf, gzip or not;
 *   answered with an `ExportTraceServiceResponse`, partial success naming refused spans;
 * - `POST /emf`: EMF documents, one JSON object per line.
 * Any answer below 300 means the extension holds the telemetry; any other answer means it does not,
 * and the function may write EMF to stdout instead. No answer at all (a timeout, a reset after
 * the request went out) proves nothing either way: the sender then posts the same body again
 * under the same {@link RECEIVER_HEADERS.batchId}, and the receiver, which remembers the ids of
 * the batches it took in a bounded window, answers a repeat as it answered the first time
 * without taking the telemetry twice.
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

/**
 * Request headers of the receiver contract. `batchId` is the `Idempotency-Key` field of the IETF
 * HTTP API working group's draft: a sender that may post a body again puts the same key on every
 * attempt. Optional: a request without it is taken every time (any OTLP/HTTP client can send).
 */
export const RECEIVER_HEADERS = { batchId: 'idempotency-key' } as const;

/** Longest batch id the receiver remembers; a longer one is refused with 400, so the window's memory stays bounded. */
export const MAX_BATCH_ID_LENGTH = 64;

/** The content types of what is posted to {@link RECEIVER_PATHS}. */
export const RECEIVER_CONTENT_TYPES = {
  otlpJson: 'application/json',
  otlpProtobuf: 'application/x-protobuf',
  emf: 'application/x-ndjson',
} as const;
