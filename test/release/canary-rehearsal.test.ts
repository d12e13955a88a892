/**
 * Releases rehearsed end to end: real builds, the real pre-traffic hook, the stack's rollback
 * alarms read from the synthesized template, customers' traffic over real HTTP. Each bad version
 * is the real bundle under a small wrapper (fixtures/*.mjs) that misbehaves. Nothing asserts on
 * time; what customers received is asserted beside the verdict.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, PROJECT_ROOT } from '../../local/config';
import type { SynthesizedTemplate } from '../../local/release/alarm-template';
import { parseDeploymentConfig } from '../../local/release/deployment-config';
import {
  type RehearsalResult,
  rehearsalEnvironment,
  rehearseRelease,
} from '../../local/release/release-rehearsal';
import { synthesizeTemplate } from '../../local/release/template-synth';
import { readVersionMetrics } from '../../local/release/version-metrics';
import { type Sandbox, startSandbox } from '../../local/sandbox';

/**
 * A CloudWatch minute a second: enough for the crash and hook cases, whose verdict needs one bad
 * invocation. The p99 alarm needs a slow datapoint in two minutes of three; at a second a minute
 * the 10 % canary gets about two requests a minute, and a loaded host leaves some minutes empty
 * (seen once in a parallel run: the slow version was promoted), so the slow case runs at 15:
 * about eight canary requests a minute. The 5xx-rate alarm judges only minutes in which the new
 * version served 20 requests, so its case runs at 3: 400 requests a CloudWatch minute, 40 of them
 * on the 10 % canary, twice the minimum so a busy host's slower minutes still count.
 */
const FAST = 60;
const SLOW_JUDGING = 15;
const RATE_JUDGING = 3;
const RPS = 20;
const REHEARSAL_TIMEOUT_MS = 150_000;

let root: string;
let template: SynthesizedTemplate;

/** The real bundle, as is or under a misbehaving wrapper. */
async function buildVersion(name: string, wrapper?: string): Promise<string> {
  const dir = path.join(root, name);
  if (wrapper === undefined) {
    await cp(DEFAULTS.codeDir, dir, { recursive: true });
    return dir;
  }
  await cp(DEFAULTS.codeDir, path.join(dir, 'real'), { recursive: true });
  await cp(path.join(PROJECT_ROOT, 'test', 'release', 'fixtures', wrapper), path.join(dir, 'index.mjs'));
  return dir;
}

const startRehearsalSandbox = (timeScale: number, name: string): Promise<Sandbox> =>
  startSandbox({
    inMemory: true,
    stateDir: path.join(root, name),
    environment: rehearsalEnvironment(timeScale),
  });

/** Rehearses a release from version 1 (the build the sandbox started with), whatever came before. */
function rehearse(sandbox: Sandbox, timeScale: number, toDir: string): Promise<RehearsalResult> {
  sandbox.versions.updateAlias('live', { functionVersion: '1' });
  return rehearseRelease({
    sandbox,
    toDir,
    config: parseDeploymentConfig('LambdaCanary10Percent5Minutes'),
    timeScale,
    rps: RPS,
    // Half a CloudWatch minute of traffic before and after: enough to see the stable version
    // alone and to catch any request that still reached the new one after the verdict.
    settleMinutes: 0.5,
    template,
  });
}

/** What customers saw: every 5xx, and the 5xx of requests sent after the verdict's alias update. */
const customerErrors = (result: RehearsalResult) => ({
  total: result.responses.filter((response) => response.status >= 500).length,
  afterVerdict: result.responses.filter(
    (response) => response.status >= 500 && response.sentAt > result.settledAtWall,
  ).length,
});

/** Invocations of `version` through the alias admitted after `wallMs`. */
async function invocationsAfter(sandbox: Sandbox, version: string, wallMs: number): Promise<number> {
  const { lambda } = await readVersionMetrics(sandbox.metrics, sandbox.definition.name, sandbox.alias);
  return lambda.filter(
    (metric) =>
      metric.metricName === 'Invocations' &&
      metric.dimensions.ExecutedVersion === version &&
      metric.timestamp > wallMs,
  ).length;
}

const shiftedTo = (result: RehearsalResult) =>
  result.outcome.events.flatMap((event) => (event.type === 'traffic' ? [event.newVersionPercent] : []));

