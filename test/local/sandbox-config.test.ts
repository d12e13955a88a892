import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, PROJECT_ROOT, readSandboxConfig } from '../../local/config';
import { UsageError } from '../../local/sandbox-errors';

describe('sandbox configuration', () => {
  it('defaults to the project function on ports 3000 and 3001 with the built extension layer', () => {
    // Act
    const config = readSandboxConfig([], {});

    // Assess
    expect(config).toMatchObject({
      functionName: 'todos',
      codeDir: DEFAULTS.codeDir,
      handler: 'index.handler',
      port: 3000,
      lambdaPort: 3001,
      layers: [DEFAULTS.layerDir],
      freeze: true,
      unconstrained: false,
      inMemory: false,
    });
  });

  it('reads every flag, PORT, and passes only the documented prefixes through', () => {
    // Act
    const config = readSandboxConfig(
      [
        '--code',
        'test/local/fixtures/echo',
        '--handler',
        'index.handler',
        '--lambda-port',
        '0',
        '--memory',
        '256',
        '--timeout',
        '15',
        '--concurrency',
        '2',
        '--env',
        'A=1',
        '--env',
        'B=x=y',
        '--layer',
        'test/local/fixtures',
        '--no-freeze',
        '--unconstrained',
        '--idle-timeout',
        '60',
        '--in-memory',
      ],
      {
        PORT: '8080',
        OTEL_SERVICE_NAME: 'svc',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://db:8000',
        TELEMETRY_X: '1',
        HOME: '/root',
      },
    );

    // Assess
    expect(config).toMatchObject({
      functionName: 'echo',
      defaultCode: false,
      port: 8080,
      lambdaPort: 0,
      memoryMb: 256,
      timeoutSec: 15,
      concurrency: 2,
      environment: { A: '1', B: 'x=y' },
      freeze: false,
      unconstrained: true,
      idleTimeoutMs: 60_000,
      inMemory: true,
      dynamodbEndpoint: 'http://db:8000',
      passthrough: {
        OTEL_SERVICE_NAME: 'svc',
        AWS_ENDPOINT_URL_DYNAMODB: 'http://db:8000',
        TELEMETRY_X: '1',
      },
    });
    expect(config.layers).toEqual([DEFAULTS.layerDir, path.resolve('test/local/fixtures')]);
  });

  it('reads --reserved-concurrency, 0 included, and leaves it out when not given', () => {
    // Act
    const throttled = readSandboxConfig(['--reserved-concurrency', '0'], {});
    const unlimited = readSandboxConfig([], {});

    // Assess
    expect(throttled.reservedConcurrency).toBe(0);
    expect(unlimited).not.toHaveProperty('reservedConcurrency');
  });

  it('reads repeated --cors-origin as origins, and none by default', () => {
    // Act
    const allowed = readSandboxConfig(
      ['--cors-origin', 'https://App.Example.com:443', '--cors-origin', 'http://localhost:5173/'],
      {},
    );
    const none = readSandboxConfig([], {});

    // Assess
    expect(allowed.corsOrigins).toEqual(['https://app.example.com', 'http://localhost:5173']);
    expect(none.corsOrigins).toEqual([]);
  });

  it.each([
    [['--bogus'], "Unknown option '--bogus'"],
    [['--cors-origin', 'localhost:5173'], '--cors-origin "localhost:5173" is not an origin'],
    [['--cors-origin', 'https://app.example.com/path'], 'is not an origin; pass scheme://host[:port]'],
    [['--cors-origin', '*'], '--cors-origin "*" is not an origin'],
    [['--memory', '64'], '--memory must be between 128 and 10240, got 64'],
    [['--memory', '10241'], '--memory must be between 128 and 10240, got 10241'],
    [['--memory', '1.5'], '--memory needs a whole number, got "1.5"'],
    [['--timeout', 'soon'], '--timeout needs a whole number'],
    [['--handler', 'index'], 'is not FILE.EXPORT'],
    [['--env', 'NOVALUE'], 'is not KEY=VALUE'],
    [['--code', '/no/such/dir'], 'no such directory'],
    [['--port', '70000'], '--port must be between 0 and 65535'],
    [['--reserved-concurrency', '1001'], '--reserved-concurrency must be between 0 and 1000'],
  ])('rejects %j with a one-line explanation', (argv, message) => {
    // Act
    const read = () => readSandboxConfig(argv, {});

    // Assess
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });

  it('exits with status 2 and one line on stderr for a bad flag', () => {
    // Act
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'local', 'cli.ts'), '--memory', 'lots'],
      {
        encoding: 'utf8',
        cwd: PROJECT_ROOT,
      },
    );

    // Assess
    expect(result.status).toBe(2);
    const lines = result.stderr
      .trim()
      .split('\n')
      .filter((line) => line.startsWith('sandbox:'));
    expect(lines).toEqual(['sandbox: --memory needs a whole number, got "lots"']);
  });
});
