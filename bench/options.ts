/**
 * The bench's command line, parsed once into a typed object by the sandbox's strict flag parser.
 * Bad input ends the run with one line saying what is wrong and how to fix it.
 */
import { parseFlags } from '../local/command-line';
import { UsageError } from '../local/sandbox-errors';

// The class `parseFlags` throws; the bench's own checks throw it too, so a CLI catches one type.
export { UsageError };

/** The stages, in the order they run. */
export const STAGES = [
  'sizes',
  'extension-start',
  'throughput',
  'cold-start',
  'warm-path',
  'post-runtime-budget',
] as const;
export type Stage = (typeof STAGES)[number];

export interface BenchOptions {
  mode: 'quick' | 'full';
  stages: Stage[];
  /** Cold starts per variant. */
  coldStarts: number;
  /** Starts per extension subject. */
  extensionStarts: number;
  /** Seconds of sustained load per warm-path variant. */
  warmSeconds: number;
  /** One connection: a Lambda environment serves one request at a time. */
  warmConnections: number;
  /** Warm load is split into this many slices, interleaved across variants. */
  warmRounds: number;
  /** Seconds of span load for the throughput stage. */
  throughputSeconds: number;
  /** Spans in the memory burst. */
  burstSpans: number;
  /** Invocations against a backend that never answers, per memory size. */
  budgetInvocations: number;
  /** Lambda memory sizes (MB) the sandbox stages run at, each with its CPU share. */
  memorySizesMb: number[];
  /** `--help`: print the usage text and run nothing. */
  help: boolean;
}

/** The smallest size and a common production size: the CPU share differs eightfold between them. */
const DEFAULT_MEMORY_SIZES_MB = [128, 1024];
// Lambda's allowed range of function memory.
const MIN_MEMORY_MB = 128;
const MAX_MEMORY_MB = 10_240;

export const USAGE = `Usage: npm run bench -- [options]

Measures what the project's telemetry costs and writes the report under bench/results/.

  --quick            fewer samples per stage
  --memory MB,...    Lambda memory sizes for cold start, warm path and cost
                     (default ${DEFAULT_MEMORY_SIZES_MB.join(',')}; 128 to 10240)
  --only STAGE,...   run only these stages
  --skip STAGE,...   run every stage but these
  --help             print this text

Stages, in the order they run: ${STAGES.join(', ')}
`;

// Quick mode must finish in under 3 minutes on a shared two-core machine, builds included;
// full mode trades time for tighter percentiles.
const QUICK = {
  coldStarts: 5,
  extensionStarts: 5,
  warmSeconds: 8,
  warmRounds: 2,
  throughputSeconds: 4,
  burstSpans: 50_000,
  budgetInvocations: 20,
};
const FULL = {
  coldStarts: 20,
  extensionStarts: 20,
  warmSeconds: 30,
  warmRounds: 5,
  throughputSeconds: 15,
  burstSpans: 200_000,
  budgetInvocations: 100,
};

function parseStages(flag: string, value: string | undefined): Stage[] {
  if (!value) throw new UsageError(`${flag} needs a comma-separated list of stages: ${STAGES.join(', ')}`);
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(STAGES as readonly string[]).includes(name)) {
      throw new UsageError(`unknown stage "${name}" in ${flag}; use one of: ${STAGES.join(', ')}`);
    }
  }
  return names as Stage[];
}

function parseMemorySizes(value: string | undefined): number[] {
  if (value === undefined) return DEFAULT_MEMORY_SIZES_MB;
  const sizes = value.split(',').map((entry) => entry.trim());
  return sizes.map((entry) => {
    const parsed = Number(entry);
    if (!/^\d+$/.test(entry) || parsed < MIN_MEMORY_MB || parsed > MAX_MEMORY_MB) {
      throw new UsageError(
        `--memory needs sizes in MB from ${MIN_MEMORY_MB} to ${MAX_MEMORY_MB}, comma-separated (e.g. 128,1024); got "${entry}"`,
      );
    }
    return parsed;
  });
}

/**
 * A flag's value as a whole number of at least 1, or `fallback` when the flag is absent.
 *
 * @example positiveInteger('--runs', values.runs, 25)
 */
export function positiveInteger(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new UsageError(`${flag} needs a whole number of at least 1, got "${value}"`);
  }
  return parsed;
}

/** Parses the arguments after `npm run bench --`; throws {@link UsageError} on bad input. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  const values = parseFlags(argv, {
    quick: { type: 'boolean' },
    only: { type: 'string' },
    skip: { type: 'string' },
    memory: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  const only = values.only === undefined ? undefined : parseStages('--only', values.only);
  const skip = values.skip === undefined ? [] : parseStages('--skip', values.skip);
  const stages = (only ?? [...STAGES]).filter((stage) => !skip.includes(stage));
  if (stages.length === 0) throw new UsageError('no stage left to run; loosen --only/--skip');
  const quick = values.quick ?? false;
  const counts = quick ? QUICK : FULL;
  return {
    mode: quick ? 'quick' : 'full',
    stages,
    ...counts,
    memorySizesMb: [...new Set(parseMemorySizes(values.memory))],
    warmConnections: 1,
    help: values.help ?? false,
  };
}
