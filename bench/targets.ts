/**
 * The project's performance targets and where a run stands against them. Reported, never
 * asserted: a shared two-core machine makes single runs noisy, so the report prints the spread
 * beside each figure instead of failing on it.
 *
 * Powertools Tracer + Metrics (d) is the line to beat: it is what a user of this kind of stack
 * picks instead. The sandbox stages are judged at every measured Lambda size, because the CPU
 * share (and so what each millisecond of telemetry work costs) differs between sizes.
 */
import type { ExtensionStartSubject, MemorySizeResult, RunResult, TargetStatus } from './run-result';

const percent = (value: number): string => `${(value * 100).toFixed(1)}%`;

/** The subject that stands for the project's extension as the layer ships it. */
const SHIPPED_EXTENSION_SUBJECT = 'ours-node';

function target(
  name: string,
  aim: string,
  measured: () => { text: string; met: boolean } | undefined,
): TargetStatus {
  const figures = measured();
  return figures
    ? { name, target: aim, measured: figures.text, met: figures.met }
    : { name, target: aim, measured: 'not measured', met: undefined };
}

function sizeTargets(size: MemorySizeResult): TargetStatus[] {
  const at = `at ${size.sizing.memoryMb} MB`;
  const cold = size.coldStart?.byVariant;
  const warm = size.warmPath?.byVariant;
  const cost = size.cost?.byVariant;
  return [
    target(`init with our telemetry ${at}`, '≤ (d) Powertools’ init', () => {
      const ours = cold?.ours?.initMs.p50;
      const powertools = cold?.powertools?.initMs.p50;
      if (ours === undefined || powertools === undefined) return undefined;
      return {
        text: `${ours.toFixed(1)} vs ${powertools.toFixed(1)} ms (${percent(ours / powertools - 1)})`,
        met: ours <= powertools,
      };
    }),
    target(`warm function duration p50 ${at}`, 'within 5% of (a) no telemetry', () => {
      const ours = warm?.ours?.functionDurationMs.p50;
      const none = warm?.none?.functionDurationMs.p50;
      if (ours === undefined || none === undefined) return undefined;
      return {
        text: `${percent(ours / none - 1)} (${ours.toFixed(2)} vs ${none.toFixed(2)} ms)`,
        met: ours <= none * 1.05,
      };
    }),
    target(`post-runtime p99 at steady load ${at}`, '≤ 5 ms', () => {
      const p99 = warm?.ours?.postRuntimeMs.p99;
      if (p99 === undefined) return undefined;
      return { text: `${p99.toFixed(2)} ms`, met: p99 <= 5 };
    }),
    target(`post-runtime p99 with a backend that never answers ${at}`, '≤ the budget', () => {
      const budget = size.postRuntimeBudget;
      if (!budget) return undefined;
      return {
        text: `${budget.postRuntimeMs.p99.toFixed(1)} ms against ${budget.budgetMs} ms (max ${budget.postRuntimeMs.max.toFixed(1)})`,
        met: budget.postRuntimeMs.p99 <= budget.budgetMs,
      };
    }),
    target(`cost per million ${at}`, 'within 5% of (a) no telemetry', () => {
      const ours = cost?.ours?.[0]?.dollarsPerMillion;
      const none = cost?.none?.[0]?.dollarsPerMillion;
      if (ours === undefined || none === undefined) return undefined;
      return {
        text: `$${ours.toFixed(3)} vs $${none.toFixed(3)} (${percent(ours / none - 1)})`,
        met: ours <= none * 1.05,
      };
    }),
  ];
}

function extensionTargets(subjects: readonly ExtensionStartSubject[]): TargetStatus[] {
  const floor = subjects.find((subject) => subject.id === 'floor-c');
  const shipped = subjects.find((subject) => subject.id === SHIPPED_EXTENSION_SUBJECT);
  return [
    target('extension registration', '≤ 2× the C floor', () => {
      if (!floor || !shipped) return undefined;
      const ratio = shipped.registerMs.p50 / floor.registerMs.p50;
      return {
        text: `${ratio.toFixed(1)}× (${shipped.registerMs.p50.toFixed(1)} vs ${floor.registerMs.p50.toFixed(1)} ms)`,
        met: ratio <= 2,
      };
    }),
    target('extension resident memory', '< 30 MB', () => {
      if (!shipped) return undefined;
      return {
        text: `${shipped.rssMb.p50.toFixed(1)} MB idle after init, of which ${shipped.rssAnonMb.p50.toFixed(1)} MB anonymous`,
        met: shipped.rssMb.p50 < 30,
      };
    }),
  ];
}

/** Evaluates every target against the figures a run has; a missing figure gives `met: undefined`. */
export function evaluateTargets(result: RunResult): TargetStatus[] {
  return [...result.bySize.flatMap(sizeTargets), ...extensionTargets(result.extensionStart?.subjects ?? [])];
}
