import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runtimeNode } from '../../local/environment/runtime-node';
import {
  INIT_ERROR_DIR,
  json,
  NODE_FUNCTIONS_DIR,
  SAMPLED_TRACE,
  SandboxHarness,
} from './support/sandbox-harness';

describe('emulated nodejs24.x runtime', () => {
  let sandbox: SandboxHarness;

  beforeEach(async () => {
    sandbox = await SandboxHarness.create();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('runs an async handler with the invocation trace id, context and runtime variables', async () => {
    // Prepare
    const pool = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'index.echo' });

    // Act
    const traced = await pool.invoke({ payload: Buffer.from('{"n":1}'), traceHeader: SAMPLED_TRACE });
    const untraced = await pool.invoke({ payload: Buffer.from('{"n":2}') });

    // Assess
    const first = json(traced.payload);
    expect(traced.status).toBe('success');
    expect(first).toMatchObject({
      event: { n: 1 },
      requestId: traced.requestId,
      functionName: 'conformance',
      remainingPositive: true,
      env: 'AWS_Lambda_nodejs24.x',
    });
    expect(first.traceId).toMatch(/^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=1$/);
    expect(json(untraced.payload).traceId).not.toContain('5759e988');
    expect(traced.logTail).toMatch(new RegExp(`\\t${traced.requestId}\\tINFO\\techo \\{"n":1\\}`));
  });

  it("runs the function and the layer's extensions on the deployed runtime's Node major", async () => {
    // Prepare
    const layer = await sandbox.layer(['alpha']);
    const pool = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'index.echo', layers: [layer] });
    const expected = runtimeNode();

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(json(output.payload).node).toBe(expected.version);
    const started = (await sandbox.recorded('alpha')).find((line) => line.kind === 'started');
    expect(started?.node).toBe(expected.version);
    // Where the npm package that ships Node 24 is installed (npm ci on Linux), nothing falls back.
    if (expected.notice === undefined) expect(expected.version).toMatch(/^v24\./);
    else expect(expected.version).toBe(process.version);
  });

  it('runs a callback handler', async () => {
    // Prepare
    const pool = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'index.callback' });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('"x"') });

    // Assess
    expect(output.status).toBe('success');
    expect(json(output.payload)).toEqual({ via: 'callback', event: 'x' });
  });

  it('returns a handler error with its name as error type and keeps the environment', async () => {
    // Prepare
    const pool = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'index.fails' });

    // Act
    const first = await pool.invoke({ payload: Buffer.from('{}') });
    const second = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(first.status).toBe('error');
    expect(first.errorType).toBe('ValidationFailed');
    expect(json(first.payload)).toMatchObject({
      errorType: 'ValidationFailed',
      errorMessage: 'the input is not acceptable',
    });
    expect(second.environmentId).toBe(first.environmentId);
  });

  it('reports an error thrown while loading the module as an init error', async () => {
    // Prepare
    const pool = await sandbox.pool({ codeDir: INIT_ERROR_DIR, handler: 'index.handler' });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(output.status).toBe('error');
    expect(output.errorType).toBe('TypeError');
    expect(json(output.payload).errorMessage).toBe('cannot initialise');
    expect(sandbox.observer.records<{ status: string }>('platform.initRuntimeDone')[0]?.status).toBe('error');
  });

  it('reports a missing export as Runtime.HandlerNotFound and a missing module as Runtime.ImportModuleError', async () => {
    // Prepare
    const noExport = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'index.nothing' });
    const noModule = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'missing.handler' });

    // Act
    const [a, b] = await Promise.all([
      noExport.invoke({ payload: Buffer.from('{}') }),
      noModule.invoke({ payload: Buffer.from('{}') }),
    ]);

    // Assess
    expect(a.errorType).toBe('Runtime.HandlerNotFound');
    expect(b.errorType).toBe('Runtime.ImportModuleError');
  });

  it('reports a handler that exits the process as Runtime.ExitError', async () => {
    // Prepare
    const pool = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'index.crash' });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(output.status).toBe('failure');
    expect(output.errorType).toBe('Runtime.ExitError');
    expect(json(output.payload).errorMessage).toContain('exit status 7');
  });

  it("imports an ES module package from a layer's nodejs/node_modules through NODE_PATH, as Lambda's runtime does", async () => {
    // Prepare: a layer with one ES module package, and a function that imports it by name.
    const dir = await mkdtemp(path.join(tmpdir(), 'node-path-imports-'));
    try {
      const pkg = path.join(dir, 'layer', 'nodejs', 'node_modules', 'greeting');
      await mkdir(pkg, { recursive: true });
      await writeFile(
        path.join(pkg, 'package.json'),
        JSON.stringify({ name: 'greeting', type: 'module', exports: './index.js' }),
      );
      await writeFile(path.join(pkg, 'index.js'), "export const greet = (name) => 'hello ' + name;\n");
      const code = path.join(dir, 'code');
      await mkdir(code);
      await writeFile(
        path.join(code, 'index.mjs'),
        "import { greet } from 'greeting';\nexport const handler = async () => ({ greeting: greet('layer'), nodePath: process.env.NODE_PATH });\n",
      );
      const pool = await sandbox.pool({
        codeDir: code,
        handler: 'index.handler',
        layers: [path.join(dir, 'layer')],
      });

      // Act
      const output = await pool.invoke({ payload: Buffer.from('{}') });

      // Assess
      expect(output.status).toBe('success');
      const answer = json(output.payload);
      expect(answer.greeting).toBe('hello layer');
      expect(String(answer.nodePath).split(':')).toContain(path.join(dir, 'layer', 'nodejs', 'node_modules'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
