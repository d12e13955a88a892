/**
 * The README's benchmark section: the headline figures of the latest run and the command that
 * produced them, written between `<!-- bench:start -->` and `<!-- bench:end -->` so the rest of
 * the README is never touched.
 */
import type { RunResult } from '../run-result';

export const README_START = '<!-- bench:start -->';
export const README_END = '<!-- bench:end -->';

const fixed = (value: number | undefined, digits = 1): string =>
  value === undefined ? '–' : value.toFixed(digits);

/** The section's Markdown (markers excluded) for a run whose report is at `reportPath` (relative to the README). */
export function renderReadmeSection(result: RunResult, reportPath: string): string {
  const lines: string[] = [
    '## Benchmarks',
    '',
    `\`${result.command}\` measures what the telemetry costs, side by side with the alternatives, and writes a JSON and Markdown report with charts under \`bench/results/\`. Latest run: [${reportPath}](${reportPath}), ${result.startedAt.slice(0, 16).replace('T', ' ')} UTC, commit \`${result.machine.commit}\`, ${result.machine.cores} × ${result.machine.cpuModel}, functions and extensions on Node ${result.runtimeNode.version}, load average ${result.machine.loadAverageAtStart.toFixed(1)} at start (a shared machine: compare variants within one run).`,
    '',
  ];
  const sizes = new Map(result.sizes.map((size) => [size.id, size]));
  for (const measured of result.bySize) {
    const { sizing } = measured;
    const cold = measured.coldStart?.byVariant;
    const warm = measured.warmPath?.byVariant;
    const baseline = cold?.none?.initMs.p50;
    const warmBaseline = warm?.none?.functionDurationMs.p50;
    lines.push(
      `At ${sizing.memoryMb} MB (${sizing.constrained ? `${fixed(sizing.cpuShare, 3)} vCPU during invokes, cgroup-enforced` : `unconstrained: ${sizing.reason ?? 'no cgroups'}`}):`,
      '',
      '| variant | init p50 ms | vs (a) | warm latency p50 ms | function p50 ms | vs (a) | post-runtime p99 ms | max memory used MB | zipped KiB | $ / million |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    );
    for (const variant of result.variants) {
      const c = cold?.[variant.id];
      const w = warm?.[variant.id];
      const size = sizes.get(variant.id);
      const zipped = size ? (size.handler.zippedBytes + (size.layer?.zippedBytes ?? 0)) / 1024 : undefined;
      const cost = measured.cost?.byVariant[variant.id]?.[0];
      lines.push(
        `| ${variant.label} | ${fixed(c?.initMs.p50)} | ${c && baseline ? `${(c.initMs.p50 / baseline).toFixed(2)}×` : '–'} | ${fixed(w?.latencyMs.p50, 2)} | ${fixed(w?.functionDurationMs.p50, 2)} | ${w && warmBaseline ? `${(w.functionDurationMs.p50 / warmBaseline).toFixed(2)}×` : '–'} | ${fixed(w?.postRuntimeMs.p99, 2)} | ${fixed(w?.maxMemoryUsedMb.p50, 0)} | ${fixed(zipped)} | ${cost ? `$${cost.dollarsPerMillion.toFixed(3)}` : '–'} |`,
      );
    }
    lines.push('');
  }
  const start = result.extensionStart?.subjects;
  if (start && start.length > 0) {
    lines.push(
      `Extension start (spawn → register, p50; RSS idle, RssAnon): ${start.map((subject) => `${subject.label} ${fixed(subject.registerMs.p50)} ms, ${fixed(subject.rssMb.p50)} MB, ${fixed(subject.rssAnonMb.p50)} MB`).join('; ')}.`,
      '',
    );
  }
  const throughput = result.extensionThroughput;
  if (throughput) {
    lines.push(
      `Extension throughput on one core: ${fixed(throughput.receivedSpansPerSec.p50, 0)} spans/s accepted, ${fixed(throughput.exportedSpansPerSec, 0)} spans/s exported to a null X-Ray sink; RSS ${fixed(throughput.rssMbBefore)} MB before and ${fixed(throughput.rssMbPeak)} MB at peak under a ${throughput.burstSpans}-span burst.`,
      '',
    );
  }
  lines.push('Targets (reported, not asserted):', '');
  for (const target of result.targets) {
    const verdict = target.met === undefined ? 'not measured' : target.met ? 'met' : 'not met';
    lines.push(`- ${target.name} (${target.target}): ${target.measured} — ${verdict}`);
  }
  if (result.missing.length > 0) {
    lines.push(
      '',
      `Not measured in that run: ${result.missing.map((entry) => `${entry.stage} (${entry.reason})`).join('; ')}.`,
    );
  }
  lines.push(
    '',
    'Cost assumes 20% cold starts, $0.0000133334 per GB-s (arm64), $0.20 per million requests, init billed, each size priced from its own measured billed durations; the article this project grew from lists Python 3.12 $1.04, Node 20 $0.95, Rust $0.55 per million at 128 MB. `--memory 128,1024` (the default) picks the sizes; the full run takes about 15 minutes, `npm run bench -- --quick` about 5; `--only`/`--skip` pick stages.',
  );
  return lines.join('\n');
}

/** Replaces the marked section of `readme`; the README is returned unchanged when it has no markers. */
export function replaceReadmeSection(readme: string, section: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) return readme;
  return `${readme.slice(0, start + README_START.length)}\n${section}\n${readme.slice(end)}`;
}
