/**
 * `npm run token` configuration: command-line flags read once into a typed object.
 * Nothing else in the token CLI reads `process.argv`.
 */
import path from 'node:path';
import { parseFlags } from '../command-line';
import { DEFAULTS } from '../config';
import { UsageError } from '../sandbox-errors';
import { DEV_AUDIENCE, DEV_TOKEN_TTL_SEC } from './dev-issuer';

export interface TokenConfig {
  readonly sub: string;
  readonly audiences: readonly string[];
  readonly ttlSec: number;
  readonly scope?: string;
  readonly stateDir: string;
  readonly help: boolean;
}

/** The `--help` text. */
export const TOKEN_USAGE = `Usage: npm run token -- --sub ID [options]

Mints a JWT from the sandbox's dev issuer (its key is created under .local/jwt on first use),
accepted by "npm start -- --jwt-issuer local". Prints the token alone on stdout.

  --sub ID          the caller's identity: the todo owner (required)
  --aud AUD         audience, repeatable (default: ${DEV_AUDIENCE})
  --ttl S           lifetime in seconds, 1-604800 (default: ${DEV_TOKEN_TTL_SEC})
  --scope "A B"     OAuth scopes, space-separated
  --state-dir DIR   the sandbox's state directory (default: .local)
  --help            print this text

Example: curl -H "Authorization: Bearer $(npm run -s token -- --sub alice)" localhost:3000/todos
`;

/** A week: long enough for a demo, short enough that a leaked dev token dies. */
const MAX_TTL_SEC = 7 * 24 * 3600;

/** Reads the flags; throws {@link UsageError} with a one-line explanation on bad input. */
export function readTokenConfig(argv: readonly string[] = process.argv.slice(2)): TokenConfig {
  const values = parseFlags(argv, {
    sub: { type: 'string' },
    aud: { type: 'string', multiple: true },
    ttl: { type: 'string' },
    scope: { type: 'string' },
    'state-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const stateDir = values['state-dir'] === undefined ? DEFAULTS.stateDir : path.resolve(values['state-dir']);
  if (values.help) return { sub: '', audiences: [], ttlSec: 0, stateDir, help: true };

  const sub = values.sub?.trim() ?? '';
  if (sub === '') throw new UsageError('--sub is required: pass the caller identity, e.g. --sub alice');
  const audiences = values.aud ?? [DEV_AUDIENCE];
  if (audiences.some((audience) => audience.trim() === ''))
    throw new UsageError('--aud is empty; pass the audience the sandbox accepts, e.g. --aud todos');
  let ttlSec = DEV_TOKEN_TTL_SEC;
  if (values.ttl !== undefined) {
    ttlSec = Number(values.ttl);
    if (!/^\d+$/.test(values.ttl) || ttlSec < 1 || ttlSec > MAX_TTL_SEC)
      throw new UsageError(`--ttl needs whole seconds from 1 to ${MAX_TTL_SEC}, got "${values.ttl}"`);
  }
  return {
    sub,
    audiences,
    ttlSec,
    ...(values.scope?.trim() ? { scope: values.scope.trim() } : {}),
    stateDir,
    help: false,
  };
}
