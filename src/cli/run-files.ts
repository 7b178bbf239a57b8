/**
 * The run folder of `aglu train`: metrics.json, history.csv, model.safetensors, report.md and the SVG plots, each
 * written atomically. The report is what a reader opens first; everything in it comes from metrics.json.
 */
import { join } from 'node:path';
import { activationsChart, decisionBoundaryChart, trainingCurves, trajectoryChart } from '../plot/run-charts.js';
import { writeChart } from './chart-files.js';
import { writeFileAtomic } from './files.js';
import type { TrainConfig, TrainResult } from './train-types.js';
import { versions } from './versions.js';

/** metrics.json: everything about a run except the checkpoint and the decision-boundary grid. */
export interface RunMetrics {
  aglu: string;
  status: TrainResult['status'];
  /** Why it stopped early (SIGINT, SIGTERM), when interrupted. */
  signal?: string;
  createdAt: string;
  command: string;
  config: TrainConfig;
  backend: TrainResult['backend'];
  versions: Record<string, string | null>;
  data: TrainResult['data'];
  parameterCount: number;
  epochsRequested: number;
  epochsCompleted: number;
  final: TrainResult['final'];
  history: TrainResult['history'];
  trajectory: TrainResult['trajectory'];
  activations: TrainResult['activations'];
  seconds: number;
}

/** JSON with NaN written as null (JSON has no NaN). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n';
}

/** The command line that reproduces a config. */
export function reproduceCommand(c: TrainConfig): string {
  const parts = ['aglu train', `--dataset ${c.dataset}`];
  if (c.samples !== undefined && c.dataset !== 'iris') parts.push(`--samples ${c.samples}`);
  if (c.noise !== undefined) parts.push(`--noise ${c.noise}`);
  if (c.imbalance !== undefined) parts.push(`--imbalance ${c.imbalance}`);
  parts.push(`--act ${c.act}`);
  if (c.act === 'apa' || c.act === 'aglu') parts.push(`--act-params ${c.actParams}`);
  parts.push(`--hidden ${c.hidden.join(',')}`, `--epochs ${c.epochs}`, `--batch-size ${c.batchSize}`, `--lr ${c.lr}`,
    `--optimizer ${c.optimizer}`, `--weight-decay ${c.weightDecay}`, `--schedule ${c.schedule}`, `--loss ${c.loss}`, `--seed ${c.seed}`);
  if (c.dataSeed !== undefined && c.dataSeed !== c.seed) parts.push(`--data-seed ${c.dataSeed}`);
  if (c.backend) parts.push(`--backend ${c.backend.text}`);
  return parts.join(' ');
}

export function buildMetrics(config: TrainConfig, r: TrainResult, signal?: string): RunMetrics {
  const v = versions();
  return {
    aglu: v.aglu ?? '', status: r.status, ...(signal ? { signal } : {}), createdAt: new Date().toISOString(),
    command: reproduceCommand(config), config, backend: r.backend, versions: v, data: r.data, parameterCount: r.parameterCount,
    epochsRequested: config.epochs, epochsCompleted: r.epochsCompleted, final: r.final, history: r.history,
    trajectory: r.trajectory, activations: r.activations, seconds: r.seconds,
  };
}

const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

/** history.csv: one row per completed epoch; λ/κ columns hold the value after the epoch (mean over channels). */
export function historyCsv(m: RunMetrics): string {
  const keys = Object.keys(m.trajectory);
  const head = ['epoch', 'loss', 'train_accuracy', 'test_loss', 'test_accuracy', 'lr', 'seconds', ...keys];
  const num = (v: number): string => (Number.isFinite(v) ? String(v) : '');
  const rows = m.history.map((h) => [
    String(h.epoch), num(h.loss), num(h.trainAccuracy), num(h.testLoss), num(h.testAccuracy), num(h.lr), num(h.seconds),
    ...keys.map((k) => num(mean(m.trajectory[k][h.epoch] ?? []))),
  ]);
  return [head, ...rows].map((r) => r.join(',')).join('\n') + '\n';
}

