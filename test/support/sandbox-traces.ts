/**
 * Reading a trace out of the sandbox's X-Ray store. The extension exports after the
 * response, so a test polls until the trace holds what it waits for.
 */
import type { Sandbox } from '../../local/sandbox';
import { readStoredSegments, type StoredSegment } from '../../local/xray/trace-store';
import { eventually } from './eventually';

/** The stored segments of trace `root` once `done` accepts them. */
export function waitForTrace(
  sandbox: Sandbox,
  root: string,
  done: (segments: StoredSegment[]) => boolean,
): Promise<StoredSegment[]> {
  return eventually(async () => {
    await sandbox.traces.flush();
    return (await readStoredSegments(sandbox.paths.xray)).filter(
      (segment) => segment.document.trace_id === root,
    );
  }, done);
}
