/**
 * Locates the bundled managed-runtime client (`dist/runtime/index.mjs`), building it with esbuild
 * when it is missing or older than its sources. It runs as plain `node index.mjs`, never through
 * a TypeScript loader: init durations would otherwise measure the loader.
 */
import { readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const sourceDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(sourceDir, '..', '..');

/** The directory of the bundle (`LAMBDA_RUNTIME_DIR`). */
export const RUNTIME_DIR = path.join(root, 'dist', 'runtime');
/** The bundle's entry file. */
const RUNTIME_ENTRY = path.join(RUNTIME_DIR, 'index.mjs');

let ready: Promise<string> | undefined;

async function newestSource(): Promise<number> {
  const files = (await readdir(sourceDir)).filter((f) => f.endsWith('.ts'));
  const times = await Promise.all(files.map(async (f) => (await stat(path.join(sourceDir, f))).mtimeMs));
  return Math.max(0, ...times);
}

async function build(): Promise<string> {
  const built = await stat(RUNTIME_ENTRY).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built >= (await newestSource())) return RUNTIME_ENTRY;
  const esbuild = await import('esbuild');
  const temporary = `${RUNTIME_ENTRY}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [path.join(sourceDir, 'main.ts')],
    // Written aside then renamed: parallel test workers may build at the same moment.
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
  });
  await rename(temporary, RUNTIME_ENTRY);
  return RUNTIME_ENTRY;
}

/** The path of an up-to-date bundle; builds at most once per process. */
export function nodeRuntimeEntry(): Promise<string> {
  ready ??= build();
  return ready;
}
