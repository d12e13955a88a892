/**
 * The console server over real HTTP: the range every endpoint takes, errors as problem+json,
 * the page's files and nothing outside them, and release reports as the rehearsal writes them.
 * The trace and dashboard sources are the real ones in the other console tests; here they are
 * recording stand-ins, because what is checked is the server's own handling.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimeRange } from '../../local/console/console-api';
import {
  ConsoleParameterError,
  type ConsoleSources,
  startConsoleServer,
} from '../../local/console/console-server';
import type { ListeningServer } from '../../local/http-listen';
import {
  readReleaseReport,
  readReleaseReports,
  writeReleaseReport,
} from '../../local/release/release-report';

const NOW = Date.parse('2026-11-30T12:00:00Z');
const ranges: TimeRange[] = [];
let assetsDir: string;
let releasesDir: string;
let server: ListeningServer;

const report = (deploymentId: string, startedAt: number) => ({
  deploymentId,
  config: 'LambdaCanary10Percent5Minutes',
  stableVersion: '1',
  targetVersion: '2',
  status: 'InProgress' as const,
  startedAt,
  updatedAt: startedAt,
  timeScale: 4,
  rps: 20,
  events: [],
  timeline: [],
});

beforeAll(async () => {
  assetsDir = await mkdtemp(path.join(tmpdir(), 'console-assets-'));
  releasesDir = await mkdtemp(path.join(tmpdir(), 'console-releases-'));
  await writeFile(path.join(assetsDir, 'index.html'), '<!doctype html><title>console</title>');
  await writeFile(path.join(assetsDir, 'app.js'), 'console.log(1)');
  const sources: ConsoleSources = {
    serviceMap: async (range) => {
      ranges.push(range);
      return { range, nodes: [], edges: [], traceCount: 0 };
    },
    traces: async (range, parameters) => {
      if (parameters.has('minMs')) throw new ConsoleParameterError('minMs must be a non-negative number');
      return { range, total: 0, traces: [], routes: [] };
    },
    trace: async () => undefined,
    dashboard: async () => {
      throw new Error('the store is unreadable');
    },
    releases: async () => ({ releases: await readReleaseReports(releasesDir) }),
    release: (id) => readReleaseReport(releasesDir, id),
  };
  server = await startConsoleServer({ sources, assetsDir, now: () => NOW, onError: () => undefined });
});

afterAll(async () => {
  await server?.close();
  await rm(assetsDir, { recursive: true, force: true });
  await rm(releasesDir, { recursive: true, force: true });
});

describe('console server', () => {
  it('shows the last 15 minutes when the page names no range, and the range it names otherwise', async () => {
    // Act
    await fetch(`${server.url}/api/service-map`);
    await fetch(`${server.url}/api/service-map?from=1000&to=5000`);

    // Assess
    expect(ranges.slice(-2)).toEqual([
      { from: NOW - 15 * 60_000, to: NOW },
      { from: 1000, to: 5000 },
    ]);
  });

  it('answers a bad range or filter with a 400 problem naming the parameter and the request id', async () => {
    // Act
    const reversed = await fetch(`${server.url}/api/traces?from=5000&to=1000`);
    const word = await fetch(`${server.url}/api/service-map?from=yesterday`);
    const filter = await fetch(`${server.url}/api/traces?minMs=-1`);

    // Assess
    for (const response of [reversed, word, filter]) {
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
    }
    const problem = (await reversed.json()) as Record<string, unknown>;
    expect(problem.detail).toBe('from (5000) must be before to (1000)');
    expect(problem.instance).toBe(reversed.headers.get('x-request-id'));
    expect(((await word.json()) as { detail: string }).detail).toMatch(
      /^from must be a time in epoch milliseconds/,
    );
    expect(((await filter.json()) as { detail: string }).detail).toBe('minMs must be a non-negative number');
  });

  it('answers 404 for a trace the store does not hold and 500 without details when a source fails', async () => {
    // Act
    const missing = await fetch(`${server.url}/api/traces/1-00000000-000000000000000000000000`);
    const failed = await fetch(`${server.url}/api/dashboard`);

    // Assess
    expect(missing.status).toBe(404);
    expect(failed.status).toBe(500);
    const problem = (await failed.json()) as { detail: string };
    expect(problem.detail).not.toMatch(/unreadable/);
    expect(problem.detail).toContain(failed.headers.get('x-request-id'));
  });

  it('serves the page and its files, nothing outside them, and only reads', async () => {
    // Act
    const page = await fetch(`${server.url}/`);
    const script = await fetch(`${server.url}/app.js`);
    const outside = await fetch(`${server.url}/..%2f..%2fetc%2fpasswd`);
    const write = await fetch(`${server.url}/api/releases`, { method: 'POST' });

    // Assess
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(outside.status).toBe(404);
    expect(write.status).toBe(405);
    expect(write.headers.get('allow')).toBe('GET, HEAD');
  });

  it('lists release reports newest first, skipping other files, and opens one by its deployment id', async () => {
    // Prepare
    await writeReleaseReport(releasesDir, report('d-AAAAAAAA1', NOW - 60_000));
    await writeReleaseReport(releasesDir, report('d-BBBBBBBB2', NOW));
    await writeFile(path.join(releasesDir, 'notes.json'), '{"not": "a report"}');

    // Act
    const list = (await (await fetch(`${server.url}/api/releases`)).json()) as {
      releases: { deploymentId: string }[];
    };
    const one = await fetch(`${server.url}/api/releases/d-AAAAAAAA1`);
    const bad = await fetch(`${server.url}/api/releases/..%2Fnotes`);

    // Assess
    expect(list.releases.map((release) => release.deploymentId)).toEqual(['d-BBBBBBBB2', 'd-AAAAAAAA1']);
    expect(((await one.json()) as { targetVersion: string }).targetVersion).toBe('2');
    expect(bad.status).toBe(404);
  });
});
