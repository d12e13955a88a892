/**
 * `npm run traces`: prints the latest traces of the local X-Ray store as trees, as the X-Ray
 * console's trace view would show them.
 *
 *   npm run traces                       the 5 latest traces
 *   npm run traces -- --limit 20         the 20 latest
 *   npm run traces -- --trace 1-…        one trace
 *   npm run traces -- --dir path/xray    another store
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULTS } from './config';
import { readStoredOtlp, readStoredSegments } from './xray/trace-store';
import { buildTraceTrees, renderTraceTree } from './xray/trace-tree';

function fail(message: string): never {
  console.error(`traces: ${message}`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { limit?: string; trace?: string; dir?: string };
  try {
    ({ values } = parseArgs({
      strict: true,
      options: { limit: { type: 'string' }, trace: { type: 'string' }, dir: { type: 'string' } },
    }));
  } catch (error) {
    fail(`${(error as Error).message.replace(/\.$/, '')}; use --limit N, --trace ID or --dir DIR`);
  }
  const limit = values.limit === undefined ? 5 : Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1)
    fail(`--limit needs a whole number above 0, got "${values.limit}"`);
  const dir = path.resolve(values.dir ?? path.join(DEFAULTS.stateDir, 'xray'));

  const trees = buildTraceTrees(await readStoredSegments(dir));
  const selected = values.trace ? trees.filter((tree) => tree.traceId === values.trace) : trees.slice(-limit);
  if (selected.length === 0) {
    console.log(
      values.trace ? `No trace ${values.trace} in ${dir}` : `No traces in ${dir} yet: call the API first`,
    );
  }
  console.log(selected.map(renderTraceTree).join('\n\n'));
  const otlp = await readStoredOtlp(dir);
  if (otlp.length > 0)
    console.log(`\n(${otlp.length} OTLP payloads kept raw in ${path.join(dir, 'otlp.jsonl')})`);
}

await main();
