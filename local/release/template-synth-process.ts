/**
 * The stack's template synthesized in a child process: loading the CDK and synthesizing take
 * seconds of one thread, which a running sandbox (serving requests, timing invocations) must
 * not lose. The child runs `template-synth.ts` as a program.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import type { SynthesizedTemplate } from './alarm-template';

const run = promisify(execFile);
const PROGRAM = path.join(import.meta.dirname, 'template-synth.ts');
/** The template is tens of kilobytes; the default 1 MB buffer is plenty, this is headroom. */
const MAX_OUTPUT_BYTES = 32 * 1024 * 1024;

/**
 * Synthesizes the todo stack in a child Node (the same binary, with tsx) and parses its output.
 * Rejects with the child's stderr when the synth fails (e.g. `dist/` not built).
 */
export async function synthesizeTemplateApart(): Promise<SynthesizedTemplate> {
  try {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', PROGRAM], {
      cwd: path.resolve(import.meta.dirname, '..', '..'),
      maxBuffer: MAX_OUTPUT_BYTES,
    });
    return JSON.parse(stdout) as SynthesizedTemplate;
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    throw new Error(
      `synthesizing the stack failed${stderr ? `: ${stderr.split('\n').slice(-3).join(' ')}` : ''}`,
      {
        cause: error,
      },
    );
  }
}
