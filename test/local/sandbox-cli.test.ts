import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../local/config';
import { cgroupSupport } from '../../local/environment/cgroup-probe';
import { isolationSupport } from '../../local/environment/isolation/isolation-probe';

const ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo');

/** Processes (other than ourselves) whose environment holds the marker: what a sandbox started. */
async function processesWith(marker: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const environ = await readFile(`/proc/${entry}/environ`, 'latin1').catch(() => '');
    if (environ.includes(marker)) found.push(Number(entry));
  }
  return found;
}

let stateDir: string;
let cli: ChildProcess | undefined;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'sandbox-cli-'));
});

afterAll(async () => {
  // Only when the test failed before its own SIGTERM: never leave the CLI running.
  if (cli && cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
  await rm(stateDir, { recursive: true, force: true });
});

describe('sandbox CLI', () => {
  it('prints the URL when ready, serves, and on SIGTERM exits 0 leaving no process behind', async () => {
    // Prepare
    cli = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(PROJECT_ROOT, 'local', 'cli.ts'),
        '--code',
        ECHO,
        '--port',
        '0',
        '--lambda-port',
        '0',
        '--xray-port',
        '0',
        '--console-port',
        '0',
        '--in-memory',
        '--state-dir',
        stateDir,
      ],
      { cwd: PROJECT_ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const child = cli;
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout!.on('data', () => {
        const match = /Local sandbox ready: (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match) resolve(match[1]!);
      });
      void exited.then((code) => reject(new Error(`the CLI exited with ${code} before it was ready`)));
    });
    const xrayEndpoint = /X-Ray +udp \S+, (http:\/\/\S+)/.exec(output)![1]!;
    const consoleUrl = /console +(http:\/\/127\.0\.0\.1:\d+)/.exec(output)![1]!;
    const support = await cgroupSupport();

    // Act
    const response = await fetch(`${url}/todos/1`);
    const consolePage = await fetch(consoleUrl);
    // Inside an environment of its own the endpoint is the sandbox's address there, same port.
    const isolation = await isolationSupport();
    const marker = isolation.available
      ? `AWS_ENDPOINT_URL_XRAY=http://169.254.79.1:${new URL(xrayEndpoint).port}`
      : `AWS_ENDPOINT_URL_XRAY=${xrayEndpoint}`;
    const before = await processesWith(marker);
    child.kill('SIGTERM');
    const code = await exited;

    // Assess
    expect(response.status).toBe(201);
    expect(consolePage.status).toBe(200);
    expect(consolePage.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // One line says what the environments get: Lambda's limits, or why they run without them.
    expect(output.split('\n').filter((line) => line.startsWith('  resources '))).toEqual([
      support.available
        ? expect.stringMatching(
            /^ {2}resources +Lambda-sized through cgroups: 1024 MB memory limit, 0\.579 vCPU/,
          )
        : `  resources      unconstrained: ${support.reason}`,
    ]);
    expect(before.length).toBeGreaterThan(0);
    expect(code).toBe(0);
    // And one what they see: Lambda's filesystem and network, or why the host's.
    expect(output.split('\n').filter((line) => line.startsWith('  environments '))).toEqual([
      isolation.available
        ? expect.stringMatching(/^ {2}environments +Lambda's through namespaces: code at \/var\/task/)
        : `  environments   host's filesystem and network: ${isolation.reason}`,
    ]);
    expect(await processesWith(marker)).toEqual([]);
  });
});
