import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { setBackend } from '../src/backend/current.js';
import { ValueError } from '../src/errors.js';
import { manualSeed, random } from '../src/random.js';
import {
  blobs,
  circles,
  classCounts,
  DataLoader,
  fitStandardizer,
  iris,
  longTailCounts,
  longTailed,
  makeDataset,
  mnist,
  moons,
  spirals,
  standardize,
  subset,
  toTensors,
  trainTestSplit,
  type Dataset,
  type Split,
} from '../src/data/index.js';

const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
const sameBytes = (a: Float32Array, b: Float32Array): boolean => bytes(a).equals(bytes(b));
const row = (ds: Dataset, i: number): Float32Array => ds.x.subarray(i * ds.numFeatures, (i + 1) * ds.numFeatures);
/** A key per row (features and label) to compare datasets as multisets of rows. */
const rowKeys = (ds: Dataset): string[] =>
  Array.from({ length: ds.y.length }, (_, i) => `${ds.y[i]}:${bytes(row(ds, i)).toString('base64')}`);

/** A dataset whose row i is [i, -i] with label i mod k, so batches reveal which rows they hold. */
function numbered(n: number, k = 3): Dataset {
  const x = new Float32Array(2 * n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    x[2 * i] = i;
    x[2 * i + 1] = -i;
    y[i] = i % k;
  }
  return makeDataset({ name: 'numbered', x, y, numFeatures: 2, numClasses: k });
}

function meanStd(v: number[]): [number, number] {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return [m, Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length)];
}

