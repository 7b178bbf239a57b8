/**
 * `aglu train` and `aglu compare` run as child processes: the run folder's files, that they agree with each other
 * and with the model (the checkpoint re-evaluated here must give the recorded accuracy), --force, long-tailed
 * metrics, and Ctrl-C / SIGTERM in the middle of a training.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { buildModel, loadData } from '../src/cli/train-core.js';
import type { RunMetrics } from '../src/cli/run-files.js';
import { decodeSafetensors, evaluate, setBackend } from '../src/index.js';
import { aglu, agluAsync, lines, scratch } from './cli-helpers.js';

const TINY = ['--epochs', '2', '--samples', '200', '--hidden', '8', '--batch-size', '32', '--quiet'];

const readMetrics = (dir: string): RunMetrics => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as RunMetrics;
const checkpoint = (dir: string): ReturnType<typeof decodeSafetensors> => decodeSafetensors(new Uint8Array(readFileSync(join(dir, 'model.safetensors'))));

/** Test accuracy of the run's checkpoint on the run's test split, computed here in-process. */
function reevaluate(dir: string): number {
  const m = readMetrics(dir);
  setBackend('js');
  const { split } = loadData(m.config, m.config.dataSeed ?? m.config.seed);
  const model = buildModel(m.config, m.data.numFeatures, m.data.numClasses);
  const saved = checkpoint(dir).tensors;
  model.loadStateDict(Object.fromEntries(model.namedParameters().map(([n]) => [n, saved[n]])));
  return evaluate(model, split.test).accuracy;
}

/** No temporary files of atomic writes left behind. */
const leftovers = (dir: string): string[] => readdirSync(dir).filter((f) => f.includes('.tmp'));

