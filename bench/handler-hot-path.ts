/**
 * `npx tsx bench/handler-hot-path.ts`: what handler telemetry costs one warm invocation in CPU,
 * measured in-process, without the sandbox. Two parts, side by side in one run:
 *
 * - bundles: the real `index.mjs` built by `scripts/build.mjs` with and without `TELEMETRY=off`,
 *   each in a child process of its own, invoked with a GET /todos/{id} event as the runtime
 *   would. "invoke" is the CPU from calling the handler until its promise settles (the runtime
 *   posts the response right after); "total" adds what the invocation leaves for after the
 *   response (encoding, the sends to the receiver and their answers).
 * - components: each piece of the telemetry on its own, from the sources, on the same request.
 *
 * DynamoDB and the extension's receiver are stand-ins that answer at once, served from another
 * process; CPU is the function process's own (`process.cpuUsage`), so theirs is not counted.
 */
import { execFile, spawn } from 'node:child_process';
import { access, cp, mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { parseFlags } from '../local/command-line';
import { positiveInteger, UsageError } from './options';
import { BENCH_DIST, ROOT } from './paths';
import { quantileSorted } from './statistics';

const USAGE = `Usage: npx tsx bench/handler-hot-path.ts [options]

Per-invocation CPU of the warm path of the todo handler: the real bundle with and without
telemetry (each in a child process), then each telemetry component on its own.

  --invocations N   measured invocations per bundle and round (default: 2000)
  --rounds N        child processes per bundle, run alternately (default: 3)
  --samples N       samples per component; each is the mean of 20 runs (default: 400)
  --no-build        reuse the bundles an earlier run built into dist/bench/hot-path/
  --help            print this text

Run it on the Node the function runs on (nodejs24.x):
  npx tsx bench/handler-hot-path.ts   (npx puts node_modules/.bin/node first on PATH)
`;

const SELF = fileURLToPath(import.meta.url);
const WARM_UP = 300;
const COMPONENT_BATCH = 20;
const ANSWER_WAIT_MS = 3;

// The process's CPU (every thread: GC and libuv's pool are the function's cost too). Not
// process.threadCpuUsage: on kernels that account thread time in scheduler ticks it moves in
// steps of several milliseconds.
const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

// ---------------------------------------------------------------------------------------------
// Stand-ins served from a process of their own: a DynamoDB that answers every call with one item, and a
// receiver that takes everything.

const STAND_INS = `
const http = require('node:http');
const item = JSON.stringify({ Item: {
  owner: { S: 'public' }, id: { S: 'todo-1' }, seq: { S: '0190a0b0-0000-7000-8000-000000000000' },
  text: { S: 'buy milk and bread for the week' }, done: { BOOL: false },
  createdAt: { S: '2026-11-27T20:00:00.000Z' }, updatedAt: { S: '2026-11-27T20:00:00.000Z' },
  version: { N: '1' } } });
const dynamodb = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'req-1',
      'content-length': Buffer.byteLength(item) });
    res.end(item);
  });
});
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': 2 });
    res.end('{}');
  });
});
dynamodb.listen(0, '127.0.0.1', () => receiver.listen(0, '127.0.0.1', () =>
  process.stdout.write(JSON.stringify({ dynamodb: dynamodb.address().port, receiver: receiver.address().port }) + '\\n')));
`;

interface StandIns {
  readonly dynamodb: number;
  readonly receiver: number;
  stop(): void;
}

async function startStandIns(): Promise<StandIns> {
  const server = spawn(process.execPath, ['-e', STAND_INS], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ports = await new Promise<{ dynamodb: number; receiver: number }>((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      if (out.includes('\n')) resolve(JSON.parse(out) as { dynamodb: number; receiver: number });
    });
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`the stand-ins exited ${code}`)));
  });
  return { ...ports, stop: () => server.kill() };
}

// ---------------------------------------------------------------------------------------------
// The request every invocation serves.

