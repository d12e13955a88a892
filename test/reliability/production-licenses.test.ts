import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = path.resolve('scripts/check-licenses.mjs');
const run = promisify(execFile);

/** Runs the checker in `cwd`; resolves with its exit code and output instead of throwing. */
async function checkLicenses(cwd: string) {
  try {
    const { stdout, stderr } = await run(process.execPath, [SCRIPT], { cwd });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** An installed tree, as npm leaves it: a manifest and node_modules/<name>/package.json. */
async function installedTree(root: string, packages: Record<string, Record<string, unknown>>): Promise<void> {
  const dependencies = Object.fromEntries(Object.keys(packages).map((name) => [name, '1.0.0']));
  await writeFile(
    path.join(root, 'package.json'),
    JSON.stringify({ name: 'fixture', version: '1.0.0', dependencies }),
  );
  for (const [name, fields] of Object.entries(packages)) {
    await mkdir(path.join(root, 'node_modules', name), { recursive: true });
    await writeFile(
      path.join(root, 'node_modules', name, 'package.json'),
      JSON.stringify({ name, version: '1.0.0', ...fields }),
    );
  }
}

describe('production dependency licenses', () => {
  let fixtures: string;
  beforeAll(async () => {
    fixtures = await mkdtemp(path.join(tmpdir(), 'licenses-'));
  });
  afterAll(async () => {
    await rm(fixtures, { recursive: true, force: true });
  });

  it("passes for this project's production dependencies", async () => {
    // Act
    const result = await checkLicenses(process.cwd());

    // Assess
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^licenses: \d+ production packages, all allowed/);
  });

  it('fails naming each package whose license is outside the allow-list or missing', async () => {
    // Prepare
    const root = await mkdtemp(path.join(fixtures, 'refused-'));
    await installedTree(root, {
      'permissive-choice': { license: '(MIT OR GPL-3.0-only)' },
      'copyleft-lib': { license: 'GPL-3.0-only' },
      'network-copyleft': { license: 'AGPL-3.0-or-later' },
      'unlabelled-lib': {},
    });

    // Act
    const result = await checkLicenses(root);

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('copyleft-lib@1.0.0: GPL-3.0-only');
    expect(result.stderr).toContain('network-copyleft@1.0.0: AGPL-3.0-or-later');
    expect(result.stderr).toContain('unlabelled-lib@1.0.0: no license declared');
    expect(result.stderr).not.toContain('permissive-choice');
  });
});
