/**
 * Measures the extension's builds where cold start feels them: time from process start to the
 * `register` request, to the first `event/next` (init done), and resident memory once registered
 * and after 10,000 spans. Subjects: the esbuild bundle on Node through the layer's sh launcher,
 * the same bundle started by `node` directly, and the `bun build --compile` executable. Runs are
 * interleaved (one of each per round) so the shared machine's drift spreads over all alike.
 *
 * Usage: npx tsx extension/scripts/measure-start.ts [--runs 25] [--evict]
 *   --evict drops each subject's own files (launcher, bundle, executable; not Node itself, which
 *   the function's runtime loads anyway) from the page cache before each start: in Lambda a
 *   layer is read from storage at a cold start, here it would otherwise be cached.
 * Needs the builds: npm run build && node scripts/build.mjs extension-bin
 *
 * The Extensions API here is a measurement tool, not the sandbox: a loopback endpoint that
 * answers `register`, the Telemetry API subscription and `event/next`, and timestamps them on
 * this process's clock, so nothing else (no runtime, no function) competes for the CPU.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { access, cp, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const NODE_LAYER = path.join(ROOT, 'dist', 'layer');
const BIN_LAYERS = path.join(ROOT, 'dist', 'layer-bin');
const EXTENSION_NAME = 'telemetry-extension';

// 10,000 spans is the extension's default buffer and one X-Ray OTLP request's cap; sent as
// 100 requests of 100, about what 100 invocations of a handler with a few DynamoDB calls send.
const SPANS = 10_000;
const SPANS_PER_REQUEST = 100;
// Lambda's whole Init limit.
const INIT_TIMEOUT_MS = 10_000;
// Memory read right at `next` could catch the tail of init allocations.
const SETTLE_MS = 100;
// Lambda's SHUTDOWN deadline with external extensions.
const SHUTDOWN_DEADLINE_MS = 2_000;

interface Subject {
  readonly id: string;
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  /** The subject's own files, evicted from the page cache with --evict. */
  readonly files: readonly string[];
}

interface Sample {
  readonly registerMs: number;
  readonly readyMs: number;
  readonly rssRegisteredMb: number;
  readonly rssSpansMb: number;
}

/** One extension's view of the Extensions and Telemetry APIs, for one run. */
class RegisterEndpoint {
  registeredAt: number | undefined;
  private readonly ready: Promise<number>;
  private resolveReady!: (at: number) => void;
  private pendingNext: http.ServerResponse | undefined;
  private shuttingDown = false;

  private constructor(private readonly server: http.Server) {
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  static async start(host: string): Promise<RegisterEndpoint> {
    const server = http.createServer();
    const endpoint = new RegisterEndpoint(server);
    server.on('request', (req, res) => endpoint.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, resolve);
    });
    return endpoint;
  }

  get runtimeApi(): string {
    const { address, port } = this.server.address() as AddressInfo;
    return `${address}:${port}`;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const at = performance.now();
    req.resume();
    req.on('end', () => {
      if (req.url === '/2020-01-01/extension/register') {
        this.registeredAt ??= at;
        res.writeHead(200, {
          'content-type': 'application/json',
          'lambda-extension-identifier': randomUUID(),
        });
        res.end(
          JSON.stringify({ functionName: 'measure', functionVersion: '$LATEST', handler: 'index.handler' }),
        );
      } else if (req.url === '/2022-07-01/telemetry') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('"OK"');
      } else if (req.url === '/2020-01-01/extension/event/next') {
        this.resolveReady(at);
        if (this.shuttingDown) this.sendShutdown(res);
        else this.pendingNext = res;
      } else {
        res.writeHead(404).end();
      }
    });
  }

  private sendShutdown(res: http.ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        eventType: 'SHUTDOWN',
        shutdownReason: 'spindown',
        deadlineMs: Date.now() + SHUTDOWN_DEADLINE_MS,
      }),
    );
  }

  /** Resolves with the time of the first `event/next`. */
  async readyWithin(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no event/next within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.ready, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  shutdown(): void {
    this.shuttingDown = true;
    const pending = this.pendingNext;
    this.pendingNext = undefined;
    if (pending) this.sendShutdown(pending);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A fresh loopback address per run, as the sandbox gives each environment, so ports never collide. */
function loopbackAddress(): string {
  const [a, b, c] = randomBytes(3);
  return `127.${a}.${b}.${Math.max(2, c ?? 2)}`;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

function spanBatch(batch: number): string {
  const traceId = randomBytes(16).toString('hex');
  const start = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: SPANS_PER_REQUEST }, (_, index) => ({
    traceId,
    spanId: randomBytes(8).toString('hex'),
    name: index === 0 ? 'GET /todos' : 'DynamoDB.Query',
    kind: index === 0 ? 2 : 3,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 3_000_000n),
    attributes: [
      { key: 'rpc.system', value: { stringValue: 'aws-api' } },
      { key: 'rpc.service', value: { stringValue: 'DynamoDB' } },
      { key: 'rpc.method', value: { stringValue: 'Query' } },
      { key: 'batch', value: { intValue: String(batch) } },
    ],
  }));
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'measure' } }] },
        scopeSpans: [{ scope: { name: 'measure' }, spans }],
      },
    ],
  });
}

