/**
 * Locates the bundled managed-runtime client (`dist/runtime/index.mjs`), building it with esbuild
 * when it is missing or older than its sources (see `on-demand-bundle.ts`).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onDemandBundle } from '../on-demand-bundle';

const sourceDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(sourceDir, '..', '..');

/** The directory of the bundle (`LAMBDA_RUNTIME_DIR`). */
export const RUNTIME_DIR = path.join(root, 'dist', 'runtime');

/** The path of an up-to-date bundle; builds at most once per process. */
export const nodeRuntimeEntry = onDemandBundle({
  entry: path.join(sourceDir, 'main.ts'),
  outfile: path.join(RUNTIME_DIR, 'index.mjs'),
});
