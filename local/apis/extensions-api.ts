/**
 * The Extensions API (`2020-01-01`): registration, the event loop (`event/next`) and error
 * reports of extensions. The execution environment implements {@link ExtensionsApiHost}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ForbiddenError, InvalidRequestError, NotFoundError } from './api-error';
import { header, parseJson, readBody, sendError, sendJson } from './http-exchange';

const EXTENSIONS_API_VERSION = '2020-01-01';

/** Lambda allows at most 10 extensions per function. */
export const MAX_EXTENSIONS = 10;

const MAX_BODY_BYTES = 64 * 1024;

export type ExtensionEventType = 'INVOKE' | 'SHUTDOWN';

/** `POST /extension/register` answer body. */
export interface RegisterResponse {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly handler: string;
  readonly accountId?: string;
}

interface Tracing {
  readonly type: 'X-Amzn-Trace-Id';
  readonly value: string;
}

interface InvokeEvent {
  readonly eventType: 'INVOKE';
  readonly deadlineMs: number;
  readonly requestId: string;
  readonly invokedFunctionArn: string;
  readonly tracing?: Tracing;
}

/** Lambda sends the reasons in lower case (its documentation prints them upper case). */
export type ShutdownReason = 'spindown' | 'timeout' | 'failure';

interface ShutdownEvent {
  readonly eventType: 'SHUTDOWN';
  readonly shutdownReason: ShutdownReason;
  readonly deadlineMs: number;
}

export type ExtensionEvent = InvokeEvent | ShutdownEvent;

/** The environment side of the Extensions API. Methods throw {@link LambdaApiError}s for the client. */
export interface ExtensionsApiHost {
  /** Returns the new identifier. */
  register(
    name: string,
    events: ExtensionEventType[],
    acceptAccountId: boolean,
  ): { identifier: string; body: RegisterResponse };
  /** Resolves with the extension's next event; blocks as long as needed. */
  nextEvent(identifier: string, signal: AbortSignal): Promise<ExtensionEvent>;
  reportError(identifier: string, phase: 'init' | 'exit', errorType: string, body: Buffer): void;
  /** Throws 403 when the identifier is missing or unknown. */
  checkIdentifier(identifier: string | undefined): string;
}

const PREFIX = `/${EXTENSIONS_API_VERSION}/extension/`;

/** True when the path belongs to this API. */
export function isExtensionsApiPath(path: string): boolean {
  return path.startsWith(PREFIX);
}

/** The 403 for a missing `Lambda-Extension-Identifier`. */
export function missingIdentifier(): ForbiddenError {
  return new ForbiddenError(
    'Extension.MissingExtensionIdentifier',
    'Missing Lambda-Extension-Identifier header',
  );
}

/** The 403 for an identifier no registered extension holds. */
export function unknownIdentifier(identifier: string): ForbiddenError {
  return new ForbiddenError(
    'Extension.InvalidExtensionIdentifier',
    `Invalid Lambda-Extension-Identifier: ${identifier}`,
  );
}

/** Serves one Extensions API request. */
export async function handleExtensionsApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  host: ExtensionsApiHost,
) {
  try {
    const route = `${req.method} ${path.slice(PREFIX.length)}`;
    switch (route) {
      case 'POST register': {
        const name = header(req, 'Lambda-Extension-Name');
        if (!name)
          throw new ForbiddenError('Extension.InvalidExtensionName', 'Missing Lambda-Extension-Name header');
        const events = parseRegisterRequest((await readBody(req, MAX_BODY_BYTES)).bytes);
        const features = (header(req, 'Lambda-Extension-Accept-Feature') ?? '')
          .split(',')
          .map((f) => f.trim());
        const { identifier, body } = host.register(name, events, features.includes('accountId'));
        sendJson(res, 200, body, { 'Lambda-Extension-Identifier': identifier });
        return;
      }
      case 'GET event/next': {
        const identifier = host.checkIdentifier(header(req, 'Lambda-Extension-Identifier'));
        const abort = new AbortController();
        res.on('close', () => abort.abort());
        const event = await host.nextEvent(identifier, abort.signal);
        sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': crypto.randomUUID() });
        return;
      }
      case 'POST init/error':
      case 'POST exit/error': {
        const identifier = host.checkIdentifier(header(req, 'Lambda-Extension-Identifier'));
        const errorType = header(req, 'Lambda-Extension-Function-Error-Type');
        if (!errorType)
          throw new ForbiddenError(
            'Extension.MissingHeader',
            'Missing Lambda-Extension-Function-Error-Type header',
          );
        const body = await readBody(req, MAX_BODY_BYTES);
        host.reportError(identifier, route === 'POST init/error' ? 'init' : 'exit', errorType, body.bytes);
        sendJson(res, 202, { status: 'OK' });
        return;
      }
      default:
        throw new NotFoundError(`No Extensions API route for ${req.method} ${path}`);
    }
  } catch (error) {
    req.resume();
    sendError(res, error);
  }
}

/** Validates a register body: `{"events": [...]}` with known event types (an empty body means none). */
function parseRegisterRequest(body: Buffer): ExtensionEventType[] {
  let value: unknown;
  try {
    value = parseJson(body);
  } catch {
    throw new InvalidRequestError('InvalidRequestFormat', 'Register body is not valid JSON');
  }
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidRequestError('InvalidRequestFormat', 'Register body must be a JSON object');
  }
  const events = (value as { events?: unknown }).events;
  if (events === undefined) return [];
  if (!Array.isArray(events))
    throw new InvalidRequestError('InvalidRequestFormat', '"events" must be an array');
  for (const event of events) {
    if (event !== 'INVOKE' && event !== 'SHUTDOWN') {
      throw new ForbiddenError(
        'Extension.InvalidEventType',
        `Unknown event type ${JSON.stringify(event)}; use INVOKE or SHUTDOWN`,
      );
    }
  }
  return [...new Set(events as ExtensionEventType[])];
}
