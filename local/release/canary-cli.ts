/**
 * `npm run canary -- --to DIR`: rehearses a release on the local sandbox. The stable code
 * (`--from`, default the current build) serves as version 1 behind `live`; the new code is
 * published as version 2 and deployed the way CodeDeploy deploys it, with the stack's
 * pre-traffic hook, deployment configuration and rollback alarms, while steady traffic flows
 * through the HTTP API. Exit 0: the new version took all traffic; 1: it was rolled back;
 * 2: bad usage.
 */
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseFlags } from '../command-line';
import { DEFAULTS } from '../config';
import { SandboxError, UsageError } from '../sandbox-errors';
import {
  type DeploymentConfig,
  PREDEFINED_CONFIGS,
  parseDeploymentConfig,
  UnknownDeploymentConfigError,
} from './deployment-config';
import { deploymentConfigName } from './deployment-group';
import { DEFAULT_HOOK_DIR } from './hook-function';
import { rehearsalEnvironment, rehearseRelease } from './release-rehearsal';
import { type ReleaseReport, writeReleaseReport } from './release-report';
import { timelineChart } from './timeline-chart';
import { formatEvent, formatHeading, formatMinute } from './timeline-text';

/**
 * A CloudWatch minute in 15 s: at 20 requests a second that is 300 requests a minute, 30 of them
 * on a 10 % canary, above the 20 a minute the 5xx-rate alarm needs before it judges a minute.
 */
const DEFAULT_TIME_SCALE = 4;
const DEFAULT_RPS = 20;

const USAGE = `Usage: npm run canary -- --to DIR [options]

Rehearses a release on the local sandbox: --from serves as the stable version behind the live
alias, --to is published as the new version and deployed as CodeDeploy deploys it (pre-traffic
hook, deployment configuration, rollback alarms from the synthesized stack), while steady traffic
flows through the HTTP API.

Options:
  --to DIR           the new version's code directory (required)
  --from DIR         the stable version's code directory (default: dist/functions/todos)
  --config NAME      deployment configuration (default: the stack's deployment group's), e.g.
                     ${PREDEFINED_CONFIGS.join(', ')};
                     custom: Canary<N>Percent<M>Minutes, Linear<N>PercentEvery<M>Minutes
  --time-scale N     CloudWatch minutes per wall-clock minute (default ${DEFAULT_TIME_SCALE})
  --rps N            customer requests per second (default ${DEFAULT_RPS}); the 5xx-rate alarm
                     judges a minute from 20 requests of the new version: keep
                     rps x 60 / time-scale x canary share at 20 or more
  --state-dir DIR    where the sandbox's stores and the report go (default .local/canary)
  --help             this text

Exit status: 0 the new version took all traffic, 1 it was rolled back, 2 bad usage.
`;

interface CanaryOptions {
  readonly toDir: string;
  readonly fromDir: string;
  readonly config: DeploymentConfig | undefined;
  readonly timeScale: number;
  readonly rps: number;
  readonly stateDir: string;
}

const positive = (flag: string, value: string | undefined, fallback: number): number => {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0)
    throw new UsageError(`${flag} must be a positive number, got "${value}"`);
  return number;
};

const directory = (flag: string, value: string): string => {
  const resolved = path.resolve(value);
  if (!existsSync(path.join(resolved, 'index.mjs')) && !existsSync(path.join(resolved, 'index.js'))) {
    throw new UsageError(`${flag} ${value} is not a function code directory (no index.mjs or index.js)`);
  }
  return resolved;
};

/** The default stable version: the current build, which must exist. */
const currentBuild = (): string => {
  if (!existsSync(path.join(DEFAULTS.codeDir, 'index.mjs'))) {
    throw new SandboxError(`${DEFAULTS.codeDir} is not built: run "npm run build" or pass --from DIR`);
  }
  return DEFAULTS.codeDir;
};

/** Reads the command line; `undefined` when help was asked for. */
function readOptions(argv: readonly string[]): CanaryOptions | undefined {
  const flags = parseFlags(argv, {
    to: { type: 'string' },
    from: { type: 'string' },
    config: { type: 'string' },
    'time-scale': { type: 'string' },
    rps: { type: 'string' },
    'state-dir': { type: 'string' },
    help: { type: 'boolean' },
  });
  if (flags.help) return undefined;
  if (flags.to === undefined) throw new UsageError('--to DIR is required; run with --help for the options');
  let config: DeploymentConfig | undefined;
  try {
    config = flags.config === undefined ? undefined : parseDeploymentConfig(flags.config);
  } catch (error) {
    if (error instanceof UnknownDeploymentConfigError) throw new UsageError(error.message);
    throw error;
  }
  return {
    toDir: directory('--to', flags.to),
    fromDir: flags.from === undefined ? currentBuild() : directory('--from', flags.from),
    config,
    timeScale: positive('--time-scale', flags['time-scale'], DEFAULT_TIME_SCALE),
    rps: positive('--rps', flags.rps, DEFAULT_RPS),
    stateDir: path.resolve(flags['state-dir'] ?? path.join(DEFAULTS.stateDir, 'canary')),
  };
}

