/**
 * The local development issuer: one RSA key pair generated on first use and kept under
 * `<state dir>/jwt/` (`private-key.json` for signing, `jwks.json` for the sandbox's authorizer),
 * so `npm start -- --jwt-issuer local` accepts what `npm run token` mints, across restarts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JSONWebKeySet, type JWK, SignJWT } from 'jose';

/** `iss` of dev tokens; `.localhost` is reserved (RFC 6761), so it can never be a real issuer. */
export const DEV_ISSUER = 'https://issuer.sandbox.localhost';
/** The audience dev tokens carry and the dev authorizer accepts unless told otherwise. */
export const DEV_AUDIENCE = 'todos';
/** An hour, as most identity providers issue access tokens. */
export const DEV_TOKEN_TTL_SEC = 3600;
const ALGORITHM = 'RS256';

/** Where the dev key pair lives under a state directory. */
export const devKeyPaths = (stateDir: string) => ({
  directory: path.join(stateDir, 'jwt'),
  privateKey: path.join(stateDir, 'jwt', 'private-key.json'),
  jwks: path.join(stateDir, 'jwt', 'jwks.json'),
});

interface DevKeys {
  readonly privateJwk: JWK;
  readonly jwks: JSONWebKeySet;
}

/** Writes through a temporary file so a concurrent reader never sees half a key. */
async function writeAtomically(file: string, text: string, mode: number): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, text, { mode });
  await rename(temporary, file);
}

/** Reads the dev key pair, generating and storing it first when it does not exist yet. */
export async function ensureDevKeys(stateDir: string): Promise<DevKeys> {
  const paths = devKeyPaths(stateDir);
  try {
    const privateJwk = JSON.parse(await readFile(paths.privateKey, 'utf8')) as JWK;
    const jwks = JSON.parse(await readFile(paths.jwks, 'utf8')) as JSONWebKeySet;
    return { privateJwk, jwks };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const kid = `dev-${randomBytes(6).toString('hex')}`;
  const privateJwk: JWK = { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM, use: 'sig' };
  const jwks: JSONWebKeySet = {
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' }],
  };
  await mkdir(paths.directory, { recursive: true });
  // The public half is written last: a key set on disk always has its private key beside it.
  await writeAtomically(paths.privateKey, JSON.stringify(privateJwk), 0o600);
  await writeAtomically(paths.jwks, `${JSON.stringify(jwks, null, 2)}\n`, 0o644);
  return { privateJwk, jwks };
}

export interface DevTokenRequest {
  readonly stateDir: string;
  readonly sub: string;
  /** @default [DEV_AUDIENCE] */
  readonly audiences?: readonly string[];
  /** @default DEV_TOKEN_TTL_SEC */
  readonly ttlSec?: number;
  /** Space-separated OAuth scopes, put in `scope`. */
  readonly scope?: string;
  /** @default now */
  readonly now?: Date;
}

/**
 * Mints a token signed by the dev key (created if needed) for {@link DEV_ISSUER}.
 *
 * @example
 * const token = await mintDevToken({ stateDir: '.local', sub: 'alice' });
 * await fetch(url, { headers: { authorization: `Bearer ${token}` } });
 */
export async function mintDevToken(request: DevTokenRequest): Promise<string> {
  const { privateJwk } = await ensureDevKeys(request.stateDir);
  const key = await importJWK(privateJwk, ALGORITHM);
  const issuedAt = Math.floor((request.now ?? new Date()).getTime() / 1000);
  const audiences = [...(request.audiences ?? [DEV_AUDIENCE])];
  return new SignJWT({ ...(request.scope ? { scope: request.scope } : {}) })
    .setProtectedHeader({ alg: ALGORITHM, kid: privateJwk.kid!, typ: 'JWT' })
    .setIssuer(DEV_ISSUER)
    .setSubject(request.sub)
    .setAudience(audiences.length === 1 ? audiences[0]! : audiences)
    .setIssuedAt(issuedAt)
    .setNotBefore(issuedAt)
    .setExpirationTime(issuedAt + (request.ttlSec ?? DEV_TOKEN_TTL_SEC))
    .setJti(randomBytes(8).toString('hex'))
    .sign(key);
}
