/**
 * Records made on the request path, written together: the first one arms a timer, and everything
 * recorded until it fires (or until `flush`) goes to the store in one write. One write per burst
 * instead of one per record keeps the stores off the front door's event loop, and 50 ms is far
 * below any alarm period (time-scaled ones included) and any console refresh.
 */

/** How long a record waits for others to join its write, at most. */
const WRITE_BATCH_MS = 50;

/** Gathers records for one write; `write` gets each batch and must not reject. */
export class WriteBatch<T> {
  private records: T[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly write: (records: T[]) => Promise<void>) {}

  add(record: T): void {
    this.records.push(record);
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), WRITE_BATCH_MS);
    this.timer.unref();
  }

  /** Hands the records not written yet to `write` (an empty batch too); resolves when it does. */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const records = this.records;
    this.records = [];
    return this.write(records);
  }
}