describe('data', () => {
  before(() => setBackend('js'));

  describe('synthetic sets', () => {
    const makers: [string, (seed: number) => Dataset][] = [
      ['moons', (seed) => moons({ n: 200, noise: 0.1, seed })],
      ['circles', (seed) => circles({ n: 200, noise: 0.1, seed })],
      ['spirals', (seed) => spirals({ n: 200, arms: 4, noise: 0.1, seed })],
      ['blobs', (seed) => blobs({ n: 200, centers: 5, seed })],
    ];
    for (const [name, make] of makers) {
      it(`${name}: same seed gives identical bytes, another seed different data`, () => {
        const a = make(7), b = make(7), c = make(8);
        expect(sameBytes(a.x, b.x)).to.equal(true);
        expect(sameBytes(a.y, b.y)).to.equal(true);
        expect(sameBytes(a.x, c.x)).to.equal(false);
        expect(a.x.length).to.equal(200 * 2);
        expect(a.numFeatures).to.equal(2);
      });
    }

    it('does not touch the global stream when seeded, and follows manualSeed when not', () => {
      manualSeed(11);
      const expected = random();
      manualSeed(11);
      moons({ n: 50, noise: 0.2, seed: 3 });
      expect(random()).to.equal(expected);
      manualSeed(5);
      const a = circles({ n: 50, noise: 0.1 });
      manualSeed(5);
      const b = circles({ n: 50, noise: 0.1 });
      expect(sameBytes(a.x, b.x)).to.equal(true);
      expect(sameBytes(a.x, circles({ n: 50, noise: 0.1 }).x)).to.equal(false);
    });

    it('balances the classes (n/2 rounded down for class 0; even split over arms and centres)', () => {
      expect(classCounts(moons({ n: 101, seed: 0 }))).to.deep.equal([50, 51]);
      expect(classCounts(circles({ n: 101, seed: 0 }))).to.deep.equal([50, 51]);
      expect(classCounts(spirals({ n: 301, arms: 3, seed: 0 }))).to.deep.equal([101, 100, 100]);
      expect(classCounts(blobs({ n: 10, centers: 3, seed: 0 }))).to.deep.equal([4, 3, 3]);
      const s = spirals({ n: 90, arms: 3, seed: 0 });
      expect([s.numClasses, s.x.length]).to.deep.equal([3, 180]);
    });

    it('moons without noise lie on the two half circles of make_moons', () => {
      const ds = moons({ n: 100, seed: 1 });
      for (let i = 0; i < 100; i++) {
        const [x, y] = row(ds, i);
        if (ds.y[i] === 0) {
          expect(Math.hypot(x, y)).to.be.closeTo(1, 1e-6);
          expect(y).to.be.at.least(-1e-6);
        } else {
          expect(Math.hypot(x - 1, y - 0.5)).to.be.closeTo(1, 1e-6); // (1 − cos t, 1 − sin t − 0.5)
          expect(y).to.be.at.most(0.5 + 1e-6);
        }
      }
    });

    it('circles without noise lie on radius 1 (class 0) and radius factor (class 1)', () => {
      const ds = circles({ n: 60, factor: 0.3, seed: 1 });
      for (let i = 0; i < 60; i++) expect(Math.hypot(...row(ds, i))).to.be.closeTo(ds.y[i] === 0 ? 1 : 0.3, 1e-6);
    });

    it('spiral arms without noise: radius (i+1)/m and angle 2πk/K + 2π·turns·r', () => {
      const arms = 3, m = 40, turns = 1.5;
      const ds = spirals({ n: arms * m, arms, turns, seed: 2, shuffle: false });
      for (let i = 0; i < arms * m; i++) {
        const k = Math.floor(i / m), [x, y] = row(ds, i), r = (1 + (i % m)) / m;
        expect(ds.y[i]).to.equal(k);
        expect(Math.hypot(x, y)).to.be.closeTo(r, 1e-6);
        const want = (2 * Math.PI * k) / arms + 2 * Math.PI * turns * r;
        expect(Math.cos(want) * r).to.be.closeTo(x, 1e-6);
        expect(Math.sin(want) * r).to.be.closeTo(y, 1e-6);
      }
    });

    it('noise is i.i.d. Gaussian with std `noise` on every coordinate', () => {
      const n = 4000, clean = moons({ n, seed: 9 });
      for (const sigma of [0.05, 0.2]) {
        const noisy = moons({ n, noise: sigma, seed: 9 });
        expect(sameBytes(noisy.y, clean.y)).to.equal(true); // same shuffle, only the noise differs
        const d = Array.from(noisy.x, (v, i) => v - clean.x[i]);
        const [m, s] = meanStd(d);
        expect(m).to.be.closeTo(0, 4 * (sigma / Math.sqrt(2 * n)));
        expect(s).to.be.closeTo(sigma, 0.05 * sigma);
      }
    });

    it('blobs sit around their centres with std clusterStd; drawn centres lie in centerBox', () => {
      const ds = blobs({ n: 3000, centers: 3, clusterStd: 0.5, centerBox: [-5, 5], seed: 4 });
      expect(ds.centers).to.have.length(3);
      for (let c = 0; c < 3; c++) {
        ds.centers[c].forEach((v) => expect(v).to.be.within(-5, 5));
        for (let j = 0; j < 2; j++) {
          const v: number[] = [];
          for (let i = 0; i < ds.y.length; i++) if (ds.y[i] === c) v.push(row(ds, i)[j]);
          const [m, s] = meanStd(v);
          expect(m).to.be.closeTo(ds.centers[c][j], 0.08);
          expect(s).to.be.closeTo(0.5, 0.05);
        }
      }
      const fixed = blobs({ n: 4, centers: [[1, 2, 3], [-1, -2, -3]], clusterStd: 0, seed: 0, shuffle: false });
      expect(fixed.numFeatures).to.equal(3);
      expect(Array.from(fixed.x)).to.deep.equal([1, 2, 3, 1, 2, 3, -1, -2, -3, -1, -2, -3]);
    });

    it('rejects bad options with ValueError', () => {
      expect(() => circles({ factor: 1 })).to.throw(ValueError, /factor/);
      expect(() => moons({ n: 1 })).to.throw(ValueError, /n must be/);
      expect(() => moons({ noise: -1 })).to.throw(ValueError, /noise/);
      expect(() => spirals({ arms: 1 })).to.throw(ValueError, /arms/);
    });
  });

  describe('iris', () => {
    it('is 150 × 4 with 50 per class and Fisher’s first row', () => {
      const ds = iris();
      expect([ds.y.length, ds.numFeatures, ds.numClasses, ds.x.length]).to.deep.equal([150, 4, 3, 600]);
      expect(classCounts(ds)).to.deep.equal([50, 50, 50]);
      expect(ds.classNames).to.deep.equal(['setosa', 'versicolor', 'virginica']);
      expect(Array.from(row(ds, 0))).to.deep.equal(Array.from(Float32Array.of(5.1, 3.5, 1.4, 0.2)));
      ds.x[0] = 99; // each call hands out a copy
      expect(iris().x[0]).to.equal(Math.fround(5.1));
    });
  });

  describe('trainTestSplit and standardize', () => {
    it('stratified split of iris keeps 10/10/10 in test, partitions the rows, and is seeded', () => {
      const ds = iris();
      const { train, test } = trainTestSplit(ds, { testSize: 0.2, stratify: true, seed: 1 });
      expect(classCounts(test)).to.deep.equal([10, 10, 10]);
      expect(classCounts(train)).to.deep.equal([40, 40, 40]);
      expect([...rowKeys(train), ...rowKeys(test)].sort()).to.deep.equal(rowKeys(ds).sort());
      const again = trainTestSplit(ds, { testSize: 0.2, stratify: true, seed: 1 });
      expect(sameBytes(again.test.x, test.x)).to.equal(true);
      expect(sameBytes(trainTestSplit(ds, { testSize: 0.2, stratify: true, seed: 2 }).test.x, test.x)).to.equal(false);
    });

    it('stratifies unequal classes in proportion (largest remainder)', () => {
      const y = new Float32Array([...Array(60).fill(0), ...Array(30).fill(1), ...Array(10).fill(2)]);
      const ds = makeDataset({ name: 'u', x: new Float32Array(100).map((_, i) => i), y, numFeatures: 1, numClasses: 3 });
      expect(classCounts(trainTestSplit(ds, { testSize: 0.3, stratify: true, seed: 0 }).test)).to.deep.equal([18, 9, 3]);
      expect(classCounts(trainTestSplit(ds, { testSize: 11, stratify: true, seed: 0 }).test)).to.deep.equal([7, 3, 1]);
    });

    it('plain split: ceil(testSize·n) test rows; shuffle: false puts the last rows in test', () => {
      const ds = numbered(150);
      const s = trainTestSplit(ds, { seed: 0 });
      expect([s.train.y.length, s.test.y.length]).to.deep.equal([112, 38]);
      const ordered = trainTestSplit(ds, { testSize: 0.1, shuffle: false });
      expect(Array.from(ordered.test.x.filter((_, i) => i % 2 === 0))).to.deep.equal(Array.from({ length: 15 }, (_, i) => 135 + i));
      expect(() => trainTestSplit(ds, { testSize: 150 })).to.throw(ValueError, /testSize/);
    });

    it('standardize fits mean and population std on train and applies them to test', () => {
      const { train, test } = trainTestSplit(iris(), { testSize: 0.3, stratify: true, seed: 3 });
      const st = standardize({ train, test });
      for (let j = 0; j < 4; j++) {
        const tr = Array.from({ length: train.y.length }, (_, i) => train.x[i * 4 + j]);
        const [m, s] = meanStd(tr);
        const [zm, zs] = meanStd(Array.from({ length: train.y.length }, (_, i) => st.train.x[i * 4 + j]));
        expect(zm).to.be.closeTo(0, 1e-6);
        expect(zs).to.be.closeTo(1, 1e-5);
        for (let i = 0; i < test.y.length; i++) expect(st.test.x[i * 4 + j]).to.be.closeTo((test.x[i * 4 + j] - m) / s, 1e-5);
      }
      expect(sameBytes(st.test.y, test.y)).to.equal(true);
      const constant = makeDataset({ name: 'c', x: new Float32Array([2, 1, 2, 3]), y: new Float32Array([0, 1]), numFeatures: 2, numClasses: 2 });
      expect(Array.from(fitStandardizer(constant).transform(constant).x)).to.deep.equal([0, -1, 0, 1]);
    });
  });

  describe('long-tailed versions', () => {
    it('longTailCounts follows n_max·ρ^(−c/(C−1)) (values from Python int(n_max * rho ** (-c/9)))', () => {
      expect(longTailCounts({ numClasses: 10, nMax: 500, imbalanceRatio: 100 })).to.deep.equal([500, 299, 179, 107, 64, 38, 23, 13, 8, 5]);
      expect(longTailCounts({ numClasses: 10, nMax: 450, imbalanceRatio: 10 })).to.deep.equal([450, 348, 269, 208, 161, 125, 96, 75, 58, 45]);
      expect(longTailCounts({ numClasses: 4, nMax: 30, imbalanceRatio: 1 })).to.deep.equal([30, 30, 30, 30]);
      expect(longTailCounts({ numClasses: 1, nMax: 30, imbalanceRatio: 100 })).to.deep.equal([30]);
    });

    let base: Split;
    before(() => {
      base = trainTestSplit(blobs({ n: 6000, centers: 10, seed: 5 }), { testSize: 0.25, stratify: true, seed: 5 });
    });

    it('subsamples train to the profile (head/tail = ρ), keeps test balanced, and picks rows reproducibly', () => {
      expect(classCounts(base.train)).to.deep.equal(Array(10).fill(450));
      const lt = longTailed(base, { imbalanceRatio: 100, seed: 1 });
      expect(lt.trainCounts).to.deep.equal([450, 269, 161, 96, 58, 34, 20, 12, 7, 4]);
      expect(classCounts(lt.train)).to.deep.equal(lt.trainCounts);
      expect(lt.trainCounts[0] / lt.trainCounts[9]).to.be.within(100, 100 * 450 / 400); // ⌊450/100⌋ = 4
      expect(lt.testCounts).to.deep.equal(Array(10).fill(150));
      const trainKeys = new Set(rowKeys(base.train));
      rowKeys(lt.train).forEach((k) => expect(trainKeys.has(k)).to.equal(true));
      expect(sameBytes(longTailed(base, { imbalanceRatio: 100, seed: 1 }).train.x, lt.train.x)).to.equal(true);
      const other = longTailed(base, { imbalanceRatio: 100, seed: 2 });
      expect(other.trainCounts).to.deep.equal(lt.trainCounts);
      expect(sameBytes(other.train.x, lt.train.x)).to.equal(false);
      const exact = longTailed(base, { imbalanceRatio: 90, nMax: 450, seed: 0 });
      expect(exact.trainCounts[0] / exact.trainCounts[9]).to.equal(90);
    });

    it('balances an unbalanced test split and refuses an nMax the data cannot fill', () => {
      const test = subset(base.test, Array.from({ length: base.test.y.length }, (_, i) => i).filter((i) => base.test.y[i] !== 3 || i % 2 === 0));
      const lt = longTailed({ train: base.train, test }, { imbalanceRatio: 10, seed: 0 });
      const m = Math.min(...classCounts(test));
      expect(m).to.be.below(150);
      expect(lt.testCounts).to.deep.equal(Array(10).fill(m));
      expect(() => longTailed(base, { nMax: 451, seed: 0 })).to.throw(ValueError, /nMax/);
    });
  });

  describe('DataLoader', () => {
    const ids = (x: Float32Array | Float64Array): number[] => Array.from(x.filter((_, i) => i % 2 === 0));

    it('covers every sample exactly once per epoch, last batch short', () => {
      const ds = numbered(103);
      const loader = new DataLoader(ds, { batchSize: 10, shuffle: true, seed: 0 });
      expect(loader.length).to.equal(11);
      for (let epoch = 0; epoch < 2; epoch++) {
        const seen: number[] = [], sizes: number[] = [];
        for (const { x, y } of loader) {
          expect(x.shape[1]).to.equal(2);
          expect(y.shape).to.deep.equal([x.shape[0]]);
          expect(x.dtype).to.equal('float32');
          const xs = ids(x.toTypedArray());
          expect(Array.from(y.toTypedArray())).to.deep.equal(xs.map((i) => i % 3));
          seen.push(...xs);
          sizes.push(x.shape[0]);
        }
        expect(sizes).to.deep.equal([...Array(10).fill(10), 3]);
        expect([...seen].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 103 }, (_, i) => i));
      }
    });

    it('dropLast drops the short batch', () => {
      const loader = new DataLoader(numbered(103), { batchSize: 10, shuffle: true, dropLast: true, seed: 0 });
      expect(loader.length).to.equal(10);
      const seen: number[] = [];
      for (const { x } of loader) {
        expect(x.shape[0]).to.equal(10);
        seen.push(...ids(x.toTypedArray()));
      }
      expect(new Set(seen).size).to.equal(100);
    });

    it('shuffles anew each epoch, reproducibly from the seed; no shuffle keeps order', () => {
      const ds = numbered(50);
      const epochs = (l: DataLoader, k: number): number[][] =>
        Array.from({ length: k }, () => [...l].flatMap((b) => ids(b.x.toTypedArray())));
      const a = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 }), 3);
      const b = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 }), 3);
      const c = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 43 }), 1);
      expect(a).to.deep.equal(b);
      expect(a[0]).to.not.deep.equal(a[1]);
      expect(a[1]).to.not.deep.equal(a[2]);
      expect(c[0]).to.not.deep.equal(a[0]);
      const resumed = new DataLoader(ds, { batchSize: 8, shuffle: true, seed: 42 });
      resumed.setEpoch(2);
      expect(epochs(resumed, 1)[0]).to.deep.equal(a[2]);
      manualSeed(3);
      const d = epochs(new DataLoader(ds, { batchSize: 8, shuffle: true }), 1);
      manualSeed(3);
      expect(epochs(new DataLoader(ds, { batchSize: 8, shuffle: true }), 1)).to.deep.equal(d);
      expect(epochs(new DataLoader(ds, { batchSize: 8 }), 1)[0]).to.deep.equal(Array.from({ length: 50 }, (_, i) => i));
    });

    it('makes float64 tensors on request, and whole-dataset tensors', () => {
      const ds = numbered(5);
      const [batch] = [...new DataLoader(ds, { batchSize: 5, dtype: 'float64' })];
      expect([batch.x.dtype, batch.y.dtype]).to.deep.equal(['float64', 'float64']);
      expect(batch.x.toArray()).to.deep.equal([[0, -0], [1, -1], [2, -2], [3, -3], [4, -4]]);
      const all = toTensors(ds);
      expect(all.x.shape).to.deep.equal([5, 2]);
      expect(Array.from(all.y.toTypedArray())).to.deep.equal([0, 1, 2, 0, 1]);
      expect(() => new DataLoader(ds, { batchSize: 0 })).to.throw(ValueError, /batchSize/);
    });
  });

  describe('mnist', () => {
    let split: Split;
    // digits per file, counted independently from the package's raw bytes (values = commas + 1)
    const pkgDir = createRequire(import.meta.url).resolve('mnist/package.json').replace(/package\.json$/, '');
    const raw = (d: number): Buffer => readFileSync(`${pkgDir}src/digits/${d}.json`);
    const perDigit = Array.from({ length: 10 }, (_, d) => {
      const b = raw(d);
      let commas = 0;
      for (const c of b) if (c === 0x2c) commas++;
      return (commas + 1) / 784;
    });

    before(() => {
      split = mnist();
    });

    it('is 8,000 / 2,000 stratified digits with 784 pixels in [0, 1]', () => {
      expect(perDigit.reduce((a, b) => a + b, 0)).to.equal(10000);
      const { train, test } = split;
      expect([train.y.length, test.y.length, train.numFeatures, train.numClasses]).to.deep.equal([8000, 2000, 784, 10]);
      expect(train.x.length).to.equal(8000 * 784);
      expect(classCounts(test)).to.deep.equal(perDigit.map((n) => Math.round(0.2 * n)));
      expect(classCounts(train)).to.deep.equal(perDigit.map((n) => n - Math.round(0.2 * n)));
      let lo = Infinity, hi = -Infinity;
      for (const v of train.x) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      expect([lo, hi]).to.deep.equal([0, 1]);
      expect(train.classNames).to.deep.equal(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      expect(new Set(Array.from(train.y.subarray(0, 100))).size).to.equal(10); // interleaved, not grouped by digit
    });

    it('takes the first samples of each digit for train and the last for test, with JSON.parse’s values', () => {
      const px = Float32Array.from((JSON.parse(raw(5).toString('utf8')) as { data: number[] }).data);
      const n5 = px.length / 784, cut = n5 - Math.round(0.2 * n5);
      const keys = (from: number, to: number): string[] =>
        Array.from({ length: to - from }, (_, i) => `5:${bytes(px.subarray((from + i) * 784, (from + i + 1) * 784)).toString('base64')}`);
      const of5 = (ds: Dataset): string[] => rowKeys(ds).filter((k) => k.startsWith('5:'));
      expect(of5(split.train).sort()).to.deep.equal(keys(0, cut).sort());
      expect(of5(split.test).sort()).to.deep.equal(keys(cut, n5).sort());
    });

    it('is the same on every call and its long-tailed version keeps a balanced test set', () => {
      const again = mnist();
      expect(sameBytes(again.train.x, split.train.x)).to.equal(true);
      expect(sameBytes(again.test.y, split.test.y)).to.equal(true);
      const lt = longTailed(split, { imbalanceRatio: 100, seed: 0 });
      const nMax = Math.min(...classCounts(split.train));
      expect(lt.trainCounts).to.deep.equal(Array.from({ length: 10 }, (_, c) => Math.floor(nMax * 100 ** (-c / 9) + 1e-9)));
      const m = Math.min(...classCounts(split.test));
      expect(lt.testCounts).to.deep.equal(Array(10).fill(m));
    });
  });
});
