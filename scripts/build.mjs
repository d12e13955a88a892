// Builds the deployable artifacts with esbuild:
//   dist/functions/todos/index.mjs            the todo handler (exports `handler`)
//   dist/layer/extensions/telemetry-extension the extension's launcher (/opt/extensions/… in Lambda),
//                                             rendered from extension/src/launcher.sh
//   dist/layer/telemetry-extension/index.mjs  the extension, one bundled file
//
//   dist/console/{index.html,app.js,app.css} the operator console's page, served by the sandbox
//   dist/openapi.json                         the API's OpenAPI document (functions/todos/openapi.ts),
//                                             also rendered to docs/api.md and typed into
//                                             test/support/openapi-types.ts (both committed)
//
//   dist/layer-bin/<arch>/extensions/telemetry-extension
//                                             the extension as one self-contained executable
//                                             (bun build --compile; target extension-bin only)
//
// Usage: node scripts/build.mjs [function] [hook] [extension] [console] [openapi] [extension-bin]
//   (no argument: everything but extension-bin, which embeds a whole Bun runtime per architecture)
// TELEMETRY_EXTENSION_BUILD=node|bin picks what dist/layer/ holds (default node: the
// measurements in README favour it); bin lays out the executable for TELEMETRY_EXTENSION_ARCH
// (x64|arm64, default this machine's). TELEMETRY_EXTENSION_ARCH also limits extension-bin
// to one architecture.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

const exec = promisify(execFile);

// Bun's runtime per Lambda architecture: the npm package and `bun build --compile --target`.
const BUN_TARGETS = {
  x64: { pkg: '@oven/bun-linux-x64', target: 'bun-linux-x64' },
  arm64: { pkg: '@oven/bun-linux-aarch64', target: 'bun-linux-arm64' },
};

/**
 * Path of Bun's runtime for `arch`. The devDependency covers this machine's architecture; the
 * other one declares another cpu, which `npm ci` refuses to install, so its package is fetched
 * from the npm registry once (npm pack, no install scripts) into node_modules/.cache, at the
 * installed runtime's exact version: cross-compiling needs the same Bun on both sides.
 */
async function bunRuntime(arch) {
  const installed = path.join(root, 'node_modules', BUN_TARGETS[arch].pkg, 'bin', 'bun');
  if (existsSync(installed)) return installed;
  const hostPkg = path.join(root, 'node_modules', BUN_TARGETS[process.arch]?.pkg ?? '', 'package.json');
  if (!existsSync(hostPkg)) {
    throw new Error(`build: extension-bin needs Bun for ${process.arch}; run npm ci (it is a devDependency)`);
  }
  const { version } = JSON.parse(await readFile(hostPkg, 'utf8'));
  const cache = path.join(root, 'node_modules', '.cache', 'bun-runtimes', `${arch}-${version}`);
  const runtime = path.join(cache, 'package', 'bin', 'bun');
  if (existsSync(runtime)) return runtime;
  await mkdir(cache, { recursive: true });
  const { stdout } = await exec('npm', ['pack', '--silent', `${BUN_TARGETS[arch].pkg}@${version}`], {
    cwd: cache,
  });
  await exec('tar', ['xzf', stdout.trim()], { cwd: cache });
  await rm(path.join(cache, stdout.trim()));
  return runtime;
}

/** Compiles the extension for `arch` into dist/layer-bin/<arch>/extensions/telemetry-extension. */
async function compileExtension(arch) {
  const executable = path.join(dist, 'layer-bin', arch, 'extensions', EXTENSION_NAME);
  await rm(path.dirname(path.dirname(executable)), { recursive: true, force: true });
  await mkdir(path.dirname(executable), { recursive: true });
  const bun = await bunRuntime(process.arch);
  await exec(bun, [
    'build',
    path.join(root, 'extension', 'src', 'main.ts'),
    '--compile',
    '--minify',
    `--target=${BUN_TARGETS[arch].target}`,
    `--compile-executable-path=${await bunRuntime(arch)}`,
    // In /opt/extensions a .env or bunfig.toml of the working directory is not ours to read,
    // and looking for them is work before registration.
    '--no-compile-autoload-dotenv',
    '--no-compile-autoload-bunfig',
    `--outfile=${executable}`,
  ]);
  return executable;
}

// Node's flags in the launcher. Under allocation pressure (a burst of spans) V8 grows the young
// generation's semi-spaces, sized from the heap limit rather than from the function's memory,
// and keeps them; that memory counts against the function's limit. The extension holds little
// short-lived data at once, so 1 MiB caps it without costing throughput (figures: README,
// Telemetry extension).
const EXTENSION_NODE_OPTIONS = ['--max-semi-space-size=1'];

/**
 * The layer's launcher: extension/src/launcher.sh with its placeholders filled in. The
 * subscription body is the one Node sends, from telemetry-subscription.ts evaluated here.
 */
