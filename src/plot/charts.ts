/**
 * Chart specs (Vega-Lite) that every aglu picture is made of: panels of labelled lines, side by side, each with
 * its own legend under it. Reference curves are dashed and listed in the same legend as the solid ones.
 */
import type { TopLevelSpec } from 'vega-lite';

/** One curve. `dashed` marks a reference (ReLU, the sigmoid, …) drawn against aglu's own curves. */
export interface Series {
  name: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  dashed?: boolean;
  /** A CSS colour; default: the next colour of the palette (references: shades of grey). */
  color?: string;
}

/** A shaded range around a series (e.g. min–max of per-channel λ), in that series' colour. */
export interface Band {
  /** The series it belongs to (takes its colour). */
  series: string;
  x: ArrayLike<number>;
  lo: ArrayLike<number>;
  hi: ArrayLike<number>;
}

export interface LinePanel {
  title: string;
  /** Shaded ranges drawn under the lines. */
  bands?: Band[];
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  series: Series[];
  legendTitle?: string;
  /** Fixed y range; points outside are clipped. Default: fit the data. */
  yDomain?: [number, number];
  /** 'log' for a loss that spans orders of magnitude. */
  yScale?: 'linear' | 'log';
  /** x takes whole numbers only (epochs): ticks without decimals. */
  xInteger?: boolean;
  /** Draw points on the line (few x values, e.g. epochs). */
  points?: boolean;
  width?: number;
  height?: number;
}

/** Tableau-10 without grey, so that grey stays for the dashed references. */
export const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
const REFERENCE_GREYS = ['#222222', '#777777', '#aaaaaa', '#444444', '#999999'];

type Row = Record<string, number | string>;

/** The rows and the colour/dash scales of a panel. */
function panelData(p: LinePanel): { rows: Row[]; domain: string[]; colors: string[]; dashes: number[][] } {
  const rows: Row[] = [];
  const domain: string[] = [], colors: string[] = [], dashes: number[][] = [];
  let solid = 0, dashed = 0;
  for (const s of p.series) {
    if (domain.includes(s.name)) throw new Error(`chart '${p.title}': two series are named '${s.name}'`);
    domain.push(s.name);
    colors.push(s.color ?? (s.dashed ? REFERENCE_GREYS[dashed % REFERENCE_GREYS.length] : PALETTE[solid % PALETTE.length]));
    dashes.push(s.dashed ? [6, 4] : [1, 0]);
    if (s.dashed) dashed++;
    else solid++;
    const n = Math.min(s.x.length, s.y.length);
    for (let i = 0; i < n; i++) {
      const y = s.y[i];
      // Vega drops non-finite values silently; null keeps a gap in the line instead of a wrong join.
      rows.push({ x: s.x[i], y: Number.isFinite(y) ? y : NaN, series: s.name, order: i });
    }
  }
  return { rows, domain, colors, dashes };
}

/** A Vega-Lite unit spec for one panel (used inside concat specs). */
export function panelSpec(p: LinePanel): Record<string, unknown> {
  const { rows, domain, colors, dashes } = panelData(p);
  const legend = { title: p.legendTitle ?? null, orient: 'bottom', direction: 'vertical', columns: 1, symbolType: 'stroke', symbolSize: 300, labelLimit: 420 };
  const yScale: Record<string, unknown> = { zero: false };
  if (p.yDomain) Object.assign(yScale, { domain: p.yDomain, clamp: true });
  if (p.yScale === 'log') yScale.type = 'log';
  const x = {
    field: 'x', type: 'quantitative', title: p.xTitle, scale: { zero: false, nice: false },
    ...(p.xInteger ? { axis: { format: 'd', tickMinStep: 1 } } : {}),
  };
  const lines = {
    data: { values: rows.filter((r) => !Number.isNaN(r.y as number)) },
    mark: { type: 'line', clip: true, point: p.points === true ? { size: 25 } : false, strokeWidth: 2.2 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', title: p.yTitle, scale: yScale },
      color: { field: 'series', type: 'nominal', scale: { domain, range: colors }, legend },
      strokeDash: { field: 'series', type: 'nominal', scale: { domain, range: dashes }, legend },
      order: { field: 'order', type: 'quantitative' },
      detail: { field: 'series', type: 'nominal' },
    },
  };
  const head = { title: p.subtitle ? { text: p.title, subtitle: p.subtitle } : p.title, width: p.width ?? 330, height: p.height ?? 250 };
  if (!p.bands || p.bands.length === 0) return { ...head, ...lines };
  const bandRows: Row[] = [];
  for (const b of p.bands)
    for (let i = 0; i < b.x.length; i++) bandRows.push({ x: b.x[i], lo: b.lo[i], hi: b.hi[i], bandOf: b.series, order: i });
  const band = {
    data: { values: bandRows },
    mark: { type: 'area', opacity: 0.18, clip: true },
    encoding: {
      x,
      y: { field: 'lo', type: 'quantitative', scale: yScale },
      y2: { field: 'hi' },
      // Its own field: vega-lite merges legends by field, and one without legend would switch the lines' off.
      fill: { field: 'bandOf', type: 'nominal', scale: { domain, range: colors }, legend: null },
      detail: { field: 'bandOf', type: 'nominal' },
    },
  };
  return { ...head, layer: [band, lines] };
}

/**
 * Panels side by side (wrapping after `columns`), each with its own colours and legend.
 * @example renderSvg(figureSpec('Figure 1', [panelA, panelB]))
 */
export function figureSpec(title: string | { text: string; subtitle?: string }, panels: Record<string, unknown>[], columns = 3): TopLevelSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: typeof title === 'string' ? { text: title, fontSize: 17 } : { ...title, fontSize: 17 },
    columns,
    concat: panels,
    spacing: 28,
    resolve: { scale: { color: 'independent', strokeDash: 'independent', fill: 'independent', x: 'independent', y: 'independent' }, legend: { color: 'independent', strokeDash: 'independent' } },
  } as unknown as TopLevelSpec;
}

/** An evenly spaced grid of `n` points on [a, b]. */
export function grid(a: number, b: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => a + ((b - a) * i) / (n - 1));
}
