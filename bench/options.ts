/**
 * The bench's command line, parsed once into a typed object. Bad input ends the run with one
 * line saying what is wrong and how to fix it.
 */

/** The stages, in the order they run. */
export const STAGES = ['sizes', 'extension-start', 'throughput', 'cold-start', 'warm-path'] as const;
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
}

/** Raised for a command line the bench cannot run; its message is the one line to print. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export const USAGE = `usage: npm run bench -- [--quick] [--only stage,...] [--skip stage,...]   stages: ${STAGES.join(', ')}`;

// Quick mode must finish in under 3 minutes on a shared two-core machine, builds included;
// full mode trades time for tighter percentiles.
const QUICK = {
  coldStarts: 5,
  extensionStarts: 5,
  warmSeconds: 8,
  warmRounds: 2,
  throughputSeconds: 4,
  burstSpans: 50_000,
};
const FULL = {
  coldStarts: 20,
  extensionStarts: 20,
  warmSeconds: 30,
  warmRounds: 5,
  throughputSeconds: 15,
  burstSpans: 200_000,
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

/** Parses the arguments after `npm run bench --`. */
export function parseOptions(argv: readonly string[]): BenchOptions {
  let quick = false;
  let only: Stage[] | undefined;
  let skip: Stage[] = [];
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    if (flag === '--quick') quick = true;
    else if (flag === '--only') only = parseStages(flag, inline ?? argv[++index]);
    else if (flag === '--skip') skip = parseStages(flag, inline ?? argv[++index]);
    else throw new UsageError(`unknown argument "${arg}"; ${USAGE}`);
  }
  const stages = (only ?? [...STAGES]).filter((stage) => !skip.includes(stage));
  if (stages.length === 0) throw new UsageError('no stage left to run; loosen --only/--skip');
  const counts = quick ? QUICK : FULL;
  return { mode: quick ? 'quick' : 'full', stages, ...counts, warmConnections: 1 };
}
