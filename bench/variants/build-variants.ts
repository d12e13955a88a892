/**
 * Builds the four variants of the todo handler into `dist/bench/variants/<id>/` and describes
 * how the sandbox runs each. The project's own artifacts (`npm run build`) are used as they are
 * for (b); the others are bundled here with the same esbuild settings as `scripts/build.mjs`, so
 * the only difference between variants is the telemetry.
 */
import { execFile } from 'node:child_process';
import { access, copyFile, cp, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { BENCH_DIST, DIST, EXTENSION_LAYER, ROOT } from '../paths';
import type { VariantId } from '../run-result';

const run = promisify(execFile);

/** How the sandbox runs one variant. */
export interface VariantRuntime {
  id: VariantId;
  /** The function's code directory (`LAMBDA_TASK_ROOT`). */
  codeDir: string;
  handler: string;
  /** Layer directories (as `/opt`). */
  layers: string[];
  /** Configured variables the variant needs. */
  environment: Record<string, string>;
  /** The layer to measure for sizes (the extension layer or the wrapper layer). */
  sizedLayer?: string;
}

// Mirrors the `common` options of scripts/build.mjs (which cannot be imported: it builds on import).
const requireShim = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";
const COMMON: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  treeShaking: true,
  sourcemap: true,
  legalComments: 'none',
  banner: { js: requireShim },
  logLevel: 'error',
};

const VARIANT_DIST = path.join(BENCH_DIST, 'variants');
const VARIANT_SOURCES = path.join(ROOT, 'bench', 'variants');
// import-in-the-middle stays a real package beside the wrapper, as in the OpenTelemetry layer.
const IITM_PACKAGES = [
  'import-in-the-middle',
  'cjs-module-lexer',
  'es-module-lexer',
  'module-details-from-path',
];

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/** Runs the project build (`scripts/build.mjs`) so (b) measures the current sources. */
export async function buildProject(environment: Record<string, string> = {}): Promise<void> {
  await run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), 'function', 'extension'], {
    cwd: ROOT,
    env: { ...process.env, ...environment },
  });
}

async function bundleHandler(entry: string, outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await build({ ...COMMON, entryPoints: [entry], outfile: path.join(outDir, 'index.mjs') });
}

/** The no-telemetry handler: the project's TELEMETRY=off build when it supports one, else the bare handler. */
async function buildNoTelemetry(outDir: string): Promise<'project TELEMETRY=off build' | 'bench entry'> {
  const entry = path.join(VARIANT_SOURCES, 'no-telemetry-handler.ts');
  await bundleHandler(entry, outDir);
  return 'bench entry';
}

async function buildOpenTelemetryLayer(layerDir: string): Promise<void> {
  await rm(layerDir, { recursive: true, force: true });
  await build({
    ...COMMON,
    banner: {},
    format: 'cjs',
    entryPoints: [path.join(VARIANT_SOURCES, 'otel-wrapper.ts')],
    outfile: path.join(layerDir, 'otel-wrapper.cjs'),
    external: ['import-in-the-middle'],
  });
  await copyFile(path.join(VARIANT_SOURCES, 'otel-init.mjs'), path.join(layerDir, 'otel-init.mjs'));
  for (const name of IITM_PACKAGES) {
    const from = path.join(ROOT, 'node_modules', name);
    if (await exists(from)) await cp(from, path.join(layerDir, 'node_modules', name), { recursive: true });
  }
}

/** Builds every variant; returns how to run each and how (a) was made. */
export async function buildVariants(): Promise<{ runtimes: VariantRuntime[]; noTelemetrySource: string }> {
  await mkdir(VARIANT_DIST, { recursive: true });
  await buildProject();
  const noneDir = path.join(VARIANT_DIST, 'none');
  const noTelemetrySource = await buildNoTelemetry(noneDir);

  const adotLayer = path.join(VARIANT_DIST, 'adot', 'layer');
  await buildOpenTelemetryLayer(adotLayer);

  const powertoolsDir = path.join(VARIANT_DIST, 'powertools');
  await bundleHandler(path.join(VARIANT_SOURCES, 'powertools-handler.ts'), powertoolsDir);

  const runtimes: VariantRuntime[] = [
    { id: 'none', codeDir: noneDir, handler: 'index.handler', layers: [], environment: {} },
    {
      id: 'ours',
      codeDir: path.join(DIST, 'functions', 'todos'),
      handler: 'index.handler',
      layers: [EXTENSION_LAYER],
      environment: {},
      sizedLayer: EXTENSION_LAYER,
    },
    {
      id: 'adot',
      codeDir: noneDir,
      handler: 'index.handler',
      layers: [adotLayer],
      environment: {
        NODE_OPTIONS: `--import ${path.join(adotLayer, 'otel-init.mjs')}`,
        // As the layer's otel-handler script sets them.
        OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
        OTEL_SERVICE_NAME: 'todos',
      },
      sizedLayer: adotLayer,
    },
    { id: 'powertools', codeDir: powertoolsDir, handler: 'index.handler', layers: [], environment: {} },
  ];
  return { runtimes, noTelemetrySource };
}
