/**
 * CORS as a browser enforces it: a page served from another origin (a local server on its own
 * port) calls the sandbox's API with fetch in a real headless Chromium. From an allowed origin
 * the browser sends the preflight, accepts its answer, and lets the page read `ETag`; from any
 * other origin it refuses the page the response, and a preflighted write is never sent.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ListeningServer, listen } from '../../local/http-listen';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { findChromium, launchChromium, skipNote, type TestBrowser } from '../support/chromium';

const chromium = findChromium();

/** A server that answers every path with an empty page: an app on an origin of its own. */
const startPageServer = (): Promise<ListeningServer> =>
  listen(
    createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>todo app</title><p>todo app</p>');
    }),
    0,
    '127.0.0.1',
  );

/** What the page's script saw: statuses and the ETags it could read, or the error fetch threw. */
interface PageOutcome {
  readonly created?: { readonly status: number; readonly etag: string | null; readonly id?: string };
  readonly replaced?: { readonly status: number; readonly etag: string | null };
  readonly error?: string;
}

/** In the page: create a todo, then replace it with `If-Match` carrying the ETag read from JS. */
const createThenReplace = (page: Page, api: string): Promise<PageOutcome> =>
  page.evaluate(async (apiUrl) => {
    try {
      const created = await fetch(`${apiUrl}/todos`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'from another origin' }),
      });
      const etag = created.headers.get('etag');
      const { id } = (await created.json()) as { id: string };
      const replaced = await fetch(`${apiUrl}/todos/${encodeURIComponent(id)}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', 'if-match': etag ?? '' },
        body: JSON.stringify({ text: 'replaced from another origin', done: true }),
      });
      return {
        created: { status: created.status, etag, id },
        replaced: { status: replaced.status, etag: replaced.headers.get('etag') },
      };
    } catch (error) {
      return { error: String(error) };
    }
  }, api);

/** In the page: one fetch; its status, or the error the browser raised. */
const fetchFromPage = (
  page: Page,
  url: string,
  init: RequestInit,
): Promise<{ status?: number; error?: string }> =>
  page.evaluate(
    async ([target, options]) => {
      try {
        return { status: (await fetch(target, options)).status };
      } catch (error) {
        return { error: String(error) };
      }
    },
    [url, init] as const,
  );

describe.skipIf('missing' in chromium)(`CORS in Chromium${skipNote(chromium)}`, () => {
  let allowedSite: ListeningServer;
  let otherSite: ListeningServer;
  let stateDir: string;
  let sandbox: Sandbox;
  let browser: TestBrowser;
  let page: Page;

  beforeAll(async () => {
    allowedSite = await startPageServer();
    otherSite = await startPageServer();
    stateDir = await mkdtemp(path.join(tmpdir(), 'cors-browser-'));
    // The built function (`node scripts/build.mjs function`); the pages' origins differ from the
    // API's by port only, which is enough to make every call cross-origin.
    sandbox = await startSandbox({ inMemory: true, stateDir, layers: [], corsOrigins: [allowedSite.url] });
    browser = await launchChromium(chromium);
    page = browser.page;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
    await allowedSite?.close();
    await otherSite?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true });
  });

  it('lets a page from an allowed origin make a preflighted PUT with If-Match and read the ETag', async () => {
    // Prepare
    await page.goto(allowedSite.url);

    // Act
    const outcome = await createThenReplace(page, sandbox.apiUrl);

    // Assess
    expect(outcome.error).toBeUndefined();
    expect(outcome.created?.status).toBe(201);
    expect(outcome.created?.etag).toMatch(/^"1\./);
    expect(outcome.replaced?.status).toBe(200);
    expect(outcome.replaced?.etag).toMatch(/^"2\./);
    const stored = await fetch(`${sandbox.apiUrl}/todos/${outcome.created?.id}`);
    expect(((await stored.json()) as { text: string }).text).toBe('replaced from another origin');
  });

  it('refuses a page from another origin the response, and never sends its preflighted write', async () => {
    // Prepare
    const created = await fetch(`${sandbox.apiUrl}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'untouched' }),
    });
    const { id } = (await created.json()) as { id: string };
    await page.goto(otherSite.url);

    // Act
    const read = await fetchFromPage(page, `${sandbox.apiUrl}/todos/${id}`, {});
    const write = await fetchFromPage(page, `${sandbox.apiUrl}/todos/${id}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'if-match': created.headers.get('etag') ?? '' },
      body: JSON.stringify({ text: 'overwritten', done: true }),
    });

    // Assess
    expect(read.error).toMatch(/TypeError: Failed to fetch/);
    expect(write.error).toMatch(/TypeError: Failed to fetch/);
    const stored = await fetch(`${sandbox.apiUrl}/todos/${id}`);
    expect(((await stored.json()) as { text: string }).text).toBe('untouched');
  });
});
