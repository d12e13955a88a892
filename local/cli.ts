/**
 * `npm start`: builds the project's function and extension layer if needed, starts the sandbox
 * and serves until Ctrl-C or SIGTERM, then shuts everything down within the deadline.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { loadJwtAuthorizerConfig } from './auth/authorizer-config';
import { buildIfNeeded } from './build-freshness';
import { DEFAULTS, PROJECT_ROOT, readSandboxConfig, type SandboxConfig, USAGE } from './config';
import { startOperatorConsole } from './console/operator-console';
import { synthesizeTemplateApart } from './release/template-synth-process';
import { type Sandbox, startSandbox } from './sandbox';
import { SandboxError, StartupError, UsageError } from './sandbox-errors';

/** Lambda's 2 s shutdown deadline plus closing servers and flushing stores; past it the process exits anyway. */
const SHUTDOWN_DEADLINE_MS = 5_000;
/** How often the CLI checks that the process that started it is still there. */
const PARENT_CHECK_MS = 1_000;

async function prepare(config: SandboxConfig): Promise<void> {
  const functionSources = [
    path.join(PROJECT_ROOT, 'functions'),
    path.join(PROJECT_ROOT, 'scripts', 'build.mjs'),
  ];
  await buildIfNeeded(PROJECT_ROOT, [
    ...(config.defaultCode
      ? [{ name: 'function', output: path.join(DEFAULTS.codeDir, 'index.mjs'), sources: functionSources }]
      : []),
    {
      name: 'extension',
      output: path.join(DEFAULTS.layerDir, 'telemetry-extension', 'index.mjs'),
      sources: [path.join(PROJECT_ROOT, 'extension', 'src'), path.join(PROJECT_ROOT, 'scripts', 'build.mjs')],
    },
    {
      name: 'console',
      output: path.join(DEFAULTS.consoleDir, 'app.js'),
      sources: [
        path.join(PROJECT_ROOT, 'local', 'console', 'ui'),
        path.join(PROJECT_ROOT, 'scripts', 'build.mjs'),
      ],
    },
  ]);
  if (!existsSync(config.codeDir)) {
    throw new StartupError(
      `the function code ${config.codeDir} does not exist; run "npm run build" or pass --code DIR`,
    );
  }
}

/** One line: the CPU share and memory limit the environments get, or why they run unconstrained. */
function resourcesLine(resources: Sandbox['resources']): string {
  if (!resources.constrained) return `unconstrained: ${resources.reason ?? 'no cgroups'}`;
  return `Lambda-sized through cgroups: ${resources.memoryLimitMb} MB memory limit, ${resources.cpuShare?.toFixed(3)} vCPU during invokes (1769 MB = 1 vCPU), burst CPU during Init`;
}

/** One line: what the environments see, Lambda's paths and addresses or the host's and why. */
function isolationLine(isolation: Sandbox['isolation']): string {
  if (!isolation.isolated) return `host's filesystem and network: ${isolation.reason}`;
  return "Lambda's through namespaces: code at /var/task, layers at /opt, a private /tmp, APIs at 127.0.0.1:9001";
}

