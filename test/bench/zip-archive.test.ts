import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createZip } from '../../bench/zip-archive';

const run = promisify(execFile);
const scratch: string[] = [];
afterEach(async () => {
  for (const dir of scratch.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('createZip', () => {
  it('writes an archive that Python’s zipfile reads back byte for byte, with modes', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(tmpdir(), 'bench-zip-'));
    scratch.push(dir);
    const text = Buffer.from('x'.repeat(10_000));
    const random = Buffer.from(Array.from({ length: 256 }, (_, index) => (index * 37) % 256));
    const file = path.join(dir, 'layer.zip');
    await writeFile(
      file,
      createZip([
        { name: 'extensions/telemetry-extension', data: text, mode: 0o755 },
        { name: 'data.bin', data: random, mode: 0o644 },
      ]),
    );

    // Act: the real reader checks CRCs and sizes while extracting.
    const { stdout } = await run('python3', [
      '-c',
      'import sys,zipfile;z=zipfile.ZipFile(sys.argv[1]);assert z.testzip() is None;' +
        'print(*[f"{i.filename}:{i.file_size}:{oct(i.external_attr>>16&0o777)}:{len(z.read(i))}" for i in z.infolist()])',
      file,
    ]);

    // Assess
    expect(stdout.trim().split(' ')).toEqual([
      'extensions/telemetry-extension:10000:0o755:10000',
      'data.bin:256:0o644:256',
    ]);
  });

  it('compresses repetitive content well below its raw size', () => {
    // Prepare / Act
    const zip = createZip([{ name: 'a.txt', data: Buffer.from('abc'.repeat(10_000)), mode: 0o644 }]);

    // Assess
    expect(zip.length).toBeLessThan(1_000);
  });
});
