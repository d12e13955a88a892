/**
 * Cold start and warm path through the local sandbox's HTTP front door.
 */
import type { ColdStartResult, MissingFigure, WarmPathResult } from './run-result';
import type { VariantRuntime } from './variants/build-variants';

const NOT_AVAILABLE =
  'the sandbox entry point (local/sandbox.ts startSandbox) is not available in this checkout';

/** Fresh environments per sample; init duration from the Telemetry API, time to first byte at the front door. */
export async function measureColdStarts(
  _runtimes: VariantRuntime[],
  _samples: number,
  _missing: MissingFigure[],
): Promise<ColdStartResult> {
  throw new Error(NOT_AVAILABLE);
}

/** Sustained load per variant through one warm environment. */
export async function measureWarmPath(
  _runtimes: VariantRuntime[],
  _seconds: number,
  _connections: number,
  _missing: MissingFigure[],
): Promise<WarmPathResult> {
  throw new Error(NOT_AVAILABLE);
}
