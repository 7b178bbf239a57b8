import { expect } from 'chai';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { setBackend } from '../src/backend/current.js';
import { headlessglUnavailableReason } from '../src/backend/gpujs.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { apaComposite, LAMBDA_FLOOR } from '../src/ops/apa.js';
import { apaBinaryCrossEntropy, gumbelBinaryCrossEntropy, type ApaLossOptions } from '../src/ops/apa-loss.js';
import { add, exp, log, mul, neg, sub } from '../src/ops/elementwise.js';
import { manualSeed } from '../src/random.js';
import { rand, randn, tensor, Tensor, type DType } from '../src/tensor.js';
import { expectAllFinite, maxScaledDiff, valueAndGrads } from './grad-helpers.js';

const f64 = { dtype: 'float64', requiresGrad: true } as const;
const d64 = { dtype: 'float64' } as const;
const param = (values: number[]): Tensor => tensor(values, f64);

const naiveApa = (z: number, l: number, k: number): number => Math.pow(l * Math.exp(-k * z) + 1, -1 / l);
/** BCE-with-logits, PyTorch's stable form: max(z, 0) − t·z + log(1 + e^{−|z|}). */
const bceWithLogits = (z: number, t: number): number => Math.max(z, 0) - t * z + Math.log1p(Math.exp(-Math.abs(z)));

/** A {0,1} matrix [B, K] with one 1 per row at `labels`. */
const oneHot = (labels: number[], k: number, dtype: DType = 'float64'): Tensor =>
  tensor(labels.map((c) => Array.from({ length: k }, (_, j) => (j === c ? 1 : 0))), { dtype });

