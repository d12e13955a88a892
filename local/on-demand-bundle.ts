/**
 * Programs the sandbox starts inside execution environments (the managed-runtime client, the
 * environment gateway) run as plain `node file.mjs`, never through a TypeScript loader: init
 * durations would otherwise measure the loader. Each is bundled with esbuild when its bundle is
 * missing or older than the sources beside its entry, at most once per process.
 */
import { readdir, rename, stat } from 'node:fs/promises';
import path from 'node:path';

export interface BundleSpec {
  /** The entry file; every `.ts` file of its directory counts as a source. */
  readonly entry: string;
  readonly outfile: string;
}

async function newestSource(dir: string): Promise<number> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.ts'));
  const times = await Promise.all(files.map(async (f) => (await stat(path.join(dir, f))).mtimeMs));
  return Math.max(0, ...times);
}

async function build({ entry, outfile }: BundleSpec): Promise<string> {
  const built = await stat(outfile).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  if (built >= (await newestSource(path.dirname(entry)))) return outfile;
  const esbuild = await import('esbuild');
  const temporary = `${outfile}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [entry],
    // Written aside then renamed: parallel test workers may build at the same moment.
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    logLevel: 'warning',
  });
  await rename(temporary, outfile);
  return outfile;
}

/** A function that resolves to the path of an up-to-date bundle, building it at most once. */
export function onDemandBundle(spec: BundleSpec): () => Promise<string> {
  let ready: Promise<string> | undefined;
  return () => {
    ready ??= build(spec);
    return ready;
  };
}
