/**
 * The stack's CloudFormation template, synthesized in process for local tools, the way
 * `cdk synth` builds it (cdk.json's context) but without the synth-time validation, which
 * takes most of the time and does not change the template.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTodoApp } from '../../infra/todo-app';
import type { SynthesizedTemplate } from './alarm-template';

const root = path.resolve(import.meta.dirname, '..', '..');

/**
 * Synthesizes the todo stack and returns its template. Needs the built `dist/` (as `cdk synth`
 * does); `context` overrides cdk.json's context, as `-c key=value` would.
 *
 * @example
 * const template = synthesizeTemplate({ canaryMinutes: '2' });
 */
export function synthesizeTemplate(context: Record<string, unknown> = {}): SynthesizedTemplate {
  const cdkJson = JSON.parse(readFileSync(path.join(root, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  const outdir = mkdtempSync(path.join(tmpdir(), 'todo-synth-'));
  try {
    const { app, stack } = createTodoApp(
      { outdir, context: { ...cdkJson.context, ...context } },
      { validate: false },
    );
    return app.synth().getStackArtifact(stack.artifactId).template as SynthesizedTemplate;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

// Run as a program (`node --import tsx template-synth.ts`), it prints the template as JSON: the
// console synthesizes in a child process so the sandbox's event loop never waits for the CDK.
if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  process.stdout.write(JSON.stringify(synthesizeTemplate()));
}
