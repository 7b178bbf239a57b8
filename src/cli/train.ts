/**
 * `aglu train`: checks the options, prepares the run folder, trains in a worker with a progress bar, and writes
 * the run folder. Ctrl-C / SIGTERM: the worker stops after the current step, the last completed epoch is written
 * (checkpoint, metrics, plots, a report marked interrupted) and the exit code is 130 / 143. A second Ctrl-C quits
 * at once (every file on disk is still whole: all writes are atomic).
 */
import { existsSync, readdirSync, rmdirSync } from 'node:fs';
import { relative } from 'node:path';
import Table from 'cli-table3';
import { prepareRunDir, removePendingTemporaries } from './files.js';
import { EpochProgress } from './progress.js';
import type { CliIo } from './program.js';
import { describeValues, modelLine, writeRunFolder, type RunMetrics } from './run-files.js';
import { startTraining, type TrainingHandle } from './train-runner.js';
import type { TrainConfig, TrainResult } from './train-types.js';
import { EXIT, UsageError, type ActivationCliName } from './usage.js';

/** What commander hands over for train (and, less `act`, for compare): the run's settings plus output flags. */
export interface TrainingCliOptions extends Omit<TrainConfig, 'act' | 'dataSeed'> {
  out?: string;
  force: boolean;
  png: boolean;
  quiet: boolean;
}

export interface TrainCliOptions extends TrainingCliOptions {
  act: ActivationCliName;
  dataSeed?: number;
}

const TWO_D = ['moons', 'circles', 'spirals', 'blobs'];

/** Turns options into a TrainConfig, refusing combinations that would be silently ignored. */
export function configFromOptions(o: TrainingCliOptions, act: ActivationCliName, command: string): TrainConfig {
  if (o.noise !== undefined && !TWO_D.includes(o.dataset))
    throw new UsageError(`--noise applies to the generated datasets (${TWO_D.join(', ')}), not to ${o.dataset}`, command);
  if (o.samples !== undefined && o.dataset === 'iris') throw new UsageError(`--samples does not apply to iris (it has 150 samples)`, command);
  if (o.dataset === 'mnist' && o.samples !== undefined && o.samples > 8000)
    throw new UsageError(`--samples for mnist caps the 8000 training digits; got ${o.samples}`, command);
  const samples = o.dataset === 'mnist' || o.dataset === 'iris' ? o.samples : o.samples ?? 1000;
  return {
    dataset: o.dataset, ...(samples === undefined ? {} : { samples }), ...(o.noise === undefined ? {} : { noise: o.noise }),
    ...(o.imbalance === undefined ? {} : { imbalance: o.imbalance }), act, actParams: o.actParams, hidden: o.hidden,
    epochs: o.epochs, batchSize: o.batchSize, lr: o.lr, optimizer: o.optimizer, weightDecay: o.weightDecay,
    schedule: o.schedule, loss: o.loss, seed: o.seed, ...(o.backend === undefined ? {} : { backend: o.backend }),
  };
}

/** A folder name from the time and the run's main choices: runs/20250101-120000-moons-aglu. */
export function defaultRunDir(prefix: string): string {
  const d = new Date();
  const p = (n: number): string => String(n).padStart(2, '0');
  return `runs/${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${prefix}`;
}

/**
 * SIGINT/SIGTERM while `work` runs: the first asks `handle()` to stop, the second ends the process at once.
 * Returns the signal that arrived first, if any.
 */
export async function withSignals<T>(
  handle: () => TrainingHandle | null, note: (m: string) => void, work: () => Promise<T>,
): Promise<{ value: T; signal: NodeJS.Signals | null }> {
  let signal: NodeJS.Signals | null = null;
  const on = (sig: NodeJS.Signals): void => {
    if (signal === null) {
      signal = sig;
      handle()?.stop();
      note(`${sig} received: stopping after the current step and keeping the last completed epoch (${sig === 'SIGINT' ? 'Ctrl-C' : 'send it'} again to quit at once)`);
      return;
    }
    removePendingTemporaries();
    void handle()?.kill();
    process.exit(sig === 'SIGTERM' ? EXIT.sigterm : EXIT.sigint);
  };
  process.on('SIGINT', on);
  process.on('SIGTERM', on);
  try {
    const value = await work();
    return { value, signal };
  } finally {
    process.off('SIGINT', on);
    process.off('SIGTERM', on);
  }
}

