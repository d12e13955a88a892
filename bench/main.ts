/**
 * `npm run bench`: measures what the project's telemetry costs against no telemetry and against
 * the alternatives users would pick, and writes the report under bench/results/.
 *
 * Stages run one after another (never in parallel: they would measure each other), each
 * isolated — a stage that fails is reported as missing with its reason and the run goes on.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runtimeNode } from '../local/environment/runtime-node';
import { ARTICLE_REFERENCE_128MB, DEFAULT_COST_ASSUMPTIONS, estimateCost } from './cost-model';
import { measureExtensionStart, projectExtensionSubjects } from './extension-start/extension-start';
import { buildFloors } from './extension-start/floors';
import { measureExtensionThroughput } from './extension-throughput';
import { describeMachine } from './machine';
import { type BenchOptions, parseOptions, STAGES, type Stage, USAGE, UsageError } from './options';
import { EXTENSION_LAYER, RESULTS_DIR, ROOT } from './paths';
import { measurePostRuntimeBudget } from './post-runtime-budget';
import { progress } from './progress';
import { renderReadmeSection, replaceReadmeSection } from './report/readme-section';
import { writeResults } from './report/write-results';
import type { CostResult, MemorySizeResult, RunResult, VariantId, VariantSizes } from './run-result';
import { measureThroughSandbox } from './sandbox-stages';
import { measureArtifact } from './sizes';
import { evaluateTargets } from './targets';
import { VARIANTS } from './variant-catalog';
import { buildVariants, type VariantRuntime } from './variants/build-variants';

function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]!.slice(0, 400);
}

async function stage<T>(
  result: RunResult,
  name: Stage | 'build',
  work: () => Promise<T>,
): Promise<T | undefined> {
  progress(name, 'started');
  try {
    const value = await work();
    progress(name, 'done');
    return value;
  } catch (error) {
    progress(name, `failed: ${oneLine(error)}`);
    result.missing.push({ stage: name, reason: oneLine(error) });
    return undefined;
  }
}

async function sizesOf(runtimes: VariantRuntime[]): Promise<VariantSizes[]> {
  const sizes: VariantSizes[] = [];
  for (const runtime of runtimes) {
    const label = VARIANTS.find((variant) => variant.id === runtime.id)!.label;
    sizes.push({
      id: runtime.id,
      label,
      handler: await measureArtifact(runtime.codeDir),
      ...(runtime.sizedLayer ? { layer: await measureArtifact(runtime.sizedLayer) } : {}),
    });
  }
  return sizes;
}

/** Prices each variant at the size it was measured at, from that size's own billed durations. */
function costOf(measured: MemorySizeResult): CostResult | undefined {
  const cold = measured.coldStart?.byVariant;
  const warm = measured.warmPath?.byVariant;
  if (!cold || !warm) return undefined;
  const assumptions = { ...DEFAULT_COST_ASSUMPTIONS, memorySizesMb: [measured.sizing.memoryMb] };
  const byVariant: CostResult['byVariant'] = {};
  for (const { id } of VARIANTS) {
    const coldFigures = cold[id];
    const warmFigures = warm[id];
    if (!coldFigures || !warmFigures) continue;
    byVariant[id as VariantId] = estimateCost(
      {
        warmBilledMs: warmFigures.billedDurationMs.p50,
        initMs: coldFigures.initMs.p50,
        coldInvokeBilledMs: coldFigures.firstInvokeBilledMs.p50,
      },
      assumptions,
    );
  }
  if (Object.keys(byVariant).length === 0) return undefined;
  return { assumptions, byVariant, article: ARTICLE_REFERENCE_128MB };
}

