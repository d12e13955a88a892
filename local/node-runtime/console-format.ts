/**
 * The managed runtime's console lines on stdout, one line per call, in the function's log format:
 *
 * - Text: `<ISO time>\t<request id>\t<LEVEL>\t<message>`. Newlines inside a message become `\r`
 *   so a multi-line message (a stack trace) stays one log event, as Lambda's Node runtime does
 *   without its log socket.
 * - JSON: `{"timestamp","level","requestId","message"}`, the message formatted as the text one;
 *   an Error logged on its own adds `errorType`, `errorMessage` and `stackTrace`, as Lambda's
 *   Node runtime writes them, so Logs Insights can filter on each.
 */
import { format } from 'node:util';

let requestId: string | undefined;

/** The request id printed on each line (`undefined` during Init, as in Lambda). */
export function setLogRequestId(id: string | undefined): void {
  requestId = id;
}

function textWriter(level: string) {
  return (...args: unknown[]) => {
    const message = format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${requestId ?? 'undefined'}\t${level}\t${message}\n`);
  };
}

function jsonWriter(level: string) {
  return (...args: unknown[]) => {
    const [only] = args;
    const error =
      args.length === 1 && only instanceof Error
        ? { errorType: only.name, errorMessage: only.message, stackTrace: (only.stack ?? '').split('\n') }
        : {};
    const line = {
      timestamp: new Date().toISOString(),
      level,
      ...(requestId === undefined ? {} : { requestId }),
      message: format(...args),
      ...error,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  };
}

/** Replaces the console methods a handler uses with writers of `logFormat`. */
export function patchConsole(logFormat: 'Text' | 'JSON'): void {
  const writer = logFormat === 'JSON' ? jsonWriter : textWriter;
  console.log = writer('INFO');
  console.info = writer('INFO');
  console.warn = writer('WARN');
  console.error = writer('ERROR');
  console.debug = writer('DEBUG');
  console.trace = writer('TRACE');
}
