/**
 * Memory of a process and its descendants, read from /proc (Linux only), split the way Lambda's
 * memory limit feels it. RSS counts the node binary's file-backed text, which in Lambda the
 * extension shares with the runtime process (both run the same /var/lang/bin/node); RssAnon is
 * what the extension alone adds (heap, stacks, JIT code); Pss divides each shared page among the
 * processes that map it, so it lands between the two when another process runs the same binary.
 */
import { readFile } from 'node:fs/promises';

/** Resident memory of a process tree, in MiB. */
export interface TreeMemory {
  readonly rssMb: number;
  /** Anonymous resident memory: the private part no other process can share. */
  readonly rssAnonMb: number;
  /** Proportional set size; 0 where the kernel has no smaps_rollup. */
  readonly pssMb: number;
}

async function childrenOf(pid: number): Promise<number[]> {
  try {
    const tasks = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8');
    return tasks
      .split(/\s+/)
      .filter((text) => text.length > 0)
      .map(Number);
  } catch {
    return [];
  }
}

function kbField(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

async function readOrEmpty(file: string): Promise<string> {
  // The process exited between listing and reading: it holds no memory any more.
  return readFile(file, 'utf8').catch(() => '');
}

/** RSS, RssAnon and Pss of `pid` and every descendant. */
export async function treeMemory(pid: number): Promise<TreeMemory> {
  let rssKb = 0;
  let anonKb = 0;
  let pssKb = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    const status = await readOrEmpty(`/proc/${current}/status`);
    rssKb += kbField(status, 'VmRSS');
    anonKb += kbField(status, 'RssAnon');
    pssKb += kbField(await readOrEmpty(`/proc/${current}/smaps_rollup`), 'Pss');
    pending.push(...(await childrenOf(current)));
  }
  return { rssMb: rssKb / 1024, rssAnonMb: anonKb / 1024, pssMb: pssKb / 1024 };
}

/** Resident set size in MiB of `pid` and every descendant. */
export async function treeRssMb(pid: number): Promise<number> {
  return (await treeMemory(pid)).rssMb;
}
