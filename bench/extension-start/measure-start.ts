/**
 * `npx tsx bench/extension-start/measure-start.ts`: the project's extension builds side by side
 * where a cold start feels them, for choosing between them. The bench's extension-start stage
 * times the same starts against floors; this command adds what the choice also needs: memory
 * while holding a full buffer of spans, starts with the layer's files read from storage
 * (`--evict`), and the layers' sizes.
 *
 * Subjects, interleaved one of each per round: the esbuild bundle through the layer's sh
 * launcher, the same bundle started by `node` directly, and the `bun build --compile` executable
 * (built first when missing, as the bench stage does; skipped with a notice when it cannot be).
 */
import { execFile } from 'node:child_process';
import { access, cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseFlags } from '../../local/command-line';
import { positiveInteger, UsageError } from '../options';
import { EXTENSION_LAUNCHER, EXTENSION_LAYER, ROOT } from '../paths';
import { progress } from '../progress';
import { measureArtifact } from '../sizes';
import { summarize } from '../statistics';
import { type StartSample, type StartSubject, singleExecutable, startOnce } from './extension-start';

const USAGE = `Usage: npx tsx bench/extension-start/measure-start.ts [options]

Times the extension's builds from process start to register and to the first event/next, reads
their resident memory idle and holding a full buffer of spans, and prints the layers' sizes.
Needs dist/layer (npm run build); the bun executable is built when missing.

  --runs N    interleaved runs per build, after one unrecorded round (default: 25)
  --evict     drop each build's own files from the page cache before every start, as a layer
              is read from storage at a cold start (Node itself stays cached: the function's
              runtime loads it anyway)
  --help      print this text
`;

const DEFAULT_RUNS = 25;
// The extension's default buffer limit in spans (TELEMETRY_BUFFER_MAX_SPANS); its byte limit
// may refuse some first, and what it holds then is a full buffer all the same.
const SPANS = 10_000;
// A handler invocation with a few DynamoDB calls flushes about this many spans at a time.
const SPANS_PER_REQUEST = 100;
const EXTENSION_NAME = 'telemetry-extension';

/** A subject and the files of its own that `--evict` drops from the page cache. */
interface MeasuredBuild extends StartSubject {
  files: readonly string[];
}

