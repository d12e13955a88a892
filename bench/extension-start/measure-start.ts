/**
 * `npx tsx bench/extension-start/measure-start.ts`: the project's extension builds side by side
 * where a cold start feels them, for choosing between them. The bench's extension-start stage
 * times the same starts against floors; this command adds what the choice also needs: private
 * memory beside RSS, memory while holding a full buffer of spans, starts with the layer's files
 * read from storage (`--evict`), and the layers' sizes.
 *
 * Subjects, interleaved one of each per round: the layer's launcher (it registers and subscribes
 * from bash before Node starts) as Debian's dash starts it and as bash-as-/bin/sh does on Amazon
 * Linux, the previous launcher (sh exec node: Node registers), the bundle started by `node`
 * directly, the `bun build --compile` executable (built first when missing, as the bench stage
 * does; skipped with a notice when it cannot be) and the C floor, which only registers and waits.
 * Every Node subject runs the sandbox's runtime Node (the deployed runtime's major).
 */
import { execFile } from 'node:child_process';
import { access, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseFlags } from '../../local/command-line';
import { runtimeNode } from '../../local/environment/runtime-node';
import { positiveInteger, UsageError } from '../options';
import { EXTENSION_LAUNCHER, EXTENSION_LAYER, ROOT } from '../paths';
import { progress } from '../progress';
import { measureArtifact } from '../sizes';
import { summarize } from '../statistics';
import { type StartSample, type StartSubject, singleExecutable, startOnce } from './extension-start';
import { buildFloors } from './floors';

const USAGE = `Usage: npx tsx bench/extension-start/measure-start.ts [options]

Times the extension's builds from process start to register, to the Telemetry API subscription
and to the first event/next, reads their memory (RSS, its private RssAnon, Pss) idle and holding
a full buffer of spans, and prints the layers' sizes. Needs dist/layer (npm run build); the bun
executable is built when missing, the C floor with gcc.

  --runs N              interleaved runs per build, after one unrecorded round (default: 25)
  --evict               drop each build's own files from the page cache before every start, as a
                        layer is read from storage at a cold start (Node itself stays cached: the
                        function's runtime loads it anyway)
  --node-flags "FLAGS"  also measure the layer's launcher with these Node flags in place of the
                        build's (for trying V8 and Node options)
  --help                print this text
`;

const DEFAULT_RUNS = 25;
// The extension's default buffer limit in spans (TELEMETRY_BUFFER_MAX_SPANS); its byte limit
// may refuse some first, and what it holds then is a full buffer all the same.
const SPANS = 10_000;
// A handler invocation with a few DynamoDB calls flushes about this many spans at a time.
const SPANS_PER_REQUEST = 100;
const EXTENSION_NAME = 'telemetry-extension';

/** A subject, the files of its own that `--evict` drops from the page cache, and whether it takes spans. */
interface MeasuredBuild extends StartSubject {
  files: readonly string[];
  /** False for the floors: they have no receiver. */
  takesSpans: boolean;
}

interface Options {
  runs: number;
  evict: boolean;
  nodeFlags: string | undefined;
  help: boolean;
}

