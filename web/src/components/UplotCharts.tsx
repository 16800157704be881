import { useEffect, useMemo, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { DailyStats } from '../../../types/stats.ts';
import { formatBytes } from '../format.ts';
import { useDarkTheme } from '../theme.ts';

/**
 * The dashboard's charts, drawn with uPlot on a canvas. This module is only loaded on demand (see
 * DashboardCharts), so uPlot stays out of the console's main bundle.
 */

const HEIGHT = 220;
const DAY_S = 86_400;

/** Tailwind's slate, sky, emerald and red, as the rest of the console uses them in each theme. */
const palette = (dark: boolean) => ({
  text: dark ? '#94a3b8' : '#475569',
  grid: dark ? '#1e293b' : '#e2e8f0',
  storage: dark ? '#38bdf8' : '#0284c7',
  storageFill: dark ? 'rgba(56, 189, 248, 0.15)' : 'rgba(2, 132, 199, 0.12)',
  succeeded: dark ? '#10b981' : '#059669',
  failed: dark ? '#f87171' : '#dc2626',
});

type Palette = ReturnType<typeof palette>;
type ChartOptions = Omit<uPlot.Options, 'width' | 'height'>;

/** Days are UTC, as the API counts them: tick labels and the legend say the same dates as the table. */
const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC');

const AXIS_FONT = '12px system-ui, sans-serif';
const TICK_SIZE = 10;
const LABEL_GAP = 5;
/** Room kept left of the longest label, so antialiasing never touches the canvas edge. */
const LABEL_MARGIN = 4;

/**
 * The y axis as wide as its longest label: a fixed width cuts the first digit off "512.0 MiB" (60 px wide), and
 * fonts differ between systems, so the labels are measured in the chart's own canvas.
 */
const fitLabels: uPlot.Axis.Size = (u, values) => {
  u.ctx.save();
  u.ctx.font = AXIS_FONT;
  // No values yet on uPlot's first layout pass.
  const widest = Math.max(0, ...(values ?? []).map((v) => u.ctx.measureText(v).width));
  u.ctx.restore();
  return Math.ceil(TICK_SIZE + LABEL_GAP + widest + LABEL_MARGIN);
};

function axes(colors: Palette, y: Partial<uPlot.Axis>): uPlot.Axis[] {
  const common = {
    stroke: colors.text,
    font: AXIS_FONT,
    gap: LABEL_GAP,
    grid: { stroke: colors.grid, width: 1 },
    ticks: { stroke: colors.grid, width: 1, size: TICK_SIZE },
  };
  return [{ ...common }, { ...common, size: fitLabels, ...y }];
}

const xSeries: uPlot.Series = { label: 'Day' };

/** Binary steps for the bytes axis (1, 2, 5 … 512 of each of B, KiB, MiB, GiB, TiB), so ticks read 256 KiB, not 262.1 KB. */
const BYTE_INCRS = [0, 1, 2, 3, 4].flatMap((power) =>
  [1, 2, 4, 8, 16, 32, 64, 128, 256, 512].map((n) => n * 1024 ** power),
);

function storageOptions(dark: boolean): ChartOptions {
  const colors = palette(dark);
  return {
    tzDate: utc,
    // The exact numbers are in the table beside the chart: no hover read-out, and one series needs no key.
    cursor: { show: false },
    legend: { show: false },
    scales: { y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1024] } },
    axes: axes(colors, {
      incrs: BYTE_INCRS,
      values: (_u, splits) => splits.map((bytes) => formatBytes(bytes)),
    }),
    series: [xSeries, { label: 'Stored', stroke: colors.storage, fill: colors.storageFill, width: 2 }],
  };
}

function backupsOptions(dark: boolean): ChartOptions {
  const colors = palette(dark);
  const bars = uPlot.paths.bars?.({ size: [0.7, 40], align: 0 });
  return {
    tzDate: utc,
    cursor: { show: false },
    legend: { live: false },
    // Half a day either side, so the first and last bars are whole.
    scales: {
      x: { time: true, range: (_u, min, max) => [min - DAY_S / 2, max + DAY_S / 2] },
      y: { range: (_u, _min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] },
    },
    axes: axes(colors, {
      incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      values: (_u, splits) => splits.map(String),
    }),
    // uPlot has no stacking: the failed bar is drawn from zero to succeeded + failed, the succeeded bar over its lower part.
    series: [
      xSeries,
      // No outline: a day without backups draws nothing rather than a line along zero.
      { label: 'Failed', fill: colors.failed, stroke: colors.failed, width: 0, paths: bars, points: { show: false } },
      {
        label: 'Succeeded',
        fill: colors.succeeded,
        stroke: colors.succeeded,
        width: 0,
        paths: bars,
        points: { show: false },
      },
    ],
  };
}

/** A uPlot chart as wide as its container, redrawn when the data or the theme changes. */
function Chart({ label, options, data }: { label: string; options: ChartOptions; data: uPlot.AlignedData }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const chart = new uPlot({ ...options, width: el.clientWidth, height: HEIGHT }, data, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: el.clientWidth, height: HEIGHT }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [options, data]);
  // The canvas is a picture to assistive technology: the numbers are in the table beside it.
  return <div ref={box} role="img" aria-label={label} className="w-full overflow-hidden" />;
}

const dayStart = (d: DailyStats) => Date.parse(`${d.day}T00:00:00.000Z`) / 1000;

/** Bytes stored at the end of each day, as an area. */
export function StorageChart({ daily, label }: { daily: readonly DailyStats[]; label: string }) {
  const dark = useDarkTheme();
  const options = useMemo(() => storageOptions(dark), [dark]);
  const data = useMemo((): uPlot.AlignedData => [daily.map(dayStart), daily.map((d) => d.storedBytes)], [daily]);
  return <Chart label={label} options={options} data={data} />;
}

/** Backups that succeeded and failed each day, as stacked bars. */
export function BackupsChart({ daily, label }: { daily: readonly DailyStats[]; label: string }) {
  const dark = useDarkTheme();
  const options = useMemo(() => backupsOptions(dark), [dark]);
  const data = useMemo(
    (): uPlot.AlignedData => [
      daily.map(dayStart),
      daily.map((d) => d.counts.succeeded + d.counts.failed),
      daily.map((d) => d.counts.succeeded),
    ],
    [daily],
  );
  return <Chart label={label} options={options} data={data} />;
}
