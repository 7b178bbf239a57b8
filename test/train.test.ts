import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getBackend, setBackend } from '../src/backend/current.js';
import { iris } from '../src/data/iris.js';
import { standardize, trainTestSplit } from '../src/data/split.js';
import { moons } from '../src/data/synthetic.js';
import type { Dataset } from '../src/data/dataset.js';
import { ValueError } from '../src/errors.js';
import { nn, optim } from '../src/index.js';
import { manualSeed } from '../src/random.js';
import { apaParameterValues, evaluate, fit, type EpochInfo, type StepInfo } from '../src/train/fit.js';
import { Tensor } from '../src/tensor.js';

const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());

/** Moons (noise 0.1), 1000 points, 30% test; an AGLU MLP trained with Adam. */
function trainMoons(seed: number) {
  manualSeed(seed);
  const split = trainTestSplit(moons({ n: 1000, noise: 0.1, seed }), { testSize: 0.3, seed });
  const model = nn.mlp([2, 32, 32, 2], { activation: 'aglu' });
  const history = fit(model, { ...split, optimizer: new optim.Adam(model, { lr: 0.01 }), epochs: 15, batchSize: 32, seed });
  return { model, history, split };
}

/**
 * Iris, standardised, stratified 70/30 split (45 test flowers, so 95% allows 2 mistakes); an AGLU MLP trained
 * with Adam and a cosine schedule. The split seed is 0 — across split seeds 0–9 this recipe scores ≥ 95% on 7,
 * with 0.911–0.933 on the hardest splits (versicolor/virginica overlap).
 */
function trainIris(seed: number) {
  const split = standardize(trainTestSplit(iris(), { testSize: 0.3, stratify: true, seed }));
  manualSeed(seed);
  const model = nn.mlp([4, 16, 3], { activation: 'aglu' });
  const optimizer = new optim.Adam(model, { lr: 0.01 });
  const history = fit(model, {
    train: split.train, test: split.test, optimizer, epochs: 100, batchSize: 16, seed,
    scheduler: new optim.CosineWarmupLR(optimizer, { totalSteps: 100 }),
  });
  return { model, history };
}

