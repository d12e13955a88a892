/**
 * The floors an extension's start is compared against: programs that only register and wait on
 * `event/next`, one in C and one in plain JavaScript on Node, laid out as layers.
 */
import { execFile } from 'node:child_process';
import { chmod, copyFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { BENCH_DIST, ROOT } from '../paths';
import type { StartSubject } from './extension-start';

const run = promisify(execFile);

/** Compiles the C floor and lays out both floors as layers (`extensions/<name>`). */
export async function buildFloors(): Promise<StartSubject[]> {
  const source = path.join(ROOT, 'bench', 'extension-start');
  const cLayer = path.join(BENCH_DIST, 'floor-c', 'extensions');
  const jsLayer = path.join(BENCH_DIST, 'floor-js');
  await mkdir(cLayer, { recursive: true });
  await mkdir(path.join(jsLayer, 'extensions'), { recursive: true });
  const cExecutable = path.join(cLayer, 'floor-c');
  await run('gcc', ['-O2', '-s', '-o', cExecutable, path.join(source, 'floor-extension.c')]);
  await copyFile(path.join(source, 'floor-extension.mjs'), path.join(jsLayer, 'floor-js.mjs'));
  // Same launcher form as the project's layer (sh exec node), so the comparison isolates the code.
  const jsLauncher = path.join(jsLayer, 'extensions', 'floor-js');
  // The registered name must be the launcher's file name, which node's argv no longer shows.
  await writeFile(
    jsLauncher,
    '#!/bin/sh\nFLOOR_EXTENSION_NAME="$(basename "$0")"\nexport FLOOR_EXTENSION_NAME\nexec node "$(dirname "$0")/../floor-js.mjs"\n',
  );
  await chmod(jsLauncher, 0o755);
  return [
    { id: 'floor-c', label: 'floor: C (register + next)', executable: cExecutable },
    { id: 'floor-js', label: 'floor: plain JavaScript on Node', executable: jsLauncher },
  ];
}