function todoEvent(requestNumber: number) {
  return {
    version: '2.0',
    routeKey: 'GET /todos/{id}',
    rawPath: '/todos/todo-1',
    rawQueryString: '',
    headers: { 'user-agent': 'bench/1.0', accept: 'application/json', host: 'api.example.com' },
    pathParameters: { id: 'todo-1' },
    isBase64Encoded: false,
    requestContext: {
      accountId: '123456789012',
      apiId: 'api1',
      domainName: 'api1.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'api1',
      requestId: `apigw-${requestNumber}`,
      routeKey: 'GET /todos/{id}',
      stage: '$default',
      time: '27/Nov/2026:20:00:00 +0000',
      timeEpoch: Date.now(),
      http: {
        method: 'GET',
        path: '/todos/todo-1',
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.9',
        userAgent: 'bench/1.0',
      },
    },
  };
}

function lambdaContext(requestNumber: number) {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'todos',
    functionVersion: '3',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:todos:live',
    memoryLimitInMB: '128',
    awsRequestId: `00000000-0000-4000-8000-${String(requestNumber).padStart(12, '0')}`,
    logGroupName: '/aws/lambda/todos',
    logStreamName: '2026/11/27/[3]0123456789abcdef0123456789abcdef',
    getRemainingTimeInMillis: () => 3_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const hex = (digits: number) =>
  Array.from({ length: digits }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const lambdaTraceHeader = () =>
  `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${hex(24)};Parent=${hex(16)};Sampled=1`;

/** The environment Lambda gives the function, pointed at the stand-ins. */
function functionEnvironment(ports: { dynamodb: number; receiver: number }): Record<string, string> {
  return {
    TABLE_NAME: 'todos',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'AKIDBENCH',
    AWS_SECRET_ACCESS_KEY: 'bench-secret',
    AWS_SESSION_TOKEN: 'bench-token',
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${ports.dynamodb}`,
    TELEMETRY_RECEIVER_ADDRESS: `127.0.0.1:${ports.receiver}`,
    AWS_LAMBDA_FUNCTION_NAME: 'todos',
    AWS_LAMBDA_FUNCTION_VERSION: '3',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/27/[3]0123456789abcdef0123456789abcdef',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    CURSOR_SECRET: 'bench-cursor-secret-bench-cursor-secret',
  };
}

// ---------------------------------------------------------------------------------------------
// Child: one bundle, invoked warm, one invocation at a time.

interface BundleSamples {
  invoke: number[];
  total: number[];
}

async function runBundle(bundle: string, invocations: number): Promise<BundleSamples> {
  const standIns = await startStandIns();
  Object.assign(process.env, functionEnvironment(standIns));
  const module = (await import(pathToFileURL(bundle).href)) as {
    handler: (event: unknown, context: unknown) => Promise<{ statusCode: number }>;
  };
  const invoke = [] as number[];
  const total = [] as number[];
  for (let n = 0; n < WARM_UP + invocations; n++) {
    process.env._X_AMZN_TRACE_ID = lambdaTraceHeader();
    const event = todoEvent(n);
    const context = lambdaContext(n);
    const started = cpuMicros();
    const result = await module.handler(event, context);
    const responded = cpuMicros();
    if (result.statusCode !== 200) throw new Error(`GET /todos/{id} answered ${result.statusCode}`);
    // What the telemetry left for after the response runs in the next check phase.
    // Then the receiver's answers: a stand-in on loopback answers well within this wait, and
    // one that comes later is counted in the next invocation, against telemetry.
    await new Promise(setImmediate);
    await new Promise((resolve) => setTimeout(resolve, ANSWER_WAIT_MS));
    const finished = cpuMicros();
    if (n >= WARM_UP) {
      invoke.push(responded - started);
      total.push(finished - started);
    }
  }
  standIns.stop();
  return { invoke, total };
}

// ---------------------------------------------------------------------------------------------
// Child: each component on its own, from the sources.

interface ComponentSamples {
  readonly name: string;
  readonly what: string;
  readonly micros: number[];
  readonly bytes?: number;
}

/** Per-run CPU of `run`, as the mean of {@link COMPONENT_BATCH} runs per sample. */
async function sampleComponent(samples: number, run: () => unknown): Promise<number[]> {
  const micros: number[] = [];
  for (let warm = 0; warm < 200; warm++) await run();
  for (let sample = 0; sample < samples; sample++) {
    const started = cpuMicros();
    for (let i = 0; i < COMPONENT_BATCH; i++) await run();
    micros.push((cpuMicros() - started) / COMPONENT_BATCH);
  }
  return micros;
}

async function runComponents(samples: number): Promise<ComponentSamples[]> {
  const standIns = await startStandIns();
  const environment = functionEnvironment(standIns);
  Object.assign(process.env, environment);
  const { context, ROOT_CONTEXT, SpanKind, trace } = await import('@opentelemetry/api');
  const { DynamoDBClient, GetItemCommand } = await import('@aws-sdk/client-dynamodb');
  const { readTelemetryConfig } = await import('../functions/telemetry/config');
  const { createTracing } = await import('../functions/telemetry/tracing');
  const { requestAttributes, routeTemplate } = await import('../functions/telemetry/http-api-span');
  const { remoteParent } = await import('../functions/telemetry/xray-ids');
  const { encodeOtlpJson } = await import('../functions/telemetry/otlp-json');
  const { PayloadMetrics } = await import('../functions/telemetry/payload-metrics');
  const { ReceiverClient } = await import('../functions/telemetry/receiver-client');
  const { addAwsClientMiddleware } = await import('../functions/telemetry/aws-client');
  const { TODO_PAYLOAD_METRICS } = await import('../functions/todos/metric-names');

  const config = readTelemetryConfig(environment);
  const tracing = createTracing(config, () => undefined);
  const tracer = tracing.tracer;
  const event = todoEvent(1) as never;
  const lambda = lambdaContext(1) as never;

  // Spans: the SERVER span as instrumentHandler makes and ends it, one CLIENT span as the SDK
  // middleware makes it, then the drain.
  const spanWork = () => {
    const remote = remoteParent(lambdaTraceHeader());
    const parent = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
    const route = routeTemplate('GET /todos/{id}');
    const server = tracer.startSpan(
      `GET ${route}`,
      { kind: SpanKind.SERVER, attributes: requestAttributes(event, lambda, route, false) },
      parent,
    );
    const client = tracer.startSpan(
      'DynamoDB.GetItem',
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'rpc.system': 'aws-api',
          'rpc.service': 'DynamoDB',
          'rpc.method': 'GetItem',
          'aws.dynamodb.table_names': ['todos'],
          'cloud.region': 'us-east-1',
        },
      },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    client.setAttributes({ 'http.response.status_code': 200, 'aws.request_id': 'req-1', 'aws.retries': 0 });
    client.end();
    server.setAttribute('http.response.status_code', 200);
    server.setAttribute('http.response.body.size', 240);
    server.end();
    return tracing.pending.drain();
  };
  const spans = spanWork();

  const metrics = new PayloadMetrics(TODO_PAYLOAD_METRICS, {});
  const sample = {
    route: 'GET /todos/{id}',
    statusClass: '2xx',
    functionVersion: '3',
    requestBytes: 0,
    responseBytes: 240,
    coldStart: false,
    traceId: '1-67474a00-0123456789abcdef01234567',
    requestId: '00000000-0000-4000-8000-000000000001',
    functionName: 'todos',
  };
  const emfBytes = metrics.documents(sample).reduce((sum, document) => sum + document.length + 1, 0);
  const otlpBody = encodeOtlpJson(spans);

  // The receiver round trip: one OTLP and one EMF request, until both are answered.
  const receiver = new ReceiverClient(config.receiverAddress, { stdout: () => undefined });
  const emfBody = metrics.documents(sample);
  const send = async () => {
    receiver.sendSpans(otlpBody, spans.length);
    receiver.sendEmf(emfBody);
    await receiver.settled();
  };

  // The SDK call with and without the two middlewares, against the stand-in DynamoDB.
  const makeClient = () =>
    new DynamoDBClient({ region: 'us-east-1', endpoint: environment.AWS_ENDPOINT_URL_DYNAMODB });
  const plain = makeClient();
  const instrumented = addAwsClientMiddleware(makeClient(), () => tracer);
  const getItem = new GetItemCommand({
    TableName: 'todos',
    Key: { owner: { S: 'public' }, id: { S: 'todo-1' } },
    ConsistentRead: true,
  });
  const serverContext = () => {
    const server = tracer.startSpan('GET /todos/{id}', { kind: SpanKind.SERVER });
    return { server, active: trace.setSpan(ROOT_CONTEXT, server) };
  };
  const sdkInstrumented = async () => {
    const { server, active } = serverContext();
    await context.with(active, () => instrumented.send(getItem));
    server.end();
    tracing.pending.drain();
  };
  const sdkPlain = () => plain.send(getItem);
  const contextWith = async () => {
    const { server, active } = serverContext();
    await context.with(active, async () => {
      await Promise.resolve();
      return context.active();
    });
    server.end();
    tracing.pending.drain();
  };

  const results: ComponentSamples[] = [];
  results.push({
    name: 'spans',
    what: 'SERVER + CLIENT span: parent from the trace header, attributes, start, end, drain',
    micros: await sampleComponent(samples, spanWork),
  });
  results.push({
    name: 'context',
    what: 'context.with over an await (AsyncLocalStorage), with a span to carry',
    micros: await sampleComponent(samples, contextWith),
  });
  results.push({
    name: 'sdk-plain',
    what: 'DynamoDB GetItem without middleware (reference, not telemetry)',
    micros: await sampleComponent(samples, sdkPlain),
  });
  results.push({
    name: 'sdk-instrumented',
    what: 'the same GetItem with the span and trace-header middlewares, inside a SERVER span',
    micros: await sampleComponent(samples, sdkInstrumented),
  });
  results.push({
    name: 'otlp-encode',
    what: 'encodeOtlpJson of the two spans',
    micros: await sampleComponent(samples, () => encodeOtlpJson(spans)),
    bytes: Buffer.byteLength(otlpBody),
  });
  results.push({
    name: 'emf',
    what: 'PayloadMetrics.documents: every EMF document of one warm invocation',
    micros: await sampleComponent(samples, () => metrics.documents(sample)),
    bytes: emfBytes,
  });
  results.push({
    name: 'receiver-send',
    what: 'ReceiverClient: the OTLP and the EMF request over loopback, until both are answered',
    micros: await sampleComponent(samples, send),
  });
  standIns.stop();
  return results;
}

// ---------------------------------------------------------------------------------------------
// Parent: builds, runs the children alternately, prints the table.

interface Options {
  invocations: number;
  rounds: number;
  samples: number;
  build: boolean;
  child?: string;
  bundle?: string;
  help: boolean;
}

function readOptions(argv: readonly string[]): Options {
  const values = parseFlags(argv, {
    invocations: { type: 'string' },
    rounds: { type: 'string' },
    samples: { type: 'string' },
    'no-build': { type: 'boolean' },
    child: { type: 'string' },
    bundle: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  return {
    invocations: positiveInteger('--invocations', values.invocations, 2_000),
    rounds: positiveInteger('--rounds', values.rounds, 3),
    samples: positiveInteger('--samples', values.samples, 400),
    build: !(values['no-build'] ?? false),
    child: values.child,
    bundle: values.bundle,
    help: values.help ?? false,
  };
}

function runChild<T>(args: string[]): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, SELF, ...args], {
      stdio: ['ignore', 'pipe', 'inherit'],
      // The children get only what a function would, plus PATH for tsx.
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((candidate) => candidate.startsWith('RESULT '));
      if (code !== 0 || !line)
        reject(new Error(`child ${args.join(' ')} exited ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(line.slice('RESULT '.length)) as T);
    });
  });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

