/**
 * "Build if needed" for `npm start`: the project's bundle and extension layer are rebuilt when
 * missing or older than any of their sources, so a developer never runs a stale bundle.
 */
import { spawnSync } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { StartupError } from './sandbox-errors';

/** Newest modification time under a directory (0 when it does not exist). */
async function newestMtime(target: string): Promise<number> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(target);
  } catch {
    return 0;
  }
  if (!info.isDirectory()) return info.mtimeMs;
  let newest = info.mtimeMs;
  for (const entry of await readdir(target)) {
    if (entry === 'node_modules') continue;
    newest = Math.max(newest, await newestMtime(path.join(target, entry)));
  }
  return newest;
}

/** Whether an output file is missing or older than the newest of its sources. */
async function isStale(output: string, sources: readonly string[]): Promise<boolean> {
  const built = await newestMtime(output);
  if (built === 0) return true;
  const newest = Math.max(...(await Promise.all(sources.map(newestMtime))));
  return newest > built;
}

/** A build target of `scripts/build.mjs` with the file it writes and what it is made from. */
export interface BuildTarget {
  readonly name: string;
  readonly output: string;
  readonly sources: readonly string[];
}

/** Runs `node scripts/build.mjs <targets>` for the stale targets; output goes to the terminal. */
export async function buildIfNeeded(projectRoot: string, targets: readonly BuildTarget[]): Promise<string[]> {
  const stale: string[] = [];
  for (const target of targets) if (await isStale(target.output, target.sources)) stale.push(target.name);
  if (stale.length === 0) return stale;
  const result = spawnSync(process.execPath, [path.join(projectRoot, 'scripts', 'build.mjs'), ...stale], {
    cwd: projectRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new StartupError(`building ${stale.join(' and ')} failed; run "npm run build" to see why`);
  }
  return stale;
}
