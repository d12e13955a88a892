import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACCESS_LOG_FIELDS } from '../../infra/access-log-fields';
import type { StoredMetric } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';

// The real sandbox with the built handler: three requests, one per kind of answer, whose
// AWS/ApiGateway data points and access-log lines are then read back from the stores.
let stateDir: string;
let sandbox: Sandbox;
const answered: { status: number; requestId: string; bytesOut: number; bytesIn: number }[] = [];
// Its time part is now's: X-Ray accepts trace ids of the last 30 days only.
const TRACE_ROOT = `1-${Math.floor(Date.now() / 1000).toString(16)}-00000000000000000000a9a1`;

async function call(pathname: string, init: RequestInit = {}): Promise<void> {
  const response = await fetch(`${sandbox.apiUrl}${pathname}`, init);
  const body = Buffer.from(await response.arrayBuffer());
  answered.push({
    status: response.status,
    requestId: response.headers.get('apigw-requestid') ?? '',
    bytesOut: body.length,
    bytesIn: typeof init.body === 'string' ? Buffer.byteLength(init.body) : 0,
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-apigw-metrics-'));
  sandbox = await startSandbox({ inMemory: true, stateDir });
  await call('/todos', { headers: { 'x-amzn-trace-id': `Root=${TRACE_ROOT};Sampled=1` } });
  await call('/todo');
  await call('/todos', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'x', colour: 'red' }),
  });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** The data points of one metric, per dimension set (`ApiId` or `ApiId,Stage`), once all three are stored. */
async function dataPoints(metricName: string, perSet: number): Promise<Map<string, StoredMetric[]>> {
  const found = await eventually(
    () => sandbox.metrics.query({ namespace: 'AWS/ApiGateway', metricName }),
    (metrics) => metrics.length >= 2 * perSet,
  );
  const bySet = new Map<string, StoredMetric[]>();
  for (const metric of found) {
    const set = Object.keys(metric.dimensions).sort().join(',');
    bySet.set(set, [...(bySet.get(set) ?? []), metric]);
  }
  return bySet;
}

const values = (metrics: readonly StoredMetric[] = []) => metrics.flatMap((metric) => metric.values);

async function accessLogEvents(): Promise<{ time: string; event: Record<string, string> }[]> {
  const files = await readdir(sandbox.paths.accessLogs).catch(() => []);
  const text = (
    await Promise.all(files.map((file) => readFile(path.join(sandbox.paths.accessLogs, file), 'utf8')))
  ).join('');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time = '', json = ''] = line.split('\t');
      return { time, event: JSON.parse(json) as Record<string, string> };
    });
}

