/**
 * The receiver's memory of the batches it took, by the sender's batch id (`Idempotency-Key`),
 * so that a batch posted again is answered as the first time and not taken twice.
 *
 * Why a sender posts again: it got no answer (a timeout, a reset after the request went out, a
 * freeze of the environment cutting its wait) and cannot tell whether the receiver took the
 * batch. Only the receiver knows, so it keeps the answer it gave and replays it.
 *
 * Why the window is counted in batches, not in time: a repeat follows its first attempt after
 * at most the few batches the same handler sent in between (an environment runs one invocation
 * at a time, each sends one span request and one EMF request), but possibly after a long freeze,
 * during which wall-clock time says nothing. Only answers below 300 are kept: any other answer
 * took nothing, so a repeat must be taken afresh.
 */

/** An answer the receiver gave, as it went on the wire. */
export interface RecordedAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: Buffer;
}

/**
 * Batches remembered. A repeat arrives within a handful of batches of its first attempt; 1,024
 * leaves room for hundreds of invocations in between, and at the contract's 64-character ids and
 * answers of a few dozen bytes it holds well under 200 KB.
 */
const DEFAULT_CAPACITY = 1_024;

/** A bounded, insertion-ordered map of batch id → answer; the oldest id is forgotten first. */
export class RecentBatches {
  readonly #answers = new Map<string, RecordedAnswer>();

  constructor(private readonly capacity: number = DEFAULT_CAPACITY) {}

  /** The answer given to the batch `id` when it was taken, if it is still remembered. */
  answerOf(id: string): RecordedAnswer | undefined {
    return this.#answers.get(id);
  }

  /** Remembers that the batch `id` was taken with `answer`. */
  remember(id: string, answer: RecordedAnswer): void {
    this.#answers.set(id, answer);
    if (this.#answers.size > this.capacity) this.#answers.delete(this.#answers.keys().next().value!);
  }

  /** Batch ids remembered now. */
  get size(): number {
    return this.#answers.size;
  }
}