describe('APA losses (js backend)', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(5));

  describe('apaBinaryCrossEntropy values', () => {
    it('λ = κ = 1 is BCE-with-logits, to rounding, including |z| = 40 where log(1 − σ(z)) computed naively is −∞', () => {
      const zs = [-40, -12, -3, -0.5, 0, 0.7, 2, 9, 40];
      for (const t of [0, 1]) {
        const loss = apaBinaryCrossEntropy(tensor(zs, d64), tensor(zs.map(() => t), d64), tensor([1], d64), tensor([1], d64), { reduction: 'none' }).toTypedArray();
        zs.forEach((z, i) => expect(Math.abs(loss[i] - bceWithLogits(z, t))).to.be.at.most(1e-14 * (1 + bceWithLogits(z, t))));
      }
    });

    it('equal −[t·log p + (1−t)·log(1−p)] with p from the paper formula, per class, soft targets', () => {
      const B = 6, ls = [0.05, 0.5, 1, 3], ks = [-1.5, 0.3, 1, 2.5];
      const z = randn([B, 4], d64).mul(2);
      const t = rand([B, 4], d64);
      const loss = apaBinaryCrossEntropy(z, t, tensor(ls, d64), tensor(ks, d64), { reduction: 'none' }).toArray() as number[][];
      const zv = z.toArray() as number[][], tv = t.toArray() as number[][];
      zv.forEach((row, i) =>
        row.forEach((zz, c) => {
          const p = naiveApa(zz, ls[c], ks[c]);
          const want = -(tv[i][c] * Math.log(p) + (1 - tv[i][c]) * Math.log(1 - p));
          expect(Math.abs(loss[i][c] - want)).to.be.at.most(1e-9 * (1 + want));
        }),
      );
    });

    it('p → 1 and even s = softplus(log λ − κz) underflowing: the loss of a negative is ≈ κz, gradient ≈ κ (float64)', () => {
      for (const [z, l, k] of [[800, 0.5, 1], [400, 3, 2], [1e4, 1e-4, 0.5]]) {
        const r = valueAndGrads((a) => apaBinaryCrossEntropy(a, tensor([0], d64), tensor([l], d64), tensor([k], d64)), [tensor([z], d64)]);
        // −log(1 − p) = −log(x) + x/2 + …, x = softplus(log λ − κz)/λ ≈ e^{−κz}: so −log(1 − p) = κz to rounding
        expect(Math.abs(r.value[0] - k * z)).to.be.at.most(1e-12 * k * z);
        expect(Math.abs(r.grads[0][0] - k)).to.be.at.most(1e-12 * k);
      }
    });

    it('class indices [B] equal the one-hot {0,1} matrix [B, K], in values and gradients', () => {
      const z = randn([5, 3], d64).mul(2), labels = [0, 2, 1, 1, 0];
      const l = tensor([0.4, 1, 2], d64), k = tensor([1.2], d64);
      const a = valueAndGrads((x, y, w) => apaBinaryCrossEntropy(x, tensor(labels, d64), y, w), [z, l, k]);
      const b = valueAndGrads((x, y, w) => apaBinaryCrossEntropy(x, oneHot(labels, 3), y, w), [z, l, k]);
      expect(Array.from(a.value)).to.deep.equal(Array.from(b.value));
      a.grads.forEach((g, i) => expect(Array.from(g)).to.deep.equal(Array.from(b.grads[i])));
    });

    it("reductions: 'mean' (default, over all elements like torch) = 'sum'/n = mean of 'none'", () => {
      const z = randn([4, 3], d64), t = oneHot([0, 1, 2, 1], 3);
      const l = tensor([0.8], d64), k = tensor([1.1], d64);
      const none = apaBinaryCrossEntropy(z, t, l, k, { reduction: 'none' }).toTypedArray();
      const total = Array.from(none).reduce((s, v) => s + v, 0);
      expect(apaBinaryCrossEntropy(z, t, l, k).item()).to.be.closeTo(total / 12, 1e-14);
      expect(apaBinaryCrossEntropy(z, t, l, k, { reduction: 'sum' }).item()).to.be.closeTo(total, 1e-13);
    });
  });

  describe('gumbelBinaryCrossEntropy values', () => {
    it('positives cost e^{−κz}, negatives −log(1 − exp(−e^{−κz})), without cancellation at z = 30', () => {
      const zs = [-3, -1, 0, 0.5, 2, 6, 30];
      for (const k of [1, 0.7]) {
        const kt = tensor([k], d64);
        const pos = gumbelBinaryCrossEntropy(tensor(zs, d64), tensor(zs.map(() => 1), d64), { reduction: 'none', kappa: kt }).toTypedArray();
        const negs = gumbelBinaryCrossEntropy(tensor(zs, d64), tensor(zs.map(() => 0), d64), { reduction: 'none', kappa: kt }).toTypedArray();
        zs.forEach((z, i) => {
          const x = Math.exp(-k * z);
          expect(Math.abs(pos[i] - x)).to.be.at.most(1e-15 * x);
          const want = -Math.log(-Math.expm1(-x)); // accurate reference: expm1 keeps 1 − e^{−x} exact for small x
          expect(Math.abs(negs[i] - want)).to.be.at.most(1e-14 * (1 + want));
        });
      }
    });

    it('κ defaults to 1; the default reduction is the mean', () => {
      const z = randn([3, 4], d64), t = oneHot([1, 3, 0], 4);
      const a = gumbelBinaryCrossEntropy(z, t).item();
      const b = gumbelBinaryCrossEntropy(z, t, { kappa: tensor([1], d64), reduction: 'none' }).toTypedArray();
      expect(a).to.be.closeTo(Array.from(b).reduce((s, v) => s + v, 0) / 12, 1e-14);
    });

    it('is the λ → 0 limit of apaBinaryCrossEntropy (gap shrinking like λ)', () => {
      const z = randn([6, 4], d64), t = oneHot([0, 1, 2, 3, 0, 1], 4), k = tensor([1.3], d64);
      const g = gumbelBinaryCrossEntropy(z, t, { kappa: k, reduction: 'none' }).toTypedArray();
      const gap = (l: number): number => {
        const a = apaBinaryCrossEntropy(z, t, tensor([l], d64), k, { reduction: 'none' }).toTypedArray();
        return Math.max(...a.map((v, i) => Math.abs(v - g[i])));
      };
      expect(gap(LAMBDA_FLOOR)).to.be.below(1e-2);
      expect(gap(1e-2) / gap(1e-3)).to.be.within(6, 14);
      expect(gap(1e-3) / gap(1e-4)).to.be.within(6, 14);
    });
  });

  describe('gradcheck in float64 w.r.t. logits, λ, κ', () => {
    const t2 = (): Tensor => oneHot([2, 0, 1], 4);
    const cases: { name: string; z: () => Tensor; t: () => Tensor; l: number[]; k: number[]; o?: ApaLossOptions }[] = [
      { name: 'scalar λ, κ, 2-D, mean', z: () => randn([3, 4], f64), t: t2, l: [0.7], k: [1.3] },
      { name: 'per-class λ, κ, 2-D, sum', z: () => randn([3, 4], f64), t: t2, l: [0.2, 0.9, 1.5, 4], k: [1.1, -0.7, 2.2, 0.4], o: { reduction: 'sum' } },
      { name: "per-class, 4-D [N, C, H, W] with class indices [N, H, W], 'none'", z: () => randn([2, 3, 2, 2], f64), t: () => tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]], d64), l: [0.4, 1, 2.5], k: [0.8, -1.2, 1.9], o: { reduction: 'none' } },
      { name: 'λ near the floor (1.2e-4)', z: () => param([-0.5, 0, 0.4, 1.1, 2, -1]).reshape([2, 3]), t: () => oneHot([1, 0], 3), l: [1.2e-4], k: [1.5] },
      { name: 'negative κ and large |z|', z: () => param([-60, -15, -3, 4, 20, 80]).reshape([2, 3]), t: () => oneHot([0, 2], 3), l: [0.6], k: [-0.9] },
      { name: 'large |z| with κ > 0 (p at 0 and 1 on both targets)', z: () => param([-60, -15, 15, 60, 3, -3]).reshape([3, 2]), t: () => oneHot([0, 1, 1], 2), l: [2.5], k: [0.7] },
      { name: "soft targets and lambdaParam 'softplus'", z: () => randn([3, 4], f64), t: () => rand([3, 4], d64), l: [-3, 0.2, 1.5, -12], k: [1, -0.5, 2, 0.3], o: { lambdaParam: 'softplus' } },
    ];
    for (const c of cases) {
      it(`apaBinaryCrossEntropy: ${c.name}`, () => {
        const z = c.z().mul(1).detach().requiresGrad_();
        const t = c.t();
        const eps = c.l[0] < 1e-3 ? 1e-8 : 1e-6;
        expect(gradcheck((a, b, d) => apaBinaryCrossEntropy(a, t, b, d, c.o), [z, param(c.l), param(c.k)], { eps }).ok).to.equal(true);
      });
    }

    it('gumbelBinaryCrossEntropy: logits only (κ = 1), scalar κ, per-class κ, negative κ, 4-D with class indices', () => {
      const z = randn([3, 4], f64).mul(2).detach().requiresGrad_(), t = oneHot([3, 1, 0], 4);
      expect(gradcheck((a) => gumbelBinaryCrossEntropy(a, t), [z]).ok).to.equal(true);
      expect(gradcheck((a, k) => gumbelBinaryCrossEntropy(a, t, { kappa: k }), [z, param([0.8])]).ok).to.equal(true);
      expect(gradcheck((a, k) => gumbelBinaryCrossEntropy(a, t, { kappa: k, reduction: 'none' }), [z, param([0.5, 1, -0.7, 2])]).ok).to.equal(true);
      const z4 = randn([2, 3, 2, 2], f64).detach().requiresGrad_();
      const idx = tensor([[[0, 2], [1, 1]], [[2, 0], [0, 1]]], d64);
      expect(gradcheck((a, k) => gumbelBinaryCrossEntropy(a, idx, { kappa: k, reduction: 'sum' }), [z4, param([1.5, -0.4, 0.9])]).ok).to.equal(true);
    });

    it('gumbelBinaryCrossEntropy: large |κz| where the loss is still finite', () => {
      const z = param([-5, 12, 30, -2, 25, 40]).reshape([3, 2]).detach().requiresGrad_();
      const t = oneHot([0, 1, 0], 2);
      expect(gradcheck((a, k) => gumbelBinaryCrossEntropy(a, t, { kappa: k, reduction: 'none' }), [z, param([1.2])]).ok).to.equal(true);
    });
  });

  describe('fused equals the loss composed from elementwise ops', () => {
    // The composite: log p from apaComposite's stable steps, log(1 − p) = log(1 − exp(log p)) — accurate on this
    // moderate grid (p never within 1e-6 of 1). Tolerances on |fused − composite|/(1 + |composite|): float64 1e-12
    // (measured ≤ 3e-15), float32 1e-4 (measured ≤ 1.1e-5: 1 − p cancels mildly in the composite).
    const TOL = { float64: 1e-12, float32: 1e-4 } as const;
    for (const dtype of ['float64', 'float32'] as const) {
      it(`apaBinaryCrossEntropy, per class, reduction 'none' (${dtype}): values and gradients for z, λ, κ`, () => {
        const z = randn([6, 4], { dtype }).mul(1.5).detach();
        const t = rand([6, 4], { dtype }).detach();
        const l = tensor([0.3, 0.8, 1.5, 2.5], { dtype }), k = tensor([1.2, -0.8, 0.6, 1.9], { dtype });
        const up = rand([6, 4], { dtype });
        const composite = (a: Tensor, b: Tensor, c: Tensor): Tensor => {
          const p = apaComposite(a, b, c);
          const logp = log(p);
          const log1mp = log(sub(1, exp(logp)));
          return neg(add(mul(t, logp), mul(sub(1, t), log1mp)));
        };
        const fused = valueAndGrads((a, b, c) => apaBinaryCrossEntropy(a, t, b, c, { reduction: 'none' }), [z, l, k], up);
        const comp = valueAndGrads(composite, [z, l, k], up);
        expect(maxScaledDiff(fused.value, comp.value)).to.be.at.most(TOL[dtype]);
        fused.grads.forEach((g, i) => expect(maxScaledDiff(g, comp.grads[i])).to.be.at.most(TOL[dtype]));
      });

      it(`gumbelBinaryCrossEntropy, per-class κ, reduction 'none' (${dtype}): values and gradients for z, κ`, () => {
        const z = randn([6, 4], { dtype }).mul(1.5).detach();
        const t = rand([6, 4], { dtype }).detach();
        const k = tensor([1.2, -0.8, 0.6, 1.9], { dtype });
        const up = rand([6, 4], { dtype });
        const composite = (a: Tensor, c: Tensor): Tensor => {
          const logp = neg(exp(neg(mul(c, a))));
          const log1mp = log(sub(1, exp(logp)));
          return neg(add(mul(t, logp), mul(sub(1, t), log1mp)));
        };
        const fused = valueAndGrads((a, c) => gumbelBinaryCrossEntropy(a, t, { kappa: c, reduction: 'none' }), [z, k], up);
        const comp = valueAndGrads(composite, [z, k], up);
        expect(maxScaledDiff(fused.value, comp.value)).to.be.at.most(TOL[dtype]);
        fused.grads.forEach((g, i) => expect(maxScaledDiff(g, comp.grads[i])).to.be.at.most(TOL[dtype]));
      });
    }
  });

  describe('extreme grid: z ∈ [−1e4, 1e4], λ ∈ [1e-4, 1e3], κ ∈ [−100, 100]', () => {
    const Z = [-1e4, -1e3, -100, -10, -1, -1e-3, 0, 1e-3, 1, 10, 100, 1e3, 1e4];
    const L = [1e-4, 1e-3, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1e3];
    const K = [-100, -10, -1, -0.01, 0, 0.01, 1, 10, 100];
    const pairs = L.flatMap((l) => K.map((k) => [l, k]));
    for (const dtype of ['float64', 'float32'] as const) {
      for (const t of [0, 1]) {
        it(`apaBinaryCrossEntropy (${dtype}, targets ${t}): finite values and gradients everywhere`, () => {
          const z = tensor(Z.map((v) => pairs.map(() => v)), { dtype });
          const targets = tensor(Z.map(() => pairs.map(() => t)), { dtype });
          const r = valueAndGrads(
            (a, b, c) => apaBinaryCrossEntropy(a, targets, b, c, { reduction: 'none' }),
            [z, tensor(pairs.map((p) => p[0]), { dtype }), tensor(pairs.map((p) => p[1]), { dtype })],
            tensor(Z.map(() => pairs.map(() => 1)), { dtype }),
          );
          expectAllFinite('loss', r.value);
          r.grads.forEach((g, i) => expectAllFinite(`gradient of input ${i}`, g));
        });
      }
      it(`gumbelBinaryCrossEntropy (${dtype}): finite for negatives everywhere and for positives while e^{−κz} fits`, () => {
        const z = tensor(Z.map((v) => K.map(() => v)), { dtype });
        const k = tensor(K, { dtype });
        const ones = tensor(Z.map(() => K.map(() => 1)), { dtype });
        const neg0 = valueAndGrads((a, c) => gumbelBinaryCrossEntropy(a, tensor(Z.map(() => K.map(() => 0)), { dtype }), { kappa: c, reduction: 'none' }), [z, k], ones);
        expectAllFinite('loss', neg0.value);
        neg0.grads.forEach((g, i) => expectAllFinite(`gradient of input ${i}`, g));
        const pos = valueAndGrads((a, c) => gumbelBinaryCrossEntropy(a, ones, { kappa: c, reduction: 'none' }), [z, k], ones);
        const limit = dtype === 'float32' ? 80 : 700;
        Z.forEach((zv, i) =>
          K.forEach((kv, j) => {
            if (-kv * zv > limit) return;
            const at = i * K.length + j;
            expectAllFinite(`loss at z=${zv}, κ=${kv}`, [pos.value[at], pos.grads[0][at]]);
          }),
        );
      });
    }
  });

  describe('errors', () => {
    it('targets that are neither the logits shape nor class indices → ShapeError naming both', () => {
      expect(() => apaBinaryCrossEntropy(randn([3, 4]), randn([4]), tensor([1]), tensor([1]))).to.throw(ShapeError, /\[4\].*\[3, 4\]/);
    });
    it('class index out of range or not an integer → ValueError; unknown reduction → ValueError', () => {
      expect(() => apaBinaryCrossEntropy(randn([2, 3]), tensor([0, 3]), tensor([1]), tensor([1]))).to.throw(ValueError, /0\.\.2/);
      expect(() => gumbelBinaryCrossEntropy(randn([2, 3]), tensor([0, 1.5]))).to.throw(ValueError);
      expect(() => gumbelBinaryCrossEntropy(randn([2, 3]), tensor([0, 1]), { reduction: 'avg' as 'mean' })).to.throw(ValueError);
    });
  });
});

