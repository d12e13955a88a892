/**
 * Where namespaces are available (root on Linux, as here and in CI), each execution environment
 * sees Lambda's filesystem and network (`local/environment/isolation/`) as Lambda's unprivileged
 * user: the variables name Lambda's paths and addresses and no sandbox-only ones, the sandbox's
 * stand-ins are reached at the endpoints the variables name, the host's other services are not
 * on the environment's loopback, and `/tmp` is the environment's own and goes with it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sandboxEndpoints } from '../../local/environment/environment-view';
import type { FunctionDefinition } from '../../local/environment/types';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { lambdaViewSupport } from '../support/lambda-view';
import { waitForTrace } from '../support/sandbox-traces';

const support = await lambdaViewSupport();
const { skipped } = support;

/** Answers what it sees; `?probe=` picks one of the probes below. */
const PROBE_FUNCTION = `
import { createSocket } from 'node:dgram';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { userInfo } from 'node:os';
const tryConnect = (port, host) => new Promise((resolve) => {
  const socket = connect(port, host, () => { socket.destroy(); resolve('connected'); });
  socket.on('error', (error) => resolve(error.code));
});
export const handler = async (event) => {
  const probe = event.queryStringParameters?.probe;
  let answer;
  if (probe === 'variables') {
    const names = ['LAMBDA_TASK_ROOT', 'LAMBDA_RUNTIME_DIR', 'AWS_LAMBDA_RUNTIME_API', 'AWS_XRAY_DAEMON_ADDRESS',
      'AWS_ENDPOINT_URL_DYNAMODB', 'TELEMETRY_RECEIVER_ADDRESS', 'TELEMETRY_LISTENER_ADDRESS', 'PATH', 'NODE_PATH'];
    answer = { cwd: process.cwd(), execPath: process.execPath, uid: process.getuid(), user: userInfo().username, env: Object.fromEntries(names.map((n) => [n, process.env[n] ?? null])) };
  } else if (probe === 'network') {
    const dynamodb = new URL(process.env.AWS_ENDPOINT_URL_DYNAMODB);
    answer = {
      dynamodb: await tryConnect(Number(dynamodb.port), dynamodb.hostname),
      hostApiOnLoopback: await tryConnect(Number(event.queryStringParameters.port), '127.0.0.1'),
      hosts: readFileSync('/etc/hosts', 'utf8'),
    };
  } else if (probe === 'sdk') {
    // Not bundled: the runtime provides the SDK, as Lambda's does.
    const { DynamoDBClient, ListTablesCommand } = await import('@aws-sdk/client-dynamodb');
    const { TableNames } = await new DynamoDBClient({}).send(new ListTablesCommand({}));
    answer = { tables: TableNames, from: import.meta.resolve('@aws-sdk/client-dynamodb') };
  } else if (probe === 'tmp') {
    const file = '/tmp/lambda-view-' + event.queryStringParameters.marker;
    const before = existsSync(file);
    writeFileSync(file, 'written inside');
    answer = { before };
  } else if (probe === 'daemon') {
    const [host, port] = process.env.AWS_XRAY_DAEMON_ADDRESS.split(':');
    const now = Date.now() / 1000;
    const segment = { name: 'probe', id: '0123456789abcdef', trace_id: event.queryStringParameters.trace, start_time: now, end_time: now + 0.001 };
    const socket = createSocket('udp4');
    await new Promise((resolve) => socket.send('{"format":"json","version":1}\\n' + JSON.stringify(segment), Number(port), host, resolve));
    socket.close();
    answer = { sent: true };
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer) };
};
`;

let stateDir: string;
let sandbox: Sandbox | undefined;
/** The directory a sandbox process killed with SIGKILL left behind, with an environment's /tmp in it. */
let staleRunDir: string;

