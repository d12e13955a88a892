import { execFile } from 'node:child_process';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import type { StoredSegment } from '../../local/xray/trace-store';
import { waitForTrace } from '../support/sandbox-traces';

// The extension compiled by `bun build --compile` (build target extension-bin, for this
// machine's architecture) is the only extension of the layer: no launcher, no bundle, no Node.
// It runs beside the built todo handler (dist/functions/todos, as `npm test` builds it) in the
// local sandbox with the embedded DynamoDB.
const root = path.resolve(import.meta.dirname, '..', '..');
const layer = path.join(root, 'dist', 'layer-bin', process.arch);
const executable = path.join(layer, 'extensions', 'telemetry-extension');

let stateDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'extension-bin'], {
    cwd: root,
    env: { ...process.env, TELEMETRY_EXTENSION_ARCH: process.arch },
  });
  stateDir = await mkdtemp(path.join(tmpdir(), 'single-executable-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, timeoutSec: 10, layers: [layer] });
}, 180_000);

afterAll(async () => {
  await sandbox?.close();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

const traceOf = (root: string, done: (segments: StoredSegment[]) => boolean) =>
  waitForTrace(sandbox, root, done);

async function magicOf(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const { buffer } = await handle.read(Buffer.alloc(4), 0, 4, 0);
    return buffer.toString('latin1');
  } finally {
    await handle.close();
  }
}

describe('telemetry extension as a single executable', () => {
  it('is one native executable in the layer, with nothing for Node to load', async () => {
    // Act
    const entries = await readdir(layer, { recursive: true });

    // Assess
    expect(entries.sort()).toEqual(['extensions', path.join('extensions', 'telemetry-extension')]);
    expect(await magicOf(executable)).toBe('\x7fELF');
  });

  it('exports the todo handler spans to X-Ray under the Lambda function segment', async () => {
    // Prepare
    const trace = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(20)}5e1f`;

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`, {
      headers: { 'x-amzn-trace-id': `Root=${trace};Sampled=1` },
    });
    const segments = await traceOf(
      trace,
      (all) =>
        all.some((s) => s.source === 'put-trace-segments' && s.document.namespace === 'aws') &&
        all.some((s) => s.document.origin === 'AWS::Lambda::Function'),
    );

    // Assess
    expect(response.status).toBe(200);
    const fn = segments.find((s) => s.document.origin === 'AWS::Lambda::Function')!.document;
    const exported = segments.filter((s) => s.source === 'put-trace-segments').map((s) => s.document);
    const handler = exported.find((doc) => doc.parent_id === fn.id)!;
    expect(handler).toMatchObject({ type: 'subsegment', annotations: { route: '/todos' } });
    expect(exported.find((doc) => doc.namespace === 'aws')).toMatchObject({
      name: 'DynamoDB',
      parent_id: handler.id,
      aws: { operation: 'Query', table_name: 'todos' },
    });
  });
});
