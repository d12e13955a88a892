/**
 * Reading an append-only file from where the last read stopped. Only complete lines are
 * returned: a line cut mid-write (no newline yet) stays unread until a later read finds it
 * whole, so a writer appending while we read is never seen half-done.
 */
import { open } from 'node:fs/promises';

/** A complete line and where it sits in the file, so it can be read again by position. */
export interface TailLine {
  readonly text: string;
  readonly offset: number;
  /** Bytes of the line without its newline. */
  readonly length: number;
}

const NEWLINE = 0x0a;
/** Bytes read per call: large enough for a whole refresh of a busy store in a few reads. */
const CHUNK_BYTES = 4 * 1024 * 1024;

export class FileTail {
  private offset = 0;

  constructor(readonly file: string) {}

  /** The complete lines appended since the last call; none when the file does not exist yet. */
  async readNew(): Promise<TailLine[]> {
    let handle: Awaited<ReturnType<typeof open>>;
    try {
      handle = await open(this.file, 'r');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const lines: TailLine[] = [];
    try {
      const { size } = await handle.stat();
      // A file shorter than what was read was truncated or replaced: start over.
      if (size < this.offset) this.offset = 0;
      let carry = Buffer.alloc(0);
      let carryStart = this.offset;
      let position = this.offset;
      while (position < size) {
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - position));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
        if (bytesRead === 0) break;
        position += bytesRead;
        const data =
          carry.length > 0
            ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
            : chunk.subarray(0, bytesRead);
        let start = 0;
        for (let end = data.indexOf(NEWLINE); end !== -1; end = data.indexOf(NEWLINE, start)) {
          if (end > start) {
            lines.push({
              text: data.toString('utf8', start, end),
              offset: carryStart + start,
              length: end - start,
            });
          }
          start = end + 1;
        }
        carry = Buffer.from(data.subarray(start));
        carryStart += start;
      }
      this.offset = carryStart;
    } finally {
      await handle.close();
    }
    return lines;
  }
}

/** Reads lines back by position (the latest copy of each segment, for a trace's detail). */
export async function readLinesAt(
  file: string,
  lines: readonly { offset: number; length: number }[],
): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    return await Promise.all(
      lines.map(async ({ offset, length }) => {
        const buffer = Buffer.allocUnsafe(length);
        const { bytesRead } = await handle.read(buffer, 0, length, offset);
        return buffer.toString('utf8', 0, bytesRead);
      }),
    );
  } finally {
    await handle.close();
  }
}
