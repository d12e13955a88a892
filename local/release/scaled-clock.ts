/**
 * The rehearsal's time: CloudWatch time runs `timeScale` times faster than the wall clock from
 * `origin` on (CloudWatch time = origin + (wall − origin) × timeScale), so a five-minute canary
 * passes in five seconds at a scale of 60. The controller's waits and the alarm evaluator read
 * the same clock, which keeps "one evaluation period" the same length for both.
 */

import { pause } from '../../common/deadline';

/** What the alarm evaluator needs to map wall-clock timestamps to CloudWatch time. */
interface TimeScaleSettings {
  readonly timeScale: number;
  /** Wall-clock epoch milliseconds at which both clocks agree. */
  readonly origin: number;
}

/** A wait that ended because the deployment was stopped. */
export class StoppedError extends Error {
  override readonly name = 'StoppedError';
}

export class ScaledClock implements TimeScaleSettings {
  constructor(
    readonly timeScale: number,
    readonly origin: number = Date.now(),
    private readonly wallNow: () => number = Date.now,
  ) {
    if (!(timeScale > 0)) throw new RangeError(`the time scale must be a positive number, got ${timeScale}`);
  }

  /** CloudWatch time now, epoch milliseconds. */
  now(): number {
    return this.toCloudWatch(this.wallNow());
  }

  /** The CloudWatch time of a wall-clock timestamp. */
  toCloudWatch(wallMs: number): number {
    return this.origin + (wallMs - this.origin) * this.timeScale;
  }

  /**
   * Waits `cloudWatchMs` of CloudWatch time.
   * @throws StoppedError when `signal` aborts first
   */
  async sleep(cloudWatchMs: number, signal?: AbortSignal): Promise<void> {
    await pause(cloudWatchMs / this.timeScale, signal);
    if (signal?.aborted) throw new StoppedError('stopped');
  }

  /** Waits until CloudWatch time `cloudWatchMs` (at once when it has passed). */
  sleepUntil(cloudWatchMs: number, signal?: AbortSignal): Promise<void> {
    return this.sleep(cloudWatchMs - this.now(), signal);
  }
}
