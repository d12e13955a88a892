/**
 * The operator console of a running sandbox: the console server with its sources wired to the
 * sandbox's own stores: the trace index over the X-Ray store and the access log, the stack's
 * dashboard (from the synthesized template) over the metric store and the log streams, and the
 * release reports `npm run canary` writes.
 */
import path from 'node:path';
import type { ListeningServer } from '../http-listen';
import type { TimeScale } from '../release/alarm-evaluator';
import type { SynthesizedTemplate } from '../release/alarm-template';
import { readReleaseReport, readReleaseReports } from '../release/release-report';
import type { Sandbox } from '../sandbox';
import { ConsoleParameterError, type ConsoleSources, startConsoleServer } from './console-server';
import { DashboardRenderer } from './dashboard/dashboard-renderer';
import { TraceIndex } from './traces/trace-index';
import { parseTraceQuery, TraceQueryError } from './traces/trace-query';

/** What the console reads of the sandbox. */
type ConsoleSandbox = Pick<Sandbox, 'paths' | 'definition' | 'alias' | 'versions' | 'apiId'>;

export interface OperatorConsoleOptions {
  readonly sandbox: ConsoleSandbox;
  /** The built page (`dist/console`). */
  readonly assetsDir: string;
  /** The stack's template, synthesized once on first use (it takes seconds). */
  readonly template: () => SynthesizedTemplate | Promise<SynthesizedTemplate>;
  /** Where `npm run canary` writes its reports (`<state dir>/canary/releases` by default). */
  readonly releasesDir: string;
  /** The table the function uses. */
  readonly tableName: string;
  readonly region: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /**
   * A compressed clock for the dashboard's metrics and alarms, as a release rehearsal runs one.
   * @default real time
   */
  readonly timeScale?: TimeScale;
  /** Told about failures the page only sees as a 500. */
  readonly onError?: (error: unknown, requestId: string) => void;
}

/**
 * The version the dashboard calls "new": the one the alias is shifting to while a release runs,
 * otherwise the one it serves.
 */
function newVersion(sandbox: ConsoleSandbox): string {
  const routing = sandbox.versions.alias(sandbox.alias);
  const shifting = Object.keys(routing?.additionalVersionWeights ?? {})[0];
  return shifting ?? routing?.functionVersion ?? '$LATEST';
}

/**
 * Starts the console beside a running sandbox.
 *
 * @example
 * const console = await startOperatorConsole({ sandbox, assetsDir: 'dist/console', template: synthesizeTemplate, ... });
 * console.url; // http://127.0.0.1:3002
 */
export async function startOperatorConsole(options: OperatorConsoleOptions): Promise<ListeningServer> {
  const { sandbox } = options;
  const index = new TraceIndex({ xrayDirectory: sandbox.paths.xray, logsDirectory: sandbox.paths.logs });
  let template: Promise<SynthesizedTemplate> | undefined;
  const renderers = new Map<string, Promise<DashboardRenderer>>();
  /** One renderer per new version: the names it resolves the template with depend on it. */
  const renderer = (version: string): Promise<DashboardRenderer> => {
    let found = renderers.get(version);
    if (!found) {
      template ??= Promise.resolve().then(options.template);
      found = template.then(
        (synthesized) =>
          new DashboardRenderer({
            template: synthesized,
            names: {
              functionName: sandbox.definition.name,
              aliasName: sandbox.alias,
              version,
              apiId: sandbox.apiId,
              tableName: options.tableName,
              region: options.region,
            },
            metrics: sandbox.paths.metrics,
            logsDirectory: sandbox.paths.logs,
            ...(options.timeScale ? { timeScale: options.timeScale } : {}),
          }),
      );
      // A failed synth is reported, and tried again on the next request.
      found.catch(() => {
        renderers.delete(version);
        template = undefined;
      });
      renderers.set(version, found);
    }
    return found;
  };

  const sources: ConsoleSources = {
    serviceMap: (range) => index.serviceMap(range),
    traces: (range, parameters) => {
      try {
        return index.traces(range, parseTraceQuery(parameters));
      } catch (error) {
        if (error instanceof TraceQueryError)
          throw new ConsoleParameterError(error.message, { cause: error });
        throw error;
      }
    },
    trace: (traceId) => index.trace(traceId),
    dashboard: async (range) => (await renderer(newVersion(sandbox))).render(range),
    releases: async () => ({
      releases: (await readReleaseReports(options.releasesDir)).map(
        ({ events: _events, timeline: _timeline, ...summary }) => summary,
      ),
    }),
    release: (deploymentId) => readReleaseReport(options.releasesDir, deploymentId),
  };
  // The first dashboard is ready sooner when the template is synthesized while nobody looks.
  void renderer(newVersion(sandbox)).catch(() => undefined);
  return startConsoleServer({
    sources,
    assetsDir: path.resolve(options.assetsDir),
    ...(options.host ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    ...(options.onError ? { onError: options.onError } : {}),
  });
}
