/**
 * Turns the authorizer flags into the authorizer's configuration: the dev issuer's key set
 * (generated on first use) for `--jwt-issuer local`, or the key set in the `--jwks` file.
 */
import { readFile } from 'node:fs/promises';
import type { JSONWebKeySet } from 'jose';
import { StartupError } from '../sandbox-errors';
import { DEV_ISSUER, ensureDevKeys } from './dev-issuer';
import type { JwtAuthorizerConfig } from './jwt-authorizer';

/** The authorizer as the flags describe it. */
export interface JwtSettings {
  /** `--jwt-issuer local`: the dev issuer, its keys under `<state dir>/jwt/`. */
  readonly dev: boolean;
  /** The issuer URL (`DEV_ISSUER` for the dev issuer). */
  readonly issuer: string;
  /** `--jwks FILE`, absolute; absent for the dev issuer. */
  readonly jwksFile?: string;
  /** `--jwt-audience` values. */
  readonly audiences: readonly string[];
}

/** Checks that a parsed document is a key set API Gateway could use: keys, each with a `kid`. */
function parseJwks(text: string, source: string): JSONWebKeySet {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new StartupError(
      `${source} is not JSON; pass a JSON Web Key Set ({"keys":[...]}) as the issuer serves it`,
    );
  }
  const keys = (document as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new StartupError(`${source} has no "keys" array; pass a JSON Web Key Set ({"keys":[...]})`);
  }
  if (!keys.every((key) => typeof key === 'object' && key !== null && typeof key.kid === 'string')) {
    throw new StartupError(
      `${source} has a key without "kid"; API Gateway finds keys by kid, so give each one`,
    );
  }
  return document as JSONWebKeySet;
}

/** Reads the key set and returns the authorizer's configuration. */
export async function loadJwtAuthorizerConfig(
  settings: JwtSettings,
  stateDir: string,
): Promise<JwtAuthorizerConfig> {
  if (settings.dev) {
    const { jwks } = await ensureDevKeys(stateDir);
    return { issuer: DEV_ISSUER, audiences: settings.audiences, jwks };
  }
  const file = settings.jwksFile!;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new StartupError(
      `--jwks ${file} cannot be read (${(error as NodeJS.ErrnoException).code}); pass a readable JWKS file`,
      {
        cause: error,
      },
    );
  }
  return { issuer: settings.issuer, audiences: settings.audiences, jwks: parseJwks(text, `--jwks ${file}`) };
}
