import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadJwtAuthorizerConfig } from '../../local/auth/authorizer-config';
import { DEV_ISSUER, devKeyPaths, mintDevToken } from '../../local/auth/dev-issuer';
import { createJwtAuthorizer, renderClaim } from '../../local/auth/jwt-authorizer';
import { type Sandbox, startSandbox } from '../../local/sandbox';

// Tokens are signed with real keys generated here and verified by the sandbox's authorizer over
// real HTTP; the echo fixture returns the payload 2.0 event it received, so what reaches the
// function is read from the function itself.
const ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo');
const ISSUER = 'https://issuer.example.test/pool';
const AUDIENCE = 'todos-client';

type Key = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
let stateDir: string;
let sandbox: Sandbox;
let rsaKey: Key;
let strangerKey: Key;
let ecKey: Key;
let jwks: JSONWebKeySet;

const nowSec = () => Math.floor(Date.now() / 1000);

interface SignOptions {
  readonly key?: Key;
  readonly kid?: string | null;
  readonly alg?: string;
}

async function sign(claims: JWTPayload, options: SignOptions = {}): Promise<string> {
  const kid = options.kid === undefined ? 'rsa-1' : options.kid;
  return new SignJWT(claims)
    .setProtectedHeader({ alg: options.alg ?? 'RS256', ...(kid === null ? {} : { kid }) })
    .sign(options.key ?? rsaKey);
}

/** Claims of a token the authorizer accepts; each test changes one thing. */
const valid = (extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'alice',
  iat: nowSec() - 10,
  exp: nowSec() + 600,
  ...extra,
});