describe('training (fit)', () => {
  describe('accuracy on the js backend', () => {
    before(() => setBackend('js'));

    it('an AGLU MLP reaches ≥ 97% test accuracy on moons (noise 0.1)', () => {
      const { history, model, split } = trainMoons(0);
      expect(history.testAccuracy.at(-1)).to.be.at.least(0.97);
      expect(evaluate(model, split.test).accuracy).to.equal(history.testAccuracy.at(-1));
      expect(history.loss.at(-1)).to.be.below(history.loss[0] / 5);
    });

    it('an AGLU MLP reaches ≥ 95% test accuracy on Iris', () => {
      expect(trainIris(0).history.testAccuracy.at(-1)).to.be.at.least(0.95);
    });
  });

  describe('accuracy on the gpujs backend (mode cpu)', () => {
    before(() => setBackend('gpujs', { mode: 'cpu' }));
    after(() => setBackend('js'));

    it('runs on gpujs cpu for real', () => {
      expect(getBackend()).to.deep.equal({ name: 'gpujs', mode: 'cpu' });
      expect(nn.mlp([2, 2]).parameters()[0].backend.name).to.equal('gpujs');
    });
    it('an AGLU MLP reaches ≥ 97% test accuracy on moons (noise 0.1)', () => {
      expect(trainMoons(0).history.testAccuracy.at(-1)).to.be.at.least(0.97);
    });
    it('an AGLU MLP reaches ≥ 95% test accuracy on Iris', () => {
      expect(trainIris(0).history.testAccuracy.at(-1)).to.be.at.least(0.95);
    });
    it('two seeded runs are bitwise identical on gpujs too', () => {
      const a = trainMoons(5).history, b = trainMoons(5).history;
      expect(a).to.deep.equal(b);
    });
  });

  describe('determinism and bookkeeping (js)', () => {
    before(() => setBackend('js'));
    const data: Dataset = trainTestSplit(moons({ n: 200, noise: 0.2, seed: 3 }), { testSize: 0.25, seed: 3 }).train;

    function run(seed: number) {
      manualSeed(seed);
      const model = nn.mlp([2, 16, 16, 2], { activation: 'aglu', dropout: 0.1, apa: { perChannel: true } });
      const optimizer = new optim.AdamW(model, { lr: 0.02 });
      const steps: number[] = [];
      const history = fit(model, {
        train: data, optimizer, epochs: 4, batchSize: 16, seed,
        callbacks: { onStep: (s) => steps.push(s.loss) },
      });
      return { history, steps, params: model.parameters().map(flat) };
    }

    it('two runs with the same manualSeed and seed are bitwise identical; another seed differs', () => {
      const a = run(42), b = run(42), c = run(43);
      expect(a.steps).to.deep.equal(b.steps);
      expect(a.history).to.deep.equal(b.history);
      expect(a.params).to.deep.equal(b.params);
      expect(a.steps).to.not.deep.equal(c.steps);
    });

    it('records per-epoch history and the λ, κ trajectory (entry 0 = before training)', () => {
      manualSeed(1);
      const model = nn.mlp([2, 8, 8, 2], { activation: 'aglu' });
      const init = apaParameterValues(model);
      expect(Object.keys(init)).to.deep.equal(['1.lambda', '1.kappa', '3.lambda', '3.kappa']);
      const test = trainTestSplit(moons({ n: 200, noise: 0.2, seed: 3 }), { testSize: 0.25, seed: 3 }).test;
      const h = fit(model, { train: data, test, optimizer: new optim.Adam(model, { lr: 0.02 }), epochs: 3, batchSize: 50 });
      expect(h.epochs).to.equal(3);
      for (const k of ['loss', 'trainAccuracy', 'testLoss', 'testAccuracy', 'lr'] as const) expect(h[k]).to.have.length(3);
      for (const [k, traj] of Object.entries(h.trajectory)) {
        expect(traj).to.have.length(4);
        expect(traj[0]).to.deep.equal(init[k]);
        expect(traj[3]).to.deep.equal(k.endsWith('lambda') ? (model.at(Number(k[0])) as nn.AGLU).lambdaValue() : (model.at(Number(k[0])) as nn.AGLU).kappaValue());
      }
      expect(h.trajectory['1.lambda'][3]).to.not.deep.equal(h.trajectory['1.lambda'][0]); // λ learns
      expect(h.testLoss[2]).to.be.closeTo(evaluate(model, test).loss, 1e-6);
    });

    it('calls onStep per batch and onEpoch per epoch; returning false stops early', () => {
      manualSeed(2);
      const model = nn.mlp([2, 4, 2]);
      const steps: StepInfo[] = [], epochs: EpochInfo[] = [];
      const h = fit(model, {
        train: data, optimizer: new optim.SGD(model, { lr: 0.1 }), epochs: 5, batchSize: 64,
        callbacks: { onStep: (s) => steps.push(s), onEpoch: (e) => (epochs.push(e), e.epoch < 1) },
      });
      expect(h.epochs).to.equal(2);
      expect(epochs.map((e) => e.epoch)).to.deep.equal([0, 1]);
      expect(steps.map((s) => [s.epoch, s.batch, s.step])).to.deep.equal([[0, 0, 1], [0, 1, 2], [0, 2, 3], [1, 0, 4], [1, 1, 5], [1, 2, 6]]);
      expect(h.loss[0]).to.be.closeTo(steps.slice(0, 3).reduce((s, x, i) => s + x.loss * (i < 2 ? 64 : 22), 0) / 150, 1e-12);
    });

    it('steps the scheduler per epoch or per step, and reports clipped gradient norms', () => {
      manualSeed(3);
      const model = nn.mlp([2, 4, 2]);
      const optimizer = new optim.SGD(model, { lr: 1 });
      const h = fit(model, { train: data, optimizer, epochs: 4, batchSize: 150, scheduler: new optim.StepLR(optimizer, { stepSize: 1, gamma: 0.5 }) });
      expect(h.lr).to.deep.equal([1, 0.5, 0.25, 0.125]);
      const opt2 = new optim.SGD(model, { lr: 1 });
      const norms: number[] = [];
      const lrs: number[] = [];
      fit(model, {
        train: data, optimizer: opt2, epochs: 1, batchSize: 50, clipGradNorm: 1e-3, schedulerInterval: 'step',
        scheduler: new optim.StepLR(opt2, { stepSize: 1, gamma: 0.1 }),
        callbacks: { onStep: (s) => (norms.push(s.gradNorm!), lrs.push(s.lr)) },
      });
      expect(norms.every((n) => n > 1e-3)).to.equal(true);
      lrs.forEach((lr, i) => expect(lr).to.be.closeTo(0.1 ** i, 1e-15));
    });

    it('evaluate restores the training mode and validates its inputs', () => {
      const model = nn.mlp([2, 4, 2], { dropout: 0.5 });
      model.train();
      const r = evaluate(model, data, { batchSize: 7 });
      expect(model.training).to.equal(true);
      expect(r.predictions).to.have.length(150);
      expect(r.accuracy).to.equal(r.predictions.filter((p, i) => p === data.y[i]).length / 150);
      expect(() => fit(model, { train: data, optimizer: new optim.SGD(model, { lr: 1 }), epochs: -1 })).to.throw(ValueError);
    });
  });

  describe('docs/training.md', () => {
    it('its complete example runs and reaches what it promises', function () {
      this.timeout(120000);
      const here = fileURLToPath(new URL('.', import.meta.url));
      const md = readFileSync(join(here, '..', '..', 'docs', 'training.md'), 'utf8');
      const m = /<!-- example: train-moons -->\s*```ts\n([^]*?)```/.exec(md);
      expect(m, 'the example block in docs/training.md').to.not.equal(null);
      const entry = new URL('../src/index.js', import.meta.url).href;
      const code = m![1].replace(/from 'aglu'/g, `from '${entry}'`);
      const dir = mkdtempSync(join(tmpdir(), 'aglu-doc-'));
      try {
        writeFileSync(join(dir, 'example.mjs'), code);
        const out = execFileSync(process.execPath, ['example.mjs'], { cwd: dir, env: { ...process.env, AGLU_BACKEND: 'js' }, encoding: 'utf8' });
        const acc = /restored test accuracy: ([\d.]+)/.exec(out);
        expect(acc, out).to.not.equal(null);
        expect(Number(acc![1])).to.be.at.least(0.97);
        const last = /epoch 14: .* test accuracy ([\d.]+)/.exec(out);
        expect(Number(last![1])).to.equal(Number(acc![1]));
        expect(existsSync(join(dir, 'moons.safetensors'))).to.equal(true);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
