/**
 * Renders a run as Markdown (tables, assumptions, what is missing) and its SVG charts. Pure:
 * the writer decides where the files go.
 */
import { ARTICLE_REFERENCE_128MB, describeAssumptions } from '../cost-model';
import type { MemorySizeResult, RunResult } from '../run-result';
import type { Summary } from '../statistics';
import { labelOf } from '../variant-catalog';
import { barChart, distributionChart } from './svg-charts';

/** Names the chart files, relative to the Markdown file: one of each kind per memory size. */
export type ChartFiles = (chart: 'cold-start' | 'latency', memoryMb: number) => string;

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
        ['Node.js (bench)', machine.nodeVersion],
        [
          'Node.js (functions and extensions)',
          `${result.runtimeNode.version}${result.runtimeNode.source === 'package' ? ' (npm package node-linux-*)' : ''}${result.runtimeNode.notice ? `: ${result.runtimeNode.notice}` : ''}`,
        ],
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

  out.push('## Cold start', '');
  for (const size of result.bySize) out.push(...coldStartSection(result, size, chartFiles, charts));
  if (!result.bySize.some((size) => size.coldStart)) out.push('Not measured in this run (see Missing).', '');

  const start = result.extensionStart;
  out.push('## Extension start', '');
  if (start && start.subjects.length > 0) {
    const floor = start.subjects.find((subject) => subject.id === 'floor-c');
    out.push(
      `${start.runsPerSubject} starts each against ${start.endpoint === 'sandbox' ? 'the sandbox’s Extensions API' : 'a measurement-only Extensions API endpoint in the bench (register, event/next, telemetry subscribe; nothing else runs)'}. Register: process spawn → \`register\` received; ready: spawn → first \`event/next\`; RSS of the process tree 100 ms after that, and its anonymous part (RssAnon: what the extension adds; the rest is mostly the Node binary's text, mapped from the same file as the function's runtime in Lambda). The sandbox columns time the same builds as the sandbox core runs them: \`platform.initStart\` → the extension's \`platform.extension\` in a fresh execution environment (millisecond resolution).`,
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
          'RssAnon p50 MB',
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
          fixed(subject.rssAnonMb.p50),
          fixed(subject.sandboxRegisterMs?.p50),
          fixed(subject.sandboxRegisterMs?.p90),
        ]),
      ),
      '',
    );
    if (start.missingBuilds.length > 0) out.push(`Not measured: ${start.missingBuilds.join('; ')}.`, '');
  } else out.push('Not measured in this run (see Missing).', '');

  out.push('## Warm path', '');
  for (const size of result.bySize) out.push(...warmPathSection(result, size, chartFiles, charts));
  if (!result.bySize.some((size) => size.warmPath)) out.push('Not measured in this run (see Missing).', '');

  out.push('## Post-runtime budget', '');
  out.push(...budgetSection(result));

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

  out.push('## Cost', '');
  out.push(...costSection(result));

  out.push('## Missing', '');
  if (result.missing.length === 0) out.push('Nothing: every stage produced figures.', '');
  else out.push(...result.missing.map((entry) => `- **${entry.stage}**: ${entry.reason}`), '');
  return { markdown: `${out.join('\n')}\n`, charts };
}

/** `### 128 MB (0.07 vCPU during invokes, cgroup-enforced)` and what the sizing means. */
function sizeHeading(size: MemorySizeResult): string[] {
  const { sizing } = size;
  const how = sizing.constrained
    ? `${fixed(sizing.cpuShare, 3)} vCPU during invokes, unthrottled during init, memory limit enforced`
    : `unconstrained: ${sizing.reason ?? 'no cgroups'}; durations are at full core speed`;
  return [`### ${sizing.memoryMb} MB`, '', `Environment: ${how}.`, ''];
}

function coldStartSection(
  result: RunResult,
  size: MemorySizeResult,
  chartFiles: ChartFiles,
  charts: Record<string, string>,
): string[] {
  const cold = size.coldStart;
  if (!cold || Object.keys(cold.byVariant).length === 0) return [];
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
      fixed(figures.firstInvokeBilledMs.p50, 0),
      String(figures.initMs.n),
    ]);
    bars.push({ label: variant.label, value: figures.initMs.p50, whisker: figures.initMs.p90 });
  }
  const chart = chartFiles('cold-start', size.sizing.memoryMb);
  charts[chart] = barChart(
    `Init duration by variant at ${size.sizing.memoryMb} MB (median, whisker to p90)`,
    'ms',
    bars,
  );
  return [
    ...sizeHeading(size),
    `Fresh execution environments through the sandbox, ${cold.samplesPerVariant} per variant: init duration from the Telemetry API (\`initDurationMs\` of the first \`platform.report\`; one discarded start per variant first), time to first byte at the HTTP front door for the request that caused the cold start, billed duration of that first invoke.`,
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
        'first invoke billed p50 ms',
        'n',
      ],
      rows,
    ),
    '',
    `![cold start by variant at ${size.sizing.memoryMb} MB](${chart})`,
    '',
  ];
}

