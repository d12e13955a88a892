/**
 * Builds the four variants of the todo handler into `dist/bench/` and describes how the sandbox
 * runs each. (a) and (b) come from the project's own build script (TELEMETRY=off and normal);
 * (c) adds a wrapper layer to (a); (d) is bundled here with the build script's esbuild settings,
 * so the only difference between variants is the telemetry.
 */
import { execFile } from 'node:child_process';
import { access, copyFile, cp, mkdir, readFile, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { type BuildOptions, build } from 'esbuild';
import { isolationSupport } from '../../local/environment/isolation/isolation-probe';
import { buildFloors } from '../extension-start/floors';
import { BENCH_DIST, ROOT } from '../paths';
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
  // As the function target of scripts/build.mjs: ESM entry points tree-shake far better.
  mainFields: ['module', 'main'],
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

// The project build runs from a copy of the sources under dist/bench so that it never rewrites
// dist/ (which tests and `npm start` may be reading) and so (a) comes from the build script's own
// TELEMETRY=off switch rather than an imitation of it. node_modules is linked, not copied.
const BUILD_ROOT = path.join(BENCH_DIST, 'project');
const COPIED_SOURCES = [
  'functions',
  'extension',
  'contracts',
  'common',
  'scripts',
  'package.json',
  'tsconfig.json',
];

/** Runs `scripts/build.mjs` on a copy of the sources; returns the copy's `dist/`. */
export async function buildProject(
  environment: Record<string, string>,
  label: string,
  targets: string[],
): Promise<string> {
  const root = path.join(BUILD_ROOT, label);
  await rm(root, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  for (const entry of COPIED_SOURCES) {
    if (await exists(path.join(ROOT, entry)))
      await cp(path.join(ROOT, entry), path.join(root, entry), { recursive: true });
  }
  await symlink(path.join(ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
  await run(process.execPath, [path.join(root, 'scripts', 'build.mjs'), ...targets], {
    cwd: root,
    env: { ...process.env, ...environment },
  });
  return path.join(root, 'dist');
}

async function bundleHandler(entry: string, outDir: string): Promise<void> {
  await rm(outDir, { recursive: true, force: true });
  await build({ ...COMMON, entryPoints: [entry], outfile: path.join(outDir, 'index.mjs') });
}

/** Whether scripts/build.mjs honours TELEMETRY=off (it swaps the handler telemetry for a no-op). */
async function buildSupportsTelemetryOff(): Promise<boolean> {
  const script = await readFile(path.join(ROOT, 'scripts', 'build.mjs'), 'utf8');
  return script.includes("TELEMETRY === 'off'");
}

/** The no-telemetry handler: the project's TELEMETRY=off build when it has one, else the bare handler. */
async function buildNoTelemetry(outDir: string): Promise<string> {
  if (await buildSupportsTelemetryOff()) {
    const dist = await buildProject({ TELEMETRY: 'off' }, 'telemetry-off', ['function']);
    await rm(outDir, { recursive: true, force: true });
    await cp(path.join(dist, 'functions', 'todos'), outDir, { recursive: true });
    return 'scripts/build.mjs with TELEMETRY=off';
  }
  await bundleHandler(path.join(VARIANT_SOURCES, 'no-telemetry-handler.ts'), outDir);
  return 'bench/variants/no-telemetry-handler.ts: the build script has no TELEMETRY=off yet';
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
export async function buildVariants(): Promise<{
  runtimes: VariantRuntime[];
  noTelemetrySource: string;
  /** The project's extension layer as built for this run. */
  extensionLayer: string;
}> {
  await mkdir(VARIANT_DIST, { recursive: true });
  const projectDist = await buildProject({}, 'normal', ['function', 'extension']);
  const extensionLayer = path.join(projectDist, 'layer');
  const noneDir = path.join(VARIANT_DIST, 'none');
  const noTelemetrySource = await buildNoTelemetry(noneDir);

  const adotLayer = path.join(VARIANT_DIST, 'adot', 'layer');
  const lambdaView = (await isolationSupport()).available;
  await buildOpenTelemetryLayer(adotLayer);
  // The OpenTelemetry layer also carries a compiled collector extension, which holds the
  // runtime's start until it registers: the C floor extension stands in for that registration.
  const floorC = (await buildFloors()).find((floor) => floor.id === 'floor-c');
  if (!floorC) throw new Error('the C floor extension was not built');
  const collectorStandIn = path.dirname(path.dirname(floorC.executable));

  const powertoolsDir = path.join(VARIANT_DIST, 'powertools');
  await bundleHandler(path.join(VARIANT_SOURCES, 'powertools-handler.ts'), powertoolsDir);

  const runtimes: VariantRuntime[] = [
    { id: 'none', codeDir: noneDir, handler: 'index.handler', layers: [], environment: {} },
    {
      id: 'ours',
      codeDir: path.join(projectDist, 'functions', 'todos'),
      handler: 'index.handler',
      layers: [extensionLayer],
      environment: {},
      sizedLayer: extensionLayer,
    },
    {
      id: 'adot',
      codeDir: noneDir,
      handler: 'index.handler',
      layers: [adotLayer, collectorStandIn],
      environment: {
        // The layer's wrapper where Lambda has it, /opt, when environments get Lambda's view.
        NODE_OPTIONS: `--import ${path.join(lambdaView ? '/opt' : adotLayer, 'otel-init.mjs')}`,
        // As the layer's otel-handler script sets them.
        OTEL_PROPAGATORS: 'tracecontext,baggage,xray',
        OTEL_SERVICE_NAME: 'todos',
      },
      sizedLayer: adotLayer,
    },
    { id: 'powertools', codeDir: powertoolsDir, handler: 'index.handler', layers: [], environment: {} },
  ];
  return { runtimes, noTelemetrySource, extensionLayer };
}