async function runBench(options: BenchOptions): Promise<RunResult> {
  const node = runtimeNode();
  const result: RunResult = {
    schemaVersion: 2,
    mode: options.mode,
    command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    startedAt: new Date().toISOString(),
    finishedAt: '',
    machine: await describeMachine(),
    variants: VARIANTS.map(({ id, label, description }) => ({ id, label, description })),
    runtimeNode: {
      version: node.version,
      source: node.source,
      ...(node.notice ? { notice: node.notice } : {}),
    },
    sizes: [],
    bySize: [],
    targets: [],
    missing: [],
  };
  const wants = (name: Stage): boolean => options.stages.includes(name);
  progress(
    'bench',
    `${options.mode} run, stages: ${options.stages.join(', ')}; memory ${options.memorySizesMb.join(', ')} MB; functions and extensions on Node ${node.version}${node.notice ? ` (${node.notice})` : ''}; load average ${result.machine.loadAverageAtStart.toFixed(2)}`,
  );

  const built = await stage(result, 'build', () => buildVariants());
  if (built) {
    result.variants = result.variants.map((variant) =>
      variant.id === 'none'
        ? { ...variant, description: `${variant.description} (${built.noTelemetrySource})` }
        : variant,
    );
  }
  const runtimes = built?.runtimes ?? [];
  const launcher = built
    ? path.join(built.extensionLayer, 'extensions', 'telemetry-extension')
    : path.join(EXTENSION_LAYER, 'extensions', 'telemetry-extension');

  if (wants('sizes') && built) {
    result.sizes = (await stage(result, 'sizes', () => sizesOf(runtimes))) ?? [];
  }
  if (wants('extension-start')) {
    result.extensionStart = await stage(result, 'extension-start', async () => {
      const floors = await buildFloors();
      const project = await projectExtensionSubjects(launcher);
      const codeDir = runtimes.find((runtime) => runtime.id === 'none')?.codeDir;
      return measureExtensionStart(
        [...floors, ...project.subjects],
        options.extensionStarts,
        project.missing,
        codeDir,
      );
    });
    for (const build of result.extensionStart?.missingBuilds ?? []) {
      result.missing.push({ stage: 'extension-start', reason: `not measured: ${build}` });
    }
  }
  if (wants('throughput')) {
    result.extensionThroughput = await stage(result, 'throughput', () =>
      measureExtensionThroughput(launcher, options.throughputSeconds, options.burstSpans),
    );
  }
  const sandboxStages = wants('cold-start') || wants('warm-path') || wants('post-runtime-budget');
  if (sandboxStages && built) {
    for (const memoryMb of options.memorySizesMb) {
      const measured = await stage(result, wants('cold-start') ? 'cold-start' : 'warm-path', () =>
        measureThroughSandbox(
          runtimes,
          {
            coldStarts: wants('cold-start') ? options.coldStarts : 0,
            warmSeconds: wants('warm-path') ? options.warmSeconds : 0,
            warmConnections: options.warmConnections,
            warmRounds: options.warmRounds,
            memoryMb,
          },
          result.missing,
        ),
      );
      if (!measured) continue;
      const ours = runtimes.find((runtime) => runtime.id === 'ours');
      if (wants('post-runtime-budget') && ours) {
        const budget = await stage(result, 'post-runtime-budget', () =>
          measurePostRuntimeBudget(ours, memoryMb, options.budgetInvocations),
        );
        if (budget) measured.postRuntimeBudget = budget;
      }
      const cost = costOf(measured);
      if (cost) measured.cost = cost;
      else
        result.missing.push({
          stage: 'cost',
          reason: `${memoryMb} MB: needs cold-start and warm-path figures of the same variant`,
        });
      result.bySize.push(measured);
    }
  }
  for (const skipped of STAGES.filter((name) => !wants(name))) {
    result.missing.push({ stage: skipped, reason: 'not requested in this run (--only/--skip)' });
  }
  result.targets = evaluateTargets(result);
  result.finishedAt = new Date().toISOString();
  return result;
}

function printHeadline(result: RunResult): void {
  for (const target of result.targets) {
    const verdict = target.met === undefined ? 'not measured' : target.met ? 'met' : 'NOT met';
    console.log(`${target.name}: ${target.measured} — target ${target.target}: ${verdict}`);
  }
  if (result.missing.length > 0)
    console.log(`missing: ${result.missing.map((m) => `${m.stage} (${m.reason})`).join('; ')}`);
}

/** Puts the run's headline figures in the README's marked section (nothing else is touched). */
async function updateReadme(result: RunResult, reportPath: string): Promise<void> {
  const file = path.join(ROOT, 'README.md');
  const readme = await readFile(file, 'utf8').catch(() => undefined);
  if (readme === undefined) return;
  const updated = replaceReadmeSection(readme, renderReadmeSection(result, reportPath));
  if (updated !== readme) {
    await writeFile(file, updated);
    console.log('README.md: benchmark section updated');
  }
}

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const result = await runBench(options);
  const files = await writeResults(result, RESULTS_DIR);
  // Only a run of every stage speaks for the project; a partial run leaves the README alone.
  if (options.stages.length === STAGES.length)
    await updateReadme(result, path.relative(ROOT, files.markdown));
  printHeadline(result);
  console.log(`report: ${files.markdown}`);
  console.log(`data:   ${files.json}`);
}

await main();
// Sockets kept alive by stages (HTTP agents, sandbox leftovers) must not hold the run open.
process.exit(0);