function warmPathSection(
  result: RunResult,
  size: MemorySizeResult,
  chartFiles: ChartFiles,
  charts: Record<string, string>,
): string[] {
  const warm = size.warmPath;
  const entries = result.variants.filter((v) => warm?.byVariant[v.id]);
  if (!warm || entries.length === 0) return [];
  const first = warm.byVariant[entries[0]!.id]!;
  const baseline = warm.byVariant.none;
  const chart = chartFiles('latency', size.sizing.memoryMb);
  charts[chart] = distributionChart(
    `Warm request latency at ${size.sizing.memoryMb} MB: share of requests per bucket`,
    'latency ms',
    first.histogramUpperMs,
    entries.map((variant) => ({
      label: variant.label,
      counts: warm.byVariant[variant.id]!.latencyHistogram,
    })),
  );
  return [
    ...sizeHeading(size),
    `Sustained load through the HTTP front door for ${first.durationSec} s per variant with ${first.connections} connection${first.connections === 1 ? '' : 's'} (one warm environment, which serves one request at a time, so each request also waits out the previous invoke's post-runtime phase), interleaved across variants in slices. Function duration (\`platform.runtimeDone\`), billed duration and Max Memory Used (function and extensions together) from \`platform.report\`; post-runtime = \`platform.report\` minus \`platform.runtimeDone\` durations (time the extensions took after the response).`,
    '',
    table(
      [
        'variant',
        'req/s p50',
        'latency p50 ms',
        'p99',
        'function p50 ms',
        'p99',
        'function vs (a)',
        'billed p50 ms',
        'post-runtime p50 ms',
        'p99',
        'max memory used p50 MB',
        'max',
        'requests',
        'errors',
      ],
      entries.map((variant) => {
        const f = warm.byVariant[variant.id]!;
        return [
          variant.label,
          fixed(f.throughputRps.p50, 0),
          fixed(f.latencyMs.p50, 2),
          fixed(f.latencyMs.p99, 2),
          fixed(f.functionDurationMs.p50, 2),
          fixed(f.functionDurationMs.p99, 2),
          ratioText(f.functionDurationMs.p50, baseline?.functionDurationMs.p50),
          fixed(f.billedDurationMs.p50, 0),
          fixed(f.postRuntimeMs.p50, 2),
          fixed(f.postRuntimeMs.p99, 2),
          fixed(f.maxMemoryUsedMb.p50, 0),
          fixed(f.maxMemoryUsedMb.max, 0),
          String(f.requests),
          String(f.errors),
        ];
      }),
    ),
    '',
    `![latency distribution at ${size.sizing.memoryMb} MB](${chart})`,
    '',
  ];
}

function costSection(result: RunResult): string[] {
  const priced = result.bySize.filter((size) => size.cost && Object.keys(size.cost.byVariant).length > 0);
  if (priced.length === 0) return ['Not computed in this run (needs cold-start and warm-path figures).', ''];
  const rows = result.variants
    .filter((variant) => priced.some((size) => size.cost!.byVariant[variant.id]))
    .map((variant) => [
      labelOf(variant.id),
      ...priced.flatMap((size) => {
        const estimate = size.cost!.byVariant[variant.id]?.[0];
        const baseline = size.cost!.byVariant.none?.[0];
        return [
          fixed(estimate?.meanBilledMs),
          estimate ? `$${estimate.dollarsPerMillion.toFixed(3)}` : '–',
          estimate ? ratioText(estimate.dollarsPerMillion, baseline?.dollarsPerMillion) : '–',
        ];
      }),
    ]);
  return [
    'Dollars per million requests on arm64, each size priced from the billed durations measured at that size (its own CPU share). Assumptions:',
    '',
    ...describeAssumptions(priced[0]!.cost!.assumptions).map((line) => `- ${line}`),
    '',
    table(
      [
        'variant',
        ...priced.flatMap((size) => {
          const mb = size.sizing.memoryMb;
          return [`mean billed ms at ${mb} MB`, `$ / million at ${mb} MB`, `vs (a) at ${mb} MB`];
        }),
      ],
      rows,
    ),
    '',
    'For comparison, the published article table (128 MB, 10 ms of work, 20% cold starts, as printed there; its Node figure is Node 20 without telemetry):',
    '',
    table(
      ['runtime', '$ / million at 128 MB'],
      ARTICLE_REFERENCE_128MB.map((row) => [row.runtime, `$${row.dollarsPerMillion.toFixed(2)}`]),
    ),
    '',
  ];
}

function budgetSection(result: RunResult): string[] {
  const measured = result.bySize.filter((size) => size.postRuntimeBudget);
  if (measured.length === 0) return ['Not measured in this run (see Missing).', ''];
  const first = measured[0]!.postRuntimeBudget!;
  return [
    `The project's variant flushing at every invocation to an X-Ray endpoint that accepts connections and never answers (export timeout ${first.exportTimeoutMs} ms, circuit kept closed), so every invoke phase runs into the extension's ${first.budgetMs} ms post-runtime budget. Post-runtime as the platform measures it: \`platform.report\` minus \`platform.runtimeDone\` durations.`,
    '',
    table(
      ['memory', 'budget ms', 'post-runtime p50 ms', 'p90', 'p99', 'max', 'n'],
      measured.map((size) => {
        const figures = size.postRuntimeBudget!;
        return [
          `${size.sizing.memoryMb} MB`,
          String(figures.budgetMs),
          fixed(figures.postRuntimeMs.p50),
          fixed(figures.postRuntimeMs.p90),
          fixed(figures.postRuntimeMs.p99),
          fixed(figures.postRuntimeMs.max),
          String(figures.postRuntimeMs.n),
        ];
      }),
    ),
    '',
  ];
}
