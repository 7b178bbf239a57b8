import { expect } from 'chai';
import {
  AxisError, DTypeError, ShapeError, ValueError, arange, broadcastTo, concat, expand, gather, indexSelect, manualSeed,
  oneHot, permute, randn, reshape, setBackend, slice, squeeze, stack, tensor, transpose, unsqueeze, zeros,
} from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck } from '../src/autograd/gradcheck.js';

const x64 = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', requiresGrad: true });
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());
const ok = (fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[]): boolean => gradcheck(fn, inputs).ok;

/** Element at a multi-index of flat row-major data. */
function at(data: number[], shape: number[], idx: number[]): number {
  let off = 0;
  for (let i = 0; i < shape.length; i++) off = off * shape[i] + idx[i];
  return data[off];
}
/** Every multi-index of a shape, row-major. */
function indices(shape: number[]): number[][] {
  const out: number[][] = [[]];
  for (const d of shape) {
    const next: number[][] = [];
    for (const p of out) for (let i = 0; i < d; i++) next.push([...p, i]);
    out.splice(0, out.length, ...next);
  }
  return out;
}

describe('shape ops', () => {
  before(() => {
    setBackend('js');
    manualSeed(11);
  });

  describe('reshape', () => {
    it('keeps row-major order and infers one -1', () => {
      const x = arange(6);
      expect(reshape(x, [2, -1]).toArray()).to.deep.equal([[0, 1, 2], [3, 4, 5]]);
      expect(reshape(x, [-1, 2, 1]).shape).to.deep.equal([3, 2, 1]);
      expect(x.reshape(3, 2).toArray()).to.deep.equal([[0, 1], [2, 3], [4, 5]]);
    });
    it('of a non-contiguous (transposed) tensor reads it in its logical order', () => {
      const t = transpose(tensor([[0, 1, 2], [3, 4, 5]]));
      expect(flat(reshape(t, [6]))).to.deep.equal([0, 3, 1, 4, 2, 5]);
    });
    it('gradcheck, also through a transposed input', () => {
      expect(ok((a) => reshape(a, [4, -1]), [x64([2, 3, 2])])).to.equal(true);
      expect(ok((a) => reshape(transpose(a, 0, 2), [-1]), [x64([2, 3, 2])])).to.equal(true);
    });
    it('rejects a count mismatch and two -1', () => {
      expect(() => reshape(zeros([2, 3]), [4, 2])).to.throw(ShapeError, /reshape: cannot reshape \[2, 3\] \(6 elements\) to \[4, 2\]/);
      expect(() => reshape(zeros([2, 3]), [-1, 4])).to.throw(ShapeError, /\[-1, 4\]/);
      expect(() => reshape(zeros([2, 3]), [-1, -1])).to.throw(ShapeError, /only one dimension may be -1/);
    });
  });

  describe('permute / transpose', () => {
    it('move elements as out[i,j,k] = x[perm]', () => {
      const x = x64([2, 3, 4]);
      const data = flat(x);
      const y = permute(x, [2, 0, -2]);
      expect(y.shape).to.deep.equal([4, 2, 3]);
      const got = flat(y);
      indices([4, 2, 3]).forEach(([k, i, j], n) => expect(got[n]).to.equal(at(data, [2, 3, 4], [i, j, k])));
    });
    it('transpose swaps the last two axes by default, and any two on request', () => {
      expect(transpose(tensor([[1, 2, 3], [4, 5, 6]])).toArray()).to.deep.equal([[1, 4], [2, 5], [3, 6]]);
      expect(tensor([[1, 2]]).T.shape).to.deep.equal([2, 1]);
      expect(transpose(zeros([2, 3, 4]), 0, -1).shape).to.deep.equal([4, 3, 2]);
    });
    it('gradcheck', () => {
      expect(ok((a) => permute(a, [1, 2, 0]), [x64([2, 3, 4])])).to.equal(true);
      expect(ok((a) => transpose(a, 0, 1), [x64([3, 2, 2])])).to.equal(true);
    });
    it('rejects wrong axis lists with AxisError', () => {
      expect(() => permute(zeros([2, 3]), [0])).to.throw(AxisError, /permute: got 1 axes \[0\] for a tensor of shape \[2, 3\]/);
      expect(() => permute(zeros([2, 3]), [1, -1])).to.throw(AxisError, /repeat/);
      expect(() => permute(zeros([2, 3]), [0, 2])).to.throw(AxisError, /axis 2 is out of range/);
      expect(() => transpose(zeros([3]))).to.throw(AxisError, /transpose/);
    });
  });

  describe('expand / broadcastTo', () => {
    it('stretches size-1 axes and prepends new ones (NumPy rules)', () => {
      const x = tensor([[1], [2]]);
      expect(expand(x, [2, 2, 3]).toArray()).to.deep.equal([[[1, 1, 1], [2, 2, 2]], [[1, 1, 1], [2, 2, 2]]]);
      expect(x.expand(-1, 4).shape).to.deep.equal([2, 4]);
      expect(tensor([5, 6]).broadcastTo([3, 2]).toArray()).to.deep.equal([[5, 6], [5, 6], [5, 6]]);
      expect(broadcastTo(tensor([[5], [6]]), [2, 2]).toArray()).to.deep.equal([[5, 5], [6, 6]]);
    });
    it('gradcheck: the gradient sums over the broadcast axes', () => {
      expect(ok((a) => expand(a, [2, 3, 4]), [x64([3, 1])])).to.equal(true);
      expect(ok((a) => expand(a, [3, 2, 4]), [x64([1, 2, 1])])).to.equal(true);
      const a = tensor([[1], [2]], { dtype: 'float64', requiresGrad: true });
      expand(a, [2, 3]).backward(tensor([[1, 2, 3], [4, 5, 6]], { dtype: 'float64' }));
      expect(flat(a.grad!)).to.deep.equal([6, 15]);
    });
    it('rejects shapes it cannot broadcast to', () => {
      expect(() => expand(zeros([3]), [4])).to.throw(ShapeError, /expand: cannot broadcast shape \[3\] to \[4\].*neither 4 nor 1/);
      expect(() => expand(zeros([2, 3]), [3])).to.throw(ShapeError, /fewer dimensions/);
      expect(() => expand(zeros([3]), [-1, 3])).to.throw(ShapeError, /dimension 0 is -1/);
    });
  });

  describe('squeeze / unsqueeze', () => {
    it('squeeze removes all size-1 axes, one, or several (negative too)', () => {
      const x = zeros([1, 2, 1, 3, 1]);
      expect(squeeze(x).shape).to.deep.equal([2, 3]);
      expect(squeeze(x, 2).shape).to.deep.equal([1, 2, 3, 1]);
      expect(squeeze(x, [0, -1]).shape).to.deep.equal([2, 1, 3]);
      expect(squeeze(zeros([1])).shape).to.deep.equal([]);
    });
    it('unsqueeze inserts at negative positions like torch', () => {
      const x = zeros([2, 3]);
      expect(unsqueeze(x, 0).shape).to.deep.equal([1, 2, 3]);
      expect(unsqueeze(x, 2).shape).to.deep.equal([2, 3, 1]);
      expect(unsqueeze(x, -1).shape).to.deep.equal([2, 3, 1]);
      expect(unsqueeze(x, -3).shape).to.deep.equal([1, 2, 3]);
      expect(unsqueeze(x, -2).shape).to.deep.equal([2, 1, 3]);
    });
    it('gradcheck', () => {
      expect(ok((a) => squeeze(a, [1, -1]), [x64([2, 1, 3, 1])])).to.equal(true);
      expect(ok((a) => unsqueeze(a, -2), [x64([2, 3])])).to.equal(true);
    });
    it('rejects squeezing a non-1 axis and out-of-range axes', () => {
      expect(() => squeeze(zeros([2, 3]), 1)).to.throw(ShapeError, /squeeze: axis 1 of shape \[2, 3\] has size 3, not 1/);
      expect(() => unsqueeze(zeros([2, 3]), 3)).to.throw(AxisError, /unsqueeze/);
      expect(() => unsqueeze(zeros([2, 3]), -4)).to.throw(AxisError, /valid: -3\.\.2/);
    });
  });

  describe('concat / stack', () => {
    it('concat joins along any axis in order', () => {
      const a = tensor([[1, 2], [3, 4]]);
      const b = tensor([[5], [6]]);
      expect(concat([a, b], 1).toArray()).to.deep.equal([[1, 2, 5], [3, 4, 6]]);
      expect(concat([a, b.T], 0).toArray()).to.deep.equal([[1, 2], [3, 4], [5, 6]]);
      expect(concat([b, a, b], -1).toArray()).to.deep.equal([[5, 1, 2, 5], [6, 3, 4, 6]]);
    });
    it('stack adds a new axis', () => {
      const a = tensor([1, 2, 3]);
      const b = tensor([4, 5, 6]);
      expect(stack([a, b]).toArray()).to.deep.equal([[1, 2, 3], [4, 5, 6]]);
      expect(stack([a, b], -1).toArray()).to.deep.equal([[1, 4], [2, 5], [3, 6]]);
    });
    it('gradcheck', () => {
      expect(ok((a, b, c) => concat([a, b, c], 1), [x64([2, 1, 3]), x64([2, 3, 3]), x64([2, 2, 3])])).to.equal(true);
      expect(ok((a, b) => concat([a, b], -1), [x64([2, 3]), x64([2, 1])])).to.equal(true);
      expect(ok((a, b) => stack([a, b], 1), [x64([2, 3]), x64([2, 3])])).to.equal(true);
      // a constant input gets no gradient while the others still do
      expect(ok((a) => concat([zeros([2, 2], { dtype: 'float64' }), a], 0), [x64([1, 2])])).to.equal(true);
    });
    it('rejects mismatched shapes naming the axis and the shapes', () => {
      expect(() => concat([zeros([2, 3]), zeros([2, 4])], 0)).to.throw(
        ShapeError, /concat: shapes \[2, 3\], \[2, 4\] do not match outside axis 0/);
      expect(() => concat([zeros([2, 3]), zeros([2, 3, 1])], 1)).to.throw(ShapeError, /axis 1/);
      expect(() => stack([zeros([2]), zeros([3])])).to.throw(ShapeError, /stack: shapes \[2\], \[3\] differ/);
      expect(() => concat([], 0)).to.throw(ValueError, /no tensors/);
      expect(() => stack([])).to.throw(ValueError, /no tensors/);
      expect(() => concat([tensor(1), tensor(2)])).to.throw(ShapeError, /0-d/);
      expect(() => concat([zeros([2]), zeros([2])], 1)).to.throw(AxisError, /concat: axis 1/);
      expect(() => concat([zeros([2]), zeros([2], { dtype: 'float64' })])).to.throw(DTypeError, /concat/);
    });
  });

  describe('slice', () => {
    // JavaScript's Array.prototype.slice has Python's bound rules (negative from the end, clamped): an
    // independent reference.
    const cases: [number, number | undefined][] = [
      [0, undefined], [1, 4], [-2, undefined], [1, -1], [-10, 2], [3, 100], [4, 2], [7, 9], [-1, -3], [0, 0],
    ];
    for (const [s, e] of cases)
      it(`slice(${s}, ${e}) follows Python's rules`, () => {
        const data = [10, 11, 12, 13, 14, 15];
        expect(flat(slice(tensor(data), 0, s, e))).to.deep.equal(data.slice(s, e));
        const m = tensor([data, data.map((v) => -v)]);
        expect(m.slice(1, s, e).toArray()).to.deep.equal([data.slice(s, e), data.map((v) => -v).slice(s, e)]);
      });
    it('gradcheck at the start, middle, end, and empty', () => {
      for (const [s, e] of [[0, 2], [1, 3], [2, undefined], [-1, undefined], [3, 1]] as [number, number | undefined][])
        expect(ok((a) => slice(a, 1, s, e), [x64([2, 4, 3])])).to.equal(true);
    });
    it('gradient is zero outside the slice', () => {
      const x = tensor([1, 2, 3, 4], { dtype: 'float64', requiresGrad: true });
      slice(x, 0, 1, 3).backward(tensor([5, 7], { dtype: 'float64' }));
      expect(flat(x.grad!)).to.deep.equal([0, 5, 7, 0]);
    });
    it('rejects non-integer bounds and bad axes', () => {
      expect(() => slice(zeros([4]), 0, 1.5)).to.throw(ValueError, /slice: slice bound 1.5/);
      expect(() => slice(zeros([4]), 1, 0)).to.throw(AxisError, /slice: axis 1/);
    });
  });

  describe('indexSelect', () => {
    it('picks rows or columns, repeats allowed, from a list or a tensor', () => {
      const x = tensor([[1, 2, 3], [4, 5, 6], [7, 8, 9]]);
      expect(indexSelect(x, 0, [2, 0, 2]).toArray()).to.deep.equal([[7, 8, 9], [1, 2, 3], [7, 8, 9]]);
      expect(x.indexSelect(-1, tensor([1, 1], { dtype: 'float64' })).toArray()).to.deep.equal([[2, 2], [5, 5], [8, 8]]);
      expect(indexSelect(x, 1, []).shape).to.deep.equal([3, 0]);
    });
    it('gradcheck: repeated indices accumulate', () => {
      expect(ok((a) => indexSelect(a, 1, [3, 0, 3, 1]), [x64([2, 4, 2])])).to.equal(true);
      const x = tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
      indexSelect(x, 0, [2, 2, 0]).sum().backward();
      expect(flat(x.grad!)).to.deep.equal([1, 0, 2]);
    });
    it('rejects out-of-range, negative, fractional and 2-D indices', () => {
      const x = zeros([3, 2]);
      expect(() => indexSelect(x, 0, [3])).to.throw(ValueError, /indexSelect: index 3 .* axis 0 of shape \[3, 2\] of size 3/);
      expect(() => indexSelect(x, 0, [-1])).to.throw(ValueError, /index -1/);
      expect(() => indexSelect(x, 1, tensor([0.5]))).to.throw(ValueError, /index 0.5/);
      expect(() => indexSelect(x, 0, tensor([[0]]))).to.throw(ShapeError, /1-D/);
      expect(() => indexSelect(tensor(1), 0, [0])).to.throw(ShapeError, /0-d/);
    });
  });

  describe('gather', () => {
    const refGather = (data: number[], shape: number[], axis: number, idx: number[], idxShape: number[]) =>
      indices(idxShape).map((ix, n) => {
        const src = [...ix];
        src[axis] = idx[n];
        return at(data, shape, src);
      });
    it('follows torch.gather along each axis, with an index smaller than the input', () => {
      const x = x64([3, 4]);
      const data = flat(x);
      const i0 = [2, 0, 1, 1, 0, 2];
      expect(flat(gather(x, 0, tensor(i0, { shape: [2, 3] })))).to.deep.equal(refGather(data, [3, 4], 0, i0, [2, 3]));
      const i1 = [3, 3, 0, 1, 2, 0];
      expect(flat(x.gather(-1, tensor(i1, { shape: [3, 2] })))).to.deep.equal(refGather(data, [3, 4], 1, i1, [3, 2]));
    });
    it('picks class scores by label', () => {
      const scores = tensor([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2]]);
      expect(flat(gather(scores, 1, tensor([[1], [0]])))).to.deep.equal([Math.fround(0.7), 0.5]);
    });
    it('gradcheck, with repeated indices', () => {
      const idx = tensor([[0, 0, 2], [1, 1, 1]], { dtype: 'float64' });
      expect(ok((a) => gather(a, 1, idx), [x64([2, 3])])).to.equal(true);
      expect(ok((a) => gather(a, 0, idx.slice(1, 0, 2)), [x64([3, 4])])).to.equal(true);
    });
    it('rejects a rank or size mismatch and out-of-range indices', () => {
      const x = zeros([2, 3]);
      expect(() => gather(x, 1, tensor([0, 1]))).to.throw(ShapeError, /gather: index of shape \[2\] does not fit input of shape \[2, 3\]/);
      expect(() => gather(x, 1, zeros([3, 1]))).to.throw(ShapeError, /sizes no larger/);
      expect(() => gather(x, 1, tensor([[3], [0]]))).to.throw(ValueError, /gather: index 3/);
      expect(() => gather(x, 2, zeros([2, 1]))).to.throw(AxisError, /gather: axis 2/);
    });
  });

  describe('oneHot', () => {
    it('encodes labels of any shape in a new last axis', () => {
      expect(oneHot(tensor([2, 0, 1]), 3).toArray()).to.deep.equal([[0, 0, 1], [1, 0, 0], [0, 1, 0]]);
      const y = oneHot(tensor([[1], [3]], { dtype: 'float64' }), 4);
      expect(y.shape).to.deep.equal([2, 1, 4]);
      expect(y.dtype).to.equal('float64');
      expect(flat(y)).to.deep.equal([0, 1, 0, 0, 0, 0, 0, 1]);
      expect(y.requiresGrad).to.equal(false);
    });
    it('rejects labels out of range or not integers, and a bad class count', () => {
      expect(() => oneHot(tensor([0, 3]), 3)).to.throw(ValueError, /oneHot: index 3 .* numClasses of size 3/);
      expect(() => oneHot(tensor([-1]), 3)).to.throw(ValueError, /index -1/);
      expect(() => oneHot(tensor([1.5]), 3)).to.throw(ValueError, /index 1.5/);
      expect(() => oneHot(tensor([0]), 0)).to.throw(ValueError, /numClasses must be a positive integer/);
    });
  });
});
