/**
 * A rehearsal's report, `<state dir>/releases/<deployment id>.json`: written when the deployment
 * starts, again as each minute and event comes in, and a last time with the verdict, so a reader
 * (the operator console) follows a running release and finds finished ones.
 */
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { DeploymentEvent, Verdict } from './deployment-controller';
import type { TimelineMinute } from './release-timeline';

/** `InProgress` until the deployment ends, then its verdict. */
type ReleaseStatus = 'InProgress' | Verdict;

export interface ReleaseReport {
  readonly deploymentId: string;
  /** The deployment configuration's name. */
  readonly config: string;
  readonly stableVersion: string;
  readonly targetVersion: string;
  readonly status: ReleaseStatus;
  /** The verdict's reason once there is one. */
  readonly reason?: string;
  /** CloudWatch time the deployment started (epoch ms). */
  readonly startedAt: number;
  /** Wall-clock time of this write. */
  readonly updatedAt: number;
  /** CloudWatch minutes per wall-clock minute. */
  readonly timeScale: number;
  readonly rps: number;
  /** What customers got over the whole rehearsal; set with the verdict. */
  readonly customers?: { readonly requests: number; readonly serverErrors: number };
  readonly events: readonly DeploymentEvent[];
  readonly timeline: readonly TimelineMinute[];
}

/** A report file that is not a report: names the file and what is wrong. */
class ReleaseReportError extends Error {
  override readonly name = 'ReleaseReportError';
}

const fileOf = (directory: string, deploymentId: string): string =>
  path.join(directory, `${deploymentId}.json`);

/** CodeDeploy's deployment ids: `d-` and nine upper-case letters or digits. */
const DEPLOYMENT_ID = /^d-[A-Z0-9]{9}$/;

/** Writes the report whole: to a temporary name, then renamed, so a reader never sees half of it. */
export async function writeReleaseReport(directory: string, report: ReleaseReport): Promise<string> {
  await mkdir(directory, { recursive: true });
  const file = fileOf(directory, report.deploymentId);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(report, null, 2)}\n`);
  await rename(temporary, file);
  return file;
}

const isReport = (value: unknown): value is ReleaseReport => {
  const report = value as Partial<ReleaseReport> | null;
  return (
    typeof report === 'object' &&
    report !== null &&
    typeof report.deploymentId === 'string' &&
    typeof report.status === 'string' &&
    Array.isArray(report.timeline) &&
    Array.isArray(report.events)
  );
};

/** One report, or `undefined` when there is none by that id. */
export async function readReleaseReport(
  directory: string,
  deploymentId: string,
): Promise<ReleaseReport | undefined> {
  if (!DEPLOYMENT_ID.test(deploymentId)) return undefined;
  const file = fileOf(directory, deploymentId);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ReleaseReportError(`${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  if (!isReport(parsed)) throw new ReleaseReportError(`${file} is not a release report`);
  return parsed;
}

/** Every report in the directory, newest first; files that are not reports are skipped. */
export async function readReleaseReports(directory: string): Promise<ReleaseReport[]> {
  let names: string[];
  try {
    names = await readdir(directory);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const reports: ReleaseReport[] = [];
  for (const name of names) {
    if (!name.endsWith('.json')) continue;
    const report = await readReleaseReport(directory, name.slice(0, -'.json'.length)).catch(() => undefined);
    if (report) reports.push(report);
  }
  return reports.sort((a, b) => b.startedAt - a.startedAt);
}