describe('cli: train', function () {
  this.timeout(120_000);
  const s = scratch();
  after(s.cleanup);

  it('writes a complete run folder whose files agree with each other and with the model', () => {
    const r = aglu(['train', ...TINY, '--out', 'run'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const dir = join(s.dir, 'run');
    for (const f of ['metrics.json', 'history.csv', 'model.safetensors', 'report.md', 'training-curves.svg', 'apa-params.svg', 'activations.svg', 'decision-boundary.svg'])
      expect(existsSync(join(dir, f)), f).to.equal(true);
    expect(leftovers(dir)).to.deep.equal([]);
    expect(r.stdout).to.include('report: run/report.md');
    expect(r.stdout).to.match(/test accuracy\s+│ \d+\.\d%/);

    const m = readMetrics(dir);
    expect(m.status).to.equal('completed');
    expect(m.config).to.include({ dataset: 'moons', act: 'aglu', epochs: 2, batchSize: 32, seed: 0 });
    expect(m.config.hidden).to.deep.equal([8]);
    expect(m.backend.name).to.equal('js');
    expect(m.versions.aglu).to.be.a('string');
    expect(m.versions.node).to.equal(process.versions.node);
    expect(m.epochsCompleted).to.equal(2);
    expect(m.history.map((h) => h.epoch)).to.deep.equal([1, 2]);
    expect(m.data).to.include({ trainSize: 150, testSize: 50, numFeatures: 2, numClasses: 2 });
    // AGLU after the one hidden layer: module 1, one λ and κ; entry 0 = initial, then one per epoch.
    expect(Object.keys(m.trajectory).sort()).to.deep.equal(['1.kappa', '1.lambda']);
    expect(m.trajectory['1.lambda']).to.have.length(3);

    // The checkpoint is the final model: its λ is the last trajectory entry, and re-evaluating it gives the
    // recorded test accuracy.
    const ck = checkpoint(dir);
    expect(Object.keys(ck.tensors).sort()).to.deep.equal(['0.bias', '0.weight', '1.kappa', '1.lambda', '2.bias', '2.weight']);
    expect(ck.metadata.epochs).to.equal('2');
    expect(ck.tensors['1.lambda'].item()).to.be.closeTo(m.trajectory['1.lambda'][2][0], 1e-6);
    expect(reevaluate(dir)).to.equal(m.final.testAccuracy);
    expect(m.final.testAccuracy).to.equal(m.history[1].testAccuracy);

    const csv = readFileSync(join(dir, 'history.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).to.equal('epoch,loss,train_accuracy,test_loss,test_accuracy,lr,seconds,1.lambda,1.kappa');
    expect(csv).to.have.length(3);
    const row2 = csv[2].split(',').map(Number);
    expect(row2[0]).to.equal(2);
    expect(row2[1]).to.equal(m.history[1].loss);
    expect(row2[4]).to.equal(m.history[1].testAccuracy);
    expect(row2[7]).to.be.closeTo(m.trajectory['1.lambda'][2][0], 1e-12);

    const report = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(report).to.include('# aglu run: AGLU MLP on moons');
    expect(report).to.include(`| test accuracy | **${(100 * m.final.testAccuracy).toFixed(1)}%** |`);
    expect(report).to.include('![Decision boundary](decision-boundary.svg)');
    expect(report).to.include('aglu train --dataset moons --samples 200 --act aglu');
    expect(report).to.not.include('Interrupted');

    for (const f of ['training-curves.svg', 'decision-boundary.svg']) expect(readFileSync(join(dir, f), 'utf8')).to.match(/^<svg[^>]*>/);
    expect(readFileSync(join(dir, 'activations.svg'), 'utf8')).to.include('GELU');
  });

  it('the same seed on the same backend gives the same run', () => {
    const r = aglu(['train', ...TINY, '--out', 'run2'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const a = readMetrics(join(s.dir, 'run')), b = readMetrics(join(s.dir, 'run2'));
    expect(b.history.map((h) => h.loss)).to.deep.equal(a.history.map((h) => h.loss));
    expect(b.trajectory).to.deep.equal(a.trajectory);
  });

  it('refuses an existing run folder, and --force replaces the old run', () => {
    const again = aglu(['train', ...TINY, '--act', 'relu', '--out', 'run'], s.dir);
    expect(again.code).to.equal(2);
    expect(readMetrics(join(s.dir, 'run')).config.act).to.equal('aglu');
    const forced = aglu(['train', ...TINY, '--act', 'relu', '--out', 'run', '--force'], s.dir);
    expect(forced.code, forced.stderr).to.equal(0);
    const m = readMetrics(join(s.dir, 'run'));
    expect(m.config.act).to.equal('relu');
    // No λ/κ in a ReLU network: the old run's λ/κ plots must not survive next to the new run.
    expect(existsSync(join(s.dir, 'run', 'apa-params.svg'))).to.equal(false);
    expect(existsSync(join(s.dir, 'run', 'activations.svg'))).to.equal(false);
  });

  it('iris: no decision boundary for 4-D data; per-channel λ, κ and the APA-BCE loss are recorded', () => {
    const r = aglu(['train', '--dataset', 'iris', '--epochs', '2', '--hidden', '6', '--act-params', 'channel', '--loss', 'apa-bce', '--quiet', '--out', 'iris'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const dir = join(s.dir, 'iris');
    expect(existsSync(join(dir, 'decision-boundary.svg'))).to.equal(false);
    const m = readMetrics(dir);
    expect(m.data).to.include({ numFeatures: 4, numClasses: 3 });
    expect(m.trajectory['1.lambda'][0]).to.have.length(6);
    expect(m.trajectory['loss.lambda'][0]).to.deep.equal([1]);
    expect(Object.keys(checkpoint(dir).tensors)).to.include.members(['loss.lambda', 'loss.kappa']);
    expect(reevaluate(dir)).to.equal(m.final.testAccuracy);
  });

  it('long-tailed data: many/medium/few-shot accuracy and the class counts', () => {
    const r = aglu(['train', '--dataset', 'blobs', '--imbalance', '20', '--samples', '800', '--epochs', '2', '--hidden', '8', '--quiet', '--out', 'lt'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const m = readMetrics(join(s.dir, 'lt'));
    const counts = m.data.trainCounts;
    expect(counts[0] / counts[counts.length - 1]).to.be.closeTo(20, 2);
    expect(m.final.shot).to.not.equal(undefined);
    const shot = m.final.shot as NonNullable<RunMetrics['final']['shot']>;
    // Each group's value is the mean per-class accuracy of its classes (scaled thresholds: n_max/5 and n_max/25).
    const nMax = Math.max(...counts);
    const group = (keep: (n: number) => boolean): number | null => {
      const accs = counts.map((n, c) => [n, m.final.perClassAccuracy[c]] as const).filter(([n]) => keep(n)).map(([, a]) => a);
      return accs.length === 0 ? null : accs.reduce((a, b) => a + b, 0) / accs.length;
    };
    expect(shot.many).to.equal(group((n) => n > nMax / 5));
    expect(shot.few).to.equal(group((n) => n < nMax / 25));
    expect(readFileSync(join(s.dir, 'lt', 'report.md'), 'utf8')).to.include('many-shot accuracy');
  });

  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const)
    it(`${signal} mid-training keeps the last completed epoch, marks the report interrupted, exits ${code}`, async () => {
      const out = `int-${signal}`;
      const child = agluAsync(['train', '--epochs', '100000', '--samples', '400', '--hidden', '8', '--out', out], s.dir);
      let stderr = '', stdout = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      await new Promise<void>((resolve, reject) => {
        child.stderr?.on('data', (d: Buffer) => {
          stderr += d.toString();
          // Non-TTY progress: one line per epoch. Signal once two epochs are done (the third is under way).
          if (/epoch\s+2\/100000/.test(stderr)) resolve();
        });
        child.on('exit', () => reject(new Error(`exited before epoch 2: ${stderr}`)));
      });
      child.kill(signal);
      const exitCode = await exited;
      expect(exitCode, stderr).to.equal(code);
      expect(stderr).to.include(`${signal} received: stopping after the current step`);
      const dir = join(s.dir, out);
      expect(leftovers(dir)).to.deep.equal([]);
      const m = readMetrics(dir);
      expect(m.status).to.equal('interrupted');
      expect(m.signal).to.equal(signal);
      expect(m.epochsCompleted).to.be.at.least(2).and.below(100000);
      expect(m.history).to.have.length(m.epochsCompleted);
      expect(m.trajectory['1.lambda']).to.have.length(m.epochsCompleted + 1);
      // The checkpoint is the model after the last completed epoch, not a half-updated one.
      const ck = checkpoint(dir);
      expect(ck.metadata.epochs).to.equal(String(m.epochsCompleted));
      expect(ck.tensors['1.lambda'].item()).to.be.closeTo(m.trajectory['1.lambda'][m.epochsCompleted][0], 1e-6);
      expect(reevaluate(dir)).to.equal(m.history[m.epochsCompleted - 1].testAccuracy);
      const report = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(report).to.include(`**Interrupted** (${signal}) after ${m.epochsCompleted} of 100000 epochs`);
      expect(lines(stdout).some((l) => l.startsWith('interrupted: wrote the last completed epoch'))).to.equal(true);
      for (const f of ['history.csv', 'training-curves.svg', 'apa-params.svg']) expect(existsSync(join(dir, f)), f).to.equal(true);
    });
});

describe('cli: compare', function () {
  this.timeout(120_000);
  const s = scratch();
  after(s.cleanup);

  it('trains every activation × seed on the same data and reports mean ± std', () => {
    const r = aglu(['compare', '--acts', 'relu,aglu', '--seeds', '2', '--epochs', '1', '--samples', '120', '--hidden', '4', '--quiet', '--out', 'cmp'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const dir = join(s.dir, 'cmp');
    for (const f of ['compare.md', 'compare.json', 'compare.svg']) expect(existsSync(join(dir, f)), f).to.equal(true);
    const j = JSON.parse(readFileSync(join(dir, 'compare.json'), 'utf8')) as {
      summary: { act: string; runs: number; testAccuracy: { mean: number; std: number } }[];
      runs: { act: string; seed: number; dir: string }[];
    };
    expect(j.runs.map((x) => `${x.act}-s${x.seed}`)).to.deep.equal(['relu-s0', 'relu-s1', 'aglu-s0', 'aglu-s1']);
    for (const act of ['relu', 'aglu']) {
      const accs = [0, 1].map((seed) => readMetrics(join(dir, `${act}-s${seed}`)).final.testAccuracy);
      const mean = (accs[0] + accs[1]) / 2;
      const std = Math.abs(accs[0] - accs[1]) / Math.SQRT2; // sample std of two values
      const sum = j.summary.find((x) => x.act === act);
      expect(sum?.runs).to.equal(2);
      expect(sum?.testAccuracy.mean).to.be.closeTo(mean, 1e-12);
      expect(sum?.testAccuracy.std).to.be.closeTo(std, 1e-12);
    }
    // Same data for every run: seeds change the initialisation, not the split.
    const a = readMetrics(join(dir, 'relu-s0')), b = readMetrics(join(dir, 'aglu-s1'));
    expect(b.data).to.deep.equal(a.data);
    expect(b.config.dataSeed).to.equal(0);
    expect(b.config.seed).to.equal(1);
    const md = readFileSync(join(dir, 'compare.md'), 'utf8');
    expect(md).to.include('| activation | runs | test acc % (mean ± std) |');
    expect(md).to.include('![Test accuracy per activation](compare.svg)');
    expect(r.stdout).to.include('report: cmp/compare.md');
  });
});
