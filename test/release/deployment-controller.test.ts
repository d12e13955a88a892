/**
 * The controller's decisions over a recording alias and scripted alarms (no sandbox: the
 * end-to-end rehearsals in canary-rehearsal.test.ts run it over the real one). The clock runs
 * 6,000 times fast, so a CloudWatch minute passes in 10 ms.
 */
import { describe, expect, it } from 'vitest';
import type { AlarmState } from '../../local/release/alarm-definitions';
import { parseDeploymentConfig, trafficSteps } from '../../local/release/deployment-config';
import {
  type AliasControl,
  type ControllerDependencies,
  type DeploymentEvent,
  runDeployment,
} from '../../local/release/deployment-controller';
import { ScaledClock } from '../../local/release/scaled-clock';

type Routing = ReturnType<AliasControl['alias']> & object;

const recordingAlias = (start: Routing) => {
  const updates: Routing[] = [];
  let current = start;
  const control: AliasControl = {
    alias: () => current,
    updateAlias: (_name, routing) => {
      current = routing;
      updates.push(routing);
    },
  };
  return { control, updates, current: () => current };
};

/** Alarms that read `state(minutesSinceStart)` at each evaluation. */
const scriptedAlarms = (clock: ScaledClock, state: (minute: number) => AlarmState) => ({
  periodMs: 60_000,
  evaluate: async (at: number) => [
    { name: 'Errors', state: state((at - clock.origin) / 60_000), reason: 'scripted' },
  ],
});

const deps = (
  overrides: Partial<ControllerDependencies> & Pick<ControllerDependencies, 'versions' | 'clock'>,
) => ({
  alarms: scriptedAlarms(overrides.clock, () => 'OK'),
  createDeployment: () => 'd-TESTTEST1',
  ...overrides,
});

const canary = parseDeploymentConfig('LambdaCanary10Percent5Minutes');

describe('deployment configurations', () => {
  it('moves a canary in two steps and a linear configuration in equal ones', () => {
    expect(trafficSteps(canary)).toEqual([
      { atMinute: 0, newVersionPercent: 10 },
      { atMinute: 5, newVersionPercent: 100 },
    ]);
    expect(trafficSteps(parseDeploymentConfig('LambdaLinear10PercentEvery2Minutes')).at(-1)).toEqual({
      atMinute: 18,
      newVersionPercent: 100,
    });
    expect(
      trafficSteps(parseDeploymentConfig('Linear30PercentEvery1Minute')).map((s) => s.newVersionPercent),
    ).toEqual([30, 60, 90, 100]);
    expect(trafficSteps(parseDeploymentConfig('CodeDeployDefault.LambdaAllAtOnce'))).toEqual([
      { atMinute: 0, newVersionPercent: 100 },
    ]);
  });

  it('refuses names that are neither predefined nor custom canary or linear ones', () => {
    expect(() => parseDeploymentConfig('LambdaCanary0Percent5Minutes')).toThrow(/1–99/);
    expect(() => parseDeploymentConfig('Blue')).toThrow(/unknown deployment configuration/);
  });
});

describe('runDeployment', () => {
  it('ends with all traffic on the new version when nothing goes wrong', async () => {
    const clock = new ScaledClock(6000);
    const alias = recordingAlias({ functionVersion: '1' });

    const outcome = await runDeployment(
      { currentVersion: '1', targetVersion: '2', config: canary },
      deps({ versions: alias.control, clock }),
    );

    expect(outcome.verdict).toBe('Succeeded');
    expect(alias.updates).toEqual([
      { functionVersion: '1', additionalVersionWeights: { '2': 0.1 } },
      { functionVersion: '2' },
    ]);
    expect(outcome.endedAt - outcome.startedAt).toBeGreaterThanOrEqual(5 * 60_000);
  });

  it('rolls back when an alarm goes into ALARM during the canary', async () => {
    const clock = new ScaledClock(6000);
    const alias = recordingAlias({ functionVersion: '1' });
    const events: DeploymentEvent[] = [];

    const outcome = await runDeployment(
      { currentVersion: '1', targetVersion: '2', config: canary },
      deps({
        versions: alias.control,
        clock,
        alarms: scriptedAlarms(clock, (minute) => (minute >= 2 ? 'ALARM' : 'OK')),
        onEvent: (event) => events.push(event),
      }),
    );

    expect(outcome.verdict).toBe('RolledBack');
    expect(outcome.reason).toMatch(/alarm Errors is in ALARM/);
    expect(alias.current()).toEqual({ functionVersion: '1' });
    expect(alias.updates.some((routing) => routing.functionVersion === '2')).toBe(false);
    expect(events.filter((event) => event.type === 'alarm').map((event) => event.state)).toEqual([
      'OK',
      'ALARM',
    ]);
  });

  it('never shifts traffic when the BeforeAllowTraffic hook fails', async () => {
    const clock = new ScaledClock(6000);
    const alias = recordingAlias({ functionVersion: '1' });

    const outcome = await runDeployment(
      { currentVersion: '1', targetVersion: '2', config: canary },
      deps({
        versions: alias.control,
        clock,
        beforeAllowTraffic: async () => ({ status: 'Failed', reason: 'the smoke test failed' }),
      }),
    );

    expect(outcome.verdict).toBe('RolledBack');
    expect(outcome.reason).toMatch(/BeforeAllowTraffic hook failed/);
    expect(alias.updates).toEqual([{ functionVersion: '1' }]);
  });

  it('rolls back when the deployment is stopped', async () => {
    const clock = new ScaledClock(6000);
    const alias = recordingAlias({ functionVersion: '1' });
    const stop = new AbortController();

    const outcome = await runDeployment(
      { currentVersion: '1', targetVersion: '2', config: canary },
      deps({
        versions: alias.control,
        clock,
        signal: stop.signal,
        onEvent: (event) => {
          if (event.type === 'traffic' && event.newVersionPercent === 10) stop.abort();
        },
      }),
    );

    expect(outcome.verdict).toBe('RolledBack');
    expect(outcome.reason).toBe('the deployment was stopped');
    expect(alias.current()).toEqual({ functionVersion: '1' });
  });

  it('refuses to start while the alias already splits traffic', async () => {
    const clock = new ScaledClock(6000);
    const alias = recordingAlias({ functionVersion: '1', additionalVersionWeights: { '3': 0.5 } });

    await expect(
      runDeployment(
        { currentVersion: '1', targetVersion: '2', config: canary },
        deps({ versions: alias.control, clock }),
      ),
    ).rejects.toThrow(/must send all traffic to version 1/);
  });
});
