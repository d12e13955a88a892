/** Where the bench reads the project's artifacts and writes its own. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The project's build output (`npm run build`). */
export const DIST = path.join(ROOT, 'dist');
/** Scratch space for the bench's own builds; rebuilt on every run. */
export const BENCH_DIST = path.join(DIST, 'bench');
/** Reports: one JSON and one Markdown file per run. */
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
/** The project's extension layer and the launcher Lambda would start from `/opt/extensions/`. */
export const EXTENSION_LAYER = path.join(DIST, 'layer');
export const EXTENSION_LAUNCHER = path.join(EXTENSION_LAYER, 'extensions', 'telemetry-extension');
