/**
 * Lambda's Node.js runtimes (18.x and later) search the folders of `NODE_PATH` when an ES module
 * imports a package Node's own resolution does not find: the runtime's AWS SDK, a layer's
 * `/opt/nodejs/node_modules`. Node itself reads `NODE_PATH` for `require` only, so the runtime
 * adds a resolve hook before it imports the handler. It runs in the runtime's thread
 * (`module.registerHooks`, Node 22.15 and later: no loader thread to start during Init); the
 * host's older Node, where it stands in for the runtime's, goes without.
 */
import module from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** `pkg` or `@scope/pkg/sub`: not relative, absolute, a URL or a built-in. */
const isBare = (specifier: string): boolean => !/^(?:\.{0,2}\/|[a-zA-Z][a-zA-Z\d+.-]*:)/.test(specifier);

/**
 * A parent inside `dir`: resolution looks for `node_modules/<package>` from the parent's own
 * directory upwards, so the first lookup that can succeed is `dir` itself. Only a folder named
 * `node_modules` can be searched this way, which is what Lambda's `NODE_PATH` folders with
 * packages are (`/opt/nodejs/node_modules`, `/var/runtime/node_modules`).
 */
const parentIn = (dir: string): string => pathToFileURL(path.join(dir, 'noop.mjs')).href;

type Resolved = { url: string };
type NextResolve = (specifier: string, context?: { parentURL?: string }) => Resolved;

function resolveThrough(dirs: readonly string[]) {
  return (specifier: string, context: { parentURL?: string }, nextResolve: NextResolve): Resolved => {
    try {
      return nextResolve(specifier, context);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !isBare(specifier)) throw error;
      for (const dir of dirs) {
        try {
          return nextResolve(specifier, { ...context, parentURL: parentIn(dir) });
        } catch {
          // Not in this folder: the next one.
        }
      }
      throw error;
    }
  };
}

/** Lets ES modules find packages in the folders of `nodePath` (`NODE_PATH`), as Lambda's runtime does. */
export function searchNodePathForImports(nodePath: string | undefined): void {
  const dirs = (nodePath ?? '').split(':').filter((dir) => path.basename(dir) === 'node_modules');
  if (dirs.length === 0) return;
  const withHooks = module as typeof module & {
    registerHooks?: (hooks: { resolve: ReturnType<typeof resolveThrough> }) => unknown;
  };
  withHooks.registerHooks?.({ resolve: resolveThrough(dirs) });
}
