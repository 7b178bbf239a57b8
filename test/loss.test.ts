import { expect } from 'chai';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { setBackend } from '../src/backend/current.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { binaryCrossEntropyWithLogits, crossEntropy, mse, nn } from '../src/index.js';
import { manualSeed } from '../src/random.js';
import { rand, randn, tensor, Tensor } from '../src/tensor.js';

const f64 = { dtype: 'float64' } as const;
const g64 = { dtype: 'float64', requiresGrad: true } as const;
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());

/** log-softmax of one row in plain JS (shifted by the max). */
function logSoftmaxRow(row: number[]): number[] {
  const m = Math.max(...row);
  const lse = m + Math.log(row.reduce((s, v) => s + Math.exp(v - m), 0));
  return row.map((v) => v - lse);
}

/**
 * torch.nn.functional.cross_entropy's definition written out: per sample
 *   ℓ_i = (1 − ε)·(−w_{y_i}·logp_{i,y_i}) + (ε/C)·(−Σ_c w_c·logp_{i,c}),
 * ignored samples contribute 0, and 'mean' divides by Σ_i w_{y_i} over kept samples.
 */
function refCrossEntropy(rows: number[][], ys: number[], o: { w?: number[]; eps?: number; ignore?: number; reduction?: string } = {}): number | number[] {
  const C = rows[0].length, eps = o.eps ?? 0, w = o.w ?? new Array<number>(C).fill(1), ignore = o.ignore ?? -100;
  const per = rows.map((row, i) => {
    if (ys[i] === ignore) return 0;
    const lp = logSoftmaxRow(row);
    const smooth = -lp.reduce((s, v, c) => s + w[c] * v, 0);
    return (1 - eps) * -w[ys[i]] * lp[ys[i]] + (eps / C) * smooth;
  });
  if (o.reduction === 'none') return per;
  const total = per.reduce((a, b) => a + b, 0);
  if (o.reduction === 'sum') return total;
  return total / ys.reduce((s, y) => s + (y === ignore ? 0 : w[y]), 0);
}

