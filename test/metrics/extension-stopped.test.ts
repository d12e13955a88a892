import { readdir, readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { TODO_METRICS } from '../../functions/todos/metric-names';
import { eventually } from '../support/eventually';
import {
  dataPoints,
  emfLines,
  type RecordingSandbox,
  recordsOf,
  startRecordingSandbox,
} from './support/recording-sandbox';

// The built todo handler with the built extension layer in the sandbox. Lambda resets an
// environment whose extension dies (the sandbox does the same): the next request starts a new
// one. No payload-size data point may go missing on the way, nor be counted twice.
let recording: RecordingSandbox | undefined;

afterEach(async () => {
  await recording?.close();
  recording = undefined;
});

async function post(apiUrl: string, text: string): Promise<number> {
  const body = JSON.stringify({ text });
  const response = await fetch(`${apiUrl}/todos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  await response.arrayBuffer();
  expect(response.status).toBe(201);
  return Buffer.byteLength(body);
}

/**
 * Pids of the extension processes started from under `stateDir` (the launcher execs node on the
 * bundle; a published version runs a copy of the layer made under the sandbox's state directory).
 */
async function extensionPids(stateDir: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(stateDir) && cmdline.includes('telemetry-extension/index.mjs'))
      pids.push(Number(entry));
  }
  return pids;
}

async function gone(pid: number): Promise<void> {
  // Gone from /proc once the sandbox has reaped it, which is when it learns of the exit.
  await eventually(
    () =>
      readFile(`/proc/${pid}/stat`, 'utf8').then(
        () => true,
        () => false,
      ),
    (listed) => !listed,
  );
}

const payloadSizes = async (rec: RecordingSandbox) =>
  dataPoints(
    (
      await rec.sandbox.metrics.query({
        namespace: TODO_METRICS.defaultNamespace,
        metricName: TODO_METRICS.requestSize,
      })
    ).filter((m) => Object.keys(m.dimensions).length === 3),
  );

describe('when the extension is stopped mid-run', () => {
  it('keeps every payload-size data point when the extension is killed between requests', async () => {
    // Prepare: not frozen between requests, so the extension can die while the environment is
    // idle (a process in a frozen cgroup would only take the signal at the next thaw).
    // The extension's process is found by the path it started from: the host's view.
    recording = await startRecordingSandbox({ concurrency: 1, freeze: false, shareHost: true });
    const { apiUrl } = recording.sandbox;
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) sizes.push(await post(apiUrl, 'before'.repeat(i + 1)));
    // The caller has its response before the invoke phase ends (the extension still exports
    // after it); the report marks the end, when the environment is idle between requests.
    const { platform } = recording;
    await eventually(
      () => recordsOf(platform, 'platform.report'),
      (reports) => reports.length >= 3,
    );
    const [pid] = await extensionPids(recording.stateDir);

    // Act
    process.kill(pid!, 'SIGKILL');
    await gone(pid!);
    for (let i = 0; i < 3; i++) sizes.push(await post(apiUrl, 'after!'.repeat(i + 5)));
    await recording.sandbox.close();

    // Assess
    expect(recordsOf(recording.platform, 'platform.initReport')).toHaveLength(2);
    expect(await payloadSizes(recording)).toEqual([...sizes].sort((a, b) => a - b));
    const coldStarts = await recording.sandbox.metrics.query({ metricName: TODO_METRICS.coldStart });
    expect(dataPoints(coldStarts)).toEqual([1, 1]);
  });

  it('falls back to stdout EMF in the function log when no extension runs, every data point extracted', async () => {
    // Prepare
    recording = await startRecordingSandbox({ concurrency: 1, withLayer: false });
    const { apiUrl } = recording.sandbox;

    // Act
    const sizes: number[] = [];
    for (let i = 0; i < 4; i++) sizes.push(await post(apiUrl, 'fallback'.repeat(i + 1)));
    await recording.sandbox.close();

    // Assess
    // One document per request (sizes and outcome, a directive each), plus the cold-start one.
    expect(emfLines(recording.lines, 'function')).toHaveLength(4 + 1);
    expect(await payloadSizes(recording)).toEqual([...sizes].sort((a, b) => a - b));
    const coldStarts = await recording.sandbox.metrics.query({ metricName: TODO_METRICS.coldStart });
    expect(dataPoints(coldStarts)).toEqual([1]);
  });
});
