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
    schemaVersion: 2,
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
    runtimeNode: { version: 'v24.22.3', source: 'package' },
    sizes: [],
    bySize: [],
    targets: [],
    missing: [],
    ...overrides,
  };
}

const CHARTS = (chart: string, memoryMb: number) => `${memoryMb}-${chart}.svg`;
const SIZED = { memoryMb: 128, constrained: true, cpuShare: 128 / 1769 };

const cold = (init: number[], firstByte: number[]) => ({
  initMs: summarize(init),
  firstByteMs: summarize(firstByte),
  firstInvokeBilledMs: summarize([20, 22, 24]),
});

describe('renderReport', () => {
  it('prints the cold-start table with ratios to the no-telemetry variant and draws its chart', () => {
    // Prepare
    const result = run({
      bySize: [
        {
          sizing: SIZED,
          coldStart: {
            samplesPerVariant: 3,
            byVariant: {
              none: cold([100, 100, 100], [150, 150, 150]),
              adot: cold([300, 300, 300], [450, 450, 450]),
            },
          },
        },
      ],
    });

    // Act
    const report = renderReport(result, CHARTS);

    // Assess
    expect(report.markdown).toMatch(/\| \(a\) no telemetry \| 100\.0 \| 100\.0 \| 1\.00× \|/);
    expect(report.markdown).toMatch(/\| \(c\) OpenTelemetry layer style \| 300\.0 \| 300\.0 \| 3\.00× \|/);
    expect(report.markdown).toContain('### 128 MB\n\nEnvironment: 0.072 vCPU during invokes');
    expect(report.markdown).toContain('![cold start by variant at 128 MB](128-cold-start.svg)');
    expect(report.charts['128-cold-start.svg']).toContain('<svg');
    expect(report.charts['128-latency.svg']).toBeUndefined();
  });

  it('lists every missing stage with its reason', () => {
    // Prepare
    const result = run({ missing: [{ stage: 'warm-path', reason: 'sandbox not available' }] });

    // Act
    const { markdown } = renderReport(result, CHARTS);

    // Assess
    expect(markdown).toContain('- **warm-path**: sandbox not available');
    expect(markdown).toContain('## Warm path\n\nNot measured in this run');
  });

  it('prints the machine and the command that produced the figures', () => {
    // Prepare / Act
    const { markdown } = renderReport(run(), CHARTS);

    // Assess
    expect(markdown).toContain('`npm run bench -- --quick`');
    expect(markdown).toContain('| CPU | Test CPU × 2 |');
    expect(markdown).toContain('| Node.js (bench) | v20.0.0 |');
    expect(markdown).toContain(
      '| Node.js (functions and extensions) | v24.22.3 (npm package node-linux-*) |',
    );
  });
});

describe('evaluateTargets', () => {
  it('judges our init against Powertools at each size and marks unmeasured targets', () => {
    // Prepare
    const result = run({
      bySize: [
        {
          sizing: SIZED,
          coldStart: {
            samplesPerVariant: 3,
            byVariant: {
              none: cold([100, 100, 100], [1, 1, 1]),
              ours: cold([110, 110, 110], [1, 1, 1]),
              powertools: cold([120, 120, 120], [1, 1, 1]),
            },
          },
        },
        {
          sizing: { ...SIZED, memoryMb: 1024, cpuShare: 1024 / 1769 },
          coldStart: {
            samplesPerVariant: 3,
            byVariant: {
              ours: cold([130, 130, 130], [1, 1, 1]),
              powertools: cold([120, 120, 120], [1, 1, 1]),
            },
          },
        },
      ],
    });

    // Act
    const targets = evaluateTargets(result);

    // Assess
    const small = targets.find((target) => target.name === 'init with our telemetry at 128 MB');
    const large = targets.find((target) => target.name === 'init with our telemetry at 1024 MB');
    const warm = targets.find((target) => target.name === 'warm function duration p50 at 128 MB');
    const register = targets.find((target) => target.name === 'extension registration');
    expect(small).toMatchObject({ met: true, measured: '110.0 vs 120.0 ms (-8.3%)' });
    expect(large).toMatchObject({ met: false, measured: '130.0 vs 120.0 ms (8.3%)' });
    expect(warm).toMatchObject({ met: undefined, measured: 'not measured' });
    expect(register).toMatchObject({ met: undefined, measured: 'not measured' });
  });

  it('prices our telemetry against no telemetry at the size it was measured at', () => {
    // Prepare
    const estimate = (dollarsPerMillion: number) => [{ memoryMb: 128, meanBilledMs: 10, dollarsPerMillion }];
    const result = run({
      bySize: [
        {
          sizing: SIZED,
          cost: {
            assumptions: {
              coldStartRate: 0.2,
              pricePerGbSecond: 0.0000133334,
              pricePerMillionRequests: 0.2,
              memorySizesMb: [128],
            },
            byVariant: { none: estimate(0.5), ours: estimate(0.52) },
            article: [],
          },
        },
      ],
    });

    // Act
    const cost = evaluateTargets(result).find((target) => target.name === 'cost per million at 128 MB');

    // Assess
    expect(cost).toMatchObject({ met: true, measured: '$0.520 vs $0.500 (4.0%)' });
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
      bySize: [
        {
          sizing: SIZED,
          coldStart: { samplesPerVariant: 3, byVariant: { none: cold([100, 100, 100], [1, 1, 1]) } },
        },
      ],
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
