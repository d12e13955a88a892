/**
 * The AWS SDK for JavaScript v3 where Lambda's Node.js runtimes have it,
 * `/var/runtime/node_modules` (on `NODE_PATH`), so a function that does not bundle the SDK still
 * finds it. Lambda ships every client; the sandbox has the clients this project installs and the
 * packages they need, hard-linked from `node_modules` into `<runtime dir>/node_modules` once, and
 * again when their versions change.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
/** Lists the packages the directory holds, with their versions: equal means up to date. */
const STAMP = '.packages';

interface Installed {
  readonly name: string;
  readonly version: string;
}

async function manifest(dir: string): Promise<{ version?: string; dependencies?: Record<string, string> }> {
  return JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
}

/**
 * Every `@aws-sdk/*` package installed at the top of `nodeModules` and, following `dependencies`,
 * every top-level package they need (a package's own nested `node_modules` goes with it).
 */
async function sdkPackages(nodeModules: string): Promise<Installed[]> {
  const clients = await readdir(path.join(nodeModules, '@aws-sdk')).catch(() => []);
  const found = new Map<string, Installed>();
  const pending = clients.map((name) => ({ name: `@aws-sdk/${name}`, from: nodeModules }));
  while (pending.length > 0) {
    const { name, from } = pending.pop()!;
    if (found.has(name) || existsSync(path.join(from, 'node_modules', name))) continue;
    const dir = path.join(nodeModules, name);
    if (!existsSync(path.join(dir, 'package.json'))) continue;
    const pkg = await manifest(dir);
    found.set(name, { name, version: pkg.version ?? '' });
    for (const dependency of Object.keys(pkg.dependencies ?? {}))
      pending.push({ name: dependency, from: dir });
  }
  return [...found.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

async function link(nodeModules: string, target: string): Promise<void> {
  const packages = await sdkPackages(nodeModules);
  const stamp = packages.map((p) => `${p.name}@${p.version}`).join('\n');
  if ((await readFile(path.join(target, STAMP), 'utf8').catch(() => undefined)) === stamp) return;
  // Made aside and renamed into place: test workers may prepare it at the same moment.
  const temporary = `${target}.${process.pid}.tmp`;
  await rm(temporary, { recursive: true, force: true });
  for (const { name } of packages) {
    await mkdir(path.dirname(path.join(temporary, name)), { recursive: true });
    // Hard links: no copy of the bytes, and the directory stays valid when mounted elsewhere.
    await run('cp', ['-al', path.join(nodeModules, name), path.join(temporary, name)]);
  }
  await writeFile(path.join(temporary, STAMP), stamp);
  const stale = `${target}.${process.pid}.old`;
  await rename(target, stale).catch(() => undefined);
  await rename(temporary, target).catch(() => rm(temporary, { recursive: true, force: true }));
  await rm(stale, { recursive: true, force: true });
}

let ready: Promise<void> | undefined;

/** Prepares `<runtimeDir>/node_modules` from the project's `nodeModules`, at most once per process. */
export function runtimeSdk(nodeModules: string, runtimeDir: string): Promise<void> {
  ready ??= link(nodeModules, path.join(runtimeDir, 'node_modules'));
  return ready;
}
