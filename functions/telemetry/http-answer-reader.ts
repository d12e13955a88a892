/**
 * Reads the answers to HTTP/1.1 requests pipelined on one connection, in order: each answer's
 * status code as soon as its head is in, then its body as far as its framing (`content-length`
 * or chunked) says, so that the next answer's head is found where this one ends. An answer
 * that announces `connection: close`, or whose body runs until close, ends what the connection
 * can carry: its status still counts, but no later answer can be read after it.
 */

/** Where the reader is within the current answer. */
type Part =
  /** The status line and headers (also: between answers). */
  | 'head'
  /** The size line of the next chunk of a chunked body. */
  | 'chunk-size'
  /** The trailer section that ends a chunked body, line by line. */
  | 'trailer';

export class AnswerReader {
  /** False once an answer ruled out reading another one after it on this connection. */
  usable = true;
  #part: Part = 'head';
  // Bytes to pass over before the next part: a body, or a chunk and its CRLF.
  #skip = 0;
  // Text of the current part not yet complete, as latin1 (one character per byte).
  #held = '';

  /** True between answers: nothing of an answer is left to read. */
  get idle(): boolean {
    return this.#part === 'head' && this.#held === '' && this.#skip === 0;
  }

  /** Feeds bytes; returns the status codes of the answers whose heads completed in them, in order. */
  push(chunk: Buffer): number[] {
    const statuses: number[] = [];
    const text = chunk.toString('latin1');
    let offset = 0;
    while (offset < text.length && this.usable) {
      if (this.#skip > 0) {
        const skipped = Math.min(this.#skip, text.length - offset);
        this.#skip -= skipped;
        offset += skipped;
        continue;
      }
      const held = this.#held.length;
      const pending = held === 0 ? text.slice(offset) : this.#held + text.slice(offset);
      const delimiter = this.#part === 'head' ? '\r\n\r\n' : '\r\n';
      const end = pending.indexOf(delimiter);
      if (end < 0) {
        this.#held = pending;
        break;
      }
      this.#held = '';
      offset += end + delimiter.length - held;
      const part = pending.slice(0, end);
      if (this.#part === 'head') statuses.push(this.#readHead(part));
      else if (this.#part === 'chunk-size') this.#readChunkSize(part);
      else if (part === '') this.#part = 'head';
    }
    return statuses;
  }

  #readHead(head: string): number {
    const match = /^HTTP\/1\.([01]) (\d{3})/.exec(head);
    const length = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head);
    const chunked = /\r\ntransfer-encoding:[^\r]*chunked/i.test(head);
    if (match === null || match[1] !== '1' || /\r\nconnection:[ \t]*close/i.test(head)) this.usable = false;
    else if (chunked) this.#part = 'chunk-size';
    else if (length !== null) this.#skip = Number(length[1]);
    // Neither: the body runs until the connection closes.
    else this.usable = false;
    return match ? Number(match[2]) : 500;
  }

  #readChunkSize(line: string): void {
    const size = Number.parseInt(line, 16);
    if (Number.isNaN(size)) this.usable = false;
    else if (size === 0) this.#part = 'trailer';
    else this.#skip = size + 2;
  }
}