async function call(authorization?: string): Promise<Response> {
  return fetch(`${sandbox.apiUrl}/todos/abc`, {
    headers: authorization === undefined ? {} : { authorization },
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'jwt-authorizer-'));
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  rsaKey = rsa.privateKey;
  ecKey = ec.privateKey;
  strangerKey = (await generateKeyPair('RS256')).privateKey;
  jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ],
  };
  sandbox = await startSandbox({
    codeDir: ECHO,
    layers: [],
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    authorizer: { issuer: ISSUER, audiences: [AUDIENCE, 'other-client'], jwks },
  });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('JWT authorizer refusals through the HTTP API', () => {
  const refusals: [string, () => Promise<string | undefined>, string][] = [
    ['no Authorization header', async () => undefined, 'the token is missing'],
    ['an empty Authorization header', async () => '', 'the token is missing'],
    ['a Basic credential', async () => 'Basic YWxpY2U6cHc=', 'the token is malformed'],
    ['a header that is not a JWT', async () => 'Bearer not-a-token', 'the token is malformed'],
    ['a JWT with an undecodable header', async () => 'Bearer e30x.e30.e30', 'the token is malformed'],
    [
      'a second token after the first',
      async () => `Bearer ${await sign(valid())} extra`,
      'the token is malformed',
    ],
    [
      'a signature by a key outside the key set',
      async () => `Bearer ${await sign(valid(), { key: strangerKey })}`,
      'the token signature is invalid',
    ],
    [
      'a payload altered after signing',
      async () => {
        const [header, , signature] = (await sign(valid())).split('.');
        const forged = Buffer.from(JSON.stringify(valid({ sub: 'bob' }))).toString('base64url');
        return `Bearer ${header}.${forged}.${signature}`;
      },
      'the token signature is invalid',
    ],
    [
      'an unknown kid',
      async () => `Bearer ${await sign(valid(), { kid: 'rsa-9' })}`,
      'the token is not signed by a known key',
    ],
    [
      'no kid',
      async () => `Bearer ${await sign(valid(), { kid: null })}`,
      'the token is not signed by a known key',
    ],
    [
      'an ES256 signature (API Gateway supports RSA only)',
      async () => `Bearer ${await sign(valid(), { key: ecKey, kid: 'ec-1', alg: 'ES256' })}`,
      'the token is not signed with a supported algorithm',
    ],
    [
      'alg none',
      async () => {
        const header = Buffer.from(JSON.stringify({ alg: 'none', kid: 'rsa-1' })).toString('base64url');
        return `Bearer ${header}.${Buffer.from(JSON.stringify(valid())).toString('base64url')}.`;
      },
      'the token is malformed',
    ],
    [
      'a wrong issuer',
      async () => `Bearer ${await sign(valid({ iss: 'https://evil.example.test/pool' }))}`,
      'the token does not have a valid issuer',
    ],
    [
      'the issuer with a trailing slash',
      async () => `Bearer ${await sign(valid({ iss: `${ISSUER}/` }))}`,
      'the token does not have a valid issuer',
    ],
    [
      'a wrong audience',
      async () => `Bearer ${await sign(valid({ aud: 'someone-else' }))}`,
      'the token does not have a valid audience',
    ],
    [
      'a wrong aud beside a right client_id (aud decides)',
      async () => `Bearer ${await sign(valid({ aud: 'someone-else', client_id: AUDIENCE }))}`,
      'the token does not have a valid audience',
    ],
    [
      'neither aud nor client_id',
      async () => `Bearer ${await sign(valid({ aud: undefined }))}`,
      'the token does not have a valid audience',
    ],
    [
      'an expired token',
      async () => `Bearer ${await sign(valid({ exp: nowSec() - 5 }))}`,
      'the token has expired',
    ],
    ['no exp', async () => `Bearer ${await sign(valid({ exp: undefined }))}`, 'the token is malformed'],
    [
      'nbf in the future',
      async () => `Bearer ${await sign(valid({ nbf: nowSec() + 300 }))}`,
      'the token is not valid yet',
    ],
    [
      'iat in the future',
      async () => `Bearer ${await sign(valid({ iat: nowSec() + 300 }))}`,
      'the token was issued in the future',
    ],
  ];

  it.each(refusals)(
    'answers 401 with API Gateway body and challenge for %s',
    async (_case, header, reason) => {
      // Prepare
      const authorization = await header();

      // Act
      const response = await call(authorization);

      // Assess
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({ message: 'Unauthorized' });
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('www-authenticate')).toBe(
        `Bearer scope="" error="invalid_token" error_description="${reason}"`,
      );
      expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    },
  );

  it('sends an unknown route to $default without asking for a token, as API Gateway selects routes first', async () => {
    // Act: the echo fixture answers whatever reaches it, with the event it got.
    const response = await fetch(`${sandbox.apiUrl}/nowhere`);

    // Assess: the function ran, for the route API Gateway selected, and nobody asked for a token.
    expect(response.status).toBe(201);
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(((await response.json()) as { event: { routeKey?: string } }).event.routeKey).toBe('$default');
  });
});