const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(1)}%`);
const num = (v: number): string => (Number.isFinite(v) ? (Math.abs(v) >= 0.001 ? v.toPrecision(4) : v.toExponential(2)) : '—');

/** "0.731" for one value, "mean 0.73 [0.41, 1.20]" for per-channel values. */
export function describeValues(v: number[]): string {
  if (v.length === 1) return num(v[0]);
  return `mean ${num(mean(v))} [${num(Math.min(...v))}, ${num(Math.max(...v))}] over ${v.length} units`;
}

/** A one-line description of the model. */
export function modelLine(c: TrainConfig, m: RunMetrics): string {
  const sizes = [m.data.numFeatures, ...c.hidden, m.data.numClasses].join(' → ');
  const act = c.act.toUpperCase() + (c.act === 'apa' || c.act === 'aglu' ? ` (${c.actParams === 'channel' ? 'λ, κ per unit' : 'one λ, κ per layer'})` : '');
  return `MLP ${sizes}, ${act}, ${m.parameterCount.toLocaleString('en-US')} parameters`;
}

/** report.md: what ran, how it ended, the numbers and the pictures. */
export function reportMarkdown(m: RunMetrics, plots: { file: string; title: string }[]): string {
  const c = m.config;
  const lines: string[] = [];
  lines.push(`# aglu run: ${c.act.toUpperCase()} MLP on ${m.data.name}`, '');
  if (m.status === 'interrupted')
    lines.push(`> **Interrupted** (${m.signal ?? 'stopped'}) after ${m.epochsCompleted} of ${m.epochsRequested} epochs. ` +
      `The checkpoint, the metrics and the plots are those of the last completed epoch (${m.epochsCompleted}).`, '');
  const perEpoch = m.history.length > 0 ? mean(m.history.map((h) => h.seconds)) : NaN;
  lines.push('| | |', '|---|---|',
    `| status | ${m.status === 'interrupted' ? '**interrupted**' : 'completed'} |`,
    `| dataset | ${m.data.name}: ${m.data.numFeatures} features, ${m.data.numClasses} classes, ${m.data.trainSize} train / ${m.data.testSize} test samples |`,
    ...(c.imbalance !== undefined ? [`| long tail | ρ = ${c.imbalance}: train samples per class ${m.data.trainCounts.join(', ')} (test balanced) |`] : []),
    `| model | ${modelLine(c, m)} |`,
    `| training | ${m.epochsCompleted}/${m.epochsRequested} epochs, batch ${c.batchSize}, ${c.optimizer} lr ${c.lr} (${c.schedule}), weight decay ${c.weightDecay}, loss ${c.loss}, seed ${c.seed} |`,
    `| backend | ${m.backend.name}${m.backend.name === 'js' ? '' : ` (mode ${m.backend.mode})`} |`,
    `| time | ${m.seconds.toFixed(1)} s in all, ${Number.isFinite(perEpoch) ? perEpoch.toFixed(3) : '—'} s per epoch |`,
    `| software | aglu ${m.versions.aglu}, node ${m.versions.node}, gpu.js ${m.versions['gpu.js'] ?? '—'} |`, '');
  lines.push('## Results', '', '| metric | value |', '|---|---|',
    `| test accuracy | **${pct(m.final.testAccuracy)}** |`, `| test loss | ${num(m.final.testLoss)} |`,
    `| train accuracy | ${pct(m.final.trainAccuracy)} |`);
  if (m.final.shot) {
    const s = m.final.shot;
    lines.push(`| many-shot accuracy (> ${num(s.thresholds.many)} train samples) | ${pct(s.many)} |`,
      `| medium-shot accuracy | ${pct(s.medium)} |`, `| few-shot accuracy (< ${num(s.thresholds.few)} train samples) | ${pct(s.few)} |`);
  }
  const names = m.data.classNames ?? m.final.perClassAccuracy.map((_, i) => String(i));
  lines.push(`| per-class test accuracy | ${m.final.perClassAccuracy.map((a, i) => `${names[i]}: ${pct(a)}`).join(', ')} |`, '');
  const apaKeys = Object.keys(m.trajectory);
  if (apaKeys.length > 0) {
    lines.push('## Learned λ and κ', '', '| parameter | initial | final |', '|---|---|---|');
    for (const k of apaKeys) {
      const t = m.trajectory[k];
      lines.push(`| ${k} | ${describeValues(t[0])} | ${describeValues(t[t.length - 1])} |`);
    }
    lines.push('', 'λ = 1 makes the APA gate the sigmoid (AGLU = SiLU at κ = 1), λ → 0 the Gumbel gate; larger κ sharpens the gate toward a step (AGLU toward ReLU).', '');
  }
  if (m.history.length > 0) {
    lines.push('## Per epoch', '', '| epoch | loss | train acc | test loss | test acc | lr | s |', '|---|---|---|---|---|---|---|');
    const rows = m.history.length <= 25 ? m.history : [...m.history.slice(0, 10), null, ...m.history.slice(-10)];
    for (const h of rows)
      lines.push(h === null ? '| … | | | | | | |' : `| ${h.epoch} | ${num(h.loss)} | ${pct(h.trainAccuracy)} | ${num(h.testLoss)} | ${pct(h.testAccuracy)} | ${num(h.lr)} | ${h.seconds.toFixed(2)} |`);
    lines.push('', 'All epochs are in history.csv and metrics.json.', '');
  }
  if (plots.length > 0) {
    lines.push('## Plots', '');
    for (const p of plots) lines.push(`### ${p.title}`, '', `![${p.title}](${p.file})`, '');
  }
  lines.push('## Reproduce', '', '```sh', m.command, '```', '');
  return lines.join('\n');
}

