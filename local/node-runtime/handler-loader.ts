/**
 * Loading `_HANDLER` from `LAMBDA_TASK_ROOT` the way the managed Node.js runtime does, with its
 * error types for each way it can fail.
 */
import { access } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** A failure of Init, with the error type Lambda reports for it. */
export class InitError extends Error {
  constructor(
    readonly errorType: string,
    message: string,
    readonly original?: unknown,
  ) {
    super(message);
    this.name = errorType;
  }
}

export type Handler = (event: unknown, context: unknown, callback?: unknown) => unknown;

const EXTENSIONS = ['.js', '.mjs', '.cjs'];

async function findModule(taskRoot: string, modulePath: string): Promise<string | undefined> {
  for (const ext of EXTENSIONS) {
    const file = path.resolve(taskRoot, `${modulePath}${ext}`);
    try {
      await access(file);
      return file;
    } catch {
      // try the next extension
    }
  }
  return undefined;
}

/**
 * Imports the module and returns the handler function. `handler` is `path/to/module.export`,
 * the export possibly nested (`module.a.b`).
 */
export async function loadHandler(taskRoot: string, handler: string): Promise<Handler> {
  const slash = handler.lastIndexOf('/');
  const dot = handler.indexOf('.', slash + 1);
  if (dot <= slash + 1 || dot === handler.length - 1) {
    throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${handler}`);
  }
  const modulePath = handler.slice(0, dot);
  const exportPath = handler.slice(dot + 1).split('.');
  const file = await findModule(taskRoot, modulePath);
  if (!file) {
    throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${modulePath}'`);
  }
  let loaded: unknown;
  try {
    loaded = await import(pathToFileURL(file).href);
  } catch (error) {
    if (error instanceof SyntaxError)
      throw new InitError('Runtime.UserCodeSyntaxError', `${error.name}: ${error.message}`, error);
    throw error;
  }
  let target: unknown = loaded;
  for (const key of exportPath) {
    target =
      target !== null && typeof target === 'object' ? (target as Record<string, unknown>)[key] : undefined;
    // A CommonJS module's exports arrive as `default` when imported.
    if (target === undefined && key === exportPath[0]) {
      const fallback = (loaded as { default?: Record<string, unknown> }).default;
      target = fallback && typeof fallback === 'object' ? fallback[key] : undefined;
    }
  }
  if (typeof target !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${handler} is undefined or not exported`);
  }
  return target as Handler;
}
