import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import { telemetrySubscriptionBody } from '../../extension/src/telemetry-subscription';
import { FunctionPool } from '../../local/environment/function-pool';
import type { PlatformEvent } from '../../local/environment/types';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { readStoredSegments } from '../../local/xray/trace-store';

// The built layer (dist/layer, as `npm test` builds it) beside the built todo handler in the
// local sandbox, whose Extensions and Telemetry APIs are the real peers here. The launcher
// registers and subscribes from bash before Node starts and hands both to Node; without bash,
// Node does both itself. Either way the spans reach X-Ray and the platform events become metrics.
const EXTENSION = 'telemetry-extension';
const LISTENER_PORT = 4243;

interface Run {
  readonly sandbox: Sandbox;
  readonly platform: PlatformEvent[];
  readonly stateDir: string;
}

let run: Run | undefined;

afterEach(async () => {
  await run?.sandbox.close();
  if (run) await rm(run.stateDir, { recursive: true, force: true, maxRetries: 5 });
  run = undefined;
});

/** A sandbox on a private copy of the layer, in its own state directory (its processes are told apart by that path). */
async function startWithLayer(
  options: { shebang?: string; environment?: Record<string, string> } = {},
): Promise<Run> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'launcher-registration-'));
  const layerDir = path.join(stateDir, 'layer');
  await cp(path.resolve('dist/layer'), layerDir, { recursive: true });
  if (options.shebang) {
    const launcher = path.join(layerDir, 'extensions', EXTENSION);
    const text = await readFile(launcher, 'utf8');
    await writeFile(launcher, text.replace(/^#!.*\n/, `${options.shebang}\n`));
  }
  const platform: PlatformEvent[] = [];
  const sandbox = await startSandbox({
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    layers: [layerDir],
    environment: options.environment ?? {},
    // The extension's Node process is found by the path it started from: the host's view.
    shareHost: true,
    createRunner: (definition, observer) =>
      new FunctionPool(definition, {
        onLog: (entry) => observer.onLog(entry),
        onPlatformEvent(environmentId, event) {
          platform.push(event);
          observer.onPlatformEvent(environmentId, event);
        },
      }),
  });
  run = { sandbox, platform, stateDir };
  return run;
}

/**
 * The TELEMETRY_EXTENSION_* variables of the extension's Node process started from under
 * `stateDir` (a published version runs a copy of the layer made under the sandbox's state directory).
 */
async function handoverOfNode(stateDir: string): Promise<Record<string, string>> {
  const pids: string[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(stateDir) && cmdline.includes(`${EXTENSION}/index.mjs`)) pids.push(entry);
  }
  expect(pids).toHaveLength(1);
  const environ = (await readFile(`/proc/${pids[0]}/environ`, 'utf8')).split('\0');
  return Object.fromEntries(
    environ
      .filter((line) => line.startsWith('TELEMETRY_EXTENSION_'))
      .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
  );
}

/**
 * One traced request. The extension may hold its spans and metrics past the invocation (the
 * environment is frozen between invokes), so the sandbox is then closed: SHUTDOWN makes it
 * flush what it holds. Returns the request's trace root.
 */
async function tracedRequest({ sandbox }: Run): Promise<string> {
  const random = Array.from({ length: 24 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${random}`;
  const response = await fetch(`${sandbox.apiUrl}/todos`, {
    headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
  });
  expect(response.status).toBe(200);
  return root;
}

/** After close: the request's DynamoDB span in X-Ray and the platform metrics of its invocation. */
async function expectDelivered({ sandbox }: Run, root: string): Promise<void> {
  const exported = (await readStoredSegments(sandbox.paths.xray)).filter(
    (segment) => segment.document.trace_id === root && segment.source === 'put-trace-segments',
  );
  expect(exported.find((segment) => segment.document.namespace === 'aws')?.document).toMatchObject({
    name: 'DynamoDB',
    aws: { operation: 'Query', table_name: 'todos' },
  });
  const metricNames = (await sandbox.metrics.query({ namespace: EXTENSION_METRICS.defaultNamespace })).map(
    (metric) => metric.metricName,
  );
  // InitDuration comes from platform.initReport, BilledDuration from the invocation's report.
  expect(metricNames).toEqual(
    expect.arrayContaining([EXTENSION_METRICS.initDuration, EXTENSION_METRICS.billedDuration]),
  );
}

const ofExtension = (platform: readonly PlatformEvent[], type: string) =>
  platform.filter((event) => event.type === type && (event.record as { name?: string }).name === EXTENSION);

describe('layer launcher', () => {
  it('carries the subscription body that Node sends, around the listener port', async () => {
    // Prepare
    const [before, after] = telemetrySubscriptionBody(LISTENER_PORT).split(String(LISTENER_PORT));

    // Act
    const launcher = await readFile(path.resolve('dist/layer/extensions', EXTENSION), 'utf8');

    // Assess
    expect(launcher).toContain(`subscription='${before}'"$listener_port"'${after}'`);
  });

  it.each([
    ['as Debian starts it (dash runs it again under bash)', undefined],
    ['as Amazon Linux starts it (bash as /bin/sh, POSIX mode)', '#!/bin/bash --posix'],
  ])('registers and subscribes before Node starts, %s; Node adopts both', async (_how, shebang) => {
    // Prepare
    const started = await startWithLayer(shebang ? { shebang } : {});

    // Act
    const root = await tracedRequest(started);
    const handover = await handoverOfNode(started.stateDir);
    await started.sandbox.close();

    // Assess
    await expectDelivered(started, root);
    expect(handover.TELEMETRY_EXTENSION_ID).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(handover.TELEMETRY_EXTENSION_REGISTRATION!)).toMatchObject({ functionName: 'todos' });
    expect(handover.TELEMETRY_EXTENSION_SUBSCRIBED_PORT).toBe(String(LISTENER_PORT));
    // One registration and one subscription: Node neither registered nor subscribed again.
    expect(ofExtension(started.platform, 'platform.extension')).toHaveLength(1);
    expect(ofExtension(started.platform, 'platform.telemetrySubscription')).toHaveLength(1);
  });

  it('leaves registering and subscribing to Node when there is no bash, ignoring stale hand-over variables', async () => {
    // Prepare
    const started = await startWithLayer({
      environment: {
        TELEMETRY_EXTENSION_BASH: path.join(tmpdir(), 'no-such-bash'),
        TELEMETRY_EXTENSION_ID: '00000000-0000-4000-8000-000000000000',
        TELEMETRY_EXTENSION_REGISTRATION: '{}',
        TELEMETRY_EXTENSION_SUBSCRIBED_PORT: String(LISTENER_PORT),
      },
    });

    // Act
    const root = await tracedRequest(started);
    const handover = await handoverOfNode(started.stateDir);
    await started.sandbox.close();

    // Assess
    await expectDelivered(started, root);
    expect(handover.TELEMETRY_EXTENSION_ID).toBeUndefined();
    expect(handover.TELEMETRY_EXTENSION_REGISTRATION).toBeUndefined();
    expect(handover.TELEMETRY_EXTENSION_SUBSCRIBED_PORT).toBeUndefined();
    expect(ofExtension(started.platform, 'platform.extension')).toHaveLength(1);
    expect(ofExtension(started.platform, 'platform.telemetrySubscription')).toHaveLength(1);
  });
});
