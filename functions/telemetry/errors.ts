/**
 * Errors of the handler telemetry. Only configuration errors ever surface (at
 * the first invocation, naming the variable); everything that happens while
 * recording or sending telemetry is caught and counted, never thrown into the
 * handler.
 */
export class TelemetryError extends Error {
  override readonly name: string = 'TelemetryError';
}

/** A telemetry environment variable holds a value that cannot be used. */
export class TelemetryConfigError extends TelemetryError {
  override readonly name = 'TelemetryConfigError';
  constructor(
    /** The variable at fault, e.g. `TELEMETRY_RECEIVER_ADDRESS`. */
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
  }
}
