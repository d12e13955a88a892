/**
 * The extension's own diagnostics: one JSON line on stderr, which Lambda delivers to the
 * function's log group. Stdout is left to EMF documents.
 */
export function logEvent(
  level: 'info' | 'warn' | 'error',
  message: string,
  fields: Record<string, unknown> = {},
): void {
  try {
    process.stderr.write(`${JSON.stringify({ level, source: 'telemetry-extension', message, ...fields })}\n`);
  } catch {
    // A closed stderr must not take the extension down.
  }
}

/** A short description of an unknown thrown value for a log line. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