async function probe(name: string, query: Record<string, string> = {}): Promise<Record<string, unknown>> {
  if (!sandbox) throw new Error('no sandbox');
  const search = new URLSearchParams({ probe: name, ...query });
  const response = await fetch(`${sandbox.apiUrl}/probe?${search}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  if (!support.available) return;
  stateDir = await mkdtemp(path.join(tmpdir(), 'lambda-view-'));
  const codeDir = path.join(stateDir, 'code');
  await mkdir(codeDir);
  await writeFile(path.join(codeDir, 'index.mjs'), PROBE_FUNCTION);
  const gone = spawnSync('true');
  staleRunDir = path.join(tmpdir(), `lambda-sandbox-${gone.pid}`);
  await mkdir(path.join(staleRunDir, '0123456789abcdef', 'tmp'), { recursive: true });
  sandbox = await startSandbox({
    inMemory: true,
    stateDir,
    codeDir,
    handler: 'index.handler',
    layers: [],
    concurrency: 1,
  });
});

afterAll(async () => {
  await sandbox?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
});

describe.skipIf(!support.available)(`an environment with Lambda's view${skipped}`, () => {
  it("runs as Lambda's unprivileged user and names Lambda's paths and addresses, no sandbox-only ones", async () => {
    // Act
    const seen = await probe('variables');

    // Assess
    expect(sandbox?.isolation).toEqual({ isolated: true });
    expect(seen.cwd).toBe('/var/task');
    expect(seen.execPath).toBe('/var/lang/bin/node');
    expect([seen.uid, seen.user]).toEqual([993, 'sbx_user1051']);
    expect(seen.env).toMatchObject({
      LAMBDA_TASK_ROOT: '/var/task',
      LAMBDA_RUNTIME_DIR: '/var/runtime',
      AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
      AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
      TELEMETRY_RECEIVER_ADDRESS: null,
      TELEMETRY_LISTENER_ADDRESS: null,
    });
    const env = seen.env as Record<string, string>;
    expect(env.AWS_ENDPOINT_URL_DYNAMODB).toMatch(/^http:\/\/169\.254\.79\.1:\d+$/);
    expect(env.PATH?.split(':')[0]).toBe('/var/lang/bin');
    expect(env.NODE_PATH?.split(':')).toContain('/opt/nodejs/node_modules');
  });

  it("imports the AWS SDK the runtime provides, from /var/runtime/node_modules, and calls the sandbox's DynamoDB with it", async () => {
    // Act
    const seen = await probe('sdk');

    // Assess
    expect(seen.tables).toContain('todos');
    expect(seen.from).toMatch(/^file:\/\/\/var\/runtime\/node_modules\/@aws-sdk\/client-dynamodb\//);
  });

  it("reaches the sandbox's DynamoDB where its variable says, but no other service of the host", async () => {
    // Prepare: the HTTP API listens on the host's loopback.
    const hostPort = new URL(sandbox?.apiUrl ?? '').port;

    // Act
    const seen = await probe('network', { port: hostPort });

    // Assess
    expect(seen.dynamodb).toBe('connected');
    expect(seen.hostApiOnLoopback).toBe('ECONNREFUSED');
    expect(seen.hosts).toMatch(/^127\.0\.0\.1\s.*\bsandbox\.localdomain\b/m);
  });

  it('removes the environment directories of a sandbox process that died without exiting', async () => {
    // Act: this process's first environment starts.
    await probe('tmp', { marker: 'sweep' });

    // Assess
    expect(existsSync(staleRunDir)).toBe(false);
  });

  it('keeps /tmp private to the environment and removes it with the environment', async () => {
    // Act
    const first = await probe('tmp', { marker: 'private' });
    const second = await probe('tmp', { marker: 'private' });
    const runDir = path.join(tmpdir(), `lambda-sandbox-${process.pid}`);
    const environmentsWhileRunning = await readdir(runDir);
    await sandbox?.close();
    sandbox = undefined;

    // Assess: the second invoke ran in the same environment and saw the first one's file; the
    // host's /tmp never had it, and the environment's directory went at shutdown.
    expect([first.before, second.before]).toEqual([false, true]);
    expect(existsSync('/tmp/lambda-view-private')).toBe(false);
    expect(environmentsWhileRunning.length).toBeGreaterThan(0);
    expect(await readdir(runDir).catch(() => [])).toEqual([]);
  });
});

describe.skipIf(!support.available)(`the X-Ray daemon inside an environment${skipped}`, () => {
  it("relays a segment sent to Lambda's daemon address to the sandbox's X-Ray store", async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'lambda-view-daemon-'));
    const codeDir = path.join(dir, 'code');
    await mkdir(codeDir);
    await writeFile(path.join(codeDir, 'index.mjs'), PROBE_FUNCTION);
    const own = await startSandbox({
      inMemory: true,
      stateDir: dir,
      codeDir,
      handler: 'index.handler',
      layers: [],
    });
    const trace = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'d'.repeat(24)}`;
    try {
      // Act
      const response = await fetch(`${own.apiUrl}/probe?probe=daemon&trace=${trace}`);

      // Assess
      expect(response.status).toBe(200);
      const stored = await waitForTrace(own, trace, (segments) =>
        segments.some((s) => s.document.name === 'probe'),
      );
      expect(stored.find((s) => s.document.name === 'probe')?.document.id).toBe('0123456789abcdef');
    } finally {
      await own.close();
      await rm(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});

describe("the sandbox's endpoints as an environment with its own network reaches them", () => {
  const def = (environment: Record<string, string>, names: string[]): FunctionDefinition => ({
    name: 'f',
    codeDir: '/code',
    handler: 'index.handler',
    memoryMb: 128,
    timeoutSec: 3,
    layers: [],
    environment,
    sandboxEndpoints: names,
    concurrency: 1,
    freeze: true,
    idleTimeoutMs: 1000,
    region: 'eu-west-1',
  });

  it("rewrites the sandbox's loopback endpoints to its address inside and forwards their ports", () => {
    // Act
    const endpoints = sandboxEndpoints(
      def(
        {
          AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:8000',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4319',
          AWS_XRAY_DAEMON_ADDRESS: '127.0.0.1:2999',
          MY_SERVICE: 'http://127.0.0.1:9000',
        },
        ['AWS_ENDPOINT_URL_DYNAMODB', 'OTEL_EXPORTER_OTLP_ENDPOINT', 'AWS_XRAY_DAEMON_ADDRESS'],
      ),
    );

    // Assess: the function's own MY_SERVICE keeps Lambda's meaning (the environment itself).
    expect(endpoints).toEqual({
      variables: {
        AWS_ENDPOINT_URL_DYNAMODB: 'http://169.254.79.1:8000',
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://169.254.79.1:4319',
        AWS_XRAY_DAEMON_ADDRESS: '169.254.79.129:2000',
      },
      ports: [8000, 4319],
      xrayDaemon: { host: '127.0.0.1', port: 2999 },
    });
  });

  it('leaves endpoints elsewhere, and a daemon address it cannot relay, as they are', () => {
    // Act
    const endpoints = sandboxEndpoints(
      def(
        {
          AWS_ENDPOINT_URL_DYNAMODB: 'https://dynamodb.eu-west-1.amazonaws.com',
          AWS_XRAY_DAEMON_ADDRESS: 'tcp:10.0.0.1:2000 udp:10.0.0.1:2001',
        },
        ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_XRAY_DAEMON_ADDRESS'],
      ),
    );

    // Assess
    expect(endpoints).toEqual({
      variables: {
        AWS_ENDPOINT_URL_DYNAMODB: 'https://dynamodb.eu-west-1.amazonaws.com',
        AWS_XRAY_DAEMON_ADDRESS: 'tcp:10.0.0.1:2000 udp:10.0.0.1:2001',
      },
      ports: [],
    });
  });
});
