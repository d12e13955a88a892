/**
 * `npx tsx bench/console-load.ts`: how the operator console holds up with a full store. The
 * X-Ray store of a real sandbox is filled with 10,000 traces shaped like the todo API's (the
 * trace-scale test's `generatedRequest`, over the last 15 minutes, the console's default range),
 * then headless Chromium opens each view.
 *
 * - page load: navigation until the view shows its data (map nodes, trace rows); the first one
 *   includes the trace index's first read of the whole store.
 * - refresh: the view fetching again and redrawing in place, as auto-refresh does (the index
 *   reads only what was appended), after 100 more traces were appended.
 * - the data endpoints on their own, for the server's share.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DEFAULTS } from '../local/config';
import { startOperatorConsole } from '../local/console/operator-console';
import { synthesizeTemplate } from '../local/release/template-synth';
import { startSandbox } from '../local/sandbox';
import { findChromium, launchChromium } from '../test/support/chromium';
import { appendGeneratedRequests } from '../test/support/xray-requests';
import { quantileSorted } from './statistics';

const TRACES = 10_000;
const ROUNDS = 7;
const RANGE_MS = 15 * 60_000;

const median = (samples: number[]): number =>
  quantileSorted(
    [...samples].sort((a, b) => a - b),
    0.5,
  );
const ms = (value: number): string => `${value.toFixed(0)} ms`;

async function main(): Promise<void> {
  const chromium = findChromium();
  if ('missing' in chromium) throw new Error(chromium.missing);
  const stateDir = await mkdtemp(path.join(tmpdir(), 'console-load-'));
  const start = Date.now() - RANGE_MS + 60_000;
  const xray = path.join(stateDir, 'xray');
  const startOf = (n: number): number => start + (n * RANGE_MS) / TRACES;
  await appendGeneratedRequests(xray, 0, TRACES, startOf);
  const sandbox = await startSandbox({ stateDir, inMemory: true });
  const server = await startOperatorConsole({
    sandbox,
    assetsDir: DEFAULTS.consoleDir,
    template: () => synthesizeTemplate(),
    releasesDir: path.join(stateDir, 'canary', 'releases'),
    tableName: DEFAULTS.tableName,
    region: DEFAULTS.region,
  });
  const browser = await launchChromium(chromium);
  try {
    const { page } = browser;
    const views = [
      { name: 'service map', hash: '#/map', ready: '[data-testid="map-node"]', api: '/api/service-map' },
      { name: 'traces', hash: '#/traces', ready: '[data-testid="trace-row"]', api: '/api/traces' },
    ];
    const lines = [
      `Operator console with ${TRACES.toLocaleString('en')} traces in the store (median of ${ROUNDS}):`,
    ];
    let appended = TRACES;
    for (const view of views) {
      const loads: number[] = [];
      const refreshes: number[] = [];
      const apis: number[] = [];
      for (let round = 0; round < ROUNDS; round += 1) {
        const began = performance.now();
        await page.goto('about:blank');
        await page.goto(`${server.url}/${view.hash}`);
        await page.locator(view.ready).first().waitFor();
        loads.push(performance.now() - began);

        await appendGeneratedRequests(xray, appended, 100, startOf);
        appended += 100;
        const refreshed = performance.now();
        // The header's Refresh button, as auto-refresh ticks: the view fetches and redraws in place.
        const answered = page.waitForResponse((response) => response.url().includes(view.api));
        await page.getByRole('button', { name: 'Refresh' }).click();
        await answered;
        await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 0)));
        refreshes.push(performance.now() - refreshed);

        const asked = performance.now();
        await (await fetch(`${server.url}${view.api}`)).json();
        apis.push(performance.now() - asked);
      }
      lines.push(
        `  ${view.name.padEnd(12)} first load ${ms(loads[0]!)}, page load ${ms(median(loads.slice(1)))}, ` +
          `refresh ${ms(median(refreshes))}, ${view.api} ${ms(median(apis))}`,
      );
    }
    const asked = performance.now();
    await page.goto(`${server.url}/#/dashboard`);
    await page.locator('[data-testid="widget"]').first().waitFor();
    lines.push(`  dashboard    page load ${ms(performance.now() - asked)} (an empty metric store)`);
    console.log(lines.join('\n'));
  } finally {
    await browser.close();
    await server.close();
    await sandbox.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

await main();
