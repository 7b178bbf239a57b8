import { expect } from 'chai';
import { gradcheck, GradcheckError, type GradcheckReport } from '../src/autograd/gradcheck.js';
import { record } from '../src/autograd/tape.js';
import { setBackend } from '../src/backend/current.js';
import { BackendError, DTypeError, ValueError } from '../src/errors.js';
import { add, div, exp, mul, pow, sub } from '../src/ops/elementwise.js';
import { manualSeed } from '../src/random.js';
import { randn, rand, tensor, Tensor } from '../src/tensor.js';

const f64 = { dtype: 'float64', requiresGrad: true } as const;

/** y = k·x whose backward claims k' instead of k: a deliberately wrong gradient. */
function scaleWithWrongBackward(x: Tensor, k: number, claimed: number): Tensor {
  const out = x.detach().mul(k);
  return record('wrongScale', out, [x], (g) => [g.mul(claimed)]);
}

describe('gradcheck', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(7));

  describe('passes on correct ops', () => {
    it('add, sub, mul, div of same-shape inputs (non-scalar outputs, full Jacobian)', () => {
      const a = randn([2, 3], f64);
      const b = rand([2, 3], f64).add(0.5).detach().requiresGrad_();
      for (const f of [add, sub, mul, div]) {
        const r = gradcheck((x, y) => f(x, y), [a, b]);
        expect(r.ok).to.equal(true);
        expect(r.failure).to.equal(null);
        expect(r.maxAbsError).to.be.below(1e-6);
      }
    });

    it('broadcasting in both directions: [3] with [2, 3], and [2, 1] with [1, 3]', () => {
      const row = randn([3], f64), mat = randn([2, 3], f64);
      expect(gradcheck((x, y) => mul(x, y), [row, mat]).ok).to.equal(true);
      expect(gradcheck((x, y) => mul(y, x), [row, mat]).ok).to.equal(true);
      const col = randn([2, 1], f64), wide = rand([1, 3], f64).add(1).detach().requiresGrad_();
      expect(gradcheck((x, y) => div(x, y), [col, wide]).ok).to.equal(true);
      expect(gradcheck((x, y) => add(y, x), [col, wide]).ok).to.equal(true);
    });

    it('pow with a number and with a tensor exponent, exp, and compositions', () => {
      const base = rand([4], f64).add(0.5).detach().requiresGrad_();
      const e = randn([4], f64);
      expect(gradcheck((x) => pow(x, 3), [base]).ok).to.equal(true);
      expect(gradcheck((x) => pow(x, -1.5), [base]).ok).to.equal(true);
      expect(gradcheck((x, y) => pow(x, y), [base, e]).ok).to.equal(true);
      expect(gradcheck((x) => exp(x), [e]).ok).to.equal(true);
      expect(gradcheck((x, y) => exp(mul(x, y)).div(add(x, 2)), [base, e]).ok).to.equal(true);
    });

    it('checks only inputs that require grad, and several outputs', () => {
      const a = randn([3], f64);
      const c = randn([3], { dtype: 'float64' });
      const r = gradcheck((x, y) => [mul(x, y), exp(x)], [a, c]);
      expect(r.ok).to.equal(true);
      // 3×3 entries per output, 2 outputs, one checked input
      expect(r.message).to.match(/18 Jacobian entries over 1 input/);
    });

    it('works on non-contiguous (permuted) and non-leaf inputs and leaves the user grads alone', () => {
      const a = randn([2, 3], f64);
      const t = a.T; // a view with swapped strides
      const r = gradcheck((x) => mul(x, x), [t]);
      expect(r.ok).to.equal(true);
      expect(a.grad).to.equal(null);
      const nonLeaf = a.mul(2);
      expect(gradcheck((x) => exp(x), [nonLeaf]).ok).to.equal(true);
    });

    it('restores the inputs after perturbing them', () => {
      const a = randn([2, 2], f64);
      const before = Array.from(a.toTypedArray());
      gradcheck((x) => exp(x), [a]);
      gradcheck((x) => exp(x), [a], { fast: true });
      expect(Array.from(a.toTypedArray())).to.deep.equal(before);
    });

    it('an output that is the input itself (identity) has the identity Jacobian', () => {
      const a = randn([2, 2], f64);
      const r = gradcheck((x) => x, [a]);
      expect(r.ok).to.equal(true);
      expect(r.maxAbsError).to.be.below(1e-9);
    });

    it('an output that does not depend on the checked input has a zero Jacobian', () => {
      const a = randn([2], f64);
      const c = randn([2], { dtype: 'float64' });
      expect(gradcheck((_x, y) => exp(y), [a, c]).ok).to.equal(true);
    });
  });

  describe('fails on a wrong backward', () => {
    it('throws a GradcheckError whose report names the input, the element and both values', () => {
      const ok = randn([3], f64);
      const x = randn([2, 3], f64);
      let caught: unknown = null;
      try {
        gradcheck((a, b) => add(a, scaleWithWrongBackward(b, 3, 3.3)), [ok, x]);
      } catch (e) {
        caught = e;
      }
      expect(caught).to.be.instanceOf(GradcheckError);
      const r = (caught as GradcheckError).report;
      expect(r.ok).to.equal(false);
      expect(r.failure).to.equal('jacobian');
      expect(r.worst).to.not.equal(null);
      const w = r.worst!;
      // input 0 is correct; the fault is in input 1, on the diagonal d out[i,j] / d x[i,j]
      expect(w.input).to.equal(1);
      expect(w.index).to.have.length(2);
      expect(w.outputIndex).to.deep.equal(w.index);
      expect(w.numerical).to.be.closeTo(3, 1e-6);
      expect(w.analytical).to.be.closeTo(3.3, 1e-12);
      expect(r.maxAbsError).to.be.closeTo(0.3, 1e-6);
      expect(r.maxRelError).to.be.closeTo(0.1, 1e-6);
      expect(r.message).to.contain('input 1').and.contain('analytical 3.3').and.contain('numerical 3');
    });

    it('names the single wrong element when only one element is off', () => {
      const x = randn([2, 2], f64);
      const mask = tensor([[0, 0], [1, 0]], { dtype: 'float64' });
      const f = (a: Tensor): Tensor => {
        const out = a.detach().mul(2);
        return record('oneWrong', out, [a], (g) => [g.mul(2).add(g.mul(mask).mul(0.01))]);
      };
      const r = gradcheck(f, [x], { raiseException: false });
      expect(r.ok).to.equal(false);
      expect(r.worst!.index).to.deep.equal([1, 0]);
      expect(r.worst!.outputIndex).to.deep.equal([1, 0]);
      expect(r.worst!.analytical).to.be.closeTo(2.01, 1e-12);
    });

    it('raiseException: false returns the failing report instead of throwing', () => {
      const x = randn([3], f64);
      const r: GradcheckReport = gradcheck((a) => scaleWithWrongBackward(a, 2, 2.5), [x], { raiseException: false });
      expect(r.ok).to.equal(false);
      expect(r.message).to.match(/^gradcheck failed: Jacobian mismatch/);
    });

    it('a small error inside atol + rtol·|n| passes, and fails once the tolerance is tightened', () => {
      const x = randn([3], f64);
      // relative error 2e-4 < rtol 1e-3
      expect(gradcheck((a) => scaleWithWrongBackward(a, 5, 5.001), [x]).ok).to.equal(true);
      expect(gradcheck((a) => scaleWithWrongBackward(a, 5, 5.001), [x], { rtol: 1e-5, raiseException: false }).ok).to.equal(false);
    });
  });

  describe('fast mode (random projections uᵀJv)', () => {
    it('agrees with the full check on correct and on wrong gradients', () => {
      const a = randn([3, 4], f64), b = randn([4], f64);
      const good = gradcheck((x, y) => exp(mul(x, y)), [a, b], { fast: true });
      expect(good.ok).to.equal(true);
      expect(good.message).to.contain('random projections');
      const bad = gradcheck((x, y) => add(scaleWithWrongBackward(x, 2, 2.2), y), [a, b], { fast: true, raiseException: false });
      expect(bad.ok).to.equal(false);
      expect(bad.worst!.input).to.equal(0);
      expect(bad.worst!.index).to.deep.equal([]);
      // uᵀ(2.2·I)v vs uᵀ(2·I)v: the analytical projection is 1.1 times the numerical one
      expect(bad.worst!.analytical / bad.worst!.numerical).to.be.closeTo(1.1, 1e-6);
    });

    it('is reproducible for a given seed', () => {
      const a = randn([5], f64);
      const f = (x: Tensor): Tensor => scaleWithWrongBackward(x, 2, 2.2);
      const r1 = gradcheck(f, [a], { fast: true, raiseException: false, seed: 3 });
      const r2 = gradcheck(f, [a], { fast: true, raiseException: false, seed: 3 });
      expect(r1.worst).to.deep.equal(r2.worst);
    });
  });

  describe('refuses inputs it cannot check', () => {
    it('expanded (stride-0) inputs', () => {
      const a = randn([1, 3], f64);
      // a stride-0 view made by the backend primitive behind expand()
      const view = new Tensor(a.backend.expand(a.buf, [4, 3]), a.backend, true);
      expect(() => gradcheck((x) => exp(x), [view])).to.throw(ValueError, /expanded \(broadcast\).*stride 0 on axis 0/);
    });

    it('float32 inputs', () => {
      const a = randn([3], { requiresGrad: true });
      expect(() => gradcheck((x) => exp(x), [a])).to.throw(DTypeError, /input 0 .*float32.*float64/);
    });

    it('no input that requires grad', () => {
      const a = randn([3], { dtype: 'float64' });
      expect(() => gradcheck((x) => exp(x), [a])).to.throw(ValueError, /no input requires grad/);
    });

    it('inputs from a backend other than js', () => {
      const a = randn([3], f64);
      const fake = Object.create(a) as Tensor;
      Object.defineProperty(fake, 'backend', { value: { ...a.backend, name: 'gpujs' } });
      expect(() => gradcheck((x) => exp(x), [fake])).to.throw(BackendError, /js backend/);
    });
  });

  describe('nondeterminism check', () => {
    it('catches a backward that returns random noise', () => {
      const x = randn([3], f64);
      const noisy = (a: Tensor): Tensor => {
        const out = a.detach().mul(2);
        return record('noisy', out, [a], (g) => [g.mul(2).add(randn(g.shape, { dtype: 'float64' }).mul(1e-9))]);
      };
      // The noise is far below atol, so only the nondeterminism check can see it.
      const r = gradcheck(noisy, [x], { raiseException: false });
      expect(r.ok).to.equal(false);
      expect(r.failure).to.equal('nondeterministic');
      expect(r.nondetMaxDiff).to.be.above(0);
      expect(r.maxAbsError).to.be.below(1e-5);
      expect(r.message).to.contain('nondeterministic');
      expect(() => gradcheck(noisy, [x])).to.throw(GradcheckError, /nondeterministic/);
      // A tolerance that admits the noise lets it pass.
      expect(gradcheck(noisy, [x], { nondetTol: 1e-6 }).ok).to.equal(true);
      expect(gradcheck(noisy, [x], { fast: true, raiseException: false }).failure).to.equal('nondeterministic');
    });
  });
});
