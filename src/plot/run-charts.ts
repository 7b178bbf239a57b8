/**
 * The pictures of a training run: loss and accuracy curves, the trajectories of every λ and κ, the learned
 * activations against ReLU/SiLU/GELU, and the decision boundary of a 2-D dataset.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { ActivationParams, DecisionGrid, EpochRecord } from '../cli/train-types.js';
import { figureSpec, grid, panelSpec, PALETTE, type Band, type Series } from './charts.js';
import { agluCurve, apaCurve, referenceCurve } from './figures.js';

/** The op's λ floor (ops/apa.ts LAMBDA_FLOOR); runs record the λ the activation uses, so a floored λ reads exactly this. */
const LAMBDA_FLOOR = 1e-4;

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/** Loss (train, test) and accuracy (train, test) per epoch. */
export function trainingCurves(history: EpochRecord[], title: string): TopLevelSpec {
  const e = history.map((h) => h.epoch);
  const points = history.length <= 30;
  return figureSpec({ text: 'Training curves', subtitle: title }, [
    panelSpec({
      title: 'Loss', xTitle: 'epoch', yTitle: 'loss', points, xInteger: true,
      series: [{ name: 'train (mean over the epoch)', x: e, y: history.map((h) => h.loss) }, { name: 'test (after the epoch)', x: e, y: history.map((h) => h.testLoss) }],
    }),
    panelSpec({
      title: 'Accuracy', xTitle: 'epoch', yTitle: 'accuracy', points, xInteger: true,
      series: [{ name: 'train (during the epoch)', x: e, y: history.map((h) => h.trainAccuracy) }, { name: 'test (after the epoch)', x: e, y: history.map((h) => h.testAccuracy) }],
    }),
  ], 2);
}

/** Groups trajectory keys by layer: `1.lambda` and `1.kappa` → layer `1`. */
function layersOf(trajectory: Record<string, number[][]>): string[] {
  const layers: string[] = [];
  for (const k of Object.keys(trajectory)) {
    const layer = k.replace(/\.?(lambda|kappa)$/, '');
    if (!layers.includes(layer)) layers.push(layer);
  }
  return layers;
}

/** `hidden layer 2 (module 3)`: APA/AGLU modules in order are the hidden layers; the module index is the key prefix. */
function layerLabel(layer: string, layers: string[]): string {
  if (layer.startsWith('loss')) return 'output link (APA-BCE loss)';
  const k = layers.filter((l) => !l.startsWith('loss')).indexOf(layer);
  return `hidden layer ${k + 1}`;
}

/**
 * λ and κ of every APA/AGLU layer per epoch (epoch 0 = the initial values). Per-channel parameters are drawn as the
 * mean over channels with the min–max range shaded.
 */
export function trajectoryChart(trajectory: Record<string, number[][]>, title: string): TopLevelSpec | null {
  const layers = layersOf(trajectory);
  if (layers.length === 0) return null;
  const panel = (param: 'lambda' | 'kappa'): Record<string, unknown> => {
    const series: Series[] = [], bands: Band[] = [];
    layers.forEach((layer, i) => {
      const values = trajectory[layer === '' ? param : `${layer}.${param}`];
      if (!values) return;
      const x = values.map((_, e) => e);
      const channels = values[0].length;
      const label = layerLabel(layer, layers);
      const name = channels > 1 ? `${label}: mean of ${channels}, band = min–max` : label;
      series.push({ name, x, y: values.map(mean), color: PALETTE[i % PALETTE.length] });
      if (channels > 1) bands.push({ series: name, x, lo: values.map((v) => Math.min(...v)), hi: values.map((v) => Math.max(...v)) });
    });
    const symbol = param === 'lambda' ? 'λ' : 'κ';
    const atFloor = param === 'lambda' && layers.some((l) => (trajectory[l === '' ? 'lambda' : `${l}.lambda`] ?? []).some((v) => v.some((x) => x <= LAMBDA_FLOOR)));
    return panelSpec({
      title: param === 'lambda' ? 'λ (asymmetry; 1 = sigmoid gate, → 0 = Gumbel)' : 'κ (slope of the gate)',
      subtitle: atFloor ? 'λ = 1e-4 is the floor: the stored parameter went below it and gets no gradient there' : undefined,
      xTitle: 'epoch (0 = initial)', yTitle: symbol, series, bands, points: x0Count(trajectory) <= 31, xInteger: true,
    });
  };
  return figureSpec({ text: 'Learned λ and κ during training', subtitle: title }, [panel('lambda'), panel('kappa')], 2);
}

const x0Count = (t: Record<string, number[][]>): number => Object.values(t)[0]?.length ?? 0;

/** Indices of up to `k` channels spread over the range of λ (smallest, quartiles, largest). */
function representativeChannels(lambda: number[], k = 5): number[] {
  const order = lambda.map((l, i) => [l, i] as const).sort((a, b) => a[0] - b[0]).map(([, i]) => i);
  if (order.length <= k) return order;
  const picks = new Set<number>();
  for (let j = 0; j < k; j++) picks.add(order[Math.round((j * (order.length - 1)) / (k - 1))]);
  return [...picks];
}

const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 0.01 ? v.toPrecision(3) : v.toExponential(1));

