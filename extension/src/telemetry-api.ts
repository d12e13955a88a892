import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HostPort } from './config';
import { LambdaApiError } from './errors';
import { callLambdaApi } from './lambda-http';
import { telemetrySubscriptionBody } from './telemetry-subscription';

/** One Telemetry API event as delivered to the listener. */
export interface TelemetryEvent {
  /** ISO 8601 time of the event. */
  readonly time: string;
  /** `platform.runtimeDone`, `platform.report`, … */
  readonly type: string;
  readonly record: unknown;
}

/** The `platform.runtimeDone` record (schema 2022-12-13). */
export interface RuntimeDoneRecord {
  readonly requestId: string;
  readonly status: 'success' | 'failure' | 'error' | 'timeout';
  readonly errorType?: string;
  readonly metrics?: { readonly durationMs: number; readonly producedBytes?: number };
}

/**
 * The HTTP endpoint the Telemetry API posts event batches to. It answers 200 at once: a slow or
 * failing listener makes Lambda retry and eventually drop events (`platform.logsDropped`).
 */
export class TelemetryListener {
  private readonly server: Server;

  constructor(
    private readonly address: HostPort,
    onEvents: (events: readonly TelemetryEvent[]) => void,
  ) {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        res.writeHead(200).end();
        let events: unknown;
        try {
          events = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        } catch {
          return;
        }
        if (Array.isArray(events)) onEvents(events.filter(isEvent));
      });
    });
  }

  /** Starts listening; resolves with the bound port (port 0 picks a free one). */
  listen(): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.address.port, this.address.host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}

/**
 * Subscribes the extension to platform events with destination `http://sandbox.localdomain:<port>/`
 * (body: `telemetry-subscription.ts`). Must happen during Init: subscriptions close when the
 * runtime first calls `next`. The layer's launcher usually did it before Node started.
 */
export async function subscribeTelemetry(
  runtimeApi: string,
  extensionId: string,
  port: number,
): Promise<void> {
  const res = await callLambdaApi(
    runtimeApi,
    'PUT',
    '/2022-07-01/telemetry',
    { 'lambda-extension-identifier': extensionId },
    telemetrySubscriptionBody(port),
  );
  if (res.status !== 200) {
    throw new LambdaApiError(
      `telemetry subscription answered ${res.status}: ${res.body.slice(0, 200)}`,
      res.status,
    );
  }
}

function isEvent(value: unknown): value is TelemetryEvent {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as TelemetryEvent).type === 'string' &&
    typeof (value as TelemetryEvent).time === 'string'
  );
}