describe('AWS/ApiGateway metrics of the sandbox', () => {
  it('answers 200, 404 (no route: the $default route, the function) and 400 (validation) for the three requests', () => {
    expect(answered.map((request) => request.status)).toEqual([200, 404, 400]);
  });

  it('counts every request, the $default route included, per API and per $default stage', async () => {
    // Act
    const count = await dataPoints('Count', 3);

    // Assess
    expect([...count.keys()].sort()).toEqual(['ApiId', 'ApiId,Stage']);
    expect(values(count.get('ApiId'))).toEqual([1, 1, 1]);
    const staged = count.get('ApiId,Stage') ?? [];
    expect(values(staged)).toEqual([1, 1, 1]);
    expect(new Set(staged.map((metric) => metric.dimensions.Stage))).toEqual(new Set(['$default']));
    expect(new Set(staged.map((metric) => metric.dimensions.ApiId))).toEqual(new Set([sandbox.apiId]));
    expect(count.get('ApiId')?.every((metric) => metric.dimensions.ApiId === sandbox.apiId)).toBe(true);
    expect(staged.every((metric) => metric.storageResolution === 60 && metric.unit === 'Count')).toBe(true);
  });

  it('records 4xx and 5xx as 1 or 0 for every request, in request order', async () => {
    // Act
    const clientErrors = await dataPoints('4xx', 3);
    const serverErrors = await dataPoints('5xx', 3);

    // Assess
    expect(values(clientErrors.get('ApiId'))).toEqual([0, 1, 1]);
    expect(values(serverErrors.get('ApiId'))).toEqual([0, 0, 0]);
    expect(values(serverErrors.get('ApiId,Stage'))).toEqual([0, 0, 0]);
  });

  it('records Latency and IntegrationLatency for every request the function answered', async () => {
    // Act: all three reach the function, the unknown path through $default (API Gateway's own
    // answers, without IntegrationLatency where the function never ran, are the next block's).
    const latency = await dataPoints('Latency', 3);
    const integration = await dataPoints('IntegrationLatency', 3);

    // Assess
    const total = values(latency.get('ApiId'));
    const integrated = values(integration.get('ApiId'));
    expect(total).toHaveLength(3);
    expect(integrated).toHaveLength(3);
    expect(latency.get('ApiId')?.[0]?.unit).toBe('Milliseconds');
    expect([...total, ...integrated].every((ms) => Number.isInteger(ms) && ms >= 0)).toBe(true);
    // The front door's time includes the integration's.
    expect(total[0]!).toBeGreaterThanOrEqual(integrated[0]!);
  });

  it('records DataProcessed as the bytes in and out', async () => {
    // Act
    const data = await dataPoints('DataProcessed', 3);

    // Assess
    expect(data.get('ApiId')?.[0]?.unit).toBe('Bytes');
    expect(values(data.get('ApiId'))).toEqual(answered.map((request) => request.bytesIn + request.bytesOut));
  });

  it("writes one access-log line per request in the stack's format, with the request's values", async () => {
    // Act
    const events = await eventually(accessLogEvents, (found) => found.length >= 3);
    const byId = new Map(events.map((entry) => [entry.event.requestId, entry]));
    const [ok, noRoute, invalid] = answered.map((request) => byId.get(request.requestId));

    // Assess
    expect(events).toHaveLength(3);
    const days = new Set(events.map(({ time }) => time.slice(0, 10)));
    expect((await readdir(sandbox.paths.accessLogs)).sort()).toEqual([...days].sort());
    for (const { time, event } of events) {
      expect(Object.keys(event)).toEqual(Object.keys(ACCESS_LOG_FIELDS));
      expect(new Date(time).toISOString()).toBe(time);
      expect(event.requestTime).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
      expect(event.ip).toBe('127.0.0.1');
      expect(event.protocol).toBe('HTTP/1.1');
      expect(event.authorizerError).toBe('-');
    }
    expect(ok?.event).toMatchObject({
      httpMethod: 'GET',
      routeKey: 'GET /todos',
      path: '/todos',
      status: '200',
      responseLength: String(answered[0]!.bytesOut),
      integrationStatus: '200',
      integrationError: '-',
      traceId: TRACE_ROOT,
    });
    expect(Number(ok?.event.responseLatency)).toBeGreaterThanOrEqual(Number(ok?.event.integrationLatency));
    expect(noRoute?.event).toMatchObject({
      routeKey: '$default',
      path: '/todo',
      status: '404',
      integrationStatus: '200',
    });
    expect(noRoute?.event.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(invalid?.event).toMatchObject({ httpMethod: 'POST', routeKey: 'POST /todos', status: '400' });
    expect(invalid?.event.integrationLatency).toMatch(/^\d+$/);
  });
});

describe('AWS/ApiGateway metrics of answers API Gateway makes itself', () => {
  // The echo fixture (its /todos/slow takes 3 s) behind a JWT authorizer, a 1 s integration
  // timeout and a reserved concurrency of 1: a refused token, a timeout, and a throttle while
  // the timed-out invocation still runs.
  const ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo');
  const ISSUER = 'https://issuer.example';
  const AUDIENCE = 'todo-client';
  let gatewayDir: string;
  let gateway: Sandbox;
  let token: string;

  beforeAll(async () => {
    gatewayDir = await mkdtemp(path.join(tmpdir(), 'todos-apigw-own-answers-'));
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    token = await new SignJWT({ sub: 'alice' })
      .setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('10m')
      .sign(privateKey);
    const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }] };
    gateway = await startSandbox({
      codeDir: ECHO,
      layers: [],
      inMemory: true,
      stateDir: gatewayDir,
      timeoutSec: 10,
      integrationTimeoutMs: 1000,
      reservedConcurrency: 1,
      authorizer: { issuer: ISSUER, audiences: [AUDIENCE], jwks },
    });
  });

  afterAll(async () => {
    await gateway?.close();
    await rm(gatewayDir, { recursive: true, force: true });
  });

  it('counts the 401 of the authorizer, the 504 of a timeout and the 500 of a throttle', async () => {
    // Act
    const refused = await fetch(`${gateway.apiUrl}/todos/1`);
    const authorization = `Bearer ${token}`;
    const timedOut = await fetch(`${gateway.apiUrl}/todos/slow`, { headers: { authorization } });
    const throttled = await fetch(`${gateway.apiUrl}/todos/1`, { headers: { authorization } });

    // Assess
    expect([refused.status, timedOut.status, throttled.status]).toEqual([401, 504, 500]);
    const query = (metricName: string) =>
      eventually(
        () => gateway.metrics.query({ namespace: 'AWS/ApiGateway', metricName }),
        (found) => found.length >= 6,
      );
    const perApi = (metrics: StoredMetric[]) =>
      values(metrics.filter((metric) => Object.keys(metric.dimensions).length === 1));
    expect(perApi(await query('Count'))).toEqual([1, 1, 1]);
    expect(perApi(await query('4xx'))).toEqual([1, 0, 0]);
    expect(perApi(await query('5xx'))).toEqual([0, 1, 1]);
    const integration = perApi(
      await eventually(
        () => gateway.metrics.query({ namespace: 'AWS/ApiGateway', metricName: 'IntegrationLatency' }),
        (found) => found.length >= 4,
      ),
    );
    expect(integration).toHaveLength(2);
    expect(integration[0]).toBeGreaterThanOrEqual(1000);
  });

  it('logs the refusal, the timeout and the throttle with what API Gateway knows of each', async () => {
    // Act
    const events = await eventually(
      async () => {
        const files = await readdir(gateway.paths.accessLogs).catch(() => []);
        const text = await Promise.all(
          files.map((file) => readFile(path.join(gateway.paths.accessLogs, file), 'utf8')),
        );
        return text
          .join('')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line.split('\t')[1] ?? '{}') as Record<string, string>);
      },
      (found) => found.length >= 3,
    );
    const byStatus = new Map(events.map((event) => [event.status, event]));

    // Assess
    expect(byStatus.get('401')).toMatchObject({
      routeKey: 'GET /todos/{id}',
      authorizerError: 'the token is missing',
      integrationLatency: '-',
      integrationStatus: '-',
    });
    expect(byStatus.get('504')).toMatchObject({ routeKey: 'GET /todos/{id}', integrationStatus: '-' });
    expect(byStatus.get('504')?.traceId).toMatch(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(byStatus.get('500')).toMatchObject({
      integrationStatus: '429',
      integrationError: 'Rate Exceeded.',
    });
  });
});
