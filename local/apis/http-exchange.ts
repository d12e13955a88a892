/**
 * Reading request bodies and writing JSON answers for the three Lambda APIs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LambdaApiError, PayloadTooLargeError } from './api-error';

/** A body read in full, with the times its first and last bytes arrived (for response spans). */
export interface ReceivedBody {
  readonly bytes: Buffer;
  /** `performance.now()` when the first chunk arrived (or the request began, for an empty body). */
  readonly firstByteAt: number;
  readonly lastByteAt: number;
}

/**
 * Reads a whole body, failing with 413 as soon as it passes `limit` bytes (the rest is
 * discarded, not buffered, so an oversized response cannot exhaust memory).
 */
export function readBody(
  req: IncomingMessage,
  limit: number,
  tooLargeType = 'RequestEntityTooLarge',
): Promise<ReceivedBody> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let firstByteAt: number | undefined;
    let overflow = false;
    req.on('data', (chunk: Buffer) => {
      firstByteAt ??= performance.now();
      size += chunk.length;
      if (size > limit) overflow = true;
      if (!overflow) chunks.push(chunk);
    });
    req.on('end', () => {
      const lastByteAt = performance.now();
      if (overflow) {
        reject(
          new PayloadTooLargeError(
            tooLargeType,
            `Request body of ${size} bytes exceeds the limit of ${limit} bytes`,
          ),
        );
        return;
      }
      resolve({ bytes: Buffer.concat(chunks), firstByteAt: firstByteAt ?? lastByteAt, lastByteAt });
    });
    req.on('error', reject);
  });
}

/** Parses a JSON body; an empty body is `undefined`. */
export function parseJson(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  return JSON.parse(body.toString('utf8'));
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Writes an error the way Lambda's APIs do: `{errorMessage, errorType}`. Unknown errors become a bare 500. */
export function sendError(res: ServerResponse, error: unknown): void {
  if (error instanceof LambdaApiError) {
    sendJson(res, error.status, { errorMessage: error.message, errorType: error.errorType });
    return;
  }
  sendJson(res, 500, { errorMessage: 'Internal error', errorType: 'ServiceException' });
}

/** A header's single value, or undefined. */
export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
