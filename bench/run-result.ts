/**
 * The shape of one benchmark run as written to `bench/results/<stamp>.json`. Every measured
 * quantity is a {@link Summary} (median, p90, p99, spread) so a reader can judge the noise.
 */
import type { RuntimeNode } from '../local/environment/runtime-node';
import type { EnvironmentResources } from '../local/environment/types';
import type { CostAssumptions, CostEstimate } from './cost-model';
import type { ArtifactSize } from './sizes';
import type { Summary } from './statistics';

/** The four builds of the same todo handler that the bench compares. */
export type VariantId = 'none' | 'ours' | 'adot' | 'powertools';

/** Where and on what the run happened. */
export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  platform: string;
  arch: string;
  nodeVersion: string;
  commit: string;
  /** True when the work tree had uncommitted changes to tracked files. */
  dirty: boolean;
  /** 1-minute load average at the start: the machine is shared, so read figures against it. */
  loadAverageAtStart: number;
}

/** One variant's artifacts. */
export interface VariantSizes {
  id: VariantId;
  label: string;
  /** The function's deployment package. */
  handler: ArtifactSize;
  /** Layers the variant adds (the extension layer, the OpenTelemetry wrapper layer), if any. */
  layer?: ArtifactSize;
}

interface ColdStartFigures {
  /** `initDurationMs` of the first `platform.report` of a fresh environment. */
  initMs: Summary;
  /** From sending the request to the first response byte at the HTTP front door. */
  firstByteMs: Summary;
  /** `platform.report` billedDurationMs of the first invoke. */
  firstInvokeBilledMs: Summary;
}

export interface ColdStartResult {
  samplesPerVariant: number;
  byVariant: Partial<Record<VariantId, ColdStartFigures>>;
}

/** One extension build (or floor) started against an Extensions API endpoint. */
export interface ExtensionStartSubject {
  id: string;
  label: string;
  /** Process spawn → `register` request received. */
  registerMs: Summary;
  /** Process spawn → first `event/next` (its init done). */
  readyMs: Summary;
  /** Resident set of the extension's processes when it first waits on `event/next`. */
  rssMb: Summary;
  /**
   * Its anonymous part: what the extension itself adds. The rest is mostly the Node binary's
   * text, which in Lambda the function's runtime maps from the same file.
   */
  rssAnonMb: Summary;
  /** `platform.initStart` → this extension's `platform.extension` in the sandbox core (ms resolution). */
  sandboxRegisterMs?: Summary;
}

export interface ExtensionStartResult {
  /** `sandbox` when the sandbox core's Extensions API served the runs, `bench-probe` for the bench's own measurement endpoint. */
  endpoint: 'sandbox' | 'bench-probe';
  runsPerSubject: number;
  subjects: ExtensionStartSubject[];
  /** Builds that were looked for and not found (e.g. a single-executable build). */
  missingBuilds: string[];
}

/** Warm sustained load through the HTTP front door for one variant. */
export interface WarmPathFigures {
  durationSec: number;
  connections: number;
  requests: number;
  errors: number;
  /** Requests per second, one sample per second of the run. */
  throughputRps: Summary;
  /** Client-side latency of every request. */
  latencyMs: Summary;
  /** `platform.report` durationMs. */
  functionDurationMs: Summary;
  billedDurationMs: Summary;
  /** `platform.report` end minus `platform.runtimeDone`: what extensions add after the response. */
  postRuntimeMs: Summary;
  /** `platform.report` maxMemoryUsedMB: function and extensions together, as the environment measures it. */
  maxMemoryUsedMb: Summary;
  /** Latency histogram (bucket counts over [0, histogramUpperMs)). */
  latencyHistogram: number[];
  histogramUpperMs: number;
}

export interface WarmPathResult {
  byVariant: Partial<Record<VariantId, WarmPathFigures>>;
}

export interface ExtensionThroughputResult {
  spans: number;
  /** Spans per second accepted by the receiver (HTTP 2xx), client measured. */
  receivedSpansPerSec: Summary;
  /** Spans per second that reached the null sink. */
  exportedSpansPerSec: number;
  exportedSpans: number;
  droppedSpans: number;
  /** Resident memory before and at peak during a burst far above the buffer. */
  burstSpans: number;
  rssMbBefore: number;
  rssMbPeak: number;
  rssMbAfter: number;
}

/** How the sandbox sized the environments of one memory setting: its resources, as it reports them. */
type EnvironmentSizing = EnvironmentResources & { memoryMb: number };

/** The project's variant exporting to a backend that accepts connections and never answers. */
export interface PostRuntimeBudgetFigures {
  /** The extension's post-runtime budget it ran with. */
  budgetMs: number;
  /** The export timeout, far above the budget: what an invoke phase would last without it. */
  exportTimeoutMs: number;
  /** `platform.report` minus `platform.runtimeDone` durations, as the platform measures it. */
  postRuntimeMs: Summary;
}

/** Cold start, warm path and cost at one Lambda memory size. */
export interface MemorySizeResult {
  sizing: EnvironmentSizing;
  coldStart?: ColdStartResult;
  warmPath?: WarmPathResult;
  postRuntimeBudget?: PostRuntimeBudgetFigures;
  cost?: CostResult;
}

export interface CostResult {
  assumptions: CostAssumptions;
  byVariant: Partial<Record<VariantId, CostEstimate[]>>;
  article: ReadonlyArray<{ runtime: string; dollarsPerMillion: number }>;
}

/** A target the project aims at, with where this run stands (never asserted, only reported). */
export interface TargetStatus {
  name: string;
  target: string;
  measured: string;
  /** undefined when the figures it needs were not measured in this run. */
  met: boolean | undefined;
}

/** A stage (or part of one) that produced no figures, and why. */
export interface MissingFigure {
  stage: string;
  reason: string;
}

export interface RunResult {
  schemaVersion: 2;
  mode: 'quick' | 'full';
  command: string;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  variants: Array<{ id: VariantId; label: string; description: string }>;
  /** The Node every variant's function and extensions ran on (its path left out). */
  runtimeNode: Omit<RuntimeNode, 'path'>;
  sizes: VariantSizes[];
  /** One entry per Lambda memory size measured, in the order of `--memory`. */
  bySize: MemorySizeResult[];
  extensionStart?: ExtensionStartResult;
  extensionThroughput?: ExtensionThroughputResult;
  targets: TargetStatus[];
  missing: MissingFigure[];
}