function readOptions(argv: readonly string[]): { runs: number; evict: boolean; help: boolean } {
  const values = parseFlags(argv, {
    runs: { type: 'string' },
    evict: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  return {
    runs: positiveInteger('--runs', values.runs, DEFAULT_RUNS),
    evict: values.evict ?? false,
    help: values.help ?? false,
  };
}

async function evictFromPageCache(files: readonly string[]): Promise<void> {
  // GNU dd: iflag=nocache with count=0 asks the kernel to drop the whole file's cached pages.
  for (const file of files) {
    await promisify(execFile)('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
}

/** The builds to measure, from private copies: a build elsewhere in the checkout may rewrite dist/. */
async function copyBuilds(scratch: string, bunExecutable: string | undefined): Promise<MeasuredBuild[]> {
  const nodeLayer = path.join(scratch, 'node');
  await cp(EXTENSION_LAYER, nodeLayer, { recursive: true });
  const launcher = path.join(nodeLayer, 'extensions', EXTENSION_NAME);
  const bundle = path.join(nodeLayer, EXTENSION_NAME, 'index.mjs');
  // The launcher runs `node` from PATH: this Node first, so every subject runs the same one.
  const environment = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin` };
  const builds: MeasuredBuild[] = [
    {
      id: 'node-launcher',
      label: 'Node bundle via sh launcher',
      executable: launcher,
      environment,
      files: [launcher, bundle],
    },
    {
      id: 'node-direct',
      label: 'Node bundle, node directly',
      executable: process.execPath,
      args: [bundle],
      environment,
      files: [bundle],
    },
  ];
  if (bunExecutable) {
    const executable = path.join(scratch, 'bin', 'extensions', EXTENSION_NAME);
    await cp(bunExecutable, executable);
    builds.push({
      id: 'bun-executable',
      label: `bun --compile executable (${process.arch})`,
      executable,
      environment,
      files: [executable],
    });
  }
  return builds;
}

async function measure(builds: readonly MeasuredBuild[], runs: number, evict: boolean) {
  const samples = new Map<string, StartSample[]>(builds.map((build) => [build.id, []]));
  const startOf = async (build: MeasuredBuild): Promise<StartSample> => {
    if (evict) await evictFromPageCache(build.files);
    return startOnce(build, { spans: SPANS, spansPerRequest: SPANS_PER_REQUEST });
  };
  // One unrecorded round first: it pulls the files into the page cache for every build alike.
  for (const build of builds) await startOf(build);
  for (let round = 0; round < runs; round++) {
    for (const build of builds) samples.get(build.id)!.push(await startOf(build));
    progress('measure-start', `round ${round + 1}/${runs}`);
  }
  return samples;
}

function printStarts(
  builds: readonly MeasuredBuild[],
  samples: Map<string, StartSample[]>,
  runs: number,
  evict: boolean,
) {
  const cell = (values: number[], what: string, digits: number): string => {
    const { p50, p90 } = summarize(values, what);
    return `${p50.toFixed(digits)} / ${p90.toFixed(digits)}`;
  };
  const cache = evict ? 'own files evicted from the page cache before each start' : 'page cache warm';
  console.log(
    `Node ${process.version}, ${process.arch}, ${runs} interleaved runs each, ${cache}; p50 / p90\n`,
  );
  console.log(
    `| build | start → register (ms) | start → first next (ms) | RSS registered (MB) | spans held of ${SPANS.toLocaleString('en-US')} sent | RSS holding them (MB) |`,
  );
  console.log('|---|---|---|---|---|---|');
  const columns: (keyof StartSample)[] = ['registerMs', 'readyMs', 'rssMb', 'spansHeld', 'rssWithSpansMb'];
  for (const build of builds) {
    const list = samples.get(build.id)!;
    const cells = columns.map((column) =>
      cell(
        list.map((sample) => sample[column]!),
        `${build.id} ${column}`,
        column === 'spansHeld' ? 0 : 1,
      ),
    );
    console.log(`| ${build.label} | ${cells.join(' | ')} |`);
  }
}

async function printSizes(): Promise<void> {
  const mb = (bytes: number) => (bytes / 1_000_000).toFixed(2);
  const layers: [string, string][] = [['Node bundle (dist/layer)', EXTENSION_LAYER]];
  for (const arch of ['x64', 'arm64']) {
    const dir = path.join(ROOT, 'dist', 'layer-bin', arch);
    // Built for one architecture only (TELEMETRY_EXTENSION_ARCH): report what exists.
    if (
      await access(dir).then(
        () => true,
        () => false,
      )
    ) {
      layers.push([`bun executable (dist/layer-bin/${arch})`, dir]);
    }
  }
  console.log('\n| layer | raw (MB) | zipped (MB) |\n|---|---|---|');
  for (const [label, dir] of layers) {
    const size = await measureArtifact(dir);
    console.log(`| ${label} | ${mb(size.rawBytes)} | ${mb(size.zippedBytes)} |`);
  }
}

async function main(): Promise<void> {
  const options = readOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (
    !(await access(EXTENSION_LAUNCHER).then(
      () => true,
      () => false,
    ))
  ) {
    throw new UsageError(`${path.relative(ROOT, EXTENSION_LAUNCHER)} is missing; run npm run build first`);
  }
  const bunExecutable = await singleExecutable();
  if (!bunExecutable) progress('measure-start', 'the bun executable is not measured: it could not be built');
  const scratch = await mkdtemp(path.join(tmpdir(), 'measure-start-'));
  try {
    const builds = await copyBuilds(scratch, bunExecutable);
    const samples = await measure(builds, options.runs, options.evict);
    printStarts(builds, samples, options.runs, options.evict);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await printSizes();
}

try {
  await main();
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`measure-start: ${error.message}`);
  process.exitCode = 2;
}
