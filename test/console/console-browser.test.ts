/**
 * The operator console end to end, as a person uses it: known traffic goes through the real
 * sandbox (the built function and extension, dynalite behind the DynamoDB fault proxy), the
 * console serves the built page from the sandbox's own stores, and a real headless Chromium
 * reads the service map, opens a trace, renders the synthesized stack's dashboard and watches an
 * alarm turn to ALARM when DynamoDB throttles. The dashboard runs on a clock 60 times faster
 * than the wall, as the release rehearsal does, so a CloudWatch minute passes every second.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULTS, PROJECT_ROOT } from '../../local/config';
import type { WidgetView } from '../../local/console/console-api';
import { startOperatorConsole } from '../../local/console/operator-console';
import { hasData } from '../../local/console/ui/widget-data';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../local/dynamodb';
import { type DynamoDBFaultProxy, startDynamoDBFaultProxy } from '../../local/faults/dynamodb-fault-proxy';
import type { ListeningServer } from '../../local/http-listen';
import { toCloudWatchTime } from '../../local/release/alarm-evaluator';
import { rehearsalEnvironment } from '../../local/release/release-rehearsal';
import { writeReleaseReport } from '../../local/release/release-report';
import { synthesizeTemplate } from '../../local/release/template-synth';
import { synthesizeTemplateApart } from '../../local/release/template-synth-process';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { findChromium, launchChromium, skipNote, type TestBrowser } from '../support/chromium';
import { eventually } from '../support/eventually';

const chromium = findChromium();
const TIME_SCALE = 60;
/** Where the README's screenshots come from. */
const SCREENSHOTS = path.join(PROJECT_ROOT, 'docs', 'images');

/** The traffic the map must count: four creates, three lists, two reads of todos that do not exist. */
const CREATES = 4;
const LISTS = 3;
const MISSING = 2;
const SENT = CREATES + LISTS + MISSING;

let stateDir: string;
let dynamodb: EmbeddedDynamoDB;
let proxy: DynamoDBFaultProxy;
let sandbox: Sandbox;
let operatorConsole: ListeningServer;
let browser: TestBrowser;
let page: Page;
const origin = Date.now();

const send = (method: string, route: string, body?: unknown) =>
  fetch(`${sandbox.apiUrl}${route}`, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });

/** The dashboard's view as the page's own API gives it, for figures the page does not print. */
const dashboard = async (): Promise<WidgetView[]> =>
  ((await (await fetch(`${operatorConsole.url}/api/dashboard`)).json()) as { widgets: WidgetView[] }).widgets;

/** The number of dashboard widgets in the synthesized stack's body. */
const bodyWidgetCount = (): number => {
  const template = synthesizeTemplate() as {
    Resources: Record<string, { Type: string; Properties: { DashboardBody: unknown } }>;
  };
  const dashboardResource = Object.values(template.Resources).find(
    (resource) => resource.Type === 'AWS::CloudWatch::Dashboard',
  );
  // The body is a Fn::Join of strings and references; counting `"type":` keys of widgets needs only the strings.
  const text = JSON.stringify(dashboardResource?.Properties.DashboardBody);
  return (text.match(/\\"type\\":\\"(metric|text|alarm|log)\\"/g) ?? []).length;
};