/**
 * One panel per APA/AGLU layer: the learned activation against ReLU, SiLU, GELU (AGLU) or the sigmoid (APA).
 * Per-channel layers show a few units spread over the learned λ.
 */
export function activationsChart(acts: ActivationParams[], title: string): TopLevelSpec | null {
  if (acts.length === 0) return null;
  const z = grid(-4, 3, 211);
  const panels = acts.map((a, i) => {
    const curve = a.kind === 'aglu' ? agluCurve : apaCurve;
    const units = a.lambda.length === 1 ? [0] : representativeChannels(a.lambda);
    const lam = (u: number): string => (a.lambda[u] <= LAMBDA_FLOOR ? '1e-4 (the floor)' : fmt(a.lambda[u]));
    const series: Series[] = units.map((u) => ({
      name: `${a.lambda.length === 1 ? 'learned' : `unit ${u}`}: λ = ${lam(u)}, κ = ${fmt(a.kappa[u])}`,
      x: z, y: curve(z, a.lambda[u], a.kappa[u]),
    }));
    const refs: Series[] = a.kind === 'aglu'
      ? [{ name: 'ReLU', x: z, y: referenceCurve('relu', z), dashed: true }, { name: 'SiLU', x: z, y: referenceCurve('silu', z), dashed: true }, { name: 'GELU', x: z, y: referenceCurve('gelu', z), dashed: true }]
      : [{ name: 'sigmoid', x: z, y: referenceCurve('sigmoid', z), dashed: true }];
    return panelSpec({
      title: `${a.kind.toUpperCase()} of hidden layer ${i + 1} (module ${a.layer})`,
      subtitle: a.lambda.length === 1 ? 'one λ, κ for the layer' : `${a.lambda.length} units with their own λ, κ (${units.length} shown)`,
      xTitle: 'z (pre-activation)', yTitle: a.kind === 'aglu' ? 'AGLU(z)' : 'APA(z)', series: [...series, ...refs],
      yDomain: a.kind === 'aglu' ? [-0.7, 3] : [0, 1],
    });
  });
  return figureSpec({ text: 'Learned activations', subtitle: title }, panels, Math.min(3, panels.length));
}

/** Class regions (colour = predicted class, paler = less confident) with the test points on top. */
export function decisionBoundaryChart(g: DecisionGrid, classNames: string[], title: string): TopLevelSpec {
  const dx = (g.xs[1] - g.xs[0]) / 2, dy = (g.ys[1] - g.ys[0]) / 2;
  // Merge runs of equal class and confidence level along each row: a few hundred rects instead of thousands keep
  // the SVG small; 6 confidence levels are more than the eye tells apart.
  const levels = 6, floor = 1 / Math.max(2, classNames.length);
  const level = (c: number): number => Math.min(levels - 1, Math.floor(((c - floor) / (1 - floor)) * levels));
  const cells: Record<string, number | string>[] = [];
  g.ys.forEach((y, j) => {
    let start = 0;
    for (let i = 1; i <= g.xs.length; i++) {
      const a = j * g.xs.length + start, b = j * g.xs.length + i;
      if (i < g.xs.length && g.predicted[a] === g.predicted[b] && level(g.confidence[a]) === level(g.confidence[b])) continue;
      const cls = classNames[g.predicted[a]] ?? String(g.predicted[a]);
      const r4 = (v: number): number => Math.round(v * 1e4) / 1e4;
      cells.push({ x: r4(g.xs[start] - dx), x2: r4(g.xs[i - 1] + dx), y: r4(y - dy), y2: r4(y + dy), region: cls, conf: (level(g.confidence[a]) + 0.5) / levels });
      start = i;
    }
  });
  const points = g.points.map((p) => ({ x: p.x, y: p.y, cls: classNames[p.label] ?? String(p.label) }));
  const color = { field: 'cls', type: 'nominal', title: 'class', scale: { domain: classNames, range: PALETTE.slice(0, classNames.length) } };
  const xScale = { domain: [g.xs[0] - dx, g.xs[g.xs.length - 1] + dx], nice: false, zero: false };
  const yScale = { domain: [g.ys[0] - dy, g.ys[g.ys.length - 1] + dy], nice: false, zero: false };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Decision boundary', subtitle: [title, 'regions: predicted class (paler = less sure) · points: test set, coloured by true class'] },
    width: 420,
    height: 420,
    config: { axis: { grid: false } },
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect', strokeWidth: 0 },
        encoding: {
          x: { field: 'x', type: 'quantitative', title: 'feature 1 (standardised)', scale: xScale },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', title: 'feature 2 (standardised)', scale: yScale },
          y2: { field: 'y2' },
          // A field of its own ('region'): vega-lite merges legends by field, and this one has none.
          fill: { ...color, field: 'region', legend: null },
          opacity: { field: 'conf', type: 'quantitative', scale: { domain: [0, 1], range: [0.06, 0.45] }, legend: null },
        },
      },
      {
        data: { values: points },
        mark: { type: 'circle', size: 26, stroke: '#222', strokeWidth: 0.6, opacity: 0.95 },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: xScale },
          y: { field: 'y', type: 'quantitative', scale: yScale },
          color: { ...color, legend: { orient: 'right', symbolType: 'circle' } },
        },
      },
    ],
  } as unknown as TopLevelSpec;
}
