/**
 * Locates the bundled managed-runtime client (`dist/runtime/index.mjs`), building it with esbuild
 * when it is missing or older than its sources (see `on-demand-bundle.ts`), and the AWS SDK the
 * runtime provides beside it.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { onDemandBundle } from '../on-demand-bundle';
import { runtimeSdk } from './runtime-sdk';

const sourceDir = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(sourceDir, '..', '..');

/** The directory of the bundle (`LAMBDA_RUNTIME_DIR`). */
export const RUNTIME_DIR = path.join(root, 'dist', 'runtime');

const bundle = onDemandBundle({
  entry: path.join(sourceDir, 'main.ts'),
  outfile: path.join(RUNTIME_DIR, 'index.mjs'),
});

/**
 * The path of an up-to-date bundle, with the runtime's AWS SDK beside it (`runtime-sdk.ts`);
 * prepared at most once per process.
 */
export async function nodeRuntimeEntry(): Promise<string> {
  const entry = await bundle();
  await runtimeSdk(path.join(root, 'node_modules'), RUNTIME_DIR);
  return entry;
}
