import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS as M } from '../../extension/src/metric-names';
import { type ProbeSandbox, startProbeSandbox } from './fault-sandbox';

// The built extension layer in the local sandbox, exporting to real HTTP servers that misbehave
// the way a backend does: answering 500, or accepting the connection and never answering.
type Behaviour = 'error' | 'hang';

interface FaultyBackend {
  readonly url: string;
  /** Requests received (for `hang`: connections that sent a request). */
  readonly requests: () => number;
  close(): Promise<void>;
}

async function startFaultyBackend(behaviour: Behaviour): Promise<FaultyBackend> {
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    requests++;
    req.resume();
    if (behaviour === 'error') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"__type":"InternalFailure","message":"injected"}');
    }
    // 'hang': never answer; the socket is destroyed at close.
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp(behaviour: Behaviour, environment: Record<string, string> = {}) {
  const backend = await startFaultyBackend(behaviour);
  cleanups.push(backend.close);
  const probe: ProbeSandbox = await startProbeSandbox({
    AWS_ENDPOINT_URL_XRAY: backend.url,
    TELEMETRY_FLUSH: 'invocation',
    ...environment,
  });
  cleanups.push(probe.remove, probe.close);
  return { backend, probe };
}

const INVOCATIONS = 12;

describe('telemetry extension with a failing exporter', () => {
  it('stops calling a backend that answers 500 once the circuit opens, keeps serving, and accounts for every span', async () => {
    // Prepare
    const { backend, probe } = await setUp('error', {
      TELEMETRY_CIRCUIT_FAILURES: '5',
      TELEMETRY_CIRCUIT_COOLDOWN_MS: '600000',
    });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < INVOCATIONS; i++) statuses.push((await probe.call()).status);
    await probe.close();

    // Assess: without the circuit every invocation would send at least one request
    expect(statuses).toEqual(Array(INVOCATIONS).fill(200));
    expect(backend.requests()).toBeGreaterThanOrEqual(1);
    expect(backend.requests()).toBeLessThanOrEqual(5);
    const received = await probe.total(M.spansReceived);
    const exported = await probe.total(M.spansExported);
    const dropped = await probe.total(M.spansDropped);
    expect(received).toBe(INVOCATIONS * 2);
    expect(exported).toBe(0);
    expect(dropped).toBe(received);
    // Whether a span is dropped after its retries (export_failed) or still held by the open
    // circuit at SHUTDOWN (shutdown) depends on how many retries fit each budget: not asserted.
    expect(
      (await probe.total(M.spansDropped, 'export_failed')) + (await probe.total(M.spansDropped, 'shutdown')),
    ).toBe(received);
  });

  it('cuts off exports to a backend that never answers at the post-runtime budget, not the export timeout', async () => {
    // Prepare: an export timeout of 5 s, far above the 100 ms budget
    const { backend, probe } = await setUp('hang', {
      TELEMETRY_EXPORT_TIMEOUT_MS: '5000',
      TELEMETRY_POST_RUNTIME_BUDGET_MS: '100',
      TELEMETRY_CIRCUIT_COOLDOWN_MS: '600000',
    });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < INVOCATIONS; i++) statuses.push((await probe.call()).status);
    await probe.close();

    // Assess: the extension's own PostRuntimeExtensionDuration stays near the budget (a loose
    // bound for a loaded machine; without the cap each would last the 5 s export timeout), and
    // the open circuit stops the attempts after five unanswered requests.
    expect(statuses).toEqual(Array(INVOCATIONS).fill(200));
    const postRuntime = await probe.values(M.postRuntimeDuration);
    expect(postRuntime).toHaveLength(INVOCATIONS);
    expect(Math.max(...postRuntime)).toBeLessThan(1_000);
    expect(backend.requests()).toBeLessThanOrEqual(5);
    const received = await probe.total(M.spansReceived);
    expect(received).toBe(INVOCATIONS * 2);
    expect(await probe.total(M.spansDropped, 'shutdown')).toBe(received);
  });
});