describe('losses', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(99));

  describe('crossEntropy', () => {
    it('hand-computed values: uniform logits give ln C; [1, 2, 3] → class 0 with ε = 0.1', () => {
      expect(crossEntropy(tensor([[0, 0]], f64), tensor([0], f64)).item()).to.be.closeTo(Math.LN2, 1e-15);
      // logp = [1,2,3] − (3 + ln(1 + e⁻¹ + e⁻²)); nll = −logp₀; smooth = mean(−logp)
      const lse = 3 + Math.log(1 + Math.exp(-1) + Math.exp(-2));
      const want = 0.9 * (lse - 1) + 0.1 * ((lse - 1 + lse - 2 + lse - 3) / 3);
      expect(crossEntropy(tensor([[1, 2, 3]], f64), tensor([0], f64), { labelSmoothing: 0.1 }).item()).to.be.closeTo(want, 1e-14);
    });

    const rows = [[0.2, -1.3, 2.1, 0.5], [1.5, 0.1, -0.7, 0.0], [-2, 3, 0.3, 1.1], [0.9, 0.9, -0.4, 2.2], [0, 0.5, 1, -1]];
    const ys = [2, 0, 1, 3, 1];
    const w = [0.5, 2, 1, 3];
    const combos: [string, { w?: number[]; eps?: number; ignore?: number; reduction?: string }, number[]][] = [
      ['mean', {}, ys],
      ['sum', { reduction: 'sum' }, ys],
      ['none', { reduction: 'none' }, ys],
      ['class weights (weighted mean)', { w }, ys],
      ['label smoothing', { eps: 0.2 }, ys],
      ['weights + smoothing', { w, eps: 0.15 }, ys],
      ['weights + smoothing + ignoreIndex', { w, eps: 0.1, ignore: -100 }, [2, -100, 1, 3, -100]],
      ['ignoreIndex 1, sum', { ignore: 1, reduction: 'sum', eps: 0.3 }, ys],
    ];
    for (const [name, o, targets] of combos)
      it(`matches torch's definition: ${name}`, () => {
        const got = crossEntropy(tensor(rows, f64), tensor(targets, f64), {
          weight: o.w === undefined ? undefined : tensor(o.w, f64),
          labelSmoothing: o.eps,
          ignoreIndex: o.ignore,
          reduction: o.reduction as 'mean' | 'sum' | 'none' | undefined,
        });
        const want = refCrossEntropy(rows, targets, o);
        if (Array.isArray(want)) flat(got).forEach((v, i) => expect(v).to.be.closeTo(want[i], 1e-13));
        else expect(got.item()).to.be.closeTo(want, 1e-13);
      });

    it('passes gradcheck with weights, smoothing and an ignored target', () => {
      const x = randn([5, 4], g64);
      const opts = { weight: tensor(w, f64), labelSmoothing: 0.1, ignoreIndex: 7 };
      expect(gradcheck((l) => crossEntropy(l, tensor([2, 7, 1, 3, 0], f64), opts), [x]).ok).to.equal(true);
      expect(gradcheck((l) => crossEntropy(l, tensor([2, 0, 1], f64), { reduction: 'none' }), [randn([3, 4], g64)]).ok).to.equal(true);
    });

    it('handles [C] inputs and [N, C, d] inputs (class axis 1), like torch', () => {
      const row = [0.3, -0.2, 1.7];
      expect(crossEntropy(tensor(row, f64), tensor(2, f64)).item()).to.be.closeTo(-logSoftmaxRow(row)[2], 1e-15);
      const x = randn([2, 3, 4], f64);
      const X = flat(x);
      const t = [[0, 1, 2, 1], [2, 2, 0, 1]];
      const perRow: number[][] = [], tflat: number[] = [];
      for (let n = 0; n < 2; n++) for (let d = 0; d < 4; d++) {
        perRow.push([0, 1, 2].map((c) => X[n * 12 + c * 4 + d]));
        tflat.push(t[n][d]);
      }
      expect(crossEntropy(x, tensor(t, f64), { labelSmoothing: 0.05 }).item()).to.be.closeTo(refCrossEntropy(perRow, tflat, { eps: 0.05 }) as number, 1e-13);
    });

    it('stays finite for huge logits', () => {
      const l = crossEntropy(tensor([[1000, -1000, 0], [-1e4, 1e4, 0]]), tensor([0, 0]), { labelSmoothing: 0.1 });
      expect(Number.isFinite(l.item())).to.equal(true);
      // row 1: logp = [0, −2000, −1000] → 0.9·0 + 0.1·1000; row 2: logp = [−2e4, 0, −1e4] → 0.9·2e4 + 0.1·1e4
      expect(l.item()).to.be.closeTo((100 + 19000) / 2, 1e-3);
    });

    it('rejects bad targets, shapes and options with clear messages', () => {
      const x = randn([2, 3]);
      expect(() => crossEntropy(x, tensor([0, 3]))).to.throw(ValueError, /target 3 at flat position 1 is not a class index in 0\.\.2/);
      expect(() => crossEntropy(x, tensor([0, 0.5]))).to.throw(ValueError, /target 0\.5/);
      expect(() => crossEntropy(x, tensor([[0], [1]]))).to.throw(ShapeError, /need shape \[2\]/);
      expect(() => crossEntropy(x, tensor([0, 1]), { weight: tensor([1, 2]) })).to.throw(ShapeError, /shape \[3\]/);
      expect(() => crossEntropy(x, tensor([0, 1]), { labelSmoothing: 1.5 })).to.throw(ValueError);
    });

    it('is reachable as nn.functional.crossEntropy', () => {
      expect(nn.functional.crossEntropy).to.equal(crossEntropy);
    });
  });

  describe('mse', () => {
    it('mean, sum and none of squared differences; gradcheck', () => {
      const a = tensor([1, 2, 3], f64), b = tensor([1.5, 0, 3], f64);
      expect(mse(a, b).item()).to.be.closeTo((0.25 + 4) / 3, 1e-15);
      expect(mse(a, b, { reduction: 'sum' }).item()).to.be.closeTo(4.25, 1e-15);
      expect(flat(mse(a, b, { reduction: 'none' }))).to.deep.equal([0.25, 4, 0]);
      expect(gradcheck((x, y) => mse(x, y), [randn([3, 2], g64), randn([3, 2], g64)]).ok).to.equal(true);
      expect(() => mse(a, tensor([1, 2], f64))).to.throw(ShapeError);
    });
  });

  describe('binaryCrossEntropyWithLogits', () => {
    const refBce = (x: number, y: number, pw = 1): number => {
      const logSig = (v: number) => -(Math.max(-v, 0) + Math.log1p(Math.exp(-Math.abs(v)))); // log σ(v)
      return -(pw * y * logSig(x) + (1 - y) * logSig(-x));
    };

    it('matches −[p·y·log σ(x) + (1 − y)·log σ(−x)] including soft targets and posWeight', () => {
      const xs = [[-3, 0.2], [0, 4], [-0.5, 10]], ys = [[0, 1], [0.3, 1], [1, 0.7]];
      const got = flat(binaryCrossEntropyWithLogits(tensor(xs, f64), tensor(ys, f64), { reduction: 'none' }));
      got.forEach((v, i) => expect(v).to.be.closeTo(refBce(xs.flat()[i], ys.flat()[i]), 1e-14));
      const pw = [2, 0.5];
      const gotPw = flat(binaryCrossEntropyWithLogits(tensor(xs, f64), tensor(ys, f64), { reduction: 'none', posWeight: tensor(pw, f64) }));
      gotPw.forEach((v, i) => expect(v).to.be.closeTo(refBce(xs.flat()[i], ys.flat()[i], pw[i % 2]), 1e-14));
      const mean = binaryCrossEntropyWithLogits(tensor(xs, f64), tensor(ys, f64), { weight: tensor([1, 3], f64) }).item();
      const want = xs.flat().reduce((s, x, i) => s + [1, 3][i % 2] * refBce(x, ys.flat()[i]), 0) / 6;
      expect(mean).to.be.closeTo(want, 1e-14);
    });

    it('is exact and finite at extreme logits in float32', () => {
      const l = flat(binaryCrossEntropyWithLogits(tensor([1000, -1000, 1000, -1e30]), tensor([1, 0, 0, 1]), { reduction: 'none' }));
      expect(l).to.deep.equal([0, 0, 1000, 1e30].map(Math.fround));
    });

    it('has gradient σ(x) − y, also at x = 0; passes gradcheck w.r.t. logits and targets', () => {
      const x = tensor([0, 0, 2], g64);
      binaryCrossEntropyWithLogits(x, tensor([0, 1, 0.25], f64), { reduction: 'sum' }).backward();
      const s = (v: number) => 1 / (1 + Math.exp(-v));
      flat(x.grad!).forEach((g, i) => expect(g).to.be.closeTo([0.5, -0.5, s(2) - 0.25][i], 1e-15));
      const opts = { posWeight: tensor([0.5, 2, 3], f64), weight: rand([3], f64) };
      expect(gradcheck((a, b) => binaryCrossEntropyWithLogits(a, b, opts), [randn([4, 3], g64), rand([4, 3], g64)]).ok).to.equal(true);
      expect(gradcheck((a, b) => binaryCrossEntropyWithLogits(a, b, { reduction: 'none' }), [randn([5], g64), rand([5], g64)]).ok).to.equal(true);
    });
  });
});