async function renderLauncher() {
  const template = await readFile(path.join(root, 'extension', 'src', 'launcher.sh'), 'utf8');
  const { outputFiles } = await build({
    entryPoints: [path.join(root, 'extension', 'src', 'telemetry-subscription.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'warning',
  });
  const subscription = await import(
    `data:text/javascript;base64,${Buffer.from(outputFiles[0].text).toString('base64')}`
  );
  const marker = '@PORT@';
  const parts = subscription.telemetrySubscriptionBody(marker).split(marker);
  // The launcher holds each part in single quotes.
  if (parts.length !== 2 || parts.some((part) => part.includes("'"))) {
    throw new Error('build: the subscription body cannot be written into the launcher');
  }
  const rendered = template
    .replaceAll('@SUBSCRIPTION_BEFORE_PORT@', parts[0])
    .replaceAll('@SUBSCRIPTION_AFTER_PORT@', parts[1])
    .replaceAll('@DEFAULT_LISTENER_PORT@', String(subscription.DEFAULT_LISTENER_PORT))
    .replaceAll('@BUNDLE@', `../${EXTENSION_NAME}/index.mjs`)
    .replaceAll('@NODE_OPTIONS@', EXTENSION_NODE_OPTIONS.join(' '));
  const left = /@[A-Z_]+@/.exec(rendered);
  if (left) throw new Error(`build: launcher placeholder ${left[0]} has no value`);
  return rendered;
}

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
  // The generators run from bundles of themselves: Node cannot load the TypeScript sources'
  // extensionless imports directly.
  async openapi() {
    const outdir = path.join(dist, 'openapi-generators');
    await rm(outdir, { recursive: true, force: true });
    await build({
      entryPoints: {
        document: path.join(root, 'functions', 'todos', 'openapi.ts'),
        types: path.join(root, 'test', 'support', 'openapi-typegen.ts'),
      },
      outdir,
      outExtension: { '.js': '.mjs' },
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      logLevel: 'warning',
    });
    const generator = await import(path.join(outdir, 'document.mjs'));
    const { openApiTypes, OPENAPI_TYPES_FILE } = await import(path.join(outdir, 'types.mjs'));
    const document = generator.openApiDocument();
    await writeFile(path.join(dist, 'openapi.json'), `${JSON.stringify(document, null, 2)}\n`);
    await writeFile(path.join(root, 'docs', 'api.md'), generator.renderApiMarkdown(document));
    await writeFile(path.join(root, OPENAPI_TYPES_FILE), await openApiTypes(document));
  },
  async extension() {
    const layer = path.join(dist, 'layer');
    await rm(layer, { recursive: true, force: true });
    const launcher = path.join(layer, 'extensions', EXTENSION_NAME);
    if (extensionBuild === 'bin') {
      // The executable alone is the layer: nothing in it needs Node.
      await mkdir(path.dirname(launcher), { recursive: true });
      await copyFile(await compileExtension(extensionArch()), launcher);
      await chmod(launcher, 0o755);
      return;
    }
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
    await mkdir(path.dirname(launcher), { recursive: true });
    await writeFile(launcher, await renderLauncher());
    await chmod(launcher, 0o755);
  },
  // The operator console's page: a browser bundle with its libraries inside, so it works offline.
  async console() {
    const outdir = path.join(dist, 'console');
    const ui = path.join(root, 'local', 'console', 'ui');
    await rm(outdir, { recursive: true, force: true });
    const browser = {
      bundle: true,
      platform: 'browser',
      target: 'es2022',
      minify: true,
      sourcemap: true,
      legalComments: 'none',
      logLevel: 'warning',
    };
    await build({
      ...browser,
      format: 'esm',
      tsconfig: path.join(ui, 'tsconfig.json'),
      entryPoints: [path.join(ui, 'main.ts')],
      outfile: path.join(outdir, 'app.js'),
    });
    await build({
      ...browser,
      entryPoints: [path.join(ui, 'console.css')],
      outfile: path.join(outdir, 'app.css'),
    });
    await copyFile(path.join(ui, 'index.html'), path.join(outdir, 'index.html'));
  },
  async 'extension-bin'() {
    const arches = process.env.TELEMETRY_EXTENSION_ARCH ? [extensionArch()] : Object.keys(BUN_TARGETS);
    for (const arch of arches) await compileExtension(arch);
  },
};

function extensionArch() {
  const arch = process.env.TELEMETRY_EXTENSION_ARCH || process.arch;
  if (!(arch in BUN_TARGETS)) {
    console.error(
      `build: TELEMETRY_EXTENSION_ARCH="${arch}" is not one of: ${Object.keys(BUN_TARGETS).join(', ')}`,
    );
    process.exit(2);
  }
  return arch;
}

const extensionBuild = process.env.TELEMETRY_EXTENSION_BUILD || 'node';
if (extensionBuild !== 'node' && extensionBuild !== 'bin') {
  console.error(`build: TELEMETRY_EXTENSION_BUILD="${extensionBuild}" must be node or bin`);
  process.exit(2);
}

const requested = process.argv.slice(2);
for (const name of requested) {
  if (!(name in targets)) {
    console.error(`build: unknown target "${name}"; use one of: ${Object.keys(targets).join(', ')}`);
    process.exit(2);
  }
}
const defaults = Object.keys(targets).filter((name) => name !== 'extension-bin');
for (const name of requested.length > 0 ? requested : defaults) {
  await targets[name]();
}
