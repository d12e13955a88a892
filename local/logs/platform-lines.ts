/**
 * The lines Lambda itself writes to a function's log stream, derived from the Telemetry API
 * platform events with the same figures. In the Text format: `INIT_START`, `START`, `END`,
 * `REPORT`, `INIT_REPORT` on a failed init, `Task timed out` (tab-separated fields). In the JSON
 * format the events themselves, `{"time","type","record"}`, as Lambda writes its system logs at
 * the default INFO level: `platform.initStart`, `platform.initReport`, `platform.start`,
 * `platform.runtimeDone` and `platform.report` (a timeout is `record.status` `timeout`).
 */
import type { LogFormat, PlatformEvent } from '../environment/types';
import { parseTraceHeader } from '../xray/trace-header';

type Fields = Record<string, unknown>;

const isRecord = (value: unknown): value is Fields => typeof value === 'object' && value !== null;
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const number = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
const ms = (value: number | undefined): string => `${(value ?? 0).toFixed(2)} ms`;

/** The `XRAY …` line of a REPORT, present only for sampled invocations. */
function xrayLine(tracing: unknown): string | undefined {
  if (!isRecord(tracing)) return undefined;
  const header = parseTraceHeader(text(tracing.value));
  if (!header?.sampled) return undefined;
  const segmentId = text(tracing.spanId) ?? header.parent;
  return `XRAY TraceId: ${header.root}\tSegmentId: ${segmentId ?? ''}\tSampled: true`;
}

function reportLine(record: Fields): string {
  const metrics = isRecord(record.metrics) ? record.metrics : {};
  const fields = [
    `REPORT RequestId: ${text(record.requestId) ?? ''}`,
    `Duration: ${ms(number(metrics.durationMs))}`,
    `Billed Duration: ${number(metrics.billedDurationMs) ?? 0} ms`,
    `Memory Size: ${number(metrics.memorySizeMB) ?? 0} MB`,
    `Max Memory Used: ${number(metrics.maxMemoryUsedMB) ?? 0} MB`,
  ];
  const initDuration = number(metrics.initDurationMs);
  if (initDuration !== undefined) fields.push(`Init Duration: ${ms(initDuration)}`);
  const status = text(record.status);
  if (status && status !== 'success') {
    fields.push(`Status: ${status}`);
    const errorType = text(record.errorType);
    if (errorType) fields.push(`Error Type: ${errorType}`);
  }
  const report = `${fields.join('\t')}\t`;
  const xray = xrayLine(record.tracing);
  return xray ? `${report}\n${xray}` : report;
}

/** The platform events Lambda writes as system log lines in the JSON format, at level INFO. */
const JSON_SYSTEM_EVENTS: ReadonlySet<string> = new Set([
  'platform.initStart',
  'platform.initReport',
  'platform.start',
  'platform.runtimeDone',
  'platform.report',
]);

/**
 * The log events Lambda writes for one platform event (usually none or one).
 * `timeoutSec` is the function's timeout, quoted in the `Task timed out` line.
 */
export function platformLogLines(
  event: PlatformEvent,
  timeoutSec: number,
  logFormat: LogFormat = 'Text',
): string[] {
  const record = isRecord(event.record) ? event.record : {};
  if (logFormat === 'JSON') {
    return JSON_SYSTEM_EVENTS.has(event.type)
      ? [JSON.stringify({ time: event.time, type: event.type, record })]
      : [];
  }
  const requestId = text(record.requestId) ?? '';
  switch (event.type) {
    case 'platform.initStart': {
      const version = text(record.runtimeVersion);
      const arn = text(record.runtimeVersionArn);
      if (!version) return ['INIT_START'];
      return [`INIT_START Runtime Version: ${version}${arn ? `\tRuntime Version ARN: ${arn}` : ''}`];
    }
    case 'platform.initReport': {
      const status = text(record.status);
      if (!status || status === 'success') return [];
      const metrics = isRecord(record.metrics) ? record.metrics : {};
      const errorType = text(record.errorType);
      const fields = [
        `INIT_REPORT Init Duration: ${ms(number(metrics.durationMs))}`,
        `Phase: ${text(record.phase) ?? 'init'}`,
        `Status: ${status}`,
        ...(errorType ? [`Error Type: ${errorType}`] : []),
      ];
      return [fields.join('\t')];
    }
    case 'platform.start':
      return [`START RequestId: ${requestId} Version: ${text(record.version) ?? '$LATEST'}`];
    case 'platform.runtimeDone':
      return text(record.status) === 'timeout'
        ? [`${event.time} ${requestId} Task timed out after ${timeoutSec.toFixed(2)} seconds`]
        : [];
    case 'platform.report':
      return [`END RequestId: ${requestId}`, reportLine(record)];
    default:
      return [];
  }
}
