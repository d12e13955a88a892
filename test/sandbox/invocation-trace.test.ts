import { describe, expect, it } from 'vitest';
import { invocationTrace } from '../../local/environment/trace-header';

describe('invocation trace header', () => {
  it("continues a sampled caller's trace with the function segment as Parent and keeps Lineage", () => {
    // Act
    const trace = invocationTrace(
      'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1;Lineage=a87bd80c:0;Self=x',
    );

    // Assess
    expect(trace.sampled).toBe(true);
    expect(trace.functionSegmentId).toMatch(/^[0-9a-f]{16}$/);
    expect(trace.header).toBe(
      `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=${trace.functionSegmentId};Sampled=1;Lineage=a87bd80c:0`,
    );
  });

  it('keeps an unsampled caller unsampled', () => {
    // Act
    const trace = invocationTrace('Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=0');

    // Assess
    expect(trace.sampled).toBe(false);
    expect(trace.header).toBe(
      `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=${trace.functionSegmentId};Sampled=0`,
    );
  });

  it('starts a fresh unsampled trace when the caller sent no usable header', () => {
    // Act
    const traces = [invocationTrace(undefined), invocationTrace('Root=not-a-root;Sampled=1')];

    // Assess
    for (const trace of traces) {
      expect(trace.sampled).toBe(false);
      expect(trace.header).toMatch(
        new RegExp(`^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=${trace.functionSegmentId};Sampled=0$`),
      );
    }
  });
});
