/**
 * `npm run token -- --sub alice`: prints a dev token for `npm start -- --jwt-issuer local`.
 */
import { mintDevToken } from './auth/dev-issuer';
import { readTokenConfig, TOKEN_USAGE, type TokenConfig } from './auth/token-config';
import { UsageError } from './sandbox-errors';

async function main(): Promise<void> {
  let config: TokenConfig;
  try {
    config = readTokenConfig();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`token: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (config.help) {
    process.stdout.write(TOKEN_USAGE);
    return;
  }
  const token = await mintDevToken({
    stateDir: config.stateDir,
    sub: config.sub,
    audiences: config.audiences,
    ttlSec: config.ttlSec,
    ...(config.scope ? { scope: config.scope } : {}),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  const code = (error as NodeJS.ErrnoException).code;
  // The only expected failure is the key directory: say which and how to fix it.
  if (code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR')
    console.error(
      `token: cannot write the dev key (${code}: ${(error as Error).message}); pass a writable --state-dir`,
    );
  else console.error(error);
  process.exit(1);
});