beforeAll(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'canary-'));
  template = synthesizeTemplate();
}, 120_000);

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('a canary release of the live alias', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startRehearsalSandbox(FAST, 'fast');
  }, 60_000);
  afterAll(() => sandbox?.close());

  it(
    'moves all traffic to a healthy version and customers see no 5xx',
    async () => {
      const result = await rehearse(sandbox, FAST, await buildVersion('healthy'));

      expect(result.outcome.verdict).toBe('Succeeded');
      expect(shiftedTo(result)).toEqual([10, 100]);
      expect(sandbox.versions.alias('live')).toEqual({ functionVersion: result.targetVersion });
      expect(customerErrors(result).total).toBe(0);
    },
    REHEARSAL_TIMEOUT_MS,
  );

  it(
    'rolls back a version whose process exits, and no request reaches it afterwards',
    async () => {
      const result = await rehearse(sandbox, FAST, await buildVersion('crash', 'crash.mjs'));

      expect(result.outcome.verdict).toBe('RolledBack');
      expect(result.outcome.reason).toMatch(/Errors.* is in ALARM/);
      expect(shiftedTo(result)).toEqual([10, 0]);
      expect(sandbox.versions.alias('live')).toEqual({ functionVersion: result.stableVersion });
      expect(customerErrors(result).afterVerdict).toBe(0);
      expect(await invocationsAfter(sandbox, result.targetVersion, result.settledAtWall)).toBe(0);
    },
    REHEARSAL_TIMEOUT_MS,
  );

  it(
    'never sends customers to a version that fails the pre-traffic hook',
    async () => {
      const result = await rehearse(
        sandbox,
        FAST,
        await buildVersion('smoke-test-fails', 'smoke-test-fails.mjs'),
      );

      expect(result.outcome.verdict).toBe('RolledBack');
      expect(result.outcome.reason).toMatch(/BeforeAllowTraffic hook failed/);
      expect(shiftedTo(result)).toEqual([0]);
      expect(customerErrors(result).total).toBe(0);
      expect(await invocationsAfter(sandbox, result.targetVersion, 0)).toBe(0);
    },
    REHEARSAL_TIMEOUT_MS,
  );

  it(
    'rolls back a version slower than the p99 duration threshold',
    async () => {
      // The sandbox's scaled flush interval (set for FAST) is only shorter than this scale needs.
      const result = await rehearse(sandbox, SLOW_JUDGING, await buildVersion('slow', 'slow.mjs'));

      expect(result.outcome.verdict).toBe('RolledBack');
      expect(result.outcome.reason).toMatch(/P99Duration.* is in ALARM/);
      expect(shiftedTo(result)).toEqual([10, 0]);
      expect(customerErrors(result).total).toBe(0);
      expect(await invocationsAfter(sandbox, result.targetVersion, result.settledAtWall)).toBe(0);
    },
    REHEARSAL_TIMEOUT_MS,
  );
});

describe('a canary release judged on its 5xx rate', () => {
  let sandbox: Sandbox;
  beforeAll(async () => {
    sandbox = await startRehearsalSandbox(RATE_JUDGING, 'rate');
  }, 60_000);
  afterAll(() => sandbox?.close());

  it(
    'rolls back a version answering 500 to 30 % of requests during its canary',
    async () => {
      const result = await rehearse(
        sandbox,
        RATE_JUDGING,
        await buildVersion('server-errors', 'server-errors.mjs'),
      );

      expect(result.outcome.verdict).toBe('RolledBack');
      expect(result.outcome.reason).toMatch(/ServerErrorRate.* is in ALARM/);
      expect(shiftedTo(result)).toEqual([10, 0]);
      expect(sandbox.versions.alias('live')).toEqual({ functionVersion: result.stableVersion });
      const errors = customerErrors(result);
      // Customers got the canary's 5xx until the rollback, and none after it.
      expect(errors.total).toBeGreaterThan(0);
      expect(errors.afterVerdict).toBe(0);
      expect(await invocationsAfter(sandbox, result.targetVersion, result.settledAtWall)).toBe(0);
    },
    REHEARSAL_TIMEOUT_MS,
  );
});
