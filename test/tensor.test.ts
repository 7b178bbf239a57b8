import { expect } from 'chai';
import { setBackend } from '../src/backend/current.js';
import { DTypeError, ShapeError, ValueError } from '../src/errors.js';
import { manualSeed } from '../src/random.js';
import { arange, full, linspace, ones, rand, randn, tensor, zeros, type Tensor } from '../src/tensor.js';

const values = (t: Tensor): number[] => Array.from(t.toTypedArray());

function stats(xs: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let s = 0, min = Infinity, max = -Infinity;
  for (let i = 0; i < xs.length; i++) {
    s += xs[i];
    min = Math.min(min, xs[i]);
    max = Math.max(max, xs[i]);
  }
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i] - mean) ** 2;
  return { mean, std: Math.sqrt(v / (xs.length - 1)), min, max };
}

describe('Tensor', () => {
  before(() => setBackend('js'));

  describe('tensor()', () => {
    it('from nested arrays infers the shape, row-major', () => {
      const t = tensor([[1, 2, 3], [4, 5, 6]]);
      expect(t.shape).to.deep.equal([2, 3]);
      expect(t.size).to.equal(6);
      expect(t.ndim).to.equal(2);
      expect(values(t)).to.deep.equal([1, 2, 3, 4, 5, 6]);
      expect(t.toArray()).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
      expect(tensor([[[1], [2]], [[3], [4]]]).shape).to.deep.equal([2, 2, 1]);
    });

    it('from a flat array with a shape, and from typed arrays', () => {
      const t = tensor([1, 2, 3, 4, 5, 6], { shape: [3, 2] });
      expect(t.toArray()).to.deep.equal([[1, 2], [3, 4], [5, 6]]);
      const f = tensor(new Float32Array([0.5, 1.5, 2.5, 3.5]), { shape: [2, 2] });
      expect(f.toArray()).to.deep.equal([[0.5, 1.5], [2.5, 3.5]]);
      const d = tensor(Float64Array.of(1, 2, 3), { dtype: 'float64' });
      expect(d.shape).to.deep.equal([3]);
      expect(values(d)).to.deep.equal([1, 2, 3]);
    });

    it('from a number is 0-d', () => {
      const t = tensor(2.5);
      expect(t.shape).to.deep.equal([]);
      expect(t.size).to.equal(1);
      expect(t.toArray()).to.equal(2.5);
      expect(t.item()).to.equal(2.5);
    });

    it('empty tensors have a zero-size dimension', () => {
      expect(tensor([]).shape).to.deep.equal([0]);
      expect(tensor([]).toArray()).to.deep.equal([]);
      expect(zeros([2, 0]).toArray()).to.deep.equal([[], []]);
    });

    it('rejects ragged arrays, wrong sizes and non-numbers', () => {
      expect(() => tensor([[1, 2], [3]])).to.throw(ShapeError, /ragged/);
      expect(() => tensor([[1, 2], 3] as number[][])).to.throw(ShapeError, /ragged/);
      expect(() => tensor([1, [2]] as number[])).to.throw(ShapeError, /ragged/);
      expect(() => tensor([1, 2, 3], { shape: [2, 2] })).to.throw(ShapeError, /3 values cannot fill shape \[2, 2\]/);
      expect(() => tensor([1, 'a'] as unknown as number[])).to.throw(ValueError, /string/);
      expect(() => tensor([[1, 'a']] as unknown as number[][])).to.throw(ValueError, /string/);
    });

    it('rejects invalid shapes with ShapeError', () => {
      expect(() => tensor([1, 2], { shape: [-2, -1] })).to.throw(ShapeError, /invalid shape/);
      expect(() => zeros([2, -1])).to.throw(ShapeError, /invalid shape \[2, -1\]/);
      expect(() => ones([1.5])).to.throw(ShapeError, /invalid shape/);
      expect(() => rand([NaN])).to.throw(ShapeError);
      expect(() => randn([-3])).to.throw(ShapeError);
    });

    it('float32 by default rounds to float32; float64 keeps full precision', () => {
      const f32 = tensor([0.1, 1 / 3]);
      expect(f32.dtype).to.equal('float32');
      expect(f32.toTypedArray()).to.be.instanceOf(Float32Array);
      expect(values(f32)).to.deep.equal([Math.fround(0.1), Math.fround(1 / 3)]);
      const f64 = tensor([0.1, 1 / 3], { dtype: 'float64' });
      expect(f64.dtype).to.equal('float64');
      expect(f64.toTypedArray()).to.be.instanceOf(Float64Array);
      expect(values(f64)).to.deep.equal([0.1, 1 / 3]);
      expect(values(f64.to('float32'))).to.deep.equal(values(f32));
    });

    it('rejects an unknown dtype', () => {
      expect(() => tensor([1], { dtype: 'int8' as 'float32' })).to.throw(DTypeError, /unknown dtype 'int8'/);
    });

    it('requiresGrad from options', () => {
      expect(tensor([1]).requiresGrad).to.equal(false);
      expect(tensor([1], { requiresGrad: true }).requiresGrad).to.equal(true);
      expect(tensor([1], { requiresGrad: true }).grad).to.equal(null);
    });
  });

  describe('creation functions', () => {
    it('zeros, ones, full', () => {
      expect(zeros([2, 2]).toArray()).to.deep.equal([[0, 0], [0, 0]]);
      expect(ones([3], { dtype: 'float64' }).toArray()).to.deep.equal([1, 1, 1]);
      expect(full([2], 7.25).toArray()).to.deep.equal([7.25, 7.25]);
      expect(full([], -2).toArray()).to.equal(-2);
      expect(ones([2], { dtype: 'float64' }).dtype).to.equal('float64');
    });

    it('arange like torch.arange (end exclusive, any step sign)', () => {
      expect(arange(5).toArray()).to.deep.equal([0, 1, 2, 3, 4]);
      expect(arange(2, 5).toArray()).to.deep.equal([2, 3, 4]);
      expect(arange(0, 1, 0.25, { dtype: 'float64' }).toArray()).to.deep.equal([0, 0.25, 0.5, 0.75]);
      expect(arange(5, 0, -2).toArray()).to.deep.equal([5, 3, 1]);
      expect(arange(3, 3).shape).to.deep.equal([0]);
      expect(() => arange(0, 1, 0)).to.throw(ValueError, /step/);
    });

    it('linspace includes both ends', () => {
      expect(linspace(0, 1, 5, { dtype: 'float64' }).toArray()).to.deep.equal([0, 0.25, 0.5, 0.75, 1]);
      expect(linspace(-1, 1, 3).toArray()).to.deep.equal([-1, 0, 1]);
      expect(linspace(2, 3, 1).toArray()).to.deep.equal([2]);
      expect(linspace(2, 3, 0).shape).to.deep.equal([0]);
      const l = linspace(0, 0.3, 4, { dtype: 'float64' });
      values(l).forEach((v, i) => expect(v).to.be.closeTo(i * 0.1, 1e-15));
      expect(() => linspace(0, 1, 2.5)).to.throw(ValueError, /steps/);
    });

    it('rand and randn are reproducible with manualSeed, and differ between seeds', () => {
      manualSeed(42);
      const a = values(rand([100], { dtype: 'float64' }));
      const an = values(randn([101], { dtype: 'float64' }));
      manualSeed(42);
      expect(values(rand([100], { dtype: 'float64' }))).to.deep.equal(a);
      expect(values(randn([101], { dtype: 'float64' }))).to.deep.equal(an);
      manualSeed(43);
      expect(values(rand([100], { dtype: 'float64' }))).to.not.deep.equal(a);
      // float32 draws are the float64 ones rounded (same stream)
      manualSeed(42);
      expect(values(rand([100]))).to.deep.equal(a.map((v) => Math.fround(v)));
    });

    it('rand is uniform on [0, 1): mean ≈ 1/2, std ≈ 1/√12', () => {
      manualSeed(1);
      const s = stats(rand([20000], { dtype: 'float64' }).toTypedArray());
      expect(s.min).to.be.at.least(0);
      expect(s.max).to.be.below(1);
      // standard error of the mean is 0.29/√20000 ≈ 0.002; bounds are ~10 standard errors
      expect(s.mean).to.be.closeTo(0.5, 0.02);
      expect(s.std).to.be.closeTo(1 / Math.sqrt(12), 0.02);
      const s32 = stats(rand([20000]).toTypedArray());
      expect(s32.max).to.be.below(1);
    });

    it('randn is standard normal: mean ≈ 0, std ≈ 1, about 68% within one std', () => {
      manualSeed(2);
      const xs = randn([20001], { dtype: 'float64' }).toTypedArray();
      const s = stats(xs);
      expect(s.mean).to.be.closeTo(0, 0.05);
      expect(s.std).to.be.closeTo(1, 0.05);
      const within = Array.from(xs).filter((x) => Math.abs(x) < 1).length / xs.length;
      expect(within).to.be.closeTo(0.6827, 0.03);
    });
  });

  describe('read-out', () => {
    it('toArray nests by shape; toTypedArray is a flat copy', () => {
      const t = tensor([[1, 2], [3, 4]], { dtype: 'float64' });
      const flat = t.toTypedArray();
      flat[0] = 100;
      expect(t.toArray()).to.deep.equal([[1, 2], [3, 4]]);
    });

    it('item returns the single value and throws on several', () => {
      expect(tensor([[3.5]]).item()).to.equal(3.5);
      expect(() => tensor([1, 2]).item()).to.throw(ShapeError, /shape \[2\] has 2 elements/);
    });

    it('toString shows values, shape, dtype and requiresGrad', () => {
      expect(tensor([[1, 2], [3, 4]]).toString()).to.equal('tensor([[1,2],[3,4]], shape=[2, 2], dtype=float32)');
      expect(tensor(0.1).toString()).to.equal('tensor(0.1, shape=[], dtype=float32)');
      expect(tensor([1 / 3], { dtype: 'float64', requiresGrad: true }).toString()).to.equal(
        'tensor([0.333333], shape=[1], dtype=float64, requiresGrad=true)',
      );
    });
  });

  describe('dispose', () => {
    it('using a disposed tensor throws; shape is still known; dispose twice is harmless', () => {
      const t = tensor([1, 2, 3]);
      t.dispose();
      expect(t.isDisposed).to.equal(true);
      expect(t.shape).to.deep.equal([3]);
      expect(() => t.toArray()).to.throw(ValueError, /disposed/);
      expect(() => t.add(1)).to.throw(ValueError, /disposed/);
      expect(() => t.dispose()).to.not.throw();
    });
  });

  describe('dtype checks', () => {
    it('adding float32 to float64 throws DTypeError naming both', () => {
      const a = tensor([1, 2]);
      const b = tensor([1, 2], { dtype: 'float64' });
      expect(() => a.add(b)).to.throw(DTypeError, /float32.*float64/);
      expect(() => b.mul(a)).to.throw(DTypeError, /mul: dtypes float64/);
    });

    it('a number operand takes the tensor dtype', () => {
      const b = tensor([1, 2], { dtype: 'float64' });
      expect(b.add(0.1).dtype).to.equal('float64');
      expect(values(b.add(0.1))).to.deep.equal([1.1, 2.1]);
    });
  });
});
