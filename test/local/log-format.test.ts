import { describe, expect, it } from 'vitest';
import { readSandboxConfig } from '../../local/config';
import { platformLogLines } from '../../local/logs/platform-lines';
import { UsageError } from '../../local/sandbox-errors';

const start = {
  time: '2026-11-30T10:00:00.000Z',
  type: 'platform.start',
  record: { requestId: 'r-1', version: '2' },
};
const timedOut = {
  time: '2026-11-30T10:00:03.000Z',
  type: 'platform.runtimeDone',
  record: { requestId: 'r-1', status: 'timeout', metrics: { durationMs: 3000 } },
};

describe("Lambda's log formats", () => {
  it('writes the platform events themselves as JSON lines in the JSON format', () => {
    // Act
    const lines = [start, timedOut].flatMap((event) => platformLogLines(event, 3, 'JSON'));

    // Assess: Logs Insights reads type and record.status from them.
    expect(lines.map((line) => JSON.parse(line))).toEqual([start, timedOut]);
  });

  it('keeps the text lines in the Text format', () => {
    // Act
    const lines = [start, timedOut].flatMap((event) => platformLogLines(event, 3));

    // Assess
    expect(lines).toEqual([
      'START RequestId: r-1 Version: 2',
      '2026-11-30T10:00:03.000Z r-1 Task timed out after 3.00 seconds',
    ]);
  });

  it('takes --log-format as Lambda names it, in any case, and refuses anything else in one line', () => {
    // Act
    const json = readSandboxConfig(['--log-format', 'json'], {});
    const fallback = readSandboxConfig([], {});

    // Assess
    expect(json.logFormat).toBe('JSON');
    expect(fallback.logFormat).toBe('Text');
    expect(() => readSandboxConfig(['--log-format', 'yaml'], {})).toThrow(UsageError);
    expect(() => readSandboxConfig(['--log-format', 'yaml'], {})).toThrow(
      '--log-format must be Text or JSON, got "yaml"',
    );
  });
});