async function main(): Promise<number> {
  let options: CanaryOptions | undefined;
  try {
    options = readOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`canary: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (options === undefined) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(path.join(DEFAULT_HOOK_DIR, 'index.mjs'))) {
    throw new SandboxError('the pre-traffic hook is not built; run "npm run build"');
  }

  // Loaded only now: the CDK and the sandbox take seconds to import, a usage error should not.
  const [{ synthesizeTemplate }, { startSandbox }] = await Promise.all([
    import('./template-synth'),
    import('../sandbox'),
  ]);
  console.log('canary: synthesizing the stack for its deployment group and rollback alarms…');
  const template = synthesizeTemplate();
  const config = options.config ?? parseDeploymentConfig(deploymentConfigName(template));
  const sandbox = await startSandbox({
    codeDir: options.fromDir,
    stateDir: options.stateDir,
    inMemory: true,
    environment: rehearsalEnvironment(options.timeScale),
  });
  const stop = new AbortController();
  const onSignal = () => {
    console.log('\ncanary: stopping the deployment (it rolls back)');
    stop.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const releases = path.join(options.stateDir, 'releases');
  // The report is rewritten as the release goes, so the console follows it while it runs.
  let report: ReleaseReport | undefined;
  let writing: Promise<unknown> = Promise.resolve();
  const record = (change: (current: ReleaseReport) => ReleaseReport): void => {
    if (report === undefined) return;
    report = { ...change(report), updatedAt: Date.now() };
    const snapshot = report;
    writing = writing
      .then(() => writeReleaseReport(releases, snapshot))
      .catch((error: unknown) =>
        console.error(`canary: could not write the report: ${(error as Error).message}`),
      );
  };
  try {
    let startedAt = 0;
    let stable = '';
    let target = '';
    const result = await rehearseRelease({
      sandbox,
      toDir: options.toDir,
      config,
      timeScale: options.timeScale,
      rps: options.rps,
      template,
      onPublished: (stableVersion, targetVersion) => {
        stable = stableVersion;
        target = targetVersion;
        console.log(
          formatHeading({
            config: config.name,
            stableVersion,
            targetVersion,
            timeScale: options.timeScale,
            rps: options.rps,
          }),
        );
      },
      signal: stop.signal,
      onEvent: (event) => {
        if (event.type === 'started') {
          startedAt = event.at;
          report = {
            deploymentId: event.deploymentId,
            config: config.name,
            stableVersion: stable,
            targetVersion: target,
            status: 'InProgress',
            startedAt: event.at,
            updatedAt: Date.now(),
            timeScale: options.timeScale,
            rps: options.rps,
            events: [],
            timeline: [],
          };
        }
        record((current) => ({ ...current, events: [...current.events, event] }));
        console.log(formatEvent(event, startedAt, target));
      },
      onMinute: (minute) => {
        record((current) => ({ ...current, timeline: [...current.timeline, minute] }));
        console.log(formatMinute(minute));
      },
    });

    const customers5xx = result.responses.filter((response) => response.status >= 500).length;
    report = {
      deploymentId: result.outcome.deploymentId,
      config: config.name,
      stableVersion: result.stableVersion,
      targetVersion: result.targetVersion,
      status: result.outcome.verdict,
      reason: result.outcome.reason,
      startedAt: result.outcome.startedAt,
      updatedAt: Date.now(),
      timeScale: options.timeScale,
      rps: options.rps,
      customers: { requests: result.responses.length, serverErrors: customers5xx },
      events: result.outcome.events,
      timeline: result.timeline,
    };
    const final = report;
    await writing;
    const written = await writeReleaseReport(releases, final);
    const svg = written.replace(/\.json$/, '.svg');
    await writeFile(
      svg,
      timelineChart(
        `${config.name}: version ${result.stableVersion} → ${result.targetVersion}, ${result.outcome.verdict}`,
        result.timeline,
      ),
    );
    console.log(
      `canary: ${result.outcome.verdict}; customers got ${customers5xx} 5xx of ${result.responses.length} requests. ` +
        `Report: ${path.relative(process.cwd(), written)} and .svg`,
    );
    return result.outcome.verdict === 'Succeeded' ? 0 : 1;
  } finally {
    await sandbox.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected failures get their one line; anything else keeps its stack.
    if (error instanceof SandboxError) console.error(`canary: ${error.message}`);
    else console.error(error);
    process.exit(1);
  },
);
