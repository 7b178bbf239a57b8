/**
 * `aglu compare`: the same training for every activation and seed (the data stay fixed: generated and split with
 * the first seed; each seed changes the initialisation and the batch order). Writes compare.md, compare.json and
 * compare.svg, plus one folder per run (`<act>-s<seed>`: metrics, history, checkpoint, report).
 */
import { join, relative } from 'node:path';
import Table from 'cli-table3';
import type { TopLevelSpec } from 'vega-lite';
import { PALETTE } from '../plot/charts.js';
import { writeChart } from './chart-files.js';
import { prepareRunDir, writeFileAtomic } from './files.js';
import { EpochProgress } from './progress.js';
import type { CliIo } from './program.js';
import { reproduceCommand, toJson, writeRunFolder } from './run-files.js';
import { configFromOptions, defaultRunDir, exitCodeFor, withSignals, type TrainingCliOptions } from './train.js';
import { startTraining, type TrainingHandle } from './train-runner.js';
import type { TrainConfig, TrainResult } from './train-types.js';
import { EXIT, type ActivationCliName } from './usage.js';

export interface CompareCliOptions extends TrainingCliOptions {
  acts: ActivationCliName[];
  seeds: number;
}

export interface RunSummary {
  act: ActivationCliName;
  seed: number;
  dir: string;
  status: TrainResult['status'];
  epochsCompleted: number;
  testAccuracy: number;
  shot?: { many: number | null; medium: number | null; few: number | null };
  /** Final λ and κ by parameter name (mean over units for per-channel parameters). */
  lambda: Record<string, number>;
  kappa: Record<string, number>;
  secondsPerEpoch: number;
}

export interface Stat {
  mean: number;
  std: number;
  n: number;
}

export interface ActSummary {
  act: ActivationCliName;
  runs: number;
  testAccuracy: Stat;
  many?: Stat;
  medium?: Stat;
  few?: Stat;
  lambda: Record<string, Stat>;
  kappa: Record<string, Stat>;
  secondsPerEpoch: Stat;
}

/** Mean and sample standard deviation (n − 1; 0 for a single value) of the finite values. */
export function stat(values: (number | null | undefined)[]): Stat {
  const v = values.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  const n = v.length;
  if (n === 0) return { mean: NaN, std: NaN, n: 0 };
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const std = n < 2 ? 0 : Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return { mean, std, n };
}

const avg = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

function summarizeRun(act: ActivationCliName, seed: number, dir: string, r: TrainResult): RunSummary {
  const lambda: Record<string, number> = {}, kappa: Record<string, number> = {};
  for (const a of r.activations) {
    lambda[`${a.layer}.lambda`] = avg(a.lambda);
    kappa[`${a.layer}.kappa`] = avg(a.kappa);
  }
  return {
    act, seed, dir, status: r.status, epochsCompleted: r.epochsCompleted, testAccuracy: r.final.testAccuracy,
    ...(r.final.shot ? { shot: { many: r.final.shot.many, medium: r.final.shot.medium, few: r.final.shot.few } } : {}),
    lambda, kappa, secondsPerEpoch: r.history.length > 0 ? avg(r.history.map((h) => h.seconds)) : NaN,
  };
}

/** Per activation: mean ± std over the seeds that completed. */
export function summarize(runs: RunSummary[], acts: ActivationCliName[], longTailed: boolean): ActSummary[] {
  return acts.map((act) => {
    const rs = runs.filter((r) => r.act === act && r.status === 'completed');
    const keys = (f: (r: RunSummary) => Record<string, number>): string[] => [...new Set(rs.flatMap((r) => Object.keys(f(r))))];
    const byKey = (f: (r: RunSummary) => Record<string, number>): Record<string, Stat> =>
      Object.fromEntries(keys(f).map((k) => [k, stat(rs.map((r) => f(r)[k]))]));
    return {
      act, runs: rs.length, testAccuracy: stat(rs.map((r) => r.testAccuracy)),
      ...(longTailed ? { many: stat(rs.map((r) => r.shot?.many)), medium: stat(rs.map((r) => r.shot?.medium)), few: stat(rs.map((r) => r.shot?.few)) } : {}),
      lambda: byKey((r) => r.lambda), kappa: byKey((r) => r.kappa), secondsPerEpoch: stat(rs.map((r) => r.secondsPerEpoch)),
    };
  });
}

