/**
 * Resident memory of a process and its descendants, read from /proc (Linux only). An extension
 * launched through a shell script may run as a child, so the whole tree is counted.
 */
import { readFile } from 'node:fs/promises';

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

async function rssKbOf(pid: number): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    // The process exited between listing and reading: it holds no memory any more.
    return 0;
  }
}

/** Resident set size in MiB of `pid` and every descendant. */
export async function treeRssMb(pid: number): Promise<number> {
  let totalKb = 0;
  const pending = [pid];
  while (pending.length > 0) {
    const current = pending.pop()!;
    totalKb += await rssKbOf(current);
    pending.push(...(await childrenOf(current)));
  }
  return totalKb / 1024;
}
