import { expect } from 'chai';
import { noGrad, setAnomalyDetection, isGradEnabled } from '../src/autograd/tape.js';
import { setBackend } from '../src/backend/current.js';
import { AnomalyError, AutogradError, DTypeError, ShapeError } from '../src/errors.js';
import { manualSeed } from '../src/random.js';
import { ones, randn, tensor, type Tensor } from '../src/tensor.js';

const f64 = { dtype: 'float64', requiresGrad: true } as const;
const values = (t: Tensor | null): number[] => Array.from(t!.toTypedArray());
const onesLike = (t: Tensor): Tensor => ones(t.shape, { dtype: t.dtype });

describe('autograd', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(11));
  afterEach(() => setAnomalyDetection(false));

  it('backpropagates through a chain of 100,000 ops without a recursion limit', function () {
    this.timeout(120000);
    const x = tensor([1.5], f64);
    const c = 1.00001;
    let y = x;
    for (let i = 0; i < 100_000; i++) y = y.mul(c);
    y.backward();
    // d/dx (x·c^n) = c^n
    expect(x.grad!.item()).to.be.closeTo(Math.pow(c, 100_000), 1e-9);
    expect(y.item()).to.be.closeTo(1.5 * Math.pow(c, 100_000), 1e-9);
  });

  describe('accumulation', () => {
    it('sums the gradients of a tensor used twice: d(x·x + x)/dx = 2x + 1', () => {
      const x = tensor([-1, 0.5, 3], f64);
      const y = x.mul(x).add(x);
      y.backward(onesLike(y));
      expect(values(x.grad)).to.deep.equal([-1, 2, 7]);
    });

    it('sums across two backward calls (like torch, until grad is reset)', () => {
      const x = tensor([2, -3], f64);
      x.mul(x).backward(tensor([1, 1], { dtype: 'float64' }));
      x.mul(3).backward(tensor([1, 10], { dtype: 'float64' }));
      expect(values(x.grad)).to.deep.equal([2 * 2 + 3, 2 * -3 + 30]);
    });

    it('applies the upstream gradient passed to backward', () => {
      const x = tensor([[1, 2], [3, 4]], f64);
      const y = x.mul(x);
      y.backward(tensor([[1, 0], [0.5, -1]], { dtype: 'float64' }));
      expect(x.grad!.toArray()).to.deep.equal([[2, 0], [3, -8]]);
    });

    it('gives every leaf its own .grad object, even where add passes one gradient to both', () => {
      const x = tensor([1, 2], f64), y = tensor([3, 4], f64);
      x.add(y).backward(tensor([0.5, -1], { dtype: 'float64' }));
      expect(x.grad).to.not.equal(y.grad);
      expect(values(x.grad)).to.deep.equal([0.5, -1]);
      expect(values(y.grad)).to.deep.equal([0.5, -1]);
    });

    it('a diamond (x feeds two branches that meet again) gets both contributions', () => {
      const x = tensor([1.5], f64);
      const a = x.mul(2), b = x.exp();
      a.mul(b).backward();
      // d/dx (2x·e^x) = 2e^x + 2x·e^x
      expect(x.grad!.item()).to.be.closeTo(2 * Math.exp(1.5) + 3 * Math.exp(1.5), 1e-12);
    });
  });

  describe('grad mode', () => {
    it('noGrad records nothing and restores the mode afterwards', () => {
      const x = tensor([1, 2], f64);
      const y = noGrad(() => {
        expect(isGradEnabled()).to.equal(false);
        return x.mul(x).exp();
      });
      expect(isGradEnabled()).to.equal(true);
      expect(y.requiresGrad).to.equal(false);
      expect(y.gradFn).to.equal(null);
      expect(() => y.backward(onesLike(y))).to.throw(AutogradError, /does not require grad/);
    });

    it('noGrad restores the mode when fn throws', () => {
      expect(() => noGrad(() => { throw new Error('boom'); })).to.throw('boom');
      expect(isGradEnabled()).to.equal(true);
    });

    it('records nothing when no input requires grad', () => {
      const y = tensor([1, 2], { dtype: 'float64' }).mul(2);
      expect(y.requiresGrad).to.equal(false);
      expect(y.gradFn).to.equal(null);
    });

    it('detach cuts the tape and shares values', () => {
      const x = tensor([1, 2], f64);
      const y = x.mul(3);
      const d = y.detach();
      expect(d.requiresGrad).to.equal(false);
      expect(d.gradFn).to.equal(null);
      expect(values(d)).to.deep.equal([3, 6]);
      // the detached branch contributes no gradient
      y.add(d.mul(x.detach())).backward(tensor([1, 1], { dtype: 'float64' }));
      expect(values(x.grad)).to.deep.equal([3, 3]);
    });

    it('requiresGrad_ turns a leaf on and off, and refuses to turn off a computed tensor', () => {
      const x = tensor([2], { dtype: 'float64' });
      expect(x.requiresGrad_()).to.equal(x);
      expect(x.requiresGrad).to.equal(true);
      const y = x.mul(x);
      y.backward();
      expect(x.grad!.item()).to.equal(4);
      expect(() => y.requiresGrad_(false)).to.throw(AutogradError, /detach/);
      x.requiresGrad_(false);
      expect(x.mul(x).requiresGrad).to.equal(false);
    });
  });

  describe('graph lifetime', () => {
    it('frees the saved tensors after backward; a second backward throws a clear AutogradError', () => {
      const x = tensor([1, 2], f64);
      const y = x.exp().mul(2);
      y.backward(onesLike(y));
      expect(y.gradFn!.backward).to.equal(null);
      expect(() => y.backward(onesLike(y))).to.throw(AutogradError, /already freed.*retainGraph: true/);
    });

    it('retainGraph keeps the graph for another backward', () => {
      const x = tensor([1, 2], f64);
      const y = x.mul(x);
      y.backward(onesLike(y), { retainGraph: true });
      expect(y.gradFn!.backward).to.not.equal(null);
      y.backward(onesLike(y));
      expect(values(x.grad)).to.deep.equal([4, 8]);
      expect(() => y.backward(onesLike(y))).to.throw(AutogradError, /already freed/);
    });
  });

  describe('anomaly detection', () => {
    it('names the op whose forward produced NaN (log of a negative), not the ops after it', () => {
      setAnomalyDetection(true);
      const x = tensor([-1, 2], f64);
      const y = x.mul(3).log().mul(2);
      expect(() => y.backward(onesLike(y))).to.throw(AnomalyError, /forward of 'log'.*NaN or Inf/);
    });

    it("names the op whose backward produced Inf (sqrt at 0)", () => {
      setAnomalyDetection(true);
      const x = tensor([0, 4], f64);
      const y = x.sqrt().mul(3);
      let err: unknown = null;
      try {
        y.backward(onesLike(y));
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(AnomalyError);
      expect((err as Error).message).to.match(/backward of 'sqrt'/);
      expect((err as Error).message).to.not.match(/'mul'/);
    });

    it('is off by default: the same backward runs and yields Inf', () => {
      const x = tensor([0, 4], f64);
      const y = x.sqrt().mul(3);
      y.backward(onesLike(y));
      expect(values(x.grad)).to.deep.equal([Infinity, 3 / (2 * 2)]);
    });

    it('only watches forwards recorded while it is on', () => {
      const x = tensor([-1], f64);
      const y = x.log();
      setAnomalyDetection(true);
      expect(() => y.backward()).to.not.throw();
    });
  });

  describe('bad calls', () => {
    it('backward on a non-scalar without a gradient throws, naming the shape', () => {
      const y = randn([2, 3], f64).mul(2);
      expect(() => y.backward()).to.throw(AutogradError, /shape \[2, 3\] is not a scalar/);
    });

    it('backward with a gradient of the wrong shape throws ShapeError', () => {
      const y = randn([2, 3], f64).mul(2);
      expect(() => y.backward(ones([3, 2], { dtype: 'float64' }))).to.throw(ShapeError, /\[3, 2\].*\[2, 3\]/);
    });

    it('backward with a gradient of the wrong dtype throws DTypeError', () => {
      const y = randn([2], f64).mul(2);
      expect(() => y.backward(ones([2]))).to.throw(DTypeError, /float32.*float64/);
    });

    it('backward on a one-element tensor of rank > 0 works without a gradient', () => {
      const x = tensor([[3]], f64);
      x.mul(x).backward();
      expect(x.grad!.toArray()).to.deep.equal([[6]]);
    });
  });
});
