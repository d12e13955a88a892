/**
 * Hand-written SVG charts: no charting library, so the report renders anywhere (GitHub shows SVG
 * inline) and the bench pulls nothing into the project. Pure functions of their input.
 */

/** One bar: a median with an optional whisker (e.g. p90). */
export interface Bar {
  label: string;
  value: number;
  /** Upper end of the whisker. */
  whisker?: number;
}

/** One series of a distribution chart. */
export interface DistributionSeries {
  label: string;
  /** Bucket counts over [0, upper). */
  counts: number[];
}

const PALETTE = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948'];
const FONT = 'font-family="system-ui,sans-serif"';

/** Escapes text for SVG content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function formatNumber(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** A "nice" axis maximum at or above `value`: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten, so bars fill most of the plot. */
export function niceCeiling(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

/** Horizontal bar chart: one bar per entry, whisker to `whisker`, value printed at the bar's end. */
export function barChart(title: string, unit: string, bars: readonly Bar[]): string {
  const labelWidth = 230;
  const plotWidth = 420;
  const rowHeight = 30;
  const top = 40;
  const width = labelWidth + plotWidth + 90;
  const height = top + rowHeight * bars.length + 40;
  const max = niceCeiling(Math.max(...bars.map((bar) => Math.max(bar.value, bar.whisker ?? 0)), 0));
  const x = (value: number): number => labelWidth + (value / max) * plotWidth;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  bars.forEach((bar, index) => {
    const y = top + index * rowHeight;
    const color = PALETTE[index % PALETTE.length];
    parts.push(
      `<text x="${labelWidth - 8}" y="${y + 18}" text-anchor="end">${escapeXml(bar.label)}</text>`,
      `<rect x="${labelWidth}" y="${y + 6}" width="${(x(bar.value) - labelWidth).toFixed(1)}" height="${rowHeight - 12}" fill="${color}"/>`,
    );
    if (bar.whisker !== undefined && bar.whisker > bar.value) {
      const yMid = y + rowHeight / 2;
      parts.push(
        `<line x1="${x(bar.value).toFixed(1)}" y1="${yMid}" x2="${x(bar.whisker).toFixed(1)}" y2="${yMid}" stroke="#333"/>`,
        `<line x1="${x(bar.whisker).toFixed(1)}" y1="${yMid - 5}" x2="${x(bar.whisker).toFixed(1)}" y2="${yMid + 5}" stroke="#333"/>`,
      );
    }
    const end = Math.max(x(bar.value), bar.whisker === undefined ? 0 : x(bar.whisker));
    parts.push(
      `<text x="${(end + 6).toFixed(1)}" y="${y + 18}">${formatNumber(bar.value)} ${escapeXml(unit)}</text>`,
    );
  });
  const axisY = top + rowHeight * bars.length + 4;
  parts.push(
    `<line x1="${labelWidth}" y1="${axisY}" x2="${labelWidth + plotWidth}" y2="${axisY}" stroke="#999"/>`,
  );
  for (let tick = 0; tick <= 4; tick++) {
    const value = (max * tick) / 4;
    parts.push(
      `<text x="${x(value).toFixed(1)}" y="${axisY + 16}" text-anchor="middle" fill="#555">${formatNumber(value)}</text>`,
    );
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}

/** Overlaid distributions as step lines of the share of requests per bucket. */
export function distributionChart(
  title: string,
  unit: string,
  upper: number,
  series: readonly DistributionSeries[],
): string {
  const left = 60;
  const plotWidth = 560;
  const plotHeight = 240;
  const top = 50;
  const width = left + plotWidth + 30;
  const height = top + plotHeight + 50;
  const shares = series.map((entry) => {
    const total = entry.counts.reduce((sum, count) => sum + count, 0) || 1;
    return entry.counts.map((count) => count / total);
  });
  const maxShare = niceCeiling(Math.max(...shares.flat(), 0));
  const buckets = Math.max(...series.map((entry) => entry.counts.length), 1);
  const x = (bucket: number): number => left + (bucket / buckets) * plotWidth;
  const y = (share: number): number => top + plotHeight - (share / maxShare) * plotHeight;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12">`,
    `<rect width="${width}" height="${height}" fill="#fff"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${left}" y1="${top + plotHeight}" x2="${left + plotWidth}" y2="${top + plotHeight}" stroke="#999"/>`,
    `<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotHeight}" stroke="#999"/>`,
  ];
  shares.forEach((share, index) => {
    const color = PALETTE[index % PALETTE.length];
    let d = `M${x(0).toFixed(1)},${y(0).toFixed(1)}`;
    share.forEach((value, bucket) => {
      d += ` L${x(bucket).toFixed(1)},${y(value).toFixed(1)} L${x(bucket + 1).toFixed(1)},${y(value).toFixed(1)}`;
    });
    parts.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`);
    parts.push(
      `<rect x="${left + 10 + index * 190}" y="32" width="12" height="12" fill="${color}"/>`,
      `<text x="${left + 28 + index * 190}" y="42">${escapeXml(series[index]!.label)}</text>`,
    );
  });
  for (let tick = 0; tick <= 4; tick++) {
    const value = (upper * tick) / 4;
    parts.push(
      `<text x="${(left + (plotWidth * tick) / 4).toFixed(1)}" y="${top + plotHeight + 16}" text-anchor="middle" fill="#555">${formatNumber(value)}</text>`,
    );
    const share = (maxShare * tick) / 4;
    parts.push(
      `<text x="${left - 6}" y="${(y(share) + 4).toFixed(1)}" text-anchor="end" fill="#555">${(share * 100).toFixed(0)}%</text>`,
    );
  }
  parts.push(
    `<text x="${left + plotWidth / 2}" y="${top + plotHeight + 36}" text-anchor="middle">${escapeXml(unit)} (last bucket holds everything above)</text>`,
    '</svg>',
  );
  return `${parts.join('\n')}\n`;
}