async function main(): Promise<void> {
  let config: SandboxConfig;
  try {
    config = readSandboxConfig();
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`sandbox: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (config.help) {
    process.stdout.write(USAGE);
    return;
  }

  await prepare(config);
  const authorizer = config.jwt ? await loadJwtAuthorizerConfig(config.jwt, config.stateDir) : undefined;
  const sandbox: Sandbox = await startSandbox({
    functionName: config.functionName,
    codeDir: config.codeDir,
    handler: config.handler,
    memoryMb: config.memoryMb,
    timeoutSec: config.timeoutSec,
    concurrency: config.concurrency,
    ...(config.reservedConcurrency !== undefined ? { reservedConcurrency: config.reservedConcurrency } : {}),
    layers: config.layers,
    environment: config.environment,
    passthrough: config.passthrough,
    freeze: config.freeze,
    unconstrained: config.unconstrained,
    shareHost: config.shareHost,
    idleTimeoutMs: config.idleTimeoutMs,
    region: config.region,
    logFormat: config.logFormat,
    host: config.host,
    port: config.port,
    lambdaPort: config.lambdaPort,
    xrayPort: config.xrayPort,
    stateDir: config.stateDir,
    inMemory: config.inMemory,
    ...(config.dynamodbEndpoint ? { dynamodbEndpoint: config.dynamodbEndpoint } : {}),
    ...(authorizer ? { authorizer } : {}),
    ...(config.corsOrigins.length > 0 ? { corsOrigins: config.corsOrigins } : {}),
    print: (line) => process.stdout.write(`${line}\n`),
  });

  let operatorConsole: Awaited<ReturnType<typeof startOperatorConsole>>;
  try {
    operatorConsole = await startOperatorConsole({
      sandbox,
      assetsDir: DEFAULTS.consoleDir,
      template: synthesizeTemplateApart,
      releasesDir: path.join(config.stateDir, 'canary', 'releases'),
      tableName: DEFAULTS.tableName,
      region: config.region,
      host: config.host,
      port: config.consolePort,
      onError: (error, requestId) =>
        console.error(`console: request ${requestId} failed: ${(error as Error).message}`),
    });
  } catch (error) {
    await sandbox.close();
    const code = (error as NodeJS.ErrnoException).code;
    throw new StartupError(
      code === 'EADDRINUSE'
        ? `console port ${config.consolePort} is in use; stop what holds it or pass --console-port N (0 picks a free port)`
        : `the console could not listen on port ${config.consolePort}: ${(error as Error).message}`,
      { cause: error },
    );
  }

  const relative = (dir: string) => path.relative(process.cwd(), dir) || '.';
  const served = sandbox.versions.alias(sandbox.alias)?.functionVersion;
  console.log(
    [
      `Local sandbox ready: ${sandbox.apiUrl}${config.defaultCode ? '/todos' : ''}`,
      authorizer
        ? `  authorizer     JWT from ${authorizer.issuer}, aud ${authorizer.audiences.join(' or ')}${config.jwt?.dev ? `  (npm run token -- --sub alice${config.stateDir === DEFAULTS.stateDir ? '' : ` --state-dir ${relative(config.stateDir)}`})` : ''}`
        : '  authorizer     none: the API is open and every caller shares one tenant (--jwt-issuer to require tokens)',
      `  CORS           ${config.corsOrigins.length > 0 ? `pages from ${config.corsOrigins.join(', ')}` : 'none: browsers refuse pages from other origins (--cors-origin URL)'}`,
      `  function       ${config.functionName} (${relative(config.codeDir)}, ${config.handler}, ${config.memoryMb} MB, ${config.timeoutSec} s${config.reservedConcurrency === undefined ? '' : `, reserved concurrency ${config.reservedConcurrency}`})`,
      `  runtime        Node ${sandbox.node.version} (${sandbox.node.source === 'package' ? sandbox.node.path : "the host's"})${sandbox.node.notice ? `\n  notice         ${sandbox.node.notice}` : ''}`,
      `  resources      ${resourcesLine(sandbox.resources)}`,
      `  environments   ${isolationLine(sandbox.isolation)}`,
      `  versions       HTTP API -> alias ${sandbox.alias} -> version ${served} (${relative(config.codeDir)} as copied at start; a rebuild reaches only $LATEST)`,
      `  Invoke API     ${sandbox.lambdaUrl}  (aws lambda invoke --endpoint-url ${sandbox.lambdaUrl} --function-name ${config.functionName}:${sandbox.alias} out.json; no qualifier: $LATEST)`,
      `  DynamoDB       ${sandbox.dynamodbEndpoint}${config.dynamodbEndpoint ? '' : config.inMemory ? ' (in memory)' : ` (${relative(path.join(config.stateDir, 'dynamodb'))})`}`,
      `  X-Ray          udp ${sandbox.xray.daemonAddress}, ${sandbox.xray.endpoint}  (npm run traces)`,
      `  logs, metrics  ${relative(sandbox.paths.logs)}, ${relative(sandbox.paths.metrics)}  (PutLogEvents at ${sandbox.logsEndpoint})`,
      `  console        ${operatorConsole.url}  (service map, traces, the stack's dashboard and alarms, releases)`,
      'Ctrl-C stops.',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      // A second Ctrl-C: the user does not want to wait for the deadline.
      process.exit(130);
    }
    stopping = true;
    console.log(`\n${signal}: shutting down`);
    setTimeout(() => {
      console.error(`sandbox: shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms; exiting`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    Promise.all([operatorConsole.close(), sandbox.close()]).then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(`sandbox: shutdown failed: ${(error as Error).message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  // `npm start` does not always pass SIGTERM on to its script: when the parent that started the
  // sandbox goes away, shut down as for SIGTERM rather than leave environments running.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent && !stopping) stop('SIGHUP');
  }, PARENT_CHECK_MS).unref();
}

main().catch((error: unknown) => {
  // Expected failures get their one line; anything else is a sandbox bug and keeps its stack.
  if (error instanceof SandboxError) console.error(`sandbox: ${error.message}`);
  else console.error(error);
  process.exit(1);
});
