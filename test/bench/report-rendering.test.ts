import { describe, expect, it } from 'vitest';
import { renderReport } from '../../bench/report/markdown-report';
import {
  README_END,
  README_START,
  renderReadmeSection,
  replaceReadmeSection,
} from '../../bench/report/readme-section';
import { barChart, distributionChart, escapeXml, niceCeiling } from '../../bench/report/svg-charts';
import type { RunResult } from '../../bench/run-result';
import { summarize } from '../../bench/statistics';
import { evaluateTargets } from '../../bench/targets';
import { VARIANTS } from '../../bench/variant-catalog';

function run(overrides: Partial<RunResult> = {}): RunResult {
  return {
    schemaVersion: 1,
    mode: 'quick',
    command: 'npm run bench -- --quick',
    startedAt: '2026-11-27T21:00:00.000Z',
    finishedAt: '2026-11-27T21:02:00.000Z',
    machine: {
      cpuModel: 'Test CPU',
      cores: 2,
      memoryGb: 24,
      platform: 'Linux 6',
      arch: 'x64',
      nodeVersion: 'v20.0.0',
      commit: 'abc123',
      dirty: false,
      loadAverageAtStart: 1.5,
    },
    variants: VARIANTS.map(({ id, label, description }) => ({ id, label, description })),
    sizes: [],
    targets: [],
    missing: [],
    ...overrides,
  };
}

const cold = (init: number[], firstByte: number[]) => ({
  initMs: summarize(init),
  firstByteMs: summarize(firstByte),
  firstInvokeBilledMs: summarize([20, 22, 24]),
});

describe('renderReport', () => {
  it('prints the cold-start table with ratios to the no-telemetry variant and draws its chart', () => {
    // Prepare
    const result = run({
      coldStart: {
        samplesPerVariant: 3,
        byVariant: {
          none: cold([100, 100, 100], [150, 150, 150]),
          adot: cold([300, 300, 300], [450, 450, 450]),
        },
      },
    });

    // Act
    const report = renderReport(result, { coldStart: 'cold.svg', latency: 'latency.svg' });

    // Assess
    expect(report.markdown).toMatch(/\| \(a\) no telemetry \| 100\.0 \| 100\.0 \| 1\.00× \|/);
    expect(report.markdown).toMatch(/\| \(c\) OpenTelemetry layer style \| 300\.0 \| 300\.0 \| 3\.00× \|/);
    expect(report.markdown).toContain('![cold start by variant](cold.svg)');
    expect(report.charts['cold.svg']).toContain('<svg');
    expect(report.charts['latency.svg']).toBeUndefined();
  });

  it('lists every missing stage with its reason', () => {
    // Prepare
    const result = run({ missing: [{ stage: 'warm-path', reason: 'sandbox not available' }] });

    // Act
    const { markdown } = renderReport(result, { coldStart: 'c.svg', latency: 'l.svg' });

    // Assess
    expect(markdown).toContain('- **warm-path**: sandbox not available');
    expect(markdown).toContain('## Warm path\n\nNot measured in this run');
  });

  it('prints the machine and the command that produced the figures', () => {
    // Prepare / Act
    const { markdown } = renderReport(run(), { coldStart: 'c.svg', latency: 'l.svg' });

    // Assess
    expect(markdown).toContain('`npm run bench -- --quick`');
    expect(markdown).toContain('| CPU | Test CPU × 2 |');
    expect(markdown).toContain('| Node.js | v20.0.0 |');
  });
});

describe('evaluateTargets', () => {
  it('judges init overhead against the no-telemetry baseline and marks unmeasured targets', () => {
    // Prepare
    const result = run({
      coldStart: {
        samplesPerVariant: 3,
        byVariant: {
          none: cold([100, 100, 100], [1, 1, 1]),
          ours: cold([103, 103, 103], [1, 1, 1]),
          adot: cold([400, 400, 400], [1, 1, 1]),
        },
      },
    });

    // Act
    const targets = evaluateTargets(result);

    // Assess
    const init = targets.find((target) => target.name === 'init overhead of our telemetry');
    const adot = targets.find((target) => target.name.startsWith('OpenTelemetry'));
    const warm = targets.find((target) => target.name.startsWith('warm p50'));
    expect(init).toMatchObject({ met: true });
    expect(init!.measured).toContain('3.0%');
    expect(adot).toMatchObject({ met: true });
    expect(adot!.measured).toContain('100.0×');
    expect(warm).toMatchObject({ met: undefined, measured: 'not measured' });
  });
});

describe('svg charts', () => {
  it('escapes labels so a variant name cannot break the document', () => {
    // Prepare / Act
    const svg = barChart('a <b> & "c"', 'ms', [{ label: '<x>', value: 1 }]);

    // Assess
    expect(svg).not.toContain('<b>');
    expect(svg).toContain(escapeXml('<x>'));
  });

  it('draws one bar per entry and one line per distribution', () => {
    // Prepare / Act
    const bars = barChart('t', 'ms', [
      { label: 'a', value: 1, whisker: 2 },
      { label: 'b', value: 3 },
    ]);
    const lines = distributionChart('t', 'ms', 10, [
      { label: 'on', counts: [1, 2, 3] },
      { label: 'off', counts: [3, 2, 1] },
    ]);

    // Assess
    expect(bars.match(/<rect x="230"/g)).toHaveLength(2);
    expect(lines.match(/<path /g)).toHaveLength(2);
  });

  it('rounds axis maxima up to the next nice step of a power of ten', () => {
    // Prepare / Act / Assess
    expect(niceCeiling(3.2)).toBe(4);
    expect(niceCeiling(120)).toBe(150);
    expect(niceCeiling(2900)).toBe(3000);
    expect(niceCeiling(0)).toBe(1);
  });
});

describe('README section', () => {
  it('replaces only what lies between the markers', () => {
    // Prepare
    const readme = `intro\n${README_START}\nold figures\n${README_END}\n\n## Project layout\n`;

    // Act
    const updated = replaceReadmeSection(readme, 'new figures');

    // Assess
    expect(updated).toBe(`intro\n${README_START}\nnew figures\n${README_END}\n\n## Project layout\n`);
  });

  it('leaves a README without markers unchanged', () => {
    // Prepare / Act / Assess
    expect(replaceReadmeSection('no markers here', 'x')).toBe('no markers here');
  });

  it('names the command, the report and every variant', () => {
    // Prepare
    const result = run({
      coldStart: { samplesPerVariant: 3, byVariant: { none: cold([100, 100, 100], [1, 1, 1]) } },
    });

    // Act
    const section = renderReadmeSection(result, 'bench/results/x.md');

    // Assess
    expect(section).toContain('`npm run bench -- --quick`');
    expect(section).toContain('[bench/results/x.md](bench/results/x.md)');
    for (const variant of VARIANTS) expect(section).toContain(`| ${variant.label} |`);
    expect(section).toMatch(/\| \(a\) no telemetry \| 100\.0 \| 1\.00× \|/);
  });
});