describe('JWT authorizer claims in the event', () => {
  it('passes every claim as a string and the scopes, as API Gateway builds requestContext.authorizer.jwt', async () => {
    // Prepare
    const iat = nowSec() - 10;
    const token = await sign(
      valid({
        iat,
        exp: iat + 600,
        'cognito:groups': ['admin', 'dev'],
        email_verified: true,
        address: { city: 'Oslo', zip: '0150' },
        scope: 'todos/read todos/write',
        auth_time: 1700000000,
      }),
    );

    // Act
    const response = await call(`Bearer ${token}`);
    const { event } = (await response.json()) as {
      event: { headers: Record<string, string>; requestContext: { authorizer?: unknown } };
    };

    // Assess
    expect(response.status).toBe(201);
    expect(event.requestContext.authorizer).toEqual({
      jwt: {
        claims: {
          iss: ISSUER,
          aud: AUDIENCE,
          sub: 'alice',
          iat: String(iat),
          exp: String(iat + 600),
          'cognito:groups': '[admin dev]',
          email_verified: 'true',
          address: 'map[city:Oslo zip:0150]',
          scope: 'todos/read todos/write',
          auth_time: '1700000000',
        },
        scopes: ['todos/read', 'todos/write'],
      },
    });
    expect(event.headers.authorization).toBe(`Bearer ${token}`);
  });

  it('accepts the token without the Bearer prefix, a list aud with one match, and client_id when aud is absent', async () => {
    // Prepare
    const bare = await sign(valid({ sub: 'bare' }));
    const listed = await sign(valid({ sub: 'listed', aud: ['elsewhere', 'other-client'] }));
    const clientId = await sign(
      valid({ sub: 'client', aud: undefined, client_id: AUDIENCE, scp: ['a', 'b'] }),
    );

    // Act
    const responses = await Promise.all([call(bare), call(`bearer ${listed}`), call(`Bearer ${clientId}`)]);
    const events = (await Promise.all(responses.map((response) => response.json()))) as {
      event: { requestContext: { authorizer: { jwt: { claims: Record<string, string>; scopes: unknown } } } };
    }[];

    // Assess
    expect(responses.map((response) => response.status)).toEqual([201, 201, 201]);
    expect(events.map(({ event }) => event.requestContext.authorizer.jwt.claims.sub)).toEqual([
      'bare',
      'listed',
      'client',
    ]);
    expect(events[1]!.event.requestContext.authorizer.jwt.claims.aud).toBe('[elsewhere other-client]');
    expect(events[0]!.event.requestContext.authorizer.jwt.scopes).toBeNull();
    expect(events[2]!.event.requestContext.authorizer.jwt.scopes).toEqual(['a', 'b']);
  });

  it('renders nested claim values the way API Gateway stringifies them', () => {
    // Act
    const rendered = [renderClaim(['a', 1, [true, 'b']]), renderClaim({ b: [1], a: 'x' }), renderClaim(1.5)];

    // Assess
    expect(rendered).toEqual(['[a 1 [true b]]', 'map[a:x b:[1]]', '1.5']);
  });
});

describe('dev issuer', () => {
  it('keeps one key pair under <state dir>/jwt and mints tokens the local authorizer accepts', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'dev-issuer-'));
    try {
      const config = await loadJwtAuthorizerConfig(
        { dev: true, issuer: DEV_ISSUER, audiences: ['todos'] },
        dir,
      );
      const authorizer = createJwtAuthorizer(config);

      // Act
      const token = await mintDevToken({ stateDir: dir, sub: 'alice', scope: 'todos/read' });
      const again = await loadJwtAuthorizerConfig(
        { dev: true, issuer: DEV_ISSUER, audiences: ['todos'] },
        dir,
      );
      const accepted = await authorizer.authorize(`Bearer ${token}`);
      const expired = await authorizer.authorize(
        `Bearer ${await mintDevToken({ stateDir: dir, sub: 'alice', ttlSec: 60, now: new Date(Date.now() - 3_600_000) })}`,
      );
      const otherAudience = await authorizer.authorize(
        `Bearer ${await mintDevToken({ stateDir: dir, sub: 'alice', audiences: ['elsewhere'] })}`,
      );

      // Assess
      expect(again.jwks).toEqual(config.jwks);
      expect(JSON.parse(await readFile(devKeyPaths(dir).jwks, 'utf8'))).toEqual(config.jwks);
      expect(JSON.stringify(config.jwks)).not.toMatch(/"d":/);
      expect(accepted).toMatchObject({
        authorized: true,
        jwt: { claims: { sub: 'alice', iss: DEV_ISSUER, aud: 'todos' }, scopes: ['todos/read'] },
      });
      expect(expired).toMatchObject({
        authorized: false,
        challenge: expect.stringContaining('the token has expired'),
      });
      expect(otherAudience).toMatchObject({
        authorized: false,
        challenge: expect.stringContaining('valid audience'),
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