async function sendSpans(receiver: string): Promise<void> {
  for (let batch = 0; batch < SPANS / SPANS_PER_REQUEST; batch++) {
    const response = await fetch(`http://${receiver}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: spanBatch(batch),
    });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`receiver answered ${response.status} to batch ${batch}`);
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  // After a spawn failure Node emits 'error' and may never emit 'exit'.
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
}

async function evict(files: readonly string[]): Promise<void> {
  // GNU dd: iflag=nocache with count=0 asks the kernel to drop the whole file's cached pages.
  for (const file of files) {
    await promisify(execFile)('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none']);
  }
}

async function measureOnce(subject: Subject, basePath: string, evictFirst: boolean): Promise<Sample> {
  if (evictFirst) await evict(subject.files);
  const address = loopbackAddress();
  const endpoint = await RegisterEndpoint.start(address);
  const receiver = `${address}:4318`;
  const spawnedAt = performance.now();
  const child = spawn(subject.command, subject.args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: {
      PATH: basePath,
      AWS_LAMBDA_RUNTIME_API: endpoint.runtimeApi,
      AWS_REGION: 'us-east-1',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_NAME: 'measure',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_ACCESS_KEY_ID: 'measure',
      AWS_SECRET_ACCESS_KEY: 'measure',
      AWS_SESSION_TOKEN: 'measure',
      TELEMETRY_RECEIVER_ADDRESS: receiver,
      TELEMETRY_LISTENER_ADDRESS: `${address}:4243`,
      // Nothing should leave the machine: every AWS endpoint is a closed local port.
      AWS_ENDPOINT_URL: `http://${address}:9`,
    },
  });
  let stderr = '';
  // A spawn failure (ENOENT, EACCES) is reported with the run instead of as an unhandled error.
  child.once('error', (error) => {
    stderr += String(error);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-2_000);
  });
  try {
    const readyAt = await Promise.race([
      endpoint.readyWithin(INIT_TIMEOUT_MS),
      exited(child).then(() => {
        throw new Error(`${subject.id} exited (${child.exitCode}) before init finished: ${stderr}`);
      }),
    ]);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const rssRegisteredMb = await rssMb(child.pid!);
    await sendSpans(receiver);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const rssSpansMb = await rssMb(child.pid!);
    return {
      registerMs: endpoint.registeredAt! - spawnedAt,
      readyMs: readyAt - spawnedAt,
      rssRegisteredMb,
      rssSpansMb,
    };
  } finally {
    endpoint.shutdown();
    const deadline = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_DEADLINE_MS);
    await exited(child);
    clearTimeout(deadline);
    await endpoint.close();
  }
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = q * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

