/**
 * The command line of `npm run canary`: help, one line with exit status 2 for bad usage (no
 * stack trace), and Ctrl-C during the canary rolling back with exit status 1 and a report. The
 * verdicts of whole rehearsals are covered by canary-rehearsal.test.ts.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, PROJECT_ROOT } from '../../local/config';
import { eventually } from '../support/eventually';

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

  it('rolls back on Ctrl-C during the canary, exits 1 and writes the report', async () => {
    // Prepare: a 30-minute canary at a CloudWatch minute a second, stopped once traffic moved.
    const stateDir = await mkdtemp(path.join(tmpdir(), 'canary-cli-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        '--to',
        DEFAULTS.codeDir,
        '--config',
        'LambdaCanary10Percent30Minutes',
        '--time-scale',
        '60',
        '--state-dir',
        stateDir,
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await eventually(
        () => output,
        (text) => text.includes('alias live: 10% of traffic on version 2'),
      );

      // Act
      child.kill('SIGINT');
      const code = await exited;

      // Assess
      expect(code).toBe(1);
      expect(output).toMatch(/alias live: 0% of traffic on version 2/);
      expect(output).toMatch(/verdict: RolledBack \(the deployment was stopped\)/);
      const reports = await readdir(path.join(stateDir, 'releases'));
      expect(reports.filter((file) => file.endsWith('.svg'))).toHaveLength(1);
      const json = reports.find((file) => file.endsWith('.json'));
      const report = JSON.parse(await readFile(path.join(stateDir, 'releases', json ?? ''), 'utf8')) as {
        status: string;
        events: { type: string }[];
      };
      expect(report.status).toBe('RolledBack');
      expect(report.events.at(-1)?.type).toBe('finished');
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await rm(stateDir, { recursive: true, force: true });
    }
  }, 120_000);
});