export const exitCodeFor = (signal: NodeJS.Signals | null): number =>
  signal === 'SIGTERM' ? EXIT.sigterm : signal === 'SIGINT' ? EXIT.sigint : EXIT.ok;

function summaryTable(m: RunMetrics, dir: string): string {
  const t = new Table({ style: { head: [], border: [] }, wordWrap: true, colWidths: [20, 72] });
  const c = m.config;
  const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '—' : `${(100 * v).toFixed(1)}%`);
  t.push(
    ['status', m.status === 'completed' ? 'completed' : `INTERRUPTED after epoch ${m.epochsCompleted}/${m.epochsRequested}`],
    ['data', `${m.data.name}: ${m.data.trainSize} train / ${m.data.testSize} test, ${m.data.numClasses} classes`],
    ['model', modelLine(c, m)],
    ['backend', `${m.backend.name}${m.backend.name === 'js' ? '' : ':' + m.backend.mode}`],
    ['test accuracy', pct(m.final.testAccuracy)],
    ['test loss', Number.isFinite(m.final.testLoss) ? m.final.testLoss.toFixed(4) : '—'],
    ['train accuracy', pct(m.final.trainAccuracy)],
  );
  if (m.final.shot) t.push(['many/medium/few', `${pct(m.final.shot.many)} / ${pct(m.final.shot.medium)} / ${pct(m.final.shot.few)}`]);
  for (const [k, v] of Object.entries(m.trajectory)) t.push([`${k} (final)`, describeValues(v[v.length - 1])]);
  const perEpoch = m.history.length > 0 ? m.history.reduce((a, h) => a + h.seconds, 0) / m.history.length : NaN;
  t.push(['time', `${m.seconds.toFixed(1)} s (${Number.isFinite(perEpoch) ? perEpoch.toFixed(3) : '—'} s/epoch)`], ['run folder', dir]);
  return t.toString();
}

/** Runs `aglu train`. */
export async function runTrain(o: TrainCliOptions, io: CliIo): Promise<number> {
  const config = { ...configFromOptions(o, o.act, 'train'), ...(o.dataSeed === undefined ? {} : { dataSeed: o.dataSeed }) };
  const wanted = o.out ?? defaultRunDir(`${o.dataset}-${o.act}`);
  const existed = existsSync(wanted);
  const dir = prepareRunDir(wanted, o.force, 'train');
  const shown = relative(process.cwd(), dir) || '.';
  const progress = new EpochProgress(config.epochs, process.stderr, o.quiet);
  let handle: TrainingHandle | null = null;
  // A run that fails before it has anything to write leaves no empty folder behind.
  const dropIfEmpty = (): void => {
    if (!existed && existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
  };
  const { value: result, signal } = await withSignals<TrainResult>(() => handle, (m) => progress.note(m), async () => {
    handle = startTraining(config, (e) => {
      if (e.type === 'start' && !o.quiet)
        progress.note(`training ${config.act.toUpperCase()} MLP on ${e.data.name} (${e.data.trainSize} train / ${e.data.testSize} test) · ${e.parameterCount} parameters · backend ${e.backend.name}${e.backend.name === 'js' ? '' : ':' + e.backend.mode} · ${config.epochs} epochs × ${e.stepsPerEpoch} steps`);
      progress.onEvent(e);
    });
    try {
      return await handle.result;
    } catch (e) {
      dropIfEmpty();
      throw e;
    } finally {
      progress.close();
    }
  });
  const m = await writeRunFolder(dir, config, result, { png: o.png, ...(signal && result.status === 'interrupted' ? { signal } : {}) });
  io.out(summaryTable(m, shown) + '\n');
  if (m.status === 'interrupted') io.out(`interrupted: wrote the last completed epoch (${m.epochsCompleted}) to ${shown}\n`);
  io.out(`report: ${relative(process.cwd(), `${dir}/report.md`)}\n`);
  return exitCodeFor(signal);
}
