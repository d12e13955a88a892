/**
 * The project's performance targets and where a run stands against them. Reported, never
 * asserted: a shared two-core machine makes single runs noisy, so the report prints the spread
 * beside each figure instead of failing on it.
 */
import type { RunResult, TargetStatus } from './run-result';

const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;

/** Evaluates every target against the figures a run has; a missing figure gives `met: undefined`. */
export function evaluateTargets(result: RunResult): TargetStatus[] {
  const cold = result.coldStart?.byVariant;
  const warm = result.warmPath?.byVariant;
  const subjects = result.extensionStart?.subjects ?? [];
  const floorC = subjects.find((subject) => subject.id === 'floor-c');
  const oursNode = subjects.find((subject) => subject.id === 'ours-node');
  const targets: TargetStatus[] = [];

  const initNone = cold?.none?.initMs.p50;
  const initOurs = cold?.ours?.initMs.p50;
  const initAdot = cold?.adot?.initMs.p50;
  targets.push(
    initNone !== undefined && initOurs !== undefined
      ? {
          name: 'init overhead of our telemetry',
          target: '< 5% over (a)',
          measured: `${percent(initOurs / initNone - 1)} (${initOurs.toFixed(1)} vs ${initNone.toFixed(1)} ms, medians)`,
          met: initOurs / initNone - 1 < 0.05,
        }
      : {
          name: 'init overhead of our telemetry',
          target: '< 5% over (a)',
          measured: 'not measured',
          met: undefined,
        },
  );
  if (initNone !== undefined && initOurs !== undefined && initAdot !== undefined) {
    const oursAdds = initOurs - initNone;
    const adotAdds = initAdot - initNone;
    // When ours adds nothing measurable any positive ADOT overhead is "infinitely" more.
    const factor = oursAdds > 0 ? adotAdds / oursAdds : Number.POSITIVE_INFINITY;
    targets.push({
      name: 'OpenTelemetry layer style costs more than ours',
      target: '≥ 5× our added init time',
      measured: `adds ${adotAdds.toFixed(1)} ms vs ours ${oursAdds.toFixed(1)} ms (${Number.isFinite(factor) ? `${factor.toFixed(1)}×` : 'ours adds nothing measurable'})`,
      met: adotAdds > 0 && factor >= 5,
    });
  } else {
    targets.push({
      name: 'OpenTelemetry layer style costs more than ours',
      target: '≥ 5× our added init time',
      measured: 'not measured',
      met: undefined,
    });
  }

  const warmOff = warm?.none?.latencyMs.p50;
  const warmOn = warm?.ours?.latencyMs.p50;
  targets.push(
    warmOff !== undefined && warmOn !== undefined
      ? {
          name: 'warm p50 latency with telemetry',
          target: 'within 5% of without',
          measured: `${percent(warmOn / warmOff - 1)} (${warmOn.toFixed(2)} vs ${warmOff.toFixed(2)} ms)`,
          met: Math.abs(warmOn / warmOff - 1) <= 0.05 || warmOn <= warmOff,
        }
      : {
          name: 'warm p50 latency with telemetry',
          target: 'within 5% of without',
          measured: 'not measured',
          met: undefined,
        },
  );

  targets.push(
    floorC && oursNode
      ? {
          name: 'extension registration vs C floor',
          target: '≤ 2× the C floor',
          measured: `${(oursNode.registerMs.p50 / floorC.registerMs.p50).toFixed(1)}× (${oursNode.registerMs.p50.toFixed(1)} vs ${floorC.registerMs.p50.toFixed(1)} ms)`,
          met: oursNode.registerMs.p50 <= 2 * floorC.registerMs.p50,
        }
      : {
          name: 'extension registration vs C floor',
          target: '≤ 2× the C floor',
          measured: 'not measured',
          met: undefined,
        },
  );
  targets.push(
    oursNode
      ? {
          name: 'extension resident memory',
          target: '< 30 MB',
          measured: `${oursNode.rssMb.p50.toFixed(1)} MB (Node bundle, idle after init)`,
          met: oursNode.rssMb.p50 < 30,
        }
      : { name: 'extension resident memory', target: '< 30 MB', measured: 'not measured', met: undefined },
  );
  return targets;
}
