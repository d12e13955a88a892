/** Writes a run's JSON, Markdown and charts under `bench/results/`, named by the run's start time. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunResult } from '../run-result';
import { renderReport } from './markdown-report';

export interface WrittenFiles {
  json: string;
  markdown: string;
  charts: string[];
}

/** `2026-11-27T21-04-05Z`: sortable and valid on every file system. */
function runStamp(startedAt: string): string {
  return startedAt.replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
}

export async function writeResults(result: RunResult, dir: string): Promise<WrittenFiles> {
  await mkdir(dir, { recursive: true });
  const stamp = `${runStamp(result.startedAt)}-${result.mode}`;
  const chartFiles = (chart: string, memoryMb: number) => `${stamp}-${memoryMb}mb-${chart}.svg`;
  const rendered = renderReport(result, chartFiles);
  const json = path.join(dir, `${stamp}.json`);
  const markdown = path.join(dir, `${stamp}.md`);
  await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(markdown, rendered.markdown);
  const charts: string[] = [];
  for (const [name, svg] of Object.entries(rendered.charts)) {
    const file = path.join(dir, name);
    await writeFile(file, svg);
    charts.push(file);
  }
  return { json, markdown, charts };
}
