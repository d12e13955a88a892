/**
 * Reads a JSON request body as API Gateway delivers it: media type checked,
 * base64 decoded when flagged, size limited, parsed.
 */
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from './errors';
import type { TodoRequest } from './http-request';

/** 64 KiB: a todo's text is at most 1,000 code points (4,000 UTF-8 bytes), so anything larger is not a todo. */
export const MAX_BODY_BYTES = 64 * 1024;

export const JSON_MEDIA_TYPE = 'application/json';
export const MERGE_PATCH_MEDIA_TYPE = 'application/merge-patch+json';

/**
 * Returns the parsed JSON body.
 *
 * @param accepted media types this route takes (parameters such as `charset=utf-8` are allowed).
 * @throws UnsupportedMediaTypeError (415), PayloadTooLargeError (413) or ValidationError (400).
 */
export function readJsonBody(request: TodoRequest, accepted: readonly string[]): unknown {
  // No body at all is a client mistake whatever the Content-Type says (e.g. `curl -X PUT` without -d).
  if (!request.body) {
    throw new ValidationError([{ field: 'body', message: 'is required: send a JSON object' }]);
  }
  const contentType = request.headers['content-type'];
  const [mediaType = '', ...parameters] = (contentType ?? '').split(';').map((part) => part.trim());
  const acceptPatch = request.method === 'PATCH' ? accepted : undefined;
  if (!accepted.includes(mediaType.toLowerCase())) {
    throw new UnsupportedMediaTypeError(
      contentType
        ? `Content-Type ${contentType} is not accepted; send ${accepted.join(' or ')}`
        : `Content-Type is missing; send ${accepted.join(' or ')}`,
      acceptPatch,
    );
  }
  // JSON is UTF-8 (RFC 8259 §8.1); any other declared charset would be misread.
  const charset = parameters.find((parameter) => parameter.toLowerCase().startsWith('charset='));
  if (charset && charset.slice('charset='.length).replace(/"/g, '').toLowerCase() !== 'utf-8') {
    throw new UnsupportedMediaTypeError(`${charset} is not accepted; JSON bodies are UTF-8`, acceptPatch);
  }

  const bytes = bodyBytes(request);
  if (bytes.length === 0) {
    throw new ValidationError([{ field: 'body', message: 'is required: send a JSON object' }]);
  }
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (cause) {
    throw new ValidationError([{ field: 'body', message: 'is not valid JSON' }], undefined, { cause });
  }
}

function bodyBytes(request: TodoRequest): Buffer {
  const body = request.body ?? '';
  if (!request.isBase64Encoded) {
    const size = Buffer.byteLength(body, 'utf8');
    if (size > MAX_BODY_BYTES) throw tooLarge(size);
    return Buffer.from(body, 'utf8');
  }
  // 4 base64 characters encode 3 bytes: a longer string cannot fit, so it is rejected undecoded.
  if (body.length > Math.ceil(MAX_BODY_BYTES / 3) * 4) throw tooLarge(Math.floor((body.length * 3) / 4));
  const bytes = Buffer.from(body, 'base64');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge(bytes.length);
  return bytes;
}

function tooLarge(size: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`The body is ${size} bytes; the limit is ${MAX_BODY_BYTES} bytes`);
}
