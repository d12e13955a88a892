/**
 * The command line of `npm run canary`: help, and one line with exit status 2 for bad usage
 * (no stack trace). The rehearsal itself is covered by canary-rehearsal.test.ts.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, PROJECT_ROOT } from '../../local/config';

const CLI = path.join(PROJECT_ROOT, 'local', 'release', 'canary-cli.ts');

async function canary(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      {
        cwd: PROJECT_ROOT,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('npm run canary', () => {
  it('prints its usage for --help and exits 0', async () => {
    const { code, stdout } = await canary('--help');

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: npm run canary -- --to DIR/);
    expect(stdout).toContain('LambdaCanary10Percent5Minutes');
  });

  it.each([
    [['--from', DEFAULTS.codeDir], /--to DIR is required/],
    [['--to', DEFAULTS.codeDir, '--bogus'], /Unknown option '--bogus'/],
    [
      ['--to', DEFAULTS.codeDir, '--config', 'LambdaBlueGreen'],
      /unknown deployment configuration "LambdaBlueGreen"/,
    ],
    [['--to', DEFAULTS.codeDir, '--time-scale', '0'], /--time-scale must be a positive number/],
    [['--to', path.join(PROJECT_ROOT, 'local')], /is not a function code directory/],
  ])('refuses %j in one line with exit status 2', async (args, message) => {
    const { code, stderr } = await canary(...args);

    expect(code).toBe(2);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^canary: /);
    expect(lines[0]).toMatch(message);
  });
});
