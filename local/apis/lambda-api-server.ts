/**
 * One HTTP server per execution environment that serves the Runtime, Extensions and Telemetry
 * APIs on `<address>:9001`, as Lambda serves them on `127.0.0.1:9001`.
 */
import { createServer, type Server } from 'node:http';
import { closeServer, listen } from '../http-listen';
import { NotFoundError } from './api-error';
import { type ExtensionsApiHost, handleExtensionsApi, isExtensionsApiPath } from './extensions-api';
import { sendError } from './http-exchange';
import { handleRuntimeApi, isRuntimeApiPath, type RuntimeApiHost } from './runtime-api';
import { handleTelemetryApi, isTelemetryApiPath, type TelemetryApiHost } from './telemetry-api';

/** Lambda's port for the three APIs. */
export const LAMBDA_API_PORT = 9001;

export type LambdaApiHost = RuntimeApiHost & ExtensionsApiHost & TelemetryApiHost;

/** Where the server listens: `address:port`, or a Unix socket an environment's gateway forwards `127.0.0.1:9001` to. */
export type LambdaApiListen =
  | { readonly address: string; readonly port: number }
  | { readonly socketPath: string };

/** Listens; rejects with the listen error (EADDRINUSE) so the caller can pick another address. */
export async function startLambdaApiServer(host: LambdaApiHost, where: LambdaApiListen): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (isRuntimeApiPath(path)) void handleRuntimeApi(req, res, path, host);
    else if (isExtensionsApiPath(path)) void handleExtensionsApi(req, res, path, host);
    else if (isTelemetryApiPath(path)) void handleTelemetryApi(req, res, host);
    else {
      req.resume();
      sendError(res, new NotFoundError(`No route for ${req.method} ${path}`));
    }
  });
  // `next` calls block for as long as the environment is idle (minutes, frozen): no timeouts.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 0;
  server.timeout = 0;
  if ('socketPath' in where) {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(where.socketPath, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } else {
    await listen(server, where.port, where.address);
  }
  return server;
}

/** Closes the server and every connection still open (blocked `next` calls included). */
export const closeLambdaApiServer = closeServer;
