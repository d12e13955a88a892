/**
 * The post-runtime budget as the platform measures it: the project's variant exports to an X-Ray
 * endpoint that accepts connections and never answers, flushing at every invocation with a
 * circuit that never opens, so every invoke phase runs into the budget. The figure is what any
 * observer of the Telemetry API sees: `platform.report` minus `platform.runtimeDone` durations,
 * not what the extension believes it spent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { withTimeout } from '../common/deadline';
import type { PostRuntimeBudgetFigures } from './run-result';
import { request, seedTodo, startVariantSandbox } from './sandbox-stages';
import { summarize } from './statistics';
import type { VariantRuntime } from './variants/build-variants';

/** The extension's default budget: what the platform-side figure is judged against. */
const BUDGET_MS = 100;
// Far above the budget: without the budget each invoke phase would last this long.
const EXPORT_TIMEOUT_MS = 5_000;

interface SilentBackend {
  readonly url: string;
  close(): Promise<void>;
}

/** An HTTP server that reads every request and never answers it. */
async function startSilentBackend(): Promise<SilentBackend> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req) => req.resume());
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Sequential invocations of `runtime` (the project's variant) against the silent backend. */
export async function measurePostRuntimeBudget(
  runtime: VariantRuntime,
  memoryMb: number,
  invocations: number,
): Promise<PostRuntimeBudgetFigures> {
  const backend = await startSilentBackend();
  try {
    const variant = await startVariantSandbox(runtime, 'budget', memoryMb, {
      AWS_ENDPOINT_URL_XRAY: backend.url,
      TELEMETRY_FLUSH: 'invocation',
      TELEMETRY_POST_RUNTIME_BUDGET_MS: String(BUDGET_MS),
      TELEMETRY_EXPORT_TIMEOUT_MS: String(EXPORT_TIMEOUT_MS),
      TELEMETRY_CIRCUIT_FAILURES: String(invocations * 10),
    });
    try {
      const todoUrl = await withTimeout(seedTodo(variant.sandbox.apiUrl), 30_000, 'the first request');
      const first = variant.events.reports.length;
      for (let index = 0; index < invocations; index++) {
        const outcome = await request(todoUrl, 'GET');
        if (outcome.status !== 200) throw new Error(`GET /todos/{id} answered ${outcome.status}`);
      }
      // The last report follows the last response by the post-runtime phase.
      await variant.events.report(first + invocations - 1, 15_000);
      const postRuntime = variant.events.reports.slice(first).flatMap((report) => {
        const done = variant.events.runtimeDone.get(report.requestId)?.metrics;
        return done ? [Math.max(0, report.metrics.durationMs - done.durationMs)] : [];
      });
      return {
        budgetMs: BUDGET_MS,
        exportTimeoutMs: EXPORT_TIMEOUT_MS,
        postRuntimeMs: summarize(postRuntime, 'post-runtime against a silent backend'),
      };
    } finally {
      await variant.close();
    }
  } finally {
    await backend.close();
  }
}
