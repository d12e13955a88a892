import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../../functions/telemetry/config';
import { Telemetry } from '../../functions/telemetry/telemetry';
import { httpApiEvent, lambdaContext } from './support/events';
import { closedPort } from './support/receiver';

const here = path.dirname(fileURLToPath(import.meta.url));

function runProcess(
  script: string,
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('without a reachable extension', () => {
  it('returns the handler result unchanged and writes the EMF to stdout when the receiver port is closed', async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const run = await runProcess(path.join(here, 'fixtures', 'invoke-without-extension.ts'), {
      TELEMETRY_RECEIVER_ADDRESS: `127.0.0.1:${port}`,
      AWS_LAMBDA_FUNCTION_NAME: 'orders-fn',
      AWS_REGION: 'eu-west-1',
    });

    // Assess
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('RESULT {"statusCode":200,"body":"{\\"ok\\":true}"}');
    const emf = run.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(
      emf.map((doc) =>
        Object.keys(doc)
          .filter((key) => /Payload|ColdStart/.test(key))
          .sort(),
      ),
    ).toEqual([['ColdStart'], ['RequestPayloadSize', 'ResponsePayloadSize']]);
    expect(emf[1]).toMatchObject({ RequestPayloadSize: 7, ResponsePayloadSize: 11, route: 'POST /orders' });
    const counters = JSON.parse(/COUNTERS (.*)/.exec(run.stderr)?.[1] ?? '{}') as Record<string, number>;
    expect(counters).toMatchObject({ emfToStdout: 2, emfSent: 0, spansSent: 0, spansDropped: 1 });
  });

  it('falls back to stdout for EMF the receiver rejects, and counts the spans lost', async () => {
    // Prepare: a real receiver that is up but failing.
    const server = createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const written: string[] = [];
    const telemetry = new Telemetry({
      config: readTelemetryConfig({
        TELEMETRY_RECEIVER_ADDRESS: `127.0.0.1:${(server.address() as AddressInfo).port}`,
      }),
      stdout: (text) => written.push(text),
    });
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 204 }), {
      metrics: {
        defaultNamespace: 'Shop',
        defaultService: 'orders',
        requestSizeMetric: 'RequestPayloadSize',
        responseSizeMetric: 'ResponsePayloadSize',
        dimensionSets: [['route']],
      },
    });

    // Act
    const result = await handler(httpApiEvent('DELETE', '/orders/{id}', '/orders/1'), lambdaContext());
    await telemetry.settled();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));

    // Assess
    expect(result).toEqual({ statusCode: 204 });
    const lines = written.join('').split('\n').filter(Boolean);
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({ ColdStart: 1 }),
      expect.objectContaining({
        RequestPayloadSize: 0,
        ResponsePayloadSize: 0,
        route: 'DELETE /orders/{id}',
      }),
    ]);
    expect(telemetry.counters).toMatchObject({
      emfToStdout: 2,
      spansDropped: 1,
      spansSent: 0,
      sendFailures: 2,
    });
  });
});
