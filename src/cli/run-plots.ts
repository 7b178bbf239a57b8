/**
 * `aglu plot model RUN_DIR`: redraws a run's plots from its metrics.json and model.safetensors (the decision
 * boundary needs the model: it is rebuilt from the recorded config and loaded from the checkpoint).
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decodeSafetensors, setBackend } from '../index.js';
import { ensureWritableDir } from './files.js';
import { writeRunPlots, type RunMetrics } from './run-files.js';
import { buildModel, decisionGrid, loadData } from './train-core.js';
import type { DecisionGrid } from './train-types.js';
import { UsageError } from './usage.js';

/** Reads and checks a run folder's metrics.json. */
export function readRunMetrics(runDir: string): RunMetrics {
  if (!existsSync(runDir) || !statSync(runDir).isDirectory())
    throw new UsageError(`run folder '${runDir}' does not exist; give a folder written by 'aglu train'`, 'plot');
  const path = join(runDir, 'metrics.json');
  if (!existsSync(path)) throw new UsageError(`'${runDir}' has no metrics.json; give a folder written by 'aglu train'`, 'plot');
  let m: RunMetrics;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as RunMetrics;
  } catch (e) {
    throw new UsageError(`${path} is not valid JSON (${e instanceof Error ? e.message : String(e)})`, 'plot');
  }
  if (typeof m !== 'object' || m === null || !m.config || !Array.isArray(m.history) || !m.trajectory || !Array.isArray(m.activations))
    throw new UsageError(`${path} is not the metrics of an aglu run (config, history, trajectory, activations missing)`, 'plot');
  // JSON has no NaN: metrics.json stores missing numbers as null.
  m.history = m.history.map((h) => ({ ...h, testLoss: h.testLoss ?? NaN, testAccuracy: h.testAccuracy ?? NaN }));
  return m;
}

/** The decision grid of a 2-D run, from its checkpoint (null when the data are not 2-D or there is no checkpoint). */
function gridFromCheckpoint(runDir: string, m: RunMetrics): DecisionGrid | undefined {
  const ckpt = join(runDir, 'model.safetensors');
  if (m.data.numFeatures !== 2 || !existsSync(ckpt)) return undefined;
  setBackend('js');
  const loaded = loadData(m.config, m.config.dataSeed ?? m.config.seed);
  const model = buildModel(m.config, m.data.numFeatures, m.data.numClasses);
  const saved = decodeSafetensors(new Uint8Array(readFileSync(ckpt)), ckpt).tensors;
  model.loadStateDict(Object.fromEntries(model.namedParameters().map(([n]) => [n, saved[n]])));
  return decisionGrid(model, loaded.split);
}

/** Redraws every plot of a run into `out` (default: the run folder); returns the paths written. */
export async function plotRun(runDir: string, out: string | undefined, png: boolean): Promise<string[]> {
  const m = readRunMetrics(runDir);
  const dir = ensureWritableDir(out ?? runDir, '--out', 'plot');
  const plots = await writeRunPlots(dir, m, { decisionGrid: gridFromCheckpoint(runDir, m) }, png);
  return plots.flatMap((p) => [join(dir, p.file), ...(png ? [join(dir, p.file.replace(/\.svg$/, '.png'))] : [])]);
}
