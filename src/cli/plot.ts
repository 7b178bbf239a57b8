/** `aglu plot family|derivatives|model RUN_DIR`: the paper's figures, or a run's plots redrawn from its files. */
import { relative } from 'node:path';
import { derivativesFigure, familyFigure } from '../plot/figures.js';
import { writeChart } from './chart-files.js';
import { ensureWritableDir } from './files.js';
import type { CliIo } from './program.js';
import { EXIT, UsageError } from './usage.js';

export interface PlotOptions {
  out?: string;
  png?: boolean;
}

export type Figure = 'family' | 'derivatives' | 'model';

/** Runs `aglu plot`. */
export async function runPlot(figure: Figure, runDir: string | undefined, opts: PlotOptions, io: CliIo): Promise<number> {
  if (figure !== 'model' && runDir !== undefined)
    throw new UsageError(`'${figure}' takes no run folder (got '${runDir}'); only 'aglu plot model RUN_DIR' does`, 'plot');
  if (figure === 'model') {
    if (runDir === undefined) throw new UsageError(`'model' needs the run folder: aglu plot model RUN_DIR`, 'plot');
    const { plotRun } = await import('./run-plots.js');
    const written = await plotRun(runDir, opts.out, opts.png === true);
    for (const p of written) io.out(`wrote ${relative(process.cwd(), p) || p}\n`);
    return EXIT.ok;
  }
  const dir = ensureWritableDir(opts.out ?? '.', '--out', 'plot');
  const spec = figure === 'family' ? familyFigure() : derivativesFigure();
  const written = await writeChart(dir, `aglu-${figure}`, spec, opts.png === true);
  for (const p of written) io.out(`wrote ${relative(process.cwd(), p) || p}\n`);
  return EXIT.ok;
}
