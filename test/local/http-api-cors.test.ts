import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corsPolicy } from '../../infra/cors-policy';
import { withCorsHeaders } from '../../local/http-api/cors';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';

// Real HTTP to the sandbox's front door, the built function (`node scripts/build.mjs function`)
// behind it, as the stack deploys it with context corsOrigins.
const ALLOWED = 'http://app.example.test:5173';
const OTHER = 'http://evil.example.test';
const POLICY = corsPolicy([ALLOWED]);

let stateDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'http-api-cors-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, layers: [], corsOrigins: [ALLOWED] });
}, 120_000);

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** The access log's record of one request, once written: it says whether the function ran. */
async function accessLogRecord(requestId: string): Promise<Record<string, string> | undefined> {
  const directory = sandbox.paths.accessLogs;
  const files = await readdir(directory, { recursive: true }).catch(() => []);
  for (const file of files) {
    const text = await readFile(path.join(directory, file), 'utf8').catch(() => '');
    for (const line of text.split('\n')) {
      if (!line.includes(requestId)) continue;
      // Each line is the event's timestamp, a tab, then the JSON of the format.
      const record = JSON.parse(line.slice(line.indexOf('\t') + 1)) as Record<string, string>;
      if (record.requestId === requestId) return record;
    }
  }
  return undefined;
}

const preflight = (origin: string, method: string, headers = 'content-type,if-match') =>
  fetch(`${sandbox.apiUrl}/todos/0192f3a1-6b2c-7a31-9c4e-1f0b2d3e4a5b`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': method,
      'access-control-request-headers': headers,
    },
  });

const corsHeadersOf = (response: Response): Record<string, string> =>
  Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('access-control-')));

describe('HTTP API CORS in the sandbox', () => {
  it('answers a preflight from an allowed origin itself with the policy', async () => {
    // Act
    const response = await preflight(ALLOWED, 'PUT');

    // Assess
    expect(response.status).toBe(204);
    expect(corsHeadersOf(response)).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-allow-methods': POLICY.allowMethods.join(','),
      'access-control-allow-headers': POLICY.allowHeaders.join(','),
      'access-control-max-age': String(POLICY.maxAgeSeconds),
    });
    expect(await response.text()).toBe('');
  });

  it('answers a preflight from another origin with no CORS headers', async () => {
    // Act
    const response = await preflight(OTHER, 'PUT');

    // Assess
    expect(response.status).toBe(204);
    expect(corsHeadersOf(response)).toEqual({});
  });

  it('never invokes the function for a preflight, even for a path outside the route table', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/nope`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'DELETE' },
    });

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const record = await eventually(
      () => accessLogRecord(response.headers.get('apigw-requestid')!),
      (found) => found !== undefined,
    );
    expect(record).toMatchObject({ status: '204', routeKey: '-', integrationStatus: '-' });
  });

  it('adds the allow-origin and expose headers to a response for an allowed origin', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`, {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'cross-origin' }),
    });

    // Assess
    expect(response.status).toBe(201);
    expect(corsHeadersOf(response)).toEqual({
      'access-control-allow-origin': ALLOWED,
      'access-control-expose-headers': POLICY.exposeHeaders.join(','),
    });
    expect(response.headers.get('etag')).toMatch(/^"/);
  });

  it('adds no CORS headers to a response for another origin or a request without one', async () => {
    // Act
    const other = await fetch(`${sandbox.apiUrl}/todos`, { headers: { origin: OTHER } });
    const sameOrigin = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess
    expect(other.status).toBe(200);
    expect(corsHeadersOf(other)).toEqual({});
    expect(corsHeadersOf(sameOrigin)).toEqual({});
  });
});

describe('CORS headers the integration returns', () => {
  const fromIntegration = {
    statusCode: 200,
    headers: [
      ['content-type', 'application/json'],
      ['Access-Control-Allow-Origin', '*'],
      ['access-control-expose-headers', 'x-secret'],
    ] as [string, string][],
    body: Buffer.from('{}'),
  };

  it('are replaced by the policy for an allowed origin', () => {
    // Act
    const response = withCorsHeaders(POLICY, { origin: ALLOWED }, fromIntegration);

    // Assess
    expect(response.headers).toEqual([
      ['content-type', 'application/json'],
      ['access-control-allow-origin', ALLOWED],
      ['access-control-expose-headers', POLICY.exposeHeaders.join(',')],
    ]);
  });

  it('are dropped for another origin', () => {
    // Act
    const response = withCorsHeaders(POLICY, { origin: OTHER }, fromIntegration);

    // Assess
    expect(response.headers).toEqual([['content-type', 'application/json']]);
  });
});

describe('CORS and $default behind a JWT authorizer', () => {
  let guarded: Sandbox;
  let guardedState: string;
  beforeAll(async () => {
    guardedState = await mkdtemp(path.join(tmpdir(), 'http-api-cors-jwt-'));
    const { publicKey } = await generateKeyPair('RS256');
    guarded = await startSandbox({
      inMemory: true,
      stateDir: guardedState,
      layers: [],
      corsOrigins: [ALLOWED],
      authorizer: {
        issuer: 'https://issuer.example.test',
        audiences: ['todos'],
        jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] },
      },
    });
  }, 120_000);
  afterAll(async () => {
    await guarded?.close();
    await rm(guardedState, { recursive: true, force: true });
  });

  it('answers a preflight without a token, as a browser sends it', async () => {
    // Act
    const response = await fetch(`${guarded.apiUrl}/todos`, {
      method: 'OPTIONS',
      headers: { origin: ALLOWED, 'access-control-request-method': 'POST' },
    });

    // Assess
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it("adds the CORS headers to the authorizer's 401, so the page can read it", async () => {
    // Act
    const response = await fetch(`${guarded.apiUrl}/todos`, { headers: { origin: ALLOWED } });

    // Assess
    expect(response.status).toBe(401);
    expect(response.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('lets $default through without a token: the function answers 405 with Allow', async () => {
    // Act
    const response = await fetch(`${guarded.apiUrl}/todos`, { method: 'DELETE' });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('allow')).toBeTruthy();
  });
});
