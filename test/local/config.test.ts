import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_AUDIENCE, DEV_ISSUER } from '../../local/auth/dev-issuer';
import { readTokenConfig } from '../../local/auth/token-config';
import { PROJECT_ROOT, readSandboxConfig } from '../../local/config';
import { UsageError } from '../../local/sandbox-errors';

let dir: string;
let jwksFile: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jwt-config-'));
  jwksFile = path.join(dir, 'jwks.json');
  await writeFile(jwksFile, '{"keys":[]}');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('sandbox authorizer flags', () => {
  it('leaves the API open when no issuer is given', () => {
    // Act
    const config = readSandboxConfig([], {});

    // Assess
    expect(config.jwt).toBeUndefined();
  });

  it('reads an issuer URL, its JWKS file and every audience', () => {
    // Act
    const config = readSandboxConfig(
      [
        '--jwt-issuer',
        'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc',
        '--jwks',
        jwksFile,
        '--jwt-audience',
        'client-a',
        '--jwt-audience',
        'client-b',
      ],
      {},
    );

    // Assess
    expect(config.jwt).toEqual({
      dev: false,
      issuer: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc',
      jwksFile,
      audiences: ['client-a', 'client-b'],
    });
  });

  it('takes "local" as the dev issuer with its default audience', () => {
    // Act
    const config = readSandboxConfig(['--jwt-issuer', 'local'], {});

    // Assess
    expect(config.jwt).toEqual({ dev: true, issuer: DEV_ISSUER, audiences: [DEV_AUDIENCE] });
  });

  it.each([
    [['--jwks', 'x.json'], /--jwks has no effect without --jwt-issuer/],
    [['--jwt-audience', 'a'], /--jwt-audience has no effect without --jwt-issuer/],
    [
      ['--jwt-issuer', 'http://issuer.test', '--jwks', 'x', '--jwt-audience', 'a'],
      /is not an https:\/\/ URL/,
    ],
    [['--jwt-issuer', 'https://issuer.test', '--jwt-audience', 'a'], /needs --jwks FILE/],
    [
      ['--jwt-issuer', 'https://issuer.test', '--jwks', 'no-such.json', '--jwt-audience', 'a'],
      /no such file/,
    ],
    [['--jwt-issuer', 'local', '--jwks', 'x.json'], /--jwks cannot be used with --jwt-issuer local/],
    [['--jwt-issuer', 'local', '--jwt-audience', ' '], /--jwt-audience is empty/],
  ])('refuses %j with one line saying what to do', (argv, message) => {
    // Act
    const read = () => readSandboxConfig(argv, {});

    // Assess
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });

  it('refuses an issuer URL without an audience', () => {
    // Act
    const read = () => readSandboxConfig(['--jwt-issuer', 'https://issuer.test', '--jwks', jwksFile], {});

    // Assess
    expect(read).toThrow(/needs at least one --jwt-audience/);
  });

  it('exits 2 with one line from npm start when the flags are inconsistent', () => {
    // Act
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'local/cli.ts', '--jwks', 'x.json'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });

    // Assess
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^sandbox: --jwks has no effect without --jwt-issuer/);
  });
});

describe('token flags', () => {
  it('defaults to the dev audience, an hour and the .local state directory', () => {
    // Act
    const config = readTokenConfig(['--sub', 'alice']);

    // Assess
    expect(config).toEqual({
      sub: 'alice',
      audiences: [DEV_AUDIENCE],
      ttlSec: 3600,
      stateDir: path.join(PROJECT_ROOT, '.local'),
      help: false,
    });
  });

  it('reads audiences, lifetime, scopes and state directory', () => {
    // Act
    const config = readTokenConfig([
      '--sub',
      'bob',
      '--aud',
      'a',
      '--aud',
      'b',
      '--ttl',
      '60',
      '--scope',
      'todos/read',
      '--state-dir',
      dir,
    ]);

    // Assess
    expect(config).toEqual({
      sub: 'bob',
      audiences: ['a', 'b'],
      ttlSec: 60,
      scope: 'todos/read',
      stateDir: dir,
      help: false,
    });
  });

  it.each([
    [[], /--sub is required/],
    [['--sub', 'a', '--ttl', '0'], /--ttl needs whole seconds/],
    [['--sub', 'a', '--ttl', '1h'], /--ttl needs whole seconds/],
    [['--sub', 'a', '--aud', ''], /--aud is empty/],
    [['--sub', 'a', '--bogus'], /Unknown option '--bogus'; run with --help/],
  ])('refuses %j with one line saying what to do', (argv, message) => {
    // Act
    const read = () => readTokenConfig(argv);

    // Assess
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });

  it('prints a token from npm run token and one line with exit 2 on bad flags', () => {
    // Act
    const minted = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'local/token-cli.ts', '--sub', 'alice', '--state-dir', dir],
      { cwd: PROJECT_ROOT, encoding: 'utf8' },
    );
    const refused = spawnSync(process.execPath, ['--import', 'tsx', 'local/token-cli.ts', '--ttl', 'x'], {
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    });

    // Assess
    expect(minted.status).toBe(0);
    expect(minted.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(refused.status).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toMatch(/^token: /);
  });
});
