import { describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../../extension/src/metric-names';
import { EmfAggregator } from '../../../extension/src/metrics/emf-aggregator';
import { PlatformMetricRecorder } from '../../../extension/src/metrics/platform-metric-recorder';
import {
  platformDocument,
  platformSamples,
  postRuntimeSamples,
  type TelemetryApiEvent,
} from '../../../extension/src/metrics/platform-metrics';

const context = {
  namespace: EXTENSION_METRICS.defaultNamespace,
  functionName: 'todos',
  functionVersion: '7',
};
const START = Date.parse('2026-11-27T20:30:00.123Z');
const TRACING = {
  type: 'X-Amzn-Trace-Id',
  value: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
};

/** What the Telemetry API delivers for `count` invocations, one every 700 ms, with a few faults. */
function invocations(count: number): { events: TelemetryApiEvent[]; postRuntime: number[] } {
  const events: TelemetryApiEvent[] = [
    {
      time: new Date(START - 500).toISOString(),
      type: 'platform.initReport',
      record: {
        initializationType: 'on-demand',
        phase: 'init',
        status: 'success',
        metrics: { durationMs: 180.5 },
      },
    },
  ];
  const postRuntime: number[] = [];
  for (let i = 0; i < count; i++) {
    const at = START + i * 700;
    const requestId = `r-${i}`;
    events.push(
      {
        time: new Date(at).toISOString(),
        type: 'platform.runtimeDone',
        record: {
          requestId,
          status: 'success',
          metrics: { durationMs: 10 + i, producedBytes: 200 + i },
          spans: [{ name: 'responseLatency', start: new Date(at).toISOString(), durationMs: 3.25 + i }],
          ...(i % 4 === 0 ? {} : { tracing: TRACING }),
        },
      },
      {
        time: new Date(at + 5).toISOString(),
        type: 'platform.report',
        record: {
          requestId,
          status: i % 25 === 0 ? 'timeout' : i % 31 === 0 ? 'error' : 'success',
          ...(i % 31 === 0 ? { errorType: 'Runtime.ExitError' } : {}),
          metrics: {
            durationMs: i * 1.5,
            billedDurationMs: i * 2,
            memorySizeMB: 128,
            maxMemoryUsedMB: 60 + (i % 3),
          },
          tracing: TRACING,
        },
      },
    );
    postRuntime.push(at + 7);
  }
  return { events, postRuntime };
}

describe('PlatformMetricRecorder', () => {
  it('drains exactly what the serialized platform documents drain', () => {
    // Prepare
    const { events, postRuntime } = invocations(230);
    const now = () => START;
    const viaDocuments = new EmfAggregator({ now });
    const direct = new EmfAggregator({ now });
    const recorder = new PlatformMetricRecorder(direct, context);

    // Act
    for (const [i, event] of events.entries()) {
      for (const sample of platformSamples(event)) {
        viaDocuments.add(platformDocument(sample, context));
        recorder.record(sample);
      }
      const endedAt = postRuntime[i];
      if (endedAt === undefined) continue;
      const measurement = { requestId: `r-${i}`, durationMs: 0.5 + i / 10, endedAt, traceId: '1-a-b' };
      for (const sample of postRuntimeSamples(measurement)) {
        viaDocuments.add(platformDocument(sample, context));
        recorder.record(sample);
      }
    }

    // Assess
    expect(direct.stats()).toEqual(viaDocuments.stats());
    expect(direct.drain()).toEqual(viaDocuments.drain());
  });

  it('counts and refuses what the serialized documents would have been refused for', () => {
    // Prepare
    const { events } = invocations(3);
    const now = () => START + 15 * 24 * 3_600_000;
    const viaDocuments = new EmfAggregator({ now, maxDocuments: 4 });
    const direct = new EmfAggregator({ now, maxDocuments: 4 });
    const recorder = new PlatformMetricRecorder(direct, context);
    const late = {
      time: new Date(now()).toISOString(),
      type: 'platform.report',
      record: { status: 'success' },
    };

    // Act
    for (const event of [...events, late, late, late, late, late]) {
      for (const sample of platformSamples(event)) {
        viaDocuments.add(platformDocument(sample, context));
        recorder.record(sample);
      }
    }

    // Assess
    expect(direct.stats()).toEqual(viaDocuments.stats());
    expect(direct.stats().dropped).toEqual({ invalid: 7, buffer_full: 1 });
    expect(direct.drain()).toEqual(viaDocuments.drain());
  });

  it('files documents of a context the validator refuses through the validator', () => {
    // Prepare
    const refused = { ...context, namespace: 'AWS/Lambda' };
    const viaDocuments = new EmfAggregator({ now: () => START });
    const direct = new EmfAggregator({ now: () => START });
    const recorder = new PlatformMetricRecorder(direct, refused);

    // Act
    for (const event of invocations(3).events) {
      for (const sample of platformSamples(event)) {
        viaDocuments.add(platformDocument(sample, refused));
        recorder.record(sample);
      }
    }

    // Assess
    expect(direct.stats()).toEqual(viaDocuments.stats());
    expect(direct.stats().accepted).toBe(0);
  });
});
