/**
 * Reading a trace out of the sandbox's X-Ray store. The extension exports after the
 * response, so a test polls until the trace holds what it waits for; the test's own
 * timeout bounds the wait.
 */
import type { Sandbox } from '../../local/sandbox';
import { readStoredSegments, type StoredSegment } from '../../local/xray/trace-store';

/** The stored segments of trace `root` once `done` accepts them. */
export async function waitForTrace(
  sandbox: Sandbox,
  root: string,
  done: (segments: StoredSegment[]) => boolean,
): Promise<StoredSegment[]> {
  for (;;) {
    await sandbox.traces.flush();
    const segments = (await readStoredSegments(sandbox.paths.xray)).filter(
      (segment) => segment.document.trace_id === root,
    );
    if (done(segments)) return segments;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
