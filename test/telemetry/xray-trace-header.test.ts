import { TraceFlags } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../../functions/telemetry/config';
import { TelemetryConfigError } from '../../functions/telemetry/errors';
import { downstreamTraceHeader, remoteParent, XRayIdGenerator } from '../../functions/telemetry/xray-ids';

describe('Lambda trace header on the tracer side', () => {
  it('continues Root and Parent as a sampled remote parent', () => {
    // Act
    const parent = remoteParent(
      'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1;Lineage=a87bd80c:0',
    );

    // Assess
    expect(parent).toEqual({
      traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
      spanId: '9a9197af755a6419',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
    });
  });

  it('marks the parent unsampled for Sampled=0 and sampled for an undecided header', () => {
    // Act
    const unsampled = remoteParent(
      'Sampled=0;Parent=9a9197af755a6419;Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
    );
    const undecided = remoteParent(
      'Sampled=?;Parent=9a9197af755a6419;Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
    );

    // Assess
    expect(unsampled?.traceFlags).toBe(TraceFlags.NONE);
    expect(undecided?.traceFlags).toBe(TraceFlags.SAMPLED);
  });

  it('yields no parent for a header without Parent or with a malformed Root', () => {
    // Act
    const withoutParent = remoteParent('Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1');
    const malformed = remoteParent('Root=5bef4de7ad49b0e8;Parent=9a9197af755a6419;Sampled=1');

    // Assess
    expect(withoutParent).toBeUndefined();
    expect(malformed).toBeUndefined();
  });

  it('writes a span context as the X-Amzn-Trace-Id of a downstream call', () => {
    // Act
    const header = downstreamTraceHeader({
      traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
      spanId: '0123456789abcdef',
      traceFlags: TraceFlags.SAMPLED,
    });

    // Assess
    expect(header).toBe('Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=0123456789abcdef;Sampled=1');
  });
});

describe('X-Ray id generator', () => {
  it('makes distinct 32-hex trace ids that start with the epoch seconds and 16-hex span ids', () => {
    // Prepare
    const generator = new XRayIdGenerator();
    const before = Math.floor(Date.now() / 1000);

    // Act
    const traceIds = Array.from({ length: 500 }, () => generator.generateTraceId());
    const spanIds = Array.from({ length: 500 }, () => generator.generateSpanId());

    // Assess
    const after = Math.floor(Date.now() / 1000);
    for (const id of traceIds) {
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(Number.parseInt(id.slice(0, 8), 16)).toBeGreaterThanOrEqual(before);
      expect(Number.parseInt(id.slice(0, 8), 16)).toBeLessThanOrEqual(after);
    }
    for (const id of spanIds) expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(new Set(traceIds).size).toBe(500);
    expect(new Set(spanIds).size).toBe(500);
  });
});

describe('telemetry config', () => {
  it('defaults the receiver to 127.0.0.1:4318 and names the function as the service', () => {
    // Act
    const config = readTelemetryConfig({ AWS_LAMBDA_FUNCTION_NAME: 'orders' });

    // Assess
    expect(config.receiverAddress).toBe('127.0.0.1:4318');
    expect(config.serviceName).toBe('orders');
  });

  it('rejects a receiver address that is not host:port, naming the variable', () => {
    // Act
    const read = () => readTelemetryConfig({ TELEMETRY_RECEIVER_ADDRESS: 'http://127.0.0.1:4318/' });

    // Assess
    expect(read).toThrow(TelemetryConfigError);
    expect(read).toThrow(/^TELEMETRY_RECEIVER_ADDRESS: /);
  });

  it('reads OTEL_RESOURCE_ATTRIBUTES as percent-decoded key=value pairs', () => {
    // Act
    const config = readTelemetryConfig({
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod,team=a%2Cb',
    });

    // Assess
    expect(config.resourceAttributes).toEqual({ 'deployment.environment': 'prod', team: 'a,b' });
  });
});
