/**
 * A real headless Chromium for the console's end-to-end tests: Debian's package (`.ci/run`
 * installs it), driven by playwright-core, whose own browser download is not reachable here.
 * Where no Chromium exists, the tests that need it skip and say why; in CI (`CI` set) a missing
 * browser fails instead, so the console is never left untested there.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Chromium's path, or why there is none. */
export type ChromiumFound = { readonly path: string } | { readonly missing: string };

/** Chromium's path (`CHROMIUM_PATH` first), or why there is none. */
export function findChromium(): ChromiumFound {
  const configured = process.env.CHROMIUM_PATH;
  if (configured) {
    return existsSync(configured)
      ? { path: configured }
      : { missing: `CHROMIUM_PATH ${configured} does not exist` };
  }
  const found = CANDIDATES.find((candidate) => existsSync(candidate));
  if (found) return { path: found };
  const missing = `no Chromium at ${CANDIDATES.join(' or ')}; install it with "apt-get install -y chromium"`;
  if (process.env.CI) throw new Error(`${missing} (CI must run the browser tests)`);
  return { missing };
}

/** What a browser suite's name adds when it skips (` (skipped: <why>)`), or nothing. */
export const skipNote = (found: ChromiumFound): string =>
  'missing' in found ? ` (skipped: ${found.missing})` : '';

/** Flags for a quiet, reproducible headless run in a container as root. */
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** A browser with a fresh profile and one page open; `close()` removes the profile too. */
export interface TestBrowser {
  readonly context: BrowserContext;
  readonly page: Page;
  close(): Promise<void>;
}

/**
 * Launches the Chromium found with a fresh `--user-data-dir` and a fixed viewport, and opens a
 * page; fails with the reason when there is none.
 */
export async function launchChromium(found: ChromiumFound): Promise<TestBrowser> {
  if ('missing' in found) throw new Error(found.missing);
  const profile = await mkdtemp(path.join(tmpdir(), 'console-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: found.path,
    headless: true,
    args: FLAGS,
    viewport: { width: 1440, height: 1000 },
  });
  const close = async () => {
    await context.close().catch(() => undefined);
    await rm(profile, { recursive: true, force: true });
  };
  try {
    return { context, page: await context.newPage(), close };
  } catch (error) {
    await close();
    throw error;
  }
}