const pm = (s: Stat | undefined, percent = true): string => {
  if (!s || s.n === 0 || !Number.isFinite(s.mean)) return '—';
  return percent ? `${(100 * s.mean).toFixed(1)} ± ${(100 * s.std).toFixed(1)}` : `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}`;
};
const params = (m: Record<string, Stat>): string => {
  const e = Object.entries(m);
  return e.length === 0 ? '—' : e.map(([k, s]) => `${k.replace(/\.(lambda|kappa)$/, '')}: ${s.mean.toFixed(2)}`).join(', ');
};

/** The rows of the comparison table (also used for compare.md). */
function tableRows(summary: ActSummary[], longTailed: boolean): { head: string[]; rows: string[][] } {
  const head = ['activation', 'runs', 'test acc % (mean ± std)', ...(longTailed ? ['many %', 'medium %', 'few %'] : []), 'learned λ (per layer)', 'learned κ (per layer)', 's / epoch'];
  const rows = summary.map((s) => [
    s.act, String(s.runs), pm(s.testAccuracy), ...(longTailed ? [pm(s.many), pm(s.medium), pm(s.few)] : []),
    params(s.lambda), params(s.kappa), Number.isFinite(s.secondsPerEpoch.mean) ? s.secondsPerEpoch.mean.toFixed(3) : '—',
  ]);
  return { head, rows };
}

/** Dot plot: mean test accuracy per activation, ±1 std error bars, one dot per seed (and per shot group for LT). */
export function compareChart(runs: RunSummary[], acts: ActivationCliName[], longTailed: boolean, subtitle: string): TopLevelSpec {
  const rows: { act: string; metric: string; value: number; seed: number }[] = [];
  for (const r of runs.filter((x) => x.status === 'completed')) {
    rows.push({ act: r.act, metric: 'all classes', value: 100 * r.testAccuracy, seed: r.seed });
    if (longTailed && r.shot)
      for (const g of ['many', 'medium', 'few'] as const) {
        const v = r.shot[g];
        if (v !== null) rows.push({ act: r.act, metric: `${g}-shot`, value: 100 * v, seed: r.seed });
      }
  }
  const x = { field: 'act', type: 'nominal', title: null, sort: acts, axis: { labelAngle: 0 } };
  const color = { field: 'act', type: 'nominal', scale: { domain: acts, range: PALETTE.slice(0, acts.length) }, legend: null };
  // Not bars from zero: the differences that matter are a few points of accuracy.
  const y = { field: 'value', type: 'quantitative', title: 'test accuracy (%)', scale: { zero: false, padding: 12 } };
  const layer = [
    { mark: { type: 'errorbar', extent: 'stdev', ticks: { size: 14 }, thickness: 2 }, encoding: { x, y, color } },
    { mark: { type: 'point', filled: true, size: 160, opacity: 1 }, encoding: { x, y: { ...y, aggregate: 'mean' }, color } },
    { mark: { type: 'circle', size: 28, color: '#333', opacity: 0.55, xOffset: 14 }, encoding: { x, y } },
  ];
  const title = { text: 'Test accuracy per activation', subtitle: [subtitle, 'big dot: mean over seeds · whiskers: ±1 std · small dots: single seeds'] };
  const base = { $schema: 'https://vega.github.io/schema/vega-lite/v6.json', title, data: { values: rows } };
  if (!longTailed) return { ...base, width: Math.max(220, 70 * acts.length), height: 260, layer } as unknown as TopLevelSpec;
  return {
    ...base,
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['all classes', 'many-shot', 'medium-shot', 'few-shot'], header: { labelFontSize: 13 } } },
    spec: { width: Math.max(160, 55 * acts.length), height: 240, layer },
  } as unknown as TopLevelSpec;
}

