import { describe, expect, it } from 'vitest';
import { readConfig } from '../../extension/src/config';
import { ConfigError } from '../../extension/src/errors';

const base = { AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001', AWS_REGION: 'eu-west-1' };

describe('extension config', () => {
  it('applies Lambda defaults: X-Ray over PutTraceSegments at the regional endpoint, receiver on 4318', () => {
    // Act
    const config = readConfig(base);

    // Assess
    expect(config.traces.exporter).toBe('xray');
    expect(config.traces.xrayMode).toBe('api');
    expect(config.traces.xrayEndpoint).toBe('https://xray.eu-west-1.amazonaws.com');
    expect(config.receiverAddress).toEqual({ host: '127.0.0.1', port: 4318 });
    expect(config.listenerAddress).toEqual({ host: '0.0.0.0', port: 4243 });
    expect(config.credentials).toBeUndefined();
  });

  it('honours AWS_ENDPOINT_URL_XRAY over AWS_ENDPOINT_URL and the OTLP traces endpoint over the base one', () => {
    // Act
    const config = readConfig({
      ...base,
      AWS_ENDPOINT_URL: 'http://all:1',
      AWS_ENDPOINT_URL_XRAY: 'http://xray:2/',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%3Db,X-Team = core',
    });
    const traces = readConfig({
      ...base,
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:1',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:2/x',
    });

    // Assess
    expect(config.traces.xrayEndpoint).toBe('http://xray:2');
    expect(config.traces.otlpEndpoint).toBe('http://collector:4318/v1/traces');
    expect(config.traces.otlpHeaders).toEqual({ 'api-key': 'a=b', 'x-team': 'core' });
    expect(traces.traces.otlpEndpoint).toBe('http://t:2/x');
  });

  it('fails naming the variable when one is missing or malformed', () => {
    // Act
    const attempts = [
      () => readConfig({}),
      () => readConfig({ ...base, TELEMETRY_TRACES_EXPORTER: 'jaeger' }),
      () => readConfig({ ...base, TELEMETRY_RECEIVER_ADDRESS: 'localhost' }),
      () => readConfig({ ...base, TELEMETRY_BUFFER_MAX_SPANS: '-1' }),
      () => readConfig({ ...base, TELEMETRY_TRACES_EXPORTER: 'otlp' }),
      () =>
        readConfig({
          ...base,
          TELEMETRY_TRACES_EXPORTER: 'otlp',
          OTEL_EXPORTER_OTLP_ENDPOINT: 'http://localhost:4318',
        }),
    ];

    // Assess
    const messages = attempts.map((attempt) => {
      try {
        attempt();
        return 'no error';
      } catch (error) {
        expect(error).toBeInstanceOf(ConfigError);
        return (error as Error).message;
      }
    });
    expect(messages[0]).toContain('AWS_LAMBDA_RUNTIME_API');
    expect(messages[1]).toContain('TELEMETRY_TRACES_EXPORTER');
    expect(messages[2]).toContain('TELEMETRY_RECEIVER_ADDRESS');
    expect(messages[3]).toContain('TELEMETRY_BUFFER_MAX_SPANS');
    expect(messages[4]).toMatch(/^OTEL_EXPORTER_OTLP_ENDPOINT=.*own receiver/);
    expect(messages[5]).toMatch(
      /^OTEL_EXPORTER_OTLP_ENDPOINT="http:\/\/localhost:4318\/v1\/traces" is this extension's own receiver/,
    );
  });

  it("takes the invoke-phase CPU share from the function's memory size, a full vCPU when unknown", () => {
    // Act
    const small = readConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128' });
    const large = readConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '3008' });
    const unknown = readConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: undefined });

    // Assess
    expect(small.flush.cpuShare).toBeCloseTo(128 / 1769, 6);
    expect(large.flush.cpuShare).toBe(1);
    expect(unknown.flush.cpuShare).toBe(1);
    expect(() => readConfig({ ...base, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' })).toThrow(
      /AWS_LAMBDA_FUNCTION_MEMORY_SIZE="lots"/,
    );
  });

  it('flushes adaptively every 10 s with a 100 ms post-runtime budget by default, and names a bad flush mode', () => {
    // Act
    const config = readConfig(base);
    const periodic = readConfig({
      ...base,
      TELEMETRY_FLUSH: 'Periodic',
      TELEMETRY_FLUSH_INTERVAL_MS: '2000',
    });

    // Assess
    expect(config.flush).toMatchObject({
      mode: 'adaptive',
      intervalMs: 10_000,
      postRuntimeBudgetMs: 100,
      circuitFailures: 5,
      circuitCooldownMs: 30_000,
    });
    expect(periodic.flush).toMatchObject({ mode: 'periodic', intervalMs: 2_000 });
    expect(() => readConfig({ ...base, TELEMETRY_FLUSH: 'sometimes' })).toThrow(
      /TELEMETRY_FLUSH="sometimes"/,
    );
    expect(() => readConfig({ ...base, TELEMETRY_FLUSH_INTERVAL_MS: '0' })).toThrow(ConfigError);
  });

  it('reports its own counters once a minute unless told otherwise', () => {
    // Act
    const config = readConfig(base);
    const faster = readConfig({ ...base, TELEMETRY_SELF_METRICS_INTERVAL_MS: '1000' });

    // Assess
    expect(config.metrics.selfMetricsIntervalMs).toBe(60_000);
    expect(faster.metrics.selfMetricsIntervalMs).toBe(1_000);
    expect(() => readConfig({ ...base, TELEMETRY_SELF_METRICS_INTERVAL_MS: 'often' })).toThrow(
      /TELEMETRY_SELF_METRICS_INTERVAL_MS/,
    );
  });
});
