/** What the run happened on, recorded with every result so figures are never read without it. */
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { ROOT } from './paths';
import type { MachineInfo } from './run-result';

const run = promisify(execFile);

async function git(args: string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', args, { cwd: ROOT });
    return stdout.trim();
  } catch {
    // Not a checkout (e.g. an unpacked archive): the commit is then reported as unknown.
    return undefined;
  }
}

export async function describeMachine(): Promise<MachineInfo> {
  const cpus = os.cpus();
  const commit = (await git(['rev-parse', '--short=12', 'HEAD'])) ?? 'unknown';
  const status = await git(['status', '--porcelain', '--untracked-files=no']);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGb: os.totalmem() / 1024 ** 3,
    platform: `${os.type()} ${os.release()}`,
    arch: os.arch(),
    nodeVersion: process.version,
    commit,
    dirty: status !== undefined && status.length > 0,
    loadAverageAtStart: os.loadavg()[0] ?? 0,
  };
}