function readOptions(argv: readonly string[]): Options {
  const values = parseFlags(argv, {
    runs: { type: 'string' },
    evict: { type: 'boolean' },
    'node-flags': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  return {
    runs: positiveInteger('--runs', values.runs, DEFAULT_RUNS),
    evict: values.evict ?? false,
    nodeFlags: values['node-flags'],
    help: values.help ?? false,
  };
}

async function evictFromPageCache(files: readonly string[]): Promise<void> {
  // GNU dd: iflag=nocache with count=0 asks the kernel to drop the whole file's cached pages.
  for (const file of files) {
    await promisify(execFile)('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
}

// The launcher's one line that starts Node; --node-flags rewrites its flags.
const START_NODE_LINE = /^(\s*exec node)( .*)? "\$bundle"/m;

/** A copy of the layer at `dir` whose launcher is rewritten by `edit`; returns the launcher. */
async function layerCopy(dir: string, edit: (launcher: string) => string): Promise<string> {
  await cp(EXTENSION_LAYER, dir, { recursive: true });
  const launcher = path.join(dir, 'extensions', EXTENSION_NAME);
  await writeFile(launcher, edit(await readFile(launcher, 'utf8')));
  return launcher;
}

/** The builds to measure, from private copies: a build elsewhere in the checkout may rewrite dist/. */
async function copyBuilds(
  scratch: string,
  node: string,
  bunExecutable: string | undefined,
  nodeFlags: string | undefined,
): Promise<MeasuredBuild[]> {
  const launcher = await layerCopy(path.join(scratch, 'node'), (text) => text);
  const bundle = path.join(scratch, 'node', EXTENSION_NAME, 'index.mjs');
  // The launcher that preceded registering from bash, with the same bundle: Node registers.
  const execNode = await layerCopy(
    path.join(scratch, 'exec-node'),
    () => `#!/bin/sh\nexec node "$(dirname "$0")/../${EXTENSION_NAME}/index.mjs"\n`,
  );
  // The launchers run `node` from PATH: the runtime Node first, so every subject runs the same one.
  const environment = { PATH: `${path.dirname(node)}:/usr/bin:/bin` };
  const builds: MeasuredBuild[] = [
    {
      id: 'launcher',
      label: 'layer launcher, registers from bash (dash re-execs bash)',
      executable: launcher,
      environment,
      files: [launcher, bundle],
      takesSpans: true,
    },
    {
      // Amazon Linux's /bin/sh is bash, which runs a script it is started as sh for in POSIX mode.
      id: 'launcher-bash-sh',
      label: 'layer launcher, bash as /bin/sh (Amazon Linux)',
      executable: '/bin/bash',
      args: ['--posix', launcher],
      environment,
      files: [launcher, bundle],
      takesSpans: true,
    },
  ];
  if (nodeFlags !== undefined) {
    const flagged = await layerCopy(path.join(scratch, 'flags'), (text) => {
      if (!START_NODE_LINE.test(text))
        throw new Error('the layer launcher has no `exec node ... "$bundle"` line');
      return text.replace(START_NODE_LINE, `$1 ${nodeFlags} "$bundle"`);
    });
    builds.push({
      id: 'launcher-flags',
      label: `layer launcher, node ${nodeFlags}`,
      executable: flagged,
      environment,
      files: [flagged, path.join(scratch, 'flags', EXTENSION_NAME, 'index.mjs')],
      takesSpans: true,
    });
  }
  builds.push(
    {
      id: 'exec-node',
      label: 'previous launcher: sh exec node, Node registers',
      executable: execNode,
      environment,
      files: [execNode, path.join(scratch, 'exec-node', EXTENSION_NAME, 'index.mjs')],
      takesSpans: true,
    },
    {
      id: 'node-direct',
      label: 'bundle started by node directly, Node registers',
      executable: node,
      args: [bundle],
      environment,
      files: [bundle],
      takesSpans: true,
    },
  );
  if (bunExecutable) {
    const executable = path.join(scratch, 'bin', 'extensions', EXTENSION_NAME);
    await cp(bunExecutable, executable);
    builds.push({
      id: 'bun-executable',
      label: `bun --compile executable (${process.arch})`,
      executable,
      environment,
      files: [executable],
      takesSpans: true,
    });
  }
  const floor = (await buildFloors()).find((subject) => subject.id === 'floor-c');
  if (floor) builds.push({ ...floor, files: [floor.executable], takesSpans: false });
  return builds;
}

async function measure(builds: readonly MeasuredBuild[], runs: number, evict: boolean) {
  const samples = new Map<string, StartSample[]>(builds.map((build) => [build.id, []]));
  const startOf = async (build: MeasuredBuild): Promise<StartSample> => {
    if (evict) await evictFromPageCache(build.files);
    return startOnce(
      build,
      build.takesSpans ? { spans: SPANS, spansPerRequest: SPANS_PER_REQUEST } : undefined,
    );
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
  options: Options,
  nodeVersion: string,
) {
  const cell = (build: MeasuredBuild, column: keyof StartSample, digits = 1): string => {
    const values = samples
      .get(build.id)!
      .map((sample) => sample[column])
      .filter((value): value is number => value !== undefined);
    // Not every subject subscribes to the Telemetry API (the floor) or takes spans.
    if (values.length === 0) return '–';
    const { p50, p90 } = summarize(values, `${build.id} ${column}`);
    return `${p50.toFixed(digits)} / ${p90.toFixed(digits)}`;
  };
  const cache = options.evict ? 'own files evicted from the page cache before each start' : 'page cache warm';
  console.log(
    `Node ${nodeVersion} (the runtime Node every Node subject ran), ${process.arch}, ` +
      `${options.runs} interleaved runs each, ${cache}; p50 / p90\n`,
  );
  console.log(
    '| build | start → register (ms) | start → Telemetry API subscription (ms) | start → first next (ms) |',
  );
  console.log('|---|---|---|---|');
  for (const build of builds) {
    console.log(
      `| ${build.label} | ${cell(build, 'registerMs')} | ${cell(build, 'subscribeMs')} | ${cell(build, 'readyMs')} |`,
    );
  }
  console.log(
    `\n| build | RSS idle (MB) | RssAnon idle (MB) | Pss idle (MB) | spans held of ${SPANS.toLocaleString('en-US')} sent | RSS holding them (MB) | RssAnon holding them (MB) |`,
  );
  console.log('|---|---|---|---|---|---|---|');
  for (const build of builds) {
    const cells = [
      cell(build, 'rssMb'),
      cell(build, 'rssAnonMb'),
      cell(build, 'pssMb'),
      cell(build, 'spansHeld', 0),
      cell(build, 'rssWithSpansMb'),
      cell(build, 'rssAnonWithSpansMb'),
    ];
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
  const node = runtimeNode();
  if (node.notice) progress('measure-start', node.notice);
  // The version of the binary the subjects run, asked of that binary.
  const { stdout: nodeVersion } = await promisify(execFile)(node.path, ['-p', 'process.version']);
  const bunExecutable = await singleExecutable();
  if (!bunExecutable) progress('measure-start', 'the bun executable is not measured: it could not be built');
  const scratch = await mkdtemp(path.join(tmpdir(), 'measure-start-'));
  try {
    const builds = await copyBuilds(scratch, node.path, bunExecutable, options.nodeFlags);
    const samples = await measure(builds, options.runs, options.evict);
    printStarts(builds, samples, options, nodeVersion.trim());
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
