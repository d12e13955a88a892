// Builds the deployable artifacts with esbuild:
//   dist/functions/todos/index.mjs            the todo handler (exports `handler`)
//   dist/layer/extensions/telemetry-extension the extension's launcher (/opt/extensions/… in Lambda)
//   dist/layer/telemetry-extension/index.mjs  the extension, one bundled file
//
// Usage: node scripts/build.mjs [function] [extension]   (no argument: everything)
import { chmod, mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');

export const EXTENSION_NAME = 'telemetry-extension';

// The AWS SDK and OpenTelemetry still ship CommonJS internals; an ESM bundle
// needs a real `require` for Node built-ins they load dynamically.
const requireShim = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** Options shared by every bundle: Node 20 so the same file runs here and on nodejs24.x. */
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  treeShaking: true,
  sourcemap: true,
  legalComments: 'none',
  banner: { js: requireShim },
  logLevel: 'warning',
};

// TELEMETRY=off builds the function without handler telemetry (to measure
// what it costs): functions/telemetry/index.ts then gets disabled.ts in place
// of telemetry.ts. Tree shaking alone cannot drop it: Powertools runs code at import.
const telemetryOff = {
  name: 'telemetry-off',
  setup(pluginBuild) {
    const telemetryDir = path.join(root, 'functions', 'telemetry');
    pluginBuild.onResolve({ filter: /^\.\/telemetry$/ }, (args) =>
      args.resolveDir === telemetryDir ? { path: path.join(telemetryDir, 'disabled.ts') } : undefined,
    );
  },
};

const targets = {
  async function() {
    const outdir = path.join(dist, 'functions', 'todos');
    await rm(outdir, { recursive: true, force: true });
    await build({
      ...common,
      // ESM entry points first: OpenTelemetry's CommonJS builds defeat tree
      // shaking (a minimal tracer bundles to 180 KB instead of 33 KB).
      mainFields: ['module', 'main'],
      plugins: process.env.TELEMETRY === 'off' ? [telemetryOff] : [],
      entryPoints: [path.join(root, 'functions', 'todos', 'index.ts')],
      outfile: path.join(outdir, 'index.mjs'),
    });
  },
  // The CodeDeploy pre-traffic hook (dist/functions/deploy-hook/index.mjs), deployed by infra/.
  async hook() {
    const outdir = path.join(dist, 'functions', 'deploy-hook');
    await rm(outdir, { recursive: true, force: true });
    await build({
      ...common,
      entryPoints: [path.join(root, 'functions', 'deploy-hook', 'index.ts')],
      outfile: path.join(outdir, 'index.mjs'),
    });
  },
  async extension() {
    const layer = path.join(dist, 'layer');
    await rm(layer, { recursive: true, force: true });
    await build({
      ...common,
      entryPoints: [path.join(root, 'extension', 'src', 'main.ts')],
      outfile: path.join(layer, EXTENSION_NAME, 'index.mjs'),
      // The extension bundles no CommonJS; skipping the require shim spares loading node:module
      // before registration.
      banner: {},
    });
    // Lambda starts every executable in /opt/extensions; the launcher's file name
    // is the name the extension registers with.
    const launcher = path.join(layer, 'extensions', EXTENSION_NAME);
    await mkdir(path.dirname(launcher), { recursive: true });
    await writeFile(launcher, `#!/bin/sh\nexec node "$(dirname "$0")/../${EXTENSION_NAME}/index.mjs"\n`);
    await chmod(launcher, 0o755);
  },
};

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(name in targets)) {
    console.error(`build: unknown target "${name}"; use one of: ${Object.keys(targets).join(', ')}`);
    process.exit(2);
  }
}
for (const name of requested.length > 0 ? requested : Object.keys(targets)) {
  await targets[name]();
}