async function zippedBytes(dir: string): Promise<number> {
  const scratch = await mkdtemp(path.join(tmpdir(), 'measure-start-'));
  const archive = path.join(scratch, 'layer.zip');
  try {
    // zip -9 -X: what a layer upload holds, at the strongest deflate, without extra attributes.
    await promisify(execFile)('zip', ['-9', '-X', '-r', '-q', archive, '.'], { cwd: dir });
    return (await stat(archive)).size;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

async function rawBytes(dir: string): Promise<number> {
  const { stdout } = await promisify(execFile)('du', ['-sb', dir]);
  return Number(stdout.split('\t')[0]);
}

function parseRuns(argv: readonly string[]): number {
  for (const arg of argv) {
    if (arg.startsWith('--') && arg !== '--runs' && arg !== '--evict') {
      console.error(`measure-start: unknown option ${arg}; use --runs N and --evict`);
      process.exit(2);
    }
  }
  const at = argv.indexOf('--runs');
  if (at === -1) return 25;
  const runs = Number(argv[at + 1]);
  if (!Number.isInteger(runs) || runs < 1) {
    console.error('measure-start: --runs takes a whole number of runs, e.g. --runs 25');
    process.exit(2);
  }
  return runs;
}

async function main(): Promise<void> {
  const runs = parseRuns(process.argv.slice(2));
  const evictFirst = process.argv.includes('--evict');
  const arch = process.arch;
  for (const dir of [NODE_LAYER, path.join(BIN_LAYERS, arch)]) {
    try {
      await access(path.join(dir, 'extensions', EXTENSION_NAME));
    } catch {
      console.error(
        `measure-start: ${path.relative(ROOT, dir)} is missing; run npm run build && node scripts/build.mjs extension-bin`,
      );
      process.exit(2);
    }
  }
  // Measured from a private copy: a build or test elsewhere in the checkout may rewrite dist/.
  const scratch = await mkdtemp(path.join(tmpdir(), 'measure-start-layers-'));
  const nodeLayer = path.join(scratch, 'node');
  const binLayer = path.join(scratch, 'bin');
  await cp(NODE_LAYER, nodeLayer, { recursive: true });
  await cp(path.join(BIN_LAYERS, arch), binLayer, { recursive: true });
  try {
    await measure(runs, evictFirst, nodeLayer, binLayer);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  await printSizes();
}

async function measure(
  runs: number,
  evictFirst: boolean,
  nodeLayer: string,
  binLayer: string,
): Promise<void> {
  const arch = process.arch;
  const subjects: Subject[] = [
    {
      id: 'node-launcher',
      label: 'Node bundle via sh launcher',
      command: path.join(nodeLayer, 'extensions', EXTENSION_NAME),
      args: [],
      files: [
        path.join(nodeLayer, 'extensions', EXTENSION_NAME),
        path.join(nodeLayer, EXTENSION_NAME, 'index.mjs'),
      ],
    },
    {
      id: 'node-direct',
      label: 'Node bundle, node directly',
      command: process.execPath,
      args: [path.join(nodeLayer, EXTENSION_NAME, 'index.mjs')],
      files: [path.join(nodeLayer, EXTENSION_NAME, 'index.mjs')],
    },
    {
      id: 'bun-executable',
      label: `bun --compile executable (${arch})`,
      command: path.join(binLayer, 'extensions', EXTENSION_NAME),
      args: [],
      files: [path.join(binLayer, 'extensions', EXTENSION_NAME)],
    },
  ];
  // The launcher runs `node` from PATH: put this Node first so every subject runs the same one.
  const basePath = `${path.dirname(process.execPath)}:/usr/bin:/bin`;
  const samples = new Map<string, Sample[]>(subjects.map((s) => [s.id, []]));
  // One unrecorded round first: it pulls the files into the page cache for everyone alike.
  for (const subject of subjects) await measureOnce(subject, basePath, evictFirst);
  for (let round = 0; round < runs; round++) {
    for (const subject of subjects)
      samples.get(subject.id)!.push(await measureOnce(subject, basePath, evictFirst));
    process.stderr.write(`\rround ${round + 1}/${runs}`);
  }
  process.stderr.write('\n');

  const fmt = (values: number[]) =>
    `${quantile(values, 0.5).toFixed(1)} / ${quantile(values, 0.9).toFixed(1)}`;
  const cache = evictFirst ? 'own files evicted from the page cache before each start' : 'page cache warm';
  console.log(`Node ${process.version}, ${arch}, ${runs} interleaved runs each, ${cache}; median / p90\n`);
  console.log(
    '| build | start → register (ms) | start → first next (ms) | RSS registered (MB) | RSS after 10,000 spans (MB) |',
  );
  console.log('|---|---|---|---|---|');
  for (const subject of subjects) {
    const list = samples.get(subject.id)!;
    console.log(
      `| ${subject.label} | ${fmt(list.map((s) => s.registerMs))} | ${fmt(list.map((s) => s.readyMs))} | ${fmt(list.map((s) => s.rssRegisteredMb))} | ${fmt(list.map((s) => s.rssSpansMb))} |`,
    );
  }
}

async function printSizes(): Promise<void> {
  const mb = (bytes: number) => (bytes / 1_000_000).toFixed(2);
  const layers: [string, string][] = [['Node bundle (dist/layer)', NODE_LAYER]];
  for (const candidate of ['x64', 'arm64']) {
    const dir = path.join(BIN_LAYERS, candidate);
    try {
      await access(dir);
      layers.push([`bun executable (dist/layer-bin/${candidate})`, dir]);
    } catch {
      // Built for one architecture only (TELEMETRY_EXTENSION_ARCH): report what exists.
    }
  }
  console.log('\n| layer | raw (MB) | zipped (MB) |\n|---|---|---|');
  for (const [label, dir] of layers) {
    console.log(`| ${label} | ${mb(await rawBytes(dir))} | ${mb(await zippedBytes(dir))} |`);
  }
}

await main();
