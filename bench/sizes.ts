/**
 * Artifact sizes as Lambda counts them: the unzipped bytes (limit 250 MB for function + layers)
 * and the zip that is uploaded (limit 50 MB direct upload).
 */
import { createZip, entriesOf } from './zip-archive';

/** Raw and zipped bytes of one artifact. */
export interface ArtifactSize {
  /** Sum of file sizes, source maps excluded (they are not deployed). */
  rawBytes: number;
  zippedBytes: number;
  files: number;
}

// Source maps are build output for debugging; Lambda packages are built without them.
const deployable = (name: string): boolean => !name.endsWith('.map');

/** Measures the deployable files under `dir`. */
export async function measureArtifact(dir: string): Promise<ArtifactSize> {
  const entries = await entriesOf(dir, deployable);
  const rawBytes = entries.reduce((sum, entry) => sum + entry.data.length, 0);
  return { rawBytes, zippedBytes: createZip(entries).length, files: entries.length };
}
