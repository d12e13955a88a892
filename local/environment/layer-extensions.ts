/**
 * Finding external extensions: every executable file in a layer's `extensions/` directory, as
 * Lambda finds them in `/opt/extensions/`.
 */
import { constants } from 'node:fs';
import { access, readdir, stat } from 'node:fs/promises';
import path from 'node:path';

/** An extension executable; `name` is its file name, the name it must register with. */
export interface ExtensionExecutable {
  readonly name: string;
  readonly path: string;
  readonly layer: string;
}

/**
 * The executables of all layers, sorted by name (Lambda's start order). Layers are merged into
 * one `/opt`, so a later layer's file replaces an earlier one's of the same name.
 */
export async function findExtensions(layers: readonly string[]): Promise<ExtensionExecutable[]> {
  const byName = new Map<string, ExtensionExecutable>();
  for (const layer of layers) {
    const dir = path.join(layer, 'extensions');
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      try {
        if (!(await stat(file)).isFile()) continue;
        await access(file, constants.X_OK);
      } catch {
        continue;
      }
      byName.set(name, { name, path: file, layer });
    }
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The code directory's `bootstrap` when it is executable (a custom runtime), else undefined. */
export async function findBootstrap(codeDir: string): Promise<string | undefined> {
  const file = path.join(codeDir, 'bootstrap');
  try {
    if (!(await stat(file)).isFile()) return undefined;
    await access(file, constants.X_OK);
    return file;
  } catch {
    return undefined;
  }
}
