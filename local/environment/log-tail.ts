/**
 * The tail of one invocation's log, for `X-Amz-Log-Type: Tail`: Lambda returns the last 4 KB of
 * what the function and the extensions printed during the invocation.
 */

/** `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;

interface TailLine {
  readonly text: string;
  /** UTF-8 bytes of the line and its newline. */
  readonly bytes: number;
}

/**
 * The last lines of the log, bounded: a line is dropped as soon as the lines after it fill the
 * 4 KB alone, so a function that prints megabytes holds one line beyond the limit at most.
 */
export class LogTail {
  private lines: TailLine[] = [];
  private bytes = 0;

  push(line: string): void {
    const entry = { text: line, bytes: Buffer.byteLength(line) + 1 };
    this.lines.push(entry);
    this.bytes += entry.bytes;
    for (
      let first = this.lines[0];
      first && this.bytes - first.bytes >= LOG_TAIL_BYTES;
      first = this.lines[0]
    ) {
      this.lines.shift();
      this.bytes -= first.bytes;
    }
  }

  /** Forgets everything (a new invocation starts). */
  clear(): void {
    this.lines = [];
    this.bytes = 0;
  }

  /** The last {@link LOG_TAIL_BYTES} of the lines, each ended by a newline; a cut character becomes U+FFFD. */
  text(): string {
    if (this.lines.length === 0) return '';
    const text = `${this.lines.map((l) => l.text).join('\n')}\n`;
    const bytes = Buffer.from(text);
    return bytes.length <= LOG_TAIL_BYTES
      ? text
      : bytes.subarray(bytes.length - LOG_TAIL_BYTES).toString('utf8');
  }
}
