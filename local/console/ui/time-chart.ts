/**
 * A uPlot time-series chart sized to its container, with threshold lines and event markers.
 * Updating with the same series only swaps the data (uPlot `setData`), so refreshes neither
 * flicker nor lose the legend's state.
 */
import uPlot from 'uplot';
import type { ThresholdView } from '../console-api';

/** CloudWatch's default line colours, in its order. */
const PALETTE = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

interface ChartSeries {
  readonly label: string;
  readonly values: readonly (number | null)[];
  readonly color?: string | undefined;
  /** `right` puts the line on a second axis. */
  readonly axis?: 'left' | 'right' | undefined;
  readonly dashed?: boolean;
}

export interface ChartMarker {
  /** Epoch ms. */
  readonly at: number;
  readonly label: string;
  readonly color: string;
}

export interface ChartSpec {
  /** Epoch ms, one per value of every series. */
  readonly timestamps: readonly number[];
  readonly series: readonly ChartSeries[];
  readonly thresholds?: readonly ThresholdView[];
  readonly markers?: readonly ChartMarker[];
  /** Fixed range of the right axis (a percentage: 0–100). */
  readonly rightRange?: readonly [number, number];
}

const shapeOf = (spec: ChartSpec) =>
  spec.series.map((series) => `${series.label}|${series.axis ?? 'left'}|${series.color ?? ''}`).join('\n');

function toData(spec: ChartSpec): uPlot.AlignedData {
  return [
    spec.timestamps.map((ms) => ms / 1000),
    ...spec.series.map((series) => series.values as (number | null)[]),
  ];
}

export class TimeChart {
  private plot: uPlot | undefined;
  private spec: ChartSpec;
  private readonly observer: ResizeObserver;

  constructor(
    private readonly container: HTMLElement,
    spec: ChartSpec,
  ) {
    this.spec = spec;
    this.build();
    this.observer = new ResizeObserver(() => this.fit());
    this.observer.observe(container);
  }

  /** Shows new data; rebuilds only when the series changed. */
  update(spec: ChartSpec): void {
    const sameShape = shapeOf(spec) === shapeOf(this.spec);
    this.spec = spec;
    if (sameShape && this.plot) {
      this.plot.setData(toData(spec));
    } else {
      this.build();
    }
  }

  destroy(): void {
    this.observer.disconnect();
    this.plot?.destroy();
  }

  private size(): { width: number; height: number } {
    const legend = this.plot?.root.querySelector<HTMLElement>('.u-legend')?.offsetHeight ?? 24;
    return {
      width: Math.max(this.container.clientWidth, 120),
      height: Math.max(this.container.clientHeight - legend - 4, 60),
    };
  }

  /**
   * Fits the plot to the container. The legend wraps with the width, so the width is applied
   * first and the height worked out from the legend as it then stands.
   */
  private fit(): void {
    const plot = this.plot;
    if (!plot) return;
    const width = this.size().width;
    if (width !== plot.width) plot.setSize({ width, height: plot.height });
    const { height } = this.size();
    if (height !== plot.height) plot.setSize({ width, height });
  }

  private build(): void {
    this.plot?.destroy();
    const spec = () => this.spec;
    const hasRight = this.spec.series.some((series) => series.axis === 'right');
    const axisStyle = {
      stroke: '#555',
      grid: { stroke: '#eee', width: 1 },
      ticks: { stroke: '#ddd', width: 1 },
    };
    const options: uPlot.Options = {
      ...this.size(),
      cursor: { drag: { x: false, y: false } },
      legend: { live: true },
      scales: {
        x: { time: true },
        y: {
          range: (_u, min, max) => {
            const values = (spec().thresholds ?? []).map((threshold) => threshold.value);
            const low = Math.min(0, min ?? 0, ...values);
            let high = Math.max(max ?? 1, ...values);
            if (high <= low) high = low + 1;
            return [low, high + (high - low) * 0.08];
          },
        },
        ...(hasRight
          ? { y2: { range: () => [...(spec().rightRange ?? [0, 100])] as [number, number] } }
          : {}),
      },
      axes: [
        // Wide tick spacing: half-minute ticks crowd the labels of a minute-by-minute chart.
        { ...axisStyle, space: 80 },
        { ...axisStyle, size: 52 },
        ...(hasRight ? [{ ...axisStyle, scale: 'y2', side: 1, size: 44, grid: { show: false } }] : []),
      ],
      series: [
        {},
        ...this.spec.series.map((series, index) => ({
          label: series.label,
          stroke: series.color ?? PALETTE[index % PALETTE.length],
          width: 1.5,
          scale: series.axis === 'right' ? 'y2' : 'y',
          dash: series.dashed ? [6, 4] : undefined,
          spanGaps: false,
          points: { size: 4 },
        })),
      ],
      hooks: { draw: [(plot) => this.drawOverlays(plot)] },
    };
    this.plot = new uPlot(options, toData(this.spec), this.container);
    requestAnimationFrame(() => this.fit());
  }

  /** Threshold lines across the plot and event markers down it, in canvas pixels. */
  private drawOverlays(plot: uPlot): void {
    const { ctx, bbox } = plot;
    ctx.save();
    ctx.font = `${11 * devicePixelRatio}px system-ui, sans-serif`;
    ctx.lineWidth = devicePixelRatio;
    for (const threshold of this.spec.thresholds ?? []) {
      const y = Math.round(plot.valToPos(threshold.value, 'y', true));
      ctx.strokeStyle = '#d13212';
      ctx.fillStyle = '#d13212';
      ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
      ctx.beginPath();
      ctx.moveTo(bbox.left, y);
      ctx.lineTo(bbox.left + bbox.width, y);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText(
        `${threshold.label} ${threshold.value}`,
        bbox.left + bbox.width - 4,
        y - 3 * devicePixelRatio,
      );
    }
    ctx.setLineDash([]);
    for (const marker of this.spec.markers ?? []) {
      const x = Math.round(plot.valToPos(marker.at / 1000, 'x', true));
      if (x < bbox.left || x > bbox.left + bbox.width) continue;
      ctx.strokeStyle = marker.color;
      ctx.beginPath();
      ctx.moveTo(x, bbox.top);
      ctx.lineTo(x, bbox.top + bbox.height);
      ctx.stroke();
      ctx.fillStyle = marker.color;
      ctx.fillRect(x - 3 * devicePixelRatio, bbox.top, 6 * devicePixelRatio, 6 * devicePixelRatio);
    }
    ctx.restore();
  }
}
