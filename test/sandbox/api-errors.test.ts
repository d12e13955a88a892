import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FunctionPool } from '../../local/environment/function-pool';
import { json, SandboxHarness } from './support/sandbox-harness';

// One warm environment serves every case: the requests below go straight to its Lambda APIs,
// as a misbehaving runtime or extension would send them.
describe('Lambda API errors', () => {
  let sandbox: SandboxHarness;
  let pool: FunctionPool;
  let api: string;
  let identifier: string;

  beforeAll(async () => {
    sandbox = await SandboxHarness.create();
    const layer = await sandbox.layer(['probe']);
    pool = await sandbox.pool({ layers: [layer], environment: { BOOTSTRAP_INIT: 'register' } });
    await pool.invoke({ payload: Buffer.from('{}') });
    const lines = await sandbox.recorded('probe');
    api = `http://${lines.find((l) => l.kind === 'started')?.env?.AWS_LAMBDA_RUNTIME_API}`;
    identifier = String(lines.find((l) => l.kind === 'registered')?.id);
  });

  afterAll(async () => {
    await sandbox.close();
  });

  const register = (body: string, name = 'late') =>
    fetch(`${api}/2020-01-01/extension/register`, {
      method: 'POST',
      headers: { 'Lambda-Extension-Name': name },
      body,
    });

  it('answers a response for the wrong request id with 400 InvalidRequestID and a second response with 403', async () => {
    // Act
    await pool.invoke({ payload: Buffer.from('{"action":"probe"}') });
    const report = json((await pool.invoke({ payload: Buffer.from('{"action":"report"}') })).payload);

    // Assess
    expect(report.wrongId).toBe(400);
    expect(report.first).toBe(202);
    expect(report.second).toEqual({
      status: 403,
      body: { errorType: 'InvalidStateTransition', errorMessage: expect.any(String) },
    });
  });

  it('answers a response over 6 MiB with 413 and gives the invoker Function.ResponseSizeTooLarge', async () => {
    // Act
    const output = await pool.invoke({ payload: Buffer.from('{"action":"oversize"}') });
    const report = json((await pool.invoke({ payload: Buffer.from('{"action":"report"}') })).payload);

    // Assess
    expect(output.status).toBe('error');
    expect(output.errorType).toBe('Function.ResponseSizeTooLarge');
    expect(report.oversize).toMatchObject({ status: 413, body: { errorType: 'RequestEntityTooLarge' } });
  });

  it('passes an invocation error through with the runtime error type', async () => {
    // Act
    const output = await pool.invoke({ payload: Buffer.from('{"action":"error"}') });

    // Assess
    expect(output.status).toBe('error');
    expect(output.errorType).toBe('Fixture.Failed');
    expect(json(output.payload)).toMatchObject({
      errorType: 'Fixture.Failed',
      errorMessage: 'failed on purpose',
    });
  });

  it('refuses SHUTDOWN for an internal extension with 403 Extension.InvalidEventType', async () => {
    // Act
    const report = json((await pool.invoke({ payload: Buffer.from('{"action":"report"}') })).payload);

    // Assess
    expect(report.internalShutdown).toEqual({
      status: 403,
      body: { errorType: 'Extension.InvalidEventType', errorMessage: expect.any(String) },
    });
    expect(report.internalPlain).toEqual({ status: 200 });
  });

  it('closes registration after Init with 403 Extension.RegistrationClosed', async () => {
    // Act
    const res = await register('{"events":["INVOKE"]}', 'probe');

    // Assess
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ errorType: 'Extension.RegistrationClosed' });
  });

  it('rejects a malformed registration body with 400', async () => {
    // Act
    const notJson = await register('{"events":');
    const wrongShape = await register('{"events":"INVOKE"}');

    // Assess
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({ errorType: 'InvalidRequestFormat' });
    expect(wrongShape.status).toBe(400);
  });

  it('answers next without an identifier, or with an unknown one, with 403', async () => {
    // Act
    const missing = await fetch(`${api}/2020-01-01/extension/event/next`);
    const unknown = await fetch(`${api}/2020-01-01/extension/event/next`, {
      headers: { 'Lambda-Extension-Identifier': '00000000-0000-0000-0000-000000000000' },
    });

    // Assess
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ errorType: 'Extension.MissingExtensionIdentifier' });
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ errorType: 'Extension.InvalidExtensionIdentifier' });
  });

  it('validates Telemetry API subscriptions with 400 ValidationError and closes them after Init', async () => {
    // Prepare
    const subscribe = (body: unknown) =>
      fetch(`${api}/2022-07-01/telemetry`, {
        method: 'PUT',
        headers: { 'Lambda-Extension-Identifier': identifier },
        body: JSON.stringify(body),
      });
    const valid = {
      schemaVersion: '2022-12-13',
      types: ['platform'],
      buffering: { maxItems: 1000, maxBytes: 262144, timeoutMs: 100 },
      destination: { protocol: 'HTTP', URI: 'http://sandbox.localdomain:4243/' },
    };

    // Act
    const tooFewItems = await subscribe({ ...valid, buffering: { ...valid.buffering, maxItems: 10 } });
    const tooShort = await subscribe({ ...valid, buffering: { ...valid.buffering, timeoutMs: 5 } });
    const badSchema = await subscribe({ ...valid, schemaVersion: '2020-01-01' });
    const reservedPort = await subscribe({
      ...valid,
      destination: { protocol: 'HTTP', URI: 'http://sandbox:9001/' },
    });
    const closed = await subscribe(valid);

    // Assess
    for (const res of [tooFewItems, tooShort, badSchema, reservedPort]) {
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ errorType: 'ValidationError' });
    }
    expect(closed.status).toBe(403);
  });
});