// ---- gpujs: the loss kernels against the js float64 oracle, on the extreme grid ---------------------------------

const GPU_MODES = ['cpu', 'webasm', ...(headlessglUnavailableReason() === null ? ['headlessgl'] : [])];
for (const mode of GPU_MODES) {
  describe(`APA losses on gpujs ${mode} (float32) against the js float64 oracle`, function () {
    this.timeout(120000);
    after(() => setBackend('js'));
    const Z = [-1e4, -1e3, -100, -10, -1, -1e-3, 0, 1e-3, 1, 10, 100, 1e3, 1e4, 0.3, -2.5, 4];
    const L = [1e-4, 1e-3, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1e3];
    const K = [-100, -10, -1, -0.01, 0, 0.01, 1, 10, 100];
    const pairs = L.flatMap((l) => K.map((k) => [l, k]));
    const f = Math.fround;
    // Every element is its own class (logits [1, N], λ and κ [N]), so dλ and dκ are per-element terms and can be
    // compared one by one, without the cancellation of a sum. Tolerance 3e-5 relative (measured ≤ 7.6e-6) plus 1e-30
    // absolute (headlessgl flushes a −9e-36 dλ term to 0).
    const zs = Z.flatMap((v) => pairs.map(() => f(v)));
    const ls = Z.flatMap(() => pairs.map((p) => f(p[0])));
    const ks = Z.flatMap(() => pairs.map((p) => f(p[1])));
    const run = (dtype: DType, t: number, gumbel: boolean) => {
      // float32's 1e-4 is the float32 floor; in float64 it would sit just below the float64 floor
      const lv = dtype === 'float64' ? ls.map((v) => (v === f(LAMBDA_FLOOR) ? LAMBDA_FLOOR : v)) : ls;
      const z = tensor([zs], { dtype }), tg = tensor([zs.map(() => t)], { dtype }), up = tensor([zs.map(() => 1)], { dtype });
      const l = tensor(lv, { dtype }), k = tensor(ks, { dtype });
      return gumbel
        ? valueAndGrads((a, c) => gumbelBinaryCrossEntropy(a, tg, { kappa: c, reduction: 'none' }), [z, k], up)
        : valueAndGrads((a, b, c) => apaBinaryCrossEntropy(a, tg, b, c, { reduction: 'none' }), [z, l, k], up);
    };
    for (const gumbel of [false, true]) {
      for (const t of [0, 1]) {
        const what = `${gumbel ? 'gumbelBinaryCrossEntropy' : 'apaBinaryCrossEntropy'}, targets ${t}`;
        // Gumbel positives cost e^{−κz}: where that exceeds float32 (≈ 3.4e38) the comparison is left out.
        it(`${what}: values and gradients finite${gumbel && t === 1 ? ' (where e^{−κz} fits float32)' : ''} and within 3e-5 of the oracle`, () => {
          setBackend('js');
          const want = run('float64', t, gumbel);
          setBackend('gpujs', { mode });
          const got = run('float32', t, gumbel);
          [got.value, ...got.grads].forEach((g, j) => {
            const w = j === 0 ? want.value : want.grads[j - 1];
            for (let i = 0; i < w.length; i++) {
              if (gumbel && t === 1 && !(Math.abs(w[i]) <= 1e37)) continue;
              if (!Number.isFinite(g[i])) expect.fail(`output ${j}, element ${i}: ${g[i]} (oracle ${w[i]})`);
              if (Math.abs(g[i] - w[i]) > 3e-5 * Math.abs(w[i]) + 1e-30) expect.fail(`output ${j}, element ${i}: ${g[i]}, oracle ${w[i]}`);
            }
          });
        });
      }
    }
  });
}
