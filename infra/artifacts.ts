import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The built artifacts the stack deploys: the same files the local sandbox runs, written by
 * `npm run build` (scripts/build.mjs).
 */
export const ARTIFACTS = {
  /** The todo handler bundle (`index.mjs`, handler `index.handler`). */
  todoFunction: path.join(root, 'dist', 'functions', 'todos'),
  /** The telemetry extension layer (`extensions/telemetry-extension` + its bundle). */
  extensionLayer: path.join(root, 'dist', 'layer'),
  /** The pre-traffic hook bundle (`index.mjs`, handler `index.handler`). */
  deployHook: path.join(root, 'dist', 'functions', 'deploy-hook'),
} as const;

/** Thrown when an artifact has not been built; the message says how to build it. */
class MissingArtifactError extends Error {
  override readonly name = 'MissingArtifactError';
}

/** Fails fast, naming the missing directory, instead of letting CDK stage an empty asset. */
export const assertArtifactsBuilt = (): void => {
  const missing = Object.values(ARTIFACTS).filter((dir) => !existsSync(dir));
  if (missing.length > 0) {
    throw new MissingArtifactError(
      `missing build output ${missing.map((dir) => path.relative(root, dir)).join(', ')}; run "npm run build" first`,
    );
  }
};
