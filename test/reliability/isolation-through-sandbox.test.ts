import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJwtAuthorizerConfig } from '../../local/auth/authorizer-config';
import { DEV_ISSUER, mintDevToken } from '../../local/auth/dev-issuer';
import { type Sandbox, startSandbox } from '../../local/sandbox';

// The built bundle (dist/functions/todos, as `npm test` builds it) in the real sandbox, behind the
// HTTP API with the JWT authorizer set up as `npm start -- --jwt-issuer local` sets it up, and
// tokens minted as `npm run token` mints them. Requests go over real HTTP with raw request
// targets (no URL normalisation by the client), so path tricks reach the gateway as sent. The
// extension layer is left out: isolation does not depend on it and each environment stays small.

interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

let stateDir: string;
let sandbox: Sandbox;
const tokens: Record<'alice' | 'bob', string> = { alice: '', bob: '' };

/** Bob's todos: ids chosen to tempt case, prefix and encoding tricks. */
const BOB_TODOS = [
  { id: 'bob-task', text: 'bob secret one' },
  { id: 'Bob-Upper', text: 'bob secret two' },
  { id: 'shared-name', text: 'bob secret three' },
] as const;
const BOB_SECRET = /bob secret/;

/** One request exactly as written: the target is sent byte for byte. */
function send(
  method: string,
  target: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const url = new URL(sandbox.apiUrl);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path: target,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

const as = (user: 'alice' | 'bob', extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${tokens[user]}`,
  ...extra,
});
const json = { 'content-type': 'application/json' };

/** Bob's todos as Bob sees them, each with its ETag: what nothing Alice does may change. */
async function bobsView(): Promise<string> {
  const listed = await send('GET', '/todos?limit=100', as('bob'));
  expect(listed.status).toBe(200);
  const todos = JSON.parse(listed.body) as { id: string }[];
  const reads = await Promise.all(todos.map((todo) => send('GET', `/todos/${todo.id}`, as('bob'))));
  return JSON.stringify(reads.map((read) => [read.status, read.headers.etag, read.body]));
}

let devKid: string;
let bobsBefore: string;
const bobETags: string[] = [];
let bobCursor = '';

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'isolation-'));
  const authorizer = await loadJwtAuthorizerConfig(
    { dev: true, issuer: DEV_ISSUER, audiences: ['todos'] },
    stateDir,
  );
  devKid = authorizer.jwks.keys[0]!.kid!;
  sandbox = await startSandbox({
    inMemory: true,
    stateDir,
    layers: [],
    concurrency: 2,
    timeoutSec: 10,
    authorizer,
  });
  tokens.alice = await mintDevToken({ stateDir, sub: 'alice' });
  tokens.bob = await mintDevToken({ stateDir, sub: 'bob' });

  for (const todo of BOB_TODOS) {
    const created = await send('POST', '/todos', as('bob', json), JSON.stringify(todo));
    expect(created.status).toBe(201);
    bobETags.push(String(created.headers.etag));
  }
  const page = await send('GET', '/todos?limit=1', as('bob'));
  bobCursor = /cursor=([^&>]+)/.exec(String(page.headers.link))![1]!;
  const alices = await send(
    'POST',
    '/todos',
    as('alice', json),
    JSON.stringify({ id: 'alice-task', text: 'alice own' }),
  );
  expect(alices.status).toBe(201);
  bobsBefore = await bobsView();
  expect(bobsBefore.match(/bob secret/g)).toHaveLength(BOB_TODOS.length);
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe("through the sandbox, Alice cannot reach Bob's todos", () => {
  it('refuses every route without a token, with a bad token, or with a token claiming to be Bob', async () => {
    // Prepare
    // A token for Bob under the dev key's kid, signed by a key that is not the dev key.
    const stranger = await generateKeyPair('RS256');
    const forgedBob = await new SignJWT({ sub: 'bob' })
      .setProtectedHeader({ alg: 'RS256', kid: devKid })
      .setIssuer(DEV_ISSUER)
      .setAudience('todos')
      .setExpirationTime('10m')
      .sign(stranger.privateKey);
    const [header, , signature] = tokens.alice.split('.');
    const alicePayload = JSON.parse(
      Buffer.from(tokens.alice.split('.')[1]!, 'base64url').toString(),
    ) as object;
    const resigned = Buffer.from(JSON.stringify({ ...alicePayload, sub: 'bob' })).toString('base64url');
    const credentials: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${forgedBob}` },
      { authorization: `Bearer ${header}.${resigned}.${signature}` },
      { authorization: `Bearer ${tokens.alice}, Bearer ${tokens.bob}` },
      { authorization: `Bearer ${tokens.bob.slice(0, -4)}AAAA` },
    ];
    const routes: [string, string, string?][] = [
      ['GET', '/todos'],
      ['POST', '/todos', JSON.stringify({ text: 'intruder' })],
      ['GET', '/todos/bob-task'],
      ['PUT', '/todos/bob-task', JSON.stringify({ text: 'owned', done: true })],
      ['PATCH', '/todos/bob-task', JSON.stringify({ done: true })],
      ['DELETE', '/todos/bob-task'],
    ];

    // Act
    const responses = await Promise.all(
      credentials.flatMap((credential) =>
        routes.map(([method, target, body]) => send(method, target, { ...json, ...credential }, body)),
      ),
    );

    // Assess
    expect(responses.map((response) => response.status)).toEqual(responses.map(() => 401));
    expect(responses.every((response) => response.body === '{"message":"Unauthorized"}')).toBe(true);
    expect(await bobsView()).toBe(bobsBefore);
  });

  it("answers 404 to every read, replace, patch and delete of Bob's ids, with or without Bob's ETags", async () => {
    // Prepare
    const attempts: [string, string, Record<string, string>, string?][] = [];
    BOB_TODOS.forEach(({ id }, index) => {
      for (const ifMatch of [undefined, bobETags[index]!, '*']) {
        const condition: Record<string, string> = ifMatch ? { 'if-match': ifMatch } : {};
        attempts.push(['GET', `/todos/${id}`, condition]);
        attempts.push([
          'PUT',
          `/todos/${id}`,
          { ...json, ...condition },
          JSON.stringify({ text: 'owned', done: true }),
        ]);
        attempts.push([
          'PATCH',
          `/todos/${id}`,
          { ...json, ...condition },
          JSON.stringify({ text: 'owned' }),
        ]);
        attempts.push(['DELETE', `/todos/${id}`, condition]);
      }
      attempts.push(['GET', `/todos/${id}`, { 'if-none-match': bobETags[index]! }]);
    });

    // Act
    const responses = [];
    for (const [method, target, headers, body] of attempts) {
      responses.push(await send(method, target, as('alice', headers), body));
    }
    const absent = await send('GET', '/todos/nobody-has-this', as('alice'));

    // Assess
    expect(responses.map((response) => response.status)).toEqual(attempts.map(() => 404));
    expect(responses.every((response) => !BOB_SECRET.test(response.body))).toBe(true);
    // Bob's todo and a todo nobody has are indistinguishable to Alice.
    const shape = (response: RawResponse) => {
      const problem = JSON.parse(response.body) as Record<string, unknown>;
      return [response.status, response.headers['content-type'], problem.type, problem.title];
    };
    expect(shape(responses[0]!)).toEqual(shape(absent));
    expect(await bobsView()).toBe(bobsBefore);
  });

  it("lists only Alice's todos on every page, and refuses Bob's cursor", async () => {
    // Act
    const seen: string[] = [];
    let target: string | undefined = '/todos?limit=1';
    while (target) {
      const page = await send('GET', target, as('alice'));
      expect(page.status).toBe(200);
      expect(page.body).not.toMatch(BOB_SECRET);
      seen.push(...(JSON.parse(page.body) as { id: string }[]).map((todo) => todo.id));
      target = /<([^>]+)>; rel="next"/.exec(String(page.headers.link ?? ''))?.[1];
    }
    const withBobsCursor = await send('GET', `/todos?limit=1&cursor=${bobCursor}`, as('alice'));
    const withBobsCursorTwice = await send(
      'GET',
      `/todos?limit=1&cursor=${bobCursor}&cursor=${bobCursor}`,
      as('alice'),
    );

    // Assess
    expect(seen).toEqual(['alice-task']);
    expect(withBobsCursor.status).toBe(400);
    expect(withBobsCursor.body).not.toMatch(BOB_SECRET);
    expect(withBobsCursorTwice.status).toBe(400);
    expect(withBobsCursorTwice.body).not.toMatch(BOB_SECRET);
  });

  it('reaches nothing of Bob by path tricks: case variants, encodings, dot segments, slashes, parameters', async () => {
    // Prepare
    const targets = [
      '/todos/BOB-TASK',
      '/todos/Bob-Task',
      '/todos/bob-upper',
      '/todos/BOB-UPPER',
      '/todos/%62ob-task-x',
      '/todos/bob-task%20',
      '/todos/%20bob-task',
      '/todos/bob-task%00',
      '/todos/..%2Fbob-task',
      '/todos/%2E%2E%2Fbob-task',
      '/todos/bob%2Fbob-task',
      '/todos/%252e%252e%252fbob-task',
      '/todos/../todos/bob-task',
      '/todos/./bob-task',
      '/todos/x/../bob-task',
      '/todos//bob-task',
      '/todos/bob-task/',
      '/todos/bob-task/..',
      '/TODOS/bob-task',
      '/Todos/bob-task',
      '/todos/bob-task;owner=bob',
      '/todos/bob-task?owner=bob&sub=bob',
      '/todos/%E2%80%8Bbob-task',
      '/todos/bob\u2010task',
      '/todos?owner=bob&sub=bob&limit=100',
    ].map((target) => target.replace(/[^\x21-\x7e]/g, (character) => encodeURIComponent(character)));
    const methods: [string, string?][] = [
      ['GET'],
      ['PUT', JSON.stringify({ text: 'owned', done: true })],
      ['PATCH', JSON.stringify({ done: true })],
      ['DELETE'],
    ];

    // Act
    const outcomes: [string, string, RawResponse][] = [];
    for (const target of targets) {
      for (const [method, body] of methods) {
        outcomes.push([method, target, await send(method, target, as('alice', json), body)]);
      }
    }

    // Assess
    const leaks = outcomes.filter(([, , response]) => BOB_SECRET.test(response.body));
    const unexpected = outcomes.filter(
      ([method, target, response]) =>
        response.status < 400 &&
        !(method === 'GET' && target.startsWith('/todos?')) &&
        response.status !== 405,
    );
    expect(leaks).toEqual([]);
    expect(unexpected.map(([method, target, response]) => `${method} ${target} ${response.status}`)).toEqual(
      [],
    );
    expect(outcomes.every(([, , response]) => response.status < 500)).toBe(true);
    expect(await bobsView()).toBe(bobsBefore);
  });

  it("refuses an owner smuggled in a body or a header, and keeps a todo made with one of Bob's ids apart from his", async () => {
    // Act
    const smuggled = await send(
      'POST',
      '/todos',
      as('alice', json),
      JSON.stringify({ id: 'smuggled', text: 'x', owner: 'bob' }),
    );
    const headerClaim = await send(
      'GET',
      '/todos/bob-task',
      as('alice', { 'x-amzn-oidc-identity': 'bob', 'x-owner': 'bob' }),
    );
    const sameId = await send(
      'POST',
      '/todos',
      as('alice', json),
      JSON.stringify({ id: 'bob-task', text: 'alice copy' }),
    );
    const alicesCopy = await send('GET', '/todos/bob-task', as('alice'));
    const bobsOwn = await send('GET', '/todos/bob-task', as('bob'));
    const aliceDeletes = await send(
      'DELETE',
      '/todos/bob-task',
      as('alice', { 'if-match': String(sameId.headers.etag) }),
    );

    // Assess
    expect(smuggled.status).toBe(400);
    expect(headerClaim.status).toBe(404);
    expect(sameId.status).toBe(201);
    expect(JSON.parse(alicesCopy.body)).toMatchObject({ id: 'bob-task', text: 'alice copy' });
    expect(JSON.parse(bobsOwn.body)).toMatchObject({ id: 'bob-task', text: 'bob secret one', version: 1 });
    expect(aliceDeletes.status).toBe(204);
    expect(await bobsView()).toBe(bobsBefore);
  });
});