function compareMarkdown(base: TrainConfig, acts: ActivationCliName[], seeds: number[], summary: ActSummary[], runs: RunSummary[], interrupted: string | null, longTailed: boolean): string {
  const { head, rows } = tableRows(summary, longTailed);
  const lines = [`# aglu compare: ${acts.join(', ')} on ${base.dataset}${base.imbalance !== undefined ? ` (long-tailed, ρ = ${base.imbalance})` : ''}`, ''];
  if (interrupted)
    lines.push(`> **Interrupted** (${interrupted}): ${runs.filter((r) => r.status === 'completed').length} of ${acts.length * seeds.length} runs completed; the table covers those.`, '');
  lines.push(`Seeds ${seeds.join(', ')} per activation; the data are the same for every run (seed ${base.dataSeed ?? base.seed}). ` +
    `Each run: ${reproduceCommand({ ...base, act: 'aglu' }).replace('--act aglu', '--act <act>').replace(/--seed \d+/, '--seed <seed>').replace(/ --data-seed \d+/, '')} --data-seed ${base.dataSeed}`, '');
  lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`), '');
  lines.push('![Test accuracy per activation](compare.svg)', '', '## Runs', '', '| activation | seed | status | test acc | folder |', '|---|---|---|---|---|');
  for (const r of runs) lines.push(`| ${r.act} | ${r.seed} | ${r.status} | ${(100 * r.testAccuracy).toFixed(1)}% | [${r.dir}](${r.dir}/report.md) |`);
  lines.push('');
  return lines.join('\n');
}

/** Runs `aglu compare`. */
export async function runCompare(o: CompareCliOptions, io: CliIo): Promise<number> {
  const base = { ...configFromOptions(o, o.acts[0], 'compare'), dataSeed: o.seed };
  const dir = prepareRunDir(o.out ?? defaultRunDir(`compare-${o.dataset}`), o.force, 'compare');
  const seeds = Array.from({ length: o.seeds }, (_, i) => o.seed + i);
  const total = o.acts.length * seeds.length;
  const runs: RunSummary[] = [];
  let handle: TrainingHandle | null = null;
  const longTailed = base.imbalance !== undefined;
  const { signal } = await withSignals(() => handle, (m) => io.err(`\n${m}\n`), async () => {
    let k = 0;
    for (const act of o.acts)
      for (const seed of seeds) {
        k++;
        const config: TrainConfig = { ...base, act, seed };
        const label = `[${k}/${total}] ${act} s${seed} · `;
        const progress = new EpochProgress(config.epochs, process.stderr, o.quiet, label);
        handle = startTraining(config, (e) => progress.onEvent(e), 'compare');
        let result: TrainResult;
        try {
          result = await handle.result;
        } finally {
          progress.close();
          handle = null;
        }
        const runDir = join(dir, `${act}-s${seed}`);
        prepareRunDir(runDir, true, 'compare');
        await writeRunFolder(runDir, config, result, { png: false, plots: false });
        runs.push(summarizeRun(act, seed, `${act}-s${seed}`, result));
        if (!o.quiet) io.err(`${label}test accuracy ${(100 * result.final.testAccuracy).toFixed(1)}%${result.status === 'interrupted' ? ' (interrupted)' : ''}\n`);
        if (result.status === 'interrupted') return;
      }
  });
  const summary = summarize(runs, o.acts, longTailed);
  const subtitle = `${o.dataset}${longTailed ? ` (ρ = ${base.imbalance})` : ''}, ${o.epochs} epochs, ${seeds.length} seed${seeds.length > 1 ? 's' : ''}${signal ? ' — interrupted' : ''}`;
  writeFileAtomic(join(dir, 'compare.json'), toJson({ status: signal ? 'interrupted' : 'completed', ...(signal ? { signal } : {}), config: base, acts: o.acts, seeds, summary, runs }));
  if (runs.some((r) => r.status === 'completed')) await writeChart(dir, 'compare', compareChart(runs, o.acts, longTailed, subtitle), o.png);
  writeFileAtomic(join(dir, 'compare.md'), compareMarkdown(base, o.acts, seeds, summary, runs, signal, longTailed));
  const { head, rows } = tableRows(summary, longTailed);
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const r of rows) table.push(r);
  io.out(table.toString() + '\n');
  if (signal) io.out(`interrupted: ${runs.filter((r) => r.status === 'completed').length} of ${total} runs completed\n`);
  io.out(`report: ${relative(process.cwd(), join(dir, 'compare.md'))}\n`);
  return signal ? exitCodeFor(signal) : EXIT.ok;
}
