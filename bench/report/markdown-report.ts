/**
 * Renders a run as Markdown (tables, assumptions, what is missing) and its SVG charts. Pure:
 * the writer decides where the files go.
 */
import { ARTICLE_REFERENCE_128MB, describeAssumptions } from '../cost-model';
import type { RunResult, VariantId } from '../run-result';
import type { Summary } from '../statistics';
import { labelOf } from '../variant-catalog';
import { barChart, distributionChart } from './svg-charts';

/** File names of the charts, relative to the Markdown file. */
export interface ChartFiles {
  coldStart: string;
  latency: string;
}

export interface RenderedReport {
  markdown: string;
  /** SVG documents keyed by the file names given in {@link ChartFiles}; absent when there was nothing to draw. */
  charts: Record<string, string>;
}

const fixed = (value: number | undefined, digits = 1): string =>
  value === undefined ? '–' : value.toFixed(digits);
const ratioText = (value: number, baseline: number | undefined): string =>
  baseline === undefined || baseline === 0 ? '–' : `${(value / baseline).toFixed(2)}×`;
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;
const spread = (summary: Summary, digits = 1): string =>
  `${summary.min.toFixed(digits)}–${summary.max.toFixed(digits)} (IQR ${summary.iqr.toFixed(digits)})`;

function table(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Renders the report of one run. */
export function renderReport(result: RunResult, chartFiles: ChartFiles): RenderedReport {
  const charts: Record<string, string> = {};
  const out: string[] = [];
  const { machine } = result;
  out.push(
    `# Benchmark report (${result.mode})`,
    '',
    `Run ${result.startedAt} → ${result.finishedAt} with \`${result.command}\`.`,
    '',
    table(
      ['machine', 'value'],
      [
        ['CPU', `${machine.cpuModel} × ${machine.cores}`],
        ['memory', `${machine.memoryGb.toFixed(1)} GB`],
        ['OS', `${machine.platform} ${machine.arch}`],
        ['Node.js', machine.nodeVersion],
        ['commit', `${machine.commit}${machine.dirty ? ' (work tree had uncommitted changes)' : ''}`],
        ['load average at start (1 min)', machine.loadAverageAtStart.toFixed(2)],
      ],
    ),
    '',
    'Every figure is a median over the run’s samples unless marked; spreads are min–max and the interquartile range. The machine is shared, so compare variants within this run, not across runs.',
    '',
    '## Targets',
    '',
    table(
      ['target', 'aim', 'this run', 'met'],
      result.targets.map((target) => [
        target.name,
        target.target,
        target.measured,
        target.met === undefined ? 'not measured' : target.met ? 'yes' : 'no',
      ]),
    ),
    '',
  );

  out.push(
    '## Variants',
    '',
    table(
      ['variant', 'what it is'],
      result.variants.map((v) => [v.label, v.description]),
    ),
    '',
  );

  const cold = result.coldStart;
  out.push('## Cold start', '');
  if (cold && Object.keys(cold.byVariant).length > 0) {
    const baseline = cold.byVariant.none;
    const rows: string[][] = [];
    const bars = [];
    for (const variant of result.variants) {
      const figures = cold.byVariant[variant.id];
      if (!figures) continue;
      rows.push([
        variant.label,
        fixed(figures.initMs.p50),
        fixed(figures.initMs.p90),
        ratioText(figures.initMs.p50, baseline?.initMs.p50),
        spread(figures.initMs),
        fixed(figures.firstByteMs.p50),
        fixed(figures.firstByteMs.p90),
        ratioText(figures.firstByteMs.p50, baseline?.firstByteMs.p50),
        String(figures.initMs.n),
      ]);
      bars.push({ label: variant.label, value: figures.initMs.p50, whisker: figures.initMs.p90 });
    }
    out.push(
      `Fresh execution environments through the sandbox, ${cold.samplesPerVariant} per variant: init duration from the Telemetry API (\`initDurationMs\` of the first \`platform.report\`; one discarded start per variant first), time to first byte at the HTTP front door for the request that caused the cold start.`,
      '',
      table(
        [
          'variant',
          'init p50 ms',
          'init p90 ms',
          'init vs (a)',
          'init spread',
          'first byte p50 ms',
          'first byte p90 ms',
          'first byte vs (a)',
          'n',
        ],
        rows,
      ),
      '',
      `![cold start by variant](${chartFiles.coldStart})`,
      '',
    );
    charts[chartFiles.coldStart] = barChart('Init duration by variant (median, whisker to p90)', 'ms', bars);
  } else out.push('Not measured in this run (see Missing).', '');

  const start = result.extensionStart;
  out.push('## Extension start', '');
  if (start && start.subjects.length > 0) {
    const floor = start.subjects.find((subject) => subject.id === 'floor-c');
    out.push(
      `${start.runsPerSubject} starts each against ${start.endpoint === 'sandbox' ? 'the sandbox’s Extensions API' : 'a measurement-only Extensions API endpoint in the bench (register, event/next, telemetry subscribe; nothing else runs)'}. Register: process spawn → \`register\` received; ready: spawn → first \`event/next\`; RSS of the process tree 100 ms after that. The sandbox columns time the same builds as the sandbox core runs them: \`platform.initStart\` → the extension's \`platform.extension\` in a fresh execution environment (millisecond resolution).`,
      '',
      table(
        [
          'extension',
          'register p50 ms',
          'p90',
          'vs C floor',
          'ready p50 ms',
          'p90',
          'RSS p50 MB',
          'RSS max MB',
          'sandbox register p50 ms',
          'p90',
        ],
        start.subjects.map((subject) => [
          subject.label,
          fixed(subject.registerMs.p50),
          fixed(subject.registerMs.p90),
          ratioText(subject.registerMs.p50, floor?.registerMs.p50),
          fixed(subject.readyMs.p50),
          fixed(subject.readyMs.p90),
          fixed(subject.rssMb.p50),
          fixed(subject.rssMb.max),
          fixed(subject.sandboxRegisterMs?.p50),
          fixed(subject.sandboxRegisterMs?.p90),
        ]),
      ),
      '',
    );
    if (start.missingBuilds.length > 0) out.push(`Not measured: ${start.missingBuilds.join('; ')}.`, '');
  } else out.push('Not measured in this run (see Missing).', '');

  const warm = result.warmPath;
  out.push('## Warm path', '');
  const warmEntries = result.variants.filter((v) => warm?.byVariant[v.id]);
  if (warm && warmEntries.length > 0) {
    const first = warm.byVariant[warmEntries[0]!.id]!;
    out.push(
      `Sustained load through the HTTP front door for ${first.durationSec} s per variant with ${first.connections} connection${first.connections === 1 ? '' : 's'} (one warm environment, which serves one request at a time, so each request also waits out the previous invoke's post-runtime phase), interleaved across variants in slices. Function duration and billed duration from \`platform.report\`; post-runtime = \`platform.report\` minus \`platform.runtimeDone\` durations (time the extensions took after the response).`,
      '',
      table(
        [
          'variant',
          'req/s p50',
          'latency p50 ms',
          'p99',
          'function p50 ms',
          'p99',
          'billed p50 ms',
          'post-runtime p50 ms',
          'p99',
          'requests',
          'errors',
        ],
        warmEntries.map((variant) => {
          const f = warm.byVariant[variant.id]!;
          return [
            variant.label,
            fixed(f.throughputRps.p50, 0),
            fixed(f.latencyMs.p50, 2),
            fixed(f.latencyMs.p99, 2),
            fixed(f.functionDurationMs.p50, 2),
            fixed(f.functionDurationMs.p99, 2),
            fixed(f.billedDurationMs.p50, 0),
            fixed(f.postRuntimeMs.p50, 2),
            fixed(f.postRuntimeMs.p99, 2),
            String(f.requests),
            String(f.errors),
          ];
        }),
      ),
      '',
      `![latency distribution](${chartFiles.latency})`,
      '',
    );
    charts[chartFiles.latency] = distributionChart(
      'Warm request latency: share of requests per bucket',
      'latency ms',
      first.histogramUpperMs,
      warmEntries.map((variant) => ({
        label: variant.label,
        counts: warm.byVariant[variant.id]!.latencyHistogram,
      })),
    );
  } else out.push('Not measured in this run (see Missing).', '');

  const throughput = result.extensionThroughput;
  out.push('## Extension throughput', '');
  if (throughput) {
    out.push(
      table(
        ['figure', 'value'],
        [
          ['spans sent', String(throughput.spans)],
          [
            'spans/s accepted by the receiver (p50 of 1 s windows)',
            fixed(throughput.receivedSpansPerSec.p50, 0),
          ],
          ['spans/s exported to the null sink', fixed(throughput.exportedSpansPerSec, 0)],
          [
            'segment documents at the sink / spans not exported (sent minus documents)',
            `${throughput.exportedSpans} / ${throughput.droppedSpans}`,
          ],
          [
            `RSS before / peak / after a burst of ${throughput.burstSpans} spans`,
            `${fixed(throughput.rssMbBefore)} / ${fixed(throughput.rssMbPeak)} / ${fixed(throughput.rssMbAfter)} MB`,
          ],
        ],
      ),
      '',
    );
  } else out.push('Not measured in this run (see Missing).', '');

  out.push('## Sizes', '');
  if (result.sizes.length > 0) {
    out.push(
      'Deployable files only (source maps excluded); zipped as a deployment package or layer zip, deflate level 9.',
      '',
      table(
        ['variant', 'handler raw', 'handler zip', 'layer raw', 'layer zip', 'total zip'],
        result.sizes.map((size) => [
          size.label,
          kb(size.handler.rawBytes),
          kb(size.handler.zippedBytes),
          size.layer ? kb(size.layer.rawBytes) : '–',
          size.layer ? kb(size.layer.zippedBytes) : '–',
          kb(size.handler.zippedBytes + (size.layer?.zippedBytes ?? 0)),
        ]),
      ),
      '',
    );
  } else out.push('Not measured in this run (see Missing).', '');

  const cost = result.cost;
  out.push('## Cost', '');
  if (cost && Object.keys(cost.byVariant).length > 0) {
    const sizes = cost.assumptions.memorySizesMb;
    out.push(
      'Dollars per million requests on arm64, from this run’s median billed durations. Assumptions:',
      '',
      ...describeAssumptions(cost.assumptions).map((line) => `- ${line}`),
      '',
      table(
        ['variant', 'mean billed ms', ...sizes.map((mb) => `$ / million at ${mb} MB`)],
        (Object.keys(cost.byVariant) as VariantId[]).map((id) => {
          const estimates = cost.byVariant[id]!;
          return [
            labelOf(id),
            fixed(estimates[0]?.meanBilledMs),
            ...sizes.map((mb) => `$${fixed(estimates.find((e) => e.memoryMb === mb)?.dollarsPerMillion, 3)}`),
          ];
        }),
      ),
      '',
      'For comparison, the published article table (128 MB, 10 ms of work, 20% cold starts, as printed there):',
      '',
      table(
        ['runtime', '$ / million at 128 MB'],
        ARTICLE_REFERENCE_128MB.map((row) => [row.runtime, `$${row.dollarsPerMillion.toFixed(2)}`]),
      ),
      '',
    );
  } else out.push('Not computed in this run (needs cold-start and warm-path figures).', '');

  out.push('## Missing', '');
  if (result.missing.length === 0) out.push('Nothing: every stage produced figures.', '');
  else out.push(...result.missing.map((entry) => `- **${entry.stage}**: ${entry.reason}`), '');
  return { markdown: `${out.join('\n')}\n`, charts };
}
