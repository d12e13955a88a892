/**
 * The managed runtime's text log format: `<ISO time>\t<request id>\t<LEVEL>\t<message>` on
 * stdout, one line per call. Newlines inside a message become `\r` so a multi-line message
 * (a stack trace) stays one log event, as Lambda's Node runtime does without its log socket.
 */
import { format } from 'node:util';

let requestId = 'undefined';

/** The request id printed on each line (`undefined` during Init, as in Lambda). */
export function setLogRequestId(id: string | undefined): void {
  requestId = id ?? 'undefined';
}

function writer(level: string) {
  return (...args: unknown[]) => {
    const message = format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${requestId}\t${level}\t${message}\n`);
  };
}

/** Replaces the console methods a handler uses. */
export function patchConsole(): void {
  console.log = writer('INFO');
  console.info = writer('INFO');
  console.warn = writer('WARN');
  console.error = writer('ERROR');
  console.debug = writer('DEBUG');
  console.trace = writer('TRACE');
}
