/** Base of every error the extension raises on purpose; anything else is a bug. */
class TelemetryExtensionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    // Not `new.target.name`: minification renames classes, and these names reach logs.
    this.name = 'TelemetryExtensionError';
  }
}

/** The environment is unusable (a missing or malformed variable); the message names the variable. */
export class ConfigError extends TelemetryExtensionError {
  override readonly name = 'ConfigError';
}

/** A Lambda API (Extensions or Telemetry) answered with an unexpected status. */
export class LambdaApiError extends TelemetryExtensionError {
  override readonly name = 'LambdaApiError';
  constructor(
    message: string,
    /** HTTP status the API answered with; 0 when the connection itself failed. */
    readonly status: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request body the OTLP/EMF receiver cannot decode; mapped to a 4xx problem response. */
export class BadPayloadError extends TelemetryExtensionError {
  override readonly name = 'BadPayloadError';
  constructor(
    message: string,
    /** HTTP status to answer with (400 malformed, 413 too large, 415 unsupported type). */
    readonly status: 400 | 413 | 415 = 400,
  ) {
    super(message);
  }
}

/** An export attempt failed; `retryable` says whether trying again may succeed. */
export class ExportError extends TelemetryExtensionError {
  override readonly name = 'ExportError';
  constructor(
    message: string,
    readonly retryable: boolean,
    /** HTTP status of the backend's answer; 0 for network errors and timeouts. */
    readonly status = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
