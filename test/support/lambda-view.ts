/**
 * What the tests of environments with Lambda's view share: the probe (where the machine cannot
 * give environments their namespaces, such tests skip and say why; in CI, `CI` set, they fail
 * instead, so the view is never left untested there), functions bundled as deployment packages
 * are, and a runner that records what the environments print and answer.
 */
import { build } from 'esbuild';
import { FunctionPool } from '../../local/environment/function-pool';
import { isolationSupport } from '../../local/environment/isolation/isolation-probe';
import type { InvokeOutput, LogEntry } from '../../local/environment/types';
import type { SandboxOptions } from '../../local/sandbox';

/** Whether the view is available here; `skipped` is the suffix for a describe title when not. */
export async function lambdaViewSupport(): Promise<{
  readonly available: boolean;
  readonly skipped: string;
}> {
  const support = await isolationSupport();
  if (support.available) return { available: true, skipped: '' };
  if (process.env.CI) throw new Error(`${support.reason} (CI must run the isolated-environment tests)`);
  return { available: false, skipped: ` (skipped: ${support.reason})` };
}

// The ESM bundle needs a real `require` for the Node built-ins that CommonJS dependencies load.
const REQUIRE_SHIM = "import{createRequire as __cr}from'node:module';const require=__cr(import.meta.url);";

/** Bundles `entry` with its dependencies into `outfile`, as a deployment package holds it. */
export async function bundleFunction(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: REQUIRE_SHIM },
    logLevel: 'warning',
  });
}

/** The real environment pool, with every log line and invoke output also handed to `record`. */
export function recordingRunner(record: {
  readonly line?: (entry: LogEntry) => void;
  readonly output?: (output: InvokeOutput) => void;
}): NonNullable<SandboxOptions['createRunner']> {
  return (definition, observer) => {
    const pool = new FunctionPool(definition, {
      onLog(entry) {
        record.line?.(entry);
        observer.onLog(entry);
      },
      onPlatformEvent: (environmentId, event) => observer.onPlatformEvent(environmentId, event),
    });
    return {
      async invoke(input) {
        const output = await pool.invoke(input);
        record.output?.(output);
        return output;
      },
      shutdown: () => pool.shutdown(),
    };
  };
}