describe.skipIf('missing' in chromium)(`the operator console in Chromium${skipNote(chromium)}`, () => {
  beforeAll(async () => {
    if (!existsSync(path.join(DEFAULTS.consoleDir, 'index.html')))
      throw new Error('run "npm run build" first');
    stateDir = await mkdtemp(path.join(tmpdir(), 'todos-console-'));
    dynamodb = await startEmbeddedDynamoDB({ tables: ['todos'] });
    proxy = await startDynamoDBFaultProxy({ upstream: dynamodb.endpoint });
    sandbox = await startSandbox({
      stateDir,
      dynamodbEndpoint: proxy.endpoint,
      concurrency: 2,
      // As the stack deploys it: the dashboard's Logs Insights widget reads JSON fields.
      logFormat: 'JSON',
      // The extension flushes after every invocation, with time to finish the export on a loaded
      // machine, so the last request's spans do not wait for the next invocation; its metric
      // period is scaled like the dashboard's clock.
      environment: {
        ...rehearsalEnvironment(TIME_SCALE),
        TELEMETRY_FLUSH: 'invocation',
        TELEMETRY_POST_RUNTIME_BUDGET_MS: '2000',
      },
    });
    operatorConsole = await startOperatorConsole({
      sandbox,
      assetsDir: DEFAULTS.consoleDir,
      template: synthesizeTemplateApart,
      releasesDir: path.join(stateDir, 'canary', 'releases'),
      tableName: 'todos',
      region: DEFAULTS.region,
      timeScale: { timeScale: TIME_SCALE, origin },
    });
    browser = await launchChromium(chromium);
    page = browser.page;

    const ids: string[] = [];
    for (let index = 0; index < CREATES; index += 1) {
      const response = await send('POST', '/todos', { text: `todo ${index}` });
      ids.push(((await response.json()) as { id: string }).id);
    }
    for (let index = 0; index < LISTS; index += 1) await send('GET', '/todos');
    for (let index = 0; index < MISSING; index += 1) await send('GET', `/todos/missing-${index}`);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await operatorConsole?.close();
    await sandbox?.close();
    await proxy?.close();
    await dynamodb?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('draws the HTTP API -> function -> DynamoDB path with the requests sent', async () => {
    // Act: the page, reloaded until the store holds every trace (the extension sends the
    // handler's spans after each response).
    await page.goto(`${operatorConsole.url}/#/map`);
    const count = async (selector: string) =>
      Number((await page.locator(selector).first().getAttribute('data-requests')) ?? '0');
    await eventually(
      async () => {
        await page.reload();
        await page.locator('[data-testid="map-node"]').first().waitFor();
        return count('[data-testid="map-node"][data-node-type="AWS::DynamoDB::Table"]');
      },
      (requests) => requests >= SENT,
    );

    // Assess
    expect(await count('[data-testid="map-node"][data-node-type="AWS::ApiGatewayV2::Api"]')).toBe(SENT);
    expect(await count('[data-testid="map-node"][data-node-type="AWS::Lambda::Function"]')).toBe(SENT);
    expect(await count('[data-testid="map-node"][data-node-type="AWS::DynamoDB::Table"]')).toBe(SENT);
    const apiId = await page
      .locator('[data-node-type="AWS::ApiGatewayV2::Api"]')
      .getAttribute('data-node-id');
    const functionId = await page
      .locator('[data-node-type="AWS::Lambda::Function"]')
      .getAttribute('data-node-id');
    const tableId = await page
      .locator('[data-node-type="AWS::DynamoDB::Table"]')
      .getAttribute('data-node-id');
    expect(await count(`[data-testid="map-edge"][data-to="${functionId}"]`)).toBe(SENT);
    expect(await count(`[data-testid="map-edge"][data-from="${functionId}"][data-to="${tableId}"]`)).toBe(
      SENT,
    );
    expect(apiId).toBeTruthy();
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-service-map.png') });
  }, 120_000);

  it('opens a trace from the list with its DynamoDB call and its log lines', async () => {
    // Act
    await page.goto(`${operatorConsole.url}/#/traces`);
    const row = page.locator('[data-testid="trace-row"]', { hasText: 'POST' }).first();
    await row.waitFor();
    await row.focus();
    await page.keyboard.press('Enter');
    const detail = page.locator('[data-testid="trace-detail"]');
    await detail.waitFor();

    // Assess
    const dynamo = page.locator('[data-testid="timeline-span"][data-namespace="aws"]');
    await expect.poll(() => dynamo.count()).toBeGreaterThan(0);
    expect(await dynamo.first().getAttribute('data-name')).toBe('DynamoDB');
    expect(await page.locator('[data-testid="timeline-span"][data-name="Invocation"]').count()).toBe(1);
    await expect.poll(() => page.locator('[data-testid="trace-logs"] tr').count()).toBeGreaterThan(1);
    await dynamo.first().click();
    await page.locator('[data-testid="span-details"]').waitFor();
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-trace.png') });
  }, 60_000);

  it('turns the table-throttles alarm to ALARM when DynamoDB throttles, and renders every widget with data', async () => {
    // Prepare: the alarm is not in ALARM before any throttle.
    await page.goto(`${operatorConsole.url}/#/dashboard`);
    const throttles = page.locator('[data-testid="alarm-state"][data-alarm*="TableThrottles"]').first();
    await throttles.waitFor({ timeout: 30_000 });
    expect(await throttles.getAttribute('data-state')).not.toBe('ALARM');

    // Act: throttles in three CloudWatch minutes (the alarm wants 2 of 3); then a DynamoDB
    // system error and a request DynamoDB refuses (the function logs an ERROR and answers 500),
    // so the system-error widget and the recent-errors query have data too.
    for (let minute = 0; minute < 3; minute += 1) {
      const current = Math.floor(toCloudWatchTime(Date.now(), { timeScale: TIME_SCALE, origin }) / 60_000);
      await proxy.setFault({ mode: 'throttle', exception: 'ThrottlingException', times: 1 });
      await send('GET', '/todos');
      await eventually(
        () => Math.floor(toCloudWatchTime(Date.now(), { timeScale: TIME_SCALE, origin }) / 60_000),
        (now) => now > current,
      );
    }
    await proxy.setFault({ mode: 'error', times: 10 });
    await send('GET', '/todos');
    await proxy.setFault({ mode: 'error', status: 400, exception: 'ValidationException', times: 1 });
    expect((await send('GET', '/todos')).status).toBe(500);
    await proxy.setFault({ mode: 'pass' });
    await send('GET', '/todos');

    // Assess: once the console's own API says ALARM, the page, reloaded, shows it.
    await eventually(
      async () =>
        (await dashboard())
          .flatMap((widget) => (widget.kind === 'alarm-status' ? widget.alarms : []))
          .find((alarm) => alarm.name.includes('TableThrottles'))?.state,
      (state) => state === 'ALARM',
    );
    await page.reload();
    await throttles.waitFor();
    expect(await throttles.getAttribute('data-state')).toBe('ALARM');
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-dashboard.png') });
    const widgets = page.locator('[data-testid="widget"]');
    expect(await widgets.count()).toBe(bodyWidgetCount());
    const empty = await eventually(
      async () => {
        const view = await dashboard();
        return view.filter((widget) => !hasData(widget)).map((widget) => widget.title ?? widget.kind);
      },
      (titles) => titles.length === 0,
    );
    expect(empty).toEqual([]);
    await page.reload();
    await widgets.first().waitFor();
    expect(await page.locator('[data-testid="widget"][data-has-data="false"]').count()).toBe(0);
  }, 120_000);
  it('lists a release report and opens its timeline with the verdict', async () => {
    // Prepare: a report as the rehearsal's writer writes it (its figures made up here: a real
    // rehearsal takes minutes; test/release/canary-cli.test.ts runs one).
    const minute = (index: number, percent: number, newErrors: number) => ({
      minute: index,
      periodStart: origin + index * 60_000,
      newVersionPercent: percent,
      customers: { requests: 60, serverErrors: newErrors, unanswered: 0, p99Ms: 40 },
      versions: {
        '1': { invocations: 60 - percent, errors: 0, serverErrors: 0, p99Ms: 30 },
        '2': { invocations: percent, errors: newErrors, serverErrors: newErrors, p99Ms: 45 },
      },
      events: [],
    });
    await writeReleaseReport(path.join(stateDir, 'canary', 'releases'), {
      deploymentId: 'd-TESTREL01',
      config: 'LambdaCanary10Percent5Minutes',
      stableVersion: '1',
      targetVersion: '2',
      status: 'RolledBack',
      reason: 'RollbackAlarmsErrors is in ALARM',
      startedAt: origin,
      updatedAt: origin + 180_000,
      timeScale: 4,
      rps: 20,
      customers: { requests: 180, serverErrors: 6 },
      events: [
        { type: 'started', at: origin, deploymentId: 'd-TESTREL01', config: 'LambdaCanary10Percent5Minutes' },
        { type: 'traffic', at: origin, newVersionPercent: 10 },
        {
          type: 'finished',
          at: origin + 120_000,
          verdict: 'RolledBack',
          reason: 'RollbackAlarmsErrors is in ALARM',
        },
      ],
      timeline: [minute(0, 10, 0), minute(1, 10, 6), minute(2, 0, 0)],
    });

    // Act
    await page.goto(`${operatorConsole.url}/#/releases`);
    const row = page.locator('[data-testid="release-row"][data-deployment-id="d-TESTREL01"]');
    await row.waitFor();
    await row.click();

    // Assess
    const verdict = page.locator('[data-testid="release-verdict"]');
    await verdict.waitFor();
    expect(await verdict.getAttribute('data-status')).toBe('RolledBack');
    expect(await page.locator('[data-testid="release-chart"]').count()).toBeGreaterThan(0);
    expect(await page.locator('[data-testid="release-event"]').count()).toBe(3);
    await page.screenshot({ path: path.join(SCREENSHOTS, 'console-release.png') });
  }, 60_000);
});
