/**
 * The rehearsal as an SVG chart, self-contained (no script, no external font or stylesheet):
 * per CloudWatch minute, the invocations each version served (stacked bars), the 5xx customers
 * received (red bars below the axis), and the new version's share of traffic (a step line,
 * right-hand axis), with the deployment's verdict in the title.
 */
import type { TimelineMinute } from './release-timeline';

const WIDTH = 760;
const HEIGHT = 360;
const MARGIN = { top: 48, right: 56, bottom: 56, left: 56 };
const VERSION_COLOURS = ['#4e79a7', '#f28e2b', '#59a14f', '#b07aa1'];
const ERROR_COLOUR = '#e15759';

const escapeXml = (text: string): string => text.replace(/[<>&"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** 1, 2 or 5 times a power of ten, at least `value`: round axis ends. */
const niceCeiling = (value: number): number => {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return ([1, 2, 5, 10].find((step) => step * power >= value) ?? 10) * power;
};

/** Renders the chart. */
export function timelineChart(title: string, minutes: readonly TimelineMinute[]): string {
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  // The upper three quarters hold the invocations, the lower quarter the customers' 5xx.
  const axisY = MARGIN.top + plotHeight * 0.75;
  const versions = [...new Set(minutes.flatMap((minute) => Object.keys(minute.versions)))].sort(
    (a, b) => Number(a) - Number(b),
  );
  const top = niceCeiling(
    Math.max(
      1,
      ...minutes.map((minute) => Object.values(minute.versions).reduce((sum, v) => sum + v.invocations, 0)),
    ),
  );
  const errorTop = niceCeiling(Math.max(1, ...minutes.map((minute) => minute.customers.serverErrors)));
  const slot = plotWidth / Math.max(1, minutes.length);
  const barWidth = Math.max(2, slot * 0.7);
  const parts: string[] = [];

  minutes.forEach((minute, index) => {
    const x = MARGIN.left + index * slot + (slot - barWidth) / 2;
    let y = axisY;
    versions.forEach((version, colour) => {
      const count = minute.versions[version]?.invocations ?? 0;
      if (count === 0) return;
      const height = (count / top) * (axisY - MARGIN.top);
      y -= height;
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="${VERSION_COLOURS[colour % VERSION_COLOURS.length]}"><title>minute ${minute.minute}: version ${version}, ${count} invocations</title></rect>`,
      );
    });
    const errors = minute.customers.serverErrors;
    if (errors > 0) {
      const height = (errors / errorTop) * (MARGIN.top + plotHeight - axisY);
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${axisY.toFixed(1)}" width="${barWidth.toFixed(1)}" height="${height.toFixed(1)}" fill="${ERROR_COLOUR}"><title>minute ${minute.minute}: ${errors} 5xx to customers</title></rect>`,
      );
    }
    if (index % Math.ceil(minutes.length / 12) === 0) {
      parts.push(
        `<text x="${(x + barWidth / 2).toFixed(1)}" y="${HEIGHT - MARGIN.bottom + 16}" text-anchor="middle">${minute.minute >= 0 ? '+' : ''}${minute.minute}</text>`,
      );
    }
  });

  const weightY = (percent: number) => axisY - (percent / 100) * (axisY - MARGIN.top);
  const steps = minutes.flatMap((minute, index) => {
    const y = weightY(minute.newVersionPercent).toFixed(1);
    return [
      `${(MARGIN.left + index * slot).toFixed(1)},${y}`,
      `${(MARGIN.left + (index + 1) * slot).toFixed(1)},${y}`,
    ];
  });
  const legend = [
    ...versions.map(
      (version, colour) =>
        `<rect x="${MARGIN.left + colour * 110}" y="${HEIGHT - 22}" width="10" height="10" fill="${VERSION_COLOURS[colour % VERSION_COLOURS.length]}"/><text x="${MARGIN.left + colour * 110 + 14}" y="${HEIGHT - 13}">version ${escapeXml(version)}</text>`,
    ),
    `<rect x="${MARGIN.left + versions.length * 110}" y="${HEIGHT - 22}" width="10" height="10" fill="${ERROR_COLOUR}"/><text x="${MARGIN.left + versions.length * 110 + 14}" y="${HEIGHT - 13}">5xx to customers</text>`,
    `<line x1="${MARGIN.left + versions.length * 110 + 140}" y1="${HEIGHT - 17}" x2="${MARGIN.left + versions.length * 110 + 160}" y2="${HEIGHT - 17}" stroke="#333" stroke-width="2"/><text x="${MARGIN.left + versions.length * 110 + 164}" y="${HEIGHT - 13}">new version's share</text>`,
  ];

  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    `<text x="${WIDTH / 2}" y="24" text-anchor="middle" font-size="14">${escapeXml(title)}</text>`,
    `<line x1="${MARGIN.left}" y1="${axisY}" x2="${WIDTH - MARGIN.right}" y2="${axisY}" stroke="#333"/>`,
    `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${HEIGHT - MARGIN.bottom}" stroke="#333"/>`,
    `<text x="${MARGIN.left - 6}" y="${MARGIN.top + 4}" text-anchor="end">${top}</text>`,
    `<text x="${MARGIN.left - 6}" y="${axisY + 4}" text-anchor="end">0</text>`,
    `<text x="${MARGIN.left - 6}" y="${HEIGHT - MARGIN.bottom}" text-anchor="end" fill="${ERROR_COLOUR}">${errorTop}</text>`,
    `<text x="${WIDTH - MARGIN.right + 6}" y="${MARGIN.top + 4}">100%</text>`,
    `<text x="${WIDTH - MARGIN.right + 6}" y="${axisY + 4}">0%</text>`,
    `<text x="14" y="${MARGIN.top + 60}" transform="rotate(-90 14 ${MARGIN.top + 60})">invocations / minute</text>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - MARGIN.bottom + 32}" text-anchor="middle">CloudWatch minute from the deployment's start</text>`,
    ...parts,
    `<polyline points="${steps.join(' ')}" fill="none" stroke="#333" stroke-width="2"/>`,
    ...legend,
    '</svg>',
  ].join('\n');
}
