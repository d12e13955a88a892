import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WriteBatch } from '../../local/logs/write-batch';

// The write here records its batches: WriteBatch's contract is only with the function it is given;
// the stores behind the real writers are tested through the sandbox (api-gateway-metrics.test.ts).
const recordingBatch = () => {
  const writes: number[][] = [];
  const batch = new WriteBatch<number>(async (records) => {
    writes.push(records);
  });
  return { batch, writes };
};

describe('WriteBatch', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('writes everything recorded within 50 ms of the first record in one write', async () => {
    // Prepare
    const { batch, writes } = recordingBatch();

    // Act
    batch.add(1);
    await vi.advanceTimersByTimeAsync(30);
    batch.add(2);
    batch.add(3);
    await vi.advanceTimersByTimeAsync(19);
    const before = writes.length;
    await vi.advanceTimersByTimeAsync(1);
    batch.add(4);
    await vi.advanceTimersByTimeAsync(50);

    // Assess
    expect(before).toBe(0);
    expect(writes).toEqual([[1, 2, 3], [4]]);
  });

  it('writes at once on flush, and the pending timer writes nothing more', async () => {
    // Prepare
    const { batch, writes } = recordingBatch();
    batch.add(1);

    // Act
    await batch.flush();
    await vi.advanceTimersByTimeAsync(100);

    // Assess
    expect(writes).toEqual([[1]]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('hands an empty batch to the write when flushed with nothing recorded', async () => {
    // Prepare
    const { batch, writes } = recordingBatch();

    // Act
    await batch.flush();

    // Assess
    expect(writes).toEqual([[]]);
  });
});