// What scripts/build.mjs reads to build the function, copied so the build never rewrites dist/
// (which tests and `npm start` may be reading) and both variants come from the same sources.
const BUILD_SOURCES = ['functions', 'contracts', 'common', 'scripts', 'package.json', 'tsconfig.json'];

/** Runs `scripts/build.mjs function` on a copy of the sources; returns the copy's dist/. */
async function buildFunction(environment: Record<string, string>, label: string): Promise<string> {
  const root = path.join(BENCH_DIST, 'hot-path', label);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  for (const entry of BUILD_SOURCES) {
    if (await exists(path.join(ROOT, entry)))
      await cp(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  await promisify(execFile)(process.execPath, [path.join(root, 'scripts', 'build.mjs'), 'function'], {
    cwd: root,
    env: { ...process.env, ...environment },
  });
  return path.join(root, 'dist');
}

async function bundles(options: Options): Promise<{ none: string; ours: string }> {
  const entry = (dist: string) => path.join(dist, 'functions', 'todos', 'index.mjs');
  if (!options.build) {
    const found = {
      none: entry(path.join(BENCH_DIST, 'hot-path', 'off', 'dist')),
      ours: entry(path.join(BENCH_DIST, 'hot-path', 'ours', 'dist')),
    };
    for (const file of Object.values(found))
      if (!(await exists(file)))
        throw new UsageError(`--no-build: ${file} does not exist; run without it once`);
    return found;
  }
  process.stderr.write('building both bundles with scripts/build.mjs…\n');
  const [none, ours] = await Promise.all([
    buildFunction({ TELEMETRY: 'off' }, 'off'),
    buildFunction({}, 'ours'),
  ]);
  return { none: entry(none), ours: entry(ours) };
}

const us = (value: number) => value.toFixed(1).padStart(8);
const median = (values: readonly number[]) =>
  quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
const p90 = (values: readonly number[]) =>
  quantileSorted(
    [...values].sort((a, b) => a - b),
    0.9,
  );

async function main(options: Options): Promise<void> {
  const { none, ours } = await bundles(options);
  const collected = {
    none: { invoke: [] as number[], total: [] as number[] },
    ours: { invoke: [] as number[], total: [] as number[] },
  };
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, bundle] of [
      ['none', none],
      ['ours', ours],
    ] as const) {
      const samples = await runChild<BundleSamples>([
        '--child',
        'bundle',
        '--bundle',
        bundle,
        '--invocations',
        String(options.invocations),
      ]);
      collected[name].invoke.push(...samples.invoke);
      collected[name].total.push(...samples.total);
    }
    process.stderr.write(`round ${round + 1}/${options.rounds} done\n`);
  }
  const components = await runChild<ComponentSamples[]>([
    '--child',
    'components',
    '--samples',
    String(options.samples),
  ]);

  console.log(`Node ${process.version} (${process.execPath})`);
  console.log(`bundles: none = ${path.relative(ROOT, none)}, ours = ${path.relative(ROOT, ours)}`);
  console.log(
    `\nWarm invocation, CPU µs of the main thread (${options.rounds} × ${options.invocations} invocations each)\n`,
  );
  console.log('variant   invoke p50  invoke p90  vs none   total p50   total p90  vs none');
  const baseInvoke = median(collected.none.invoke);
  const baseTotal = median(collected.none.total);
  for (const name of ['none', 'ours'] as const) {
    const { invoke, total } = collected[name];
    console.log(
      `${name.padEnd(8)} ${us(median(invoke))}    ${us(p90(invoke))}   ${(median(invoke) / baseInvoke).toFixed(2)}×   ${us(median(total))}    ${us(p90(total))}   ${(median(total) / baseTotal).toFixed(2)}×`,
    );
  }
  console.log(`\nComponents, CPU µs per invocation (each sample the mean of ${COMPONENT_BATCH} runs)\n`);
  console.log('component            p50        p90   share of ours-none (total)   bytes   what');
  const added = median(collected.ours.total) - baseTotal;
  for (const component of components) {
    const share = component.name.startsWith('sdk')
      ? ''
      : `${((median(component.micros) / added) * 100).toFixed(0)} %`;
    console.log(
      `${component.name.padEnd(17)} ${us(median(component.micros))} ${us(p90(component.micros))}   ${share.padStart(26)}   ${String(component.bytes ?? '').padStart(5)}   ${component.what}`,
    );
  }
}

async function child(options: Options): Promise<void> {
  const result =
    options.child === 'bundle'
      ? await runBundle(options.bundle ?? '', options.invocations)
      : await runComponents(options.samples);
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  process.exit(0);
}

try {
  const options = readOptions(process.argv.slice(2));
  if (options.help) console.log(USAGE);
  else if (options.child) await child(options);
  else await main(options);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`handler-hot-path: ${error.message}`);
  process.exitCode = 2;
}
