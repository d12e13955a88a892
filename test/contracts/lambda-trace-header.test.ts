import { describe, expect, it } from 'vitest';
import {
  formatLambdaTraceHeader,
  fromXRayTraceId,
  isSampled,
  parseLambdaTraceHeader,
  toXRayTraceId,
} from '../../contracts/lambda-trace-header';

const ROOT = '1-5bef4de7-ad49b0e87f6ef6c87fc2e700';
const TRACE_ID = '5bef4de7ad49b0e87f6ef6c87fc2e700';
const PARENT = '9a9197af755a6419';

describe('Lambda trace header contract', () => {
  it('reads Root as an OpenTelemetry trace id, Parent and Sampled, in any order, ignoring Lineage', () => {
    // Act
    const header = parseLambdaTraceHeader(`Sampled=1;Lineage=a87bd80c:0;Parent=${PARENT};Root=${ROOT}`);

    // Assess
    expect(header).toEqual({ traceId: TRACE_ID, parentId: PARENT, sampled: true });
  });

  it('accepts upper-case hex and returns it lower-case', () => {
    // Act
    const header = parseLambdaTraceHeader(`Root=${ROOT.toUpperCase()};Parent=${PARENT.toUpperCase()}`);

    // Assess
    expect(header).toEqual({ traceId: TRACE_ID, parentId: PARENT });
  });

  it('treats a malformed Root or Parent as absent', () => {
    // Act
    const header = parseLambdaTraceHeader('Root=5bef4de7ad49b0e8;Parent=9a91;Sampled=0;junk');

    // Assess
    expect(header).toEqual({ sampled: false });
    expect(parseLambdaTraceHeader(undefined)).toEqual({});
    expect(parseLambdaTraceHeader('')).toEqual({});
  });

  it('has one sampling rule: only Sampled=0 is unsampled, an undecided header is recorded', () => {
    // Act
    const decide = (sampled: string) =>
      isSampled(parseLambdaTraceHeader(`Root=${ROOT};Parent=${PARENT}${sampled}`));

    // Assess
    expect(decide(';Sampled=1')).toBe(true);
    expect(decide(';Sampled=0')).toBe(false);
    expect(decide(';Sampled=?')).toBe(true);
    expect(decide('')).toBe(true);
    expect(parseLambdaTraceHeader(`Root=${ROOT};Sampled=?`).sampled).toBeUndefined();
    expect(isSampled(parseLambdaTraceHeader(`Parent=${PARENT};Sampled=1`))).toBe(false);
  });

  it('formats what it parses', () => {
    // Act
    const header = formatLambdaTraceHeader(TRACE_ID, PARENT, false);

    // Assess
    expect(header).toBe(`Root=${ROOT};Parent=${PARENT};Sampled=0`);
    expect(parseLambdaTraceHeader(header)).toEqual({ traceId: TRACE_ID, parentId: PARENT, sampled: false });
  });

  it('converts trace ids between the OpenTelemetry and X-Ray forms', () => {
    // Assess
    expect(toXRayTraceId(TRACE_ID)).toBe(ROOT);
    expect(fromXRayTraceId(ROOT)).toBe(TRACE_ID);
    expect(fromXRayTraceId('2-5bef4de7-ad49b0e87f6ef6c87fc2e700')).toBeUndefined();
  });
});
