/**
 * Bytes of EMF written per 1,000 requests through the real pipeline: the built handler and
 * extension in the sandbox (batched: the extension's aggregated lines) against the same traffic
 * with no extension (unbatched: the handler's own documents on stdout, exactly what it would
 * otherwise post to the extension). Run: `npx tsx test/metrics/measure-emf-bytes.ts [requests]`
 * after `npm run build`; `TELEMETRY_FLUSH` picks the extension's flush mode.
 */
import { parseEmfDocument } from '../../local/logs/emf';
import { type RecordingSandbox, startRecordingSandbox } from './support/recording-sandbox';

const REQUESTS = Number(process.argv[2] ?? 1000);
const FLUSH_MODE = process.env.TELEMETRY_FLUSH;

interface Volume {
  lines: number;
  bytes: number;
}

function volumeOf(recording: RecordingSandbox, stream: 'function' | 'extension', namespace?: string): Volume {
  const volume = { lines: 0, bytes: 0 };
  for (const entry of recording.lines) {
    if (entry.stream !== stream) continue;
    const document = parseEmfDocument(entry.line);
    if (!document) continue;
    const directives =
      (document._aws as { CloudWatchMetrics?: { Namespace?: string }[] }).CloudWatchMetrics ?? [];
    if (namespace !== undefined && !directives.some((d) => d.Namespace === namespace)) continue;
    volume.lines++;
    // One log event per line; the newline is what stdout carries besides the document.
    volume.bytes += Buffer.byteLength(entry.line) + 1;
  }
  return volume;
}

async function drive(withLayer: boolean): Promise<RecordingSandbox> {
  const recording = await startRecordingSandbox({
    concurrency: 1,
    withLayer,
    ...(FLUSH_MODE ? { environment: { TELEMETRY_FLUSH: FLUSH_MODE } } : {}),
  });
  const { apiUrl } = recording.sandbox;
  try {
    for (let i = 0; i < REQUESTS; i++) {
      const response =
        i % 2 === 0
          ? await fetch(`${apiUrl}/todos`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ text: `todo ${i}` }),
            })
          : await fetch(`${apiUrl}/todos/0190aaaa-0000-7000-8000-000000000000`);
      await response.arrayBuffer();
    }
  } finally {
    await recording.sandbox.close();
  }
  return recording;
}

const started = Date.now();
const batched = await drive(true);
const unbatched = await drive(false);
const per1000 = (volume: Volume) => Math.round((volume.bytes * 1000) / REQUESTS);
const handlerBatched = volumeOf(batched, 'extension', 'TodoApi');
const platformAndSelf = volumeOf(batched, 'extension', 'LambdaTelemetry');
const handlerUnbatched = volumeOf(unbatched, 'function');
console.log(
  JSON.stringify(
    {
      requests: REQUESTS,
      flushMode: FLUSH_MODE ?? 'default',
      handlerEmfUnbatched: { ...handlerUnbatched, bytesPer1000: per1000(handlerUnbatched) },
      handlerEmfBatched: { ...handlerBatched, bytesPer1000: per1000(handlerBatched) },
      platformAndSelfEmf: { ...platformAndSelf, bytesPer1000: per1000(platformAndSelf) },
      ratio: Number((handlerUnbatched.bytes / Math.max(1, handlerBatched.bytes)).toFixed(2)),
      seconds: Math.round((Date.now() - started) / 1000),
    },
    null,
    2,
  ),
);
await batched.close();
await unbatched.close();