/** The plots of a run, rendered into `dir`; returns [file, title] of each SVG. */
export async function writeRunPlots(dir: string, m: RunMetrics, r: Pick<TrainResult, 'decisionGrid'>, png: boolean): Promise<{ file: string; title: string }[]> {
  const title = `${m.config.act.toUpperCase()} MLP on ${m.data.name}, ${m.epochsCompleted} epochs${m.status === 'interrupted' ? ' (interrupted)' : ''}`;
  const out: { file: string; title: string }[] = [];
  const add = async (name: string, t: string, spec: ReturnType<typeof trainingCurves> | null): Promise<void> => {
    if (spec === null) return;
    await writeChart(dir, name, spec, png);
    out.push({ file: `${name}.svg`, title: t });
  };
  if (m.history.length > 0) await add('training-curves', 'Loss and accuracy', trainingCurves(m.history, title));
  await add('apa-params', 'λ and κ during training', trajectoryChart(m.trajectory, title));
  await add('activations', 'Learned activations against ReLU, SiLU, GELU', activationsChart(m.activations, title));
  if (r.decisionGrid) {
    const names = m.data.classNames ?? Array.from({ length: m.data.numClasses }, (_, i) => `class ${i}`);
    await add('decision-boundary', 'Decision boundary', decisionBoundaryChart(r.decisionGrid, names, title));
  }
  return out;
}

/**
 * Writes the whole run folder. The checkpoint and metrics go first, the report last: a report on disk means the
 * files it points to are there.
 */
export async function writeRunFolder(dir: string, config: TrainConfig, r: TrainResult, options: { png: boolean; signal?: string; plots?: boolean }): Promise<RunMetrics> {
  const m = buildMetrics(config, r, options.signal);
  writeFileAtomic(join(dir, 'model.safetensors'), r.checkpoint);
  writeFileAtomic(join(dir, 'metrics.json'), toJson(m));
  writeFileAtomic(join(dir, 'history.csv'), historyCsv(m));
  const plots = options.plots === false ? [] : await writeRunPlots(dir, m, r, options.png);
  writeFileAtomic(join(dir, 'report.md'), reportMarkdown(m, plots));
  return m;
}
