import { expect } from 'chai';
import { AxisError, ValueError, argmax, logsumexp, manualSeed, max, mean, min, randn, setBackend, sum, tensor, variance } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck } from '../src/autograd/gradcheck.js';

/** Plain-JS reduction over flat row-major data: groups elements by their index outside `axes`. */
function refReduce(data: ArrayLike<number>, shape: number[], axes: number[], keepdim: boolean, f: (v: number[]) => number) {
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const groups = new Map<number, number[]>();
  for (let flat = 0; flat < data.length; flat++) {
    let rest = flat;
    let key = 0;
    for (let i = shape.length - 1, mult = 1; i >= 0; i--) {
      const idx = rest % shape[i];
      rest = Math.floor(rest / shape[i]);
      if (!axes.includes(i)) key += idx * mult;
      mult *= keptShape[i];
    }
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(data[flat]);
  }
  const n = keptShape.reduce((a, b) => a * b, 1);
  const out = Array.from({ length: n }, (_, k) => f(groups.get(k) ?? []));
  return { data: out, shape: keepdim ? keptShape : shape.filter((_, i) => !axes.includes(i)) };
}

const jsSum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const jsMean = (v: number[]) => jsSum(v) / v.length;
const jsVar = (c: number) => (v: number[]) => {
  const m = jsMean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - c);
};
const jsLse = (v: number[]) => Math.log(v.reduce((a, b) => a + Math.exp(b), 0));

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-10): void {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++)
    expect(actual[i], `element ${i}`).to.be.closeTo(expected[i], tol * Math.max(1, Math.abs(expected[i])));
}

const x64 = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', requiresGrad: true });

type Red = (x: Tensor, axis?: number | number[], keepdim?: boolean) => Tensor;
const OPS: [string, Red, (v: number[]) => number][] = [
  ['sum', sum, jsSum],
  ['mean', mean, jsMean],
  ['max', max, (v) => Math.max(...v)],
  ['min', min, (v) => Math.min(...v)],
  ['logsumexp', logsumexp, jsLse],
  ['variance', (x, a, k) => variance(x, a, k), jsVar(1)],
];
// [axis argument, the normalised axes of a rank-3 tensor]
const AXES: [number | number[] | undefined, number[]][] = [
  [undefined, [0, 1, 2]],
  [0, [0]],
  [1, [1]],
  [-1, [2]],
  [[0, 2], [0, 2]],
  [[-1, 0], [0, 2]],
  [[1, -1], [1, 2]],
];

describe('reductions', () => {
  before(() => {
    setBackend('js');
    manualSeed(7);
  });

  for (const [name, op, ref] of OPS) {
    describe(name, () => {
      for (const [axis, axes] of AXES)
        for (const keepdim of [false, true]) {
          const label = `axis ${JSON.stringify(axis)}, keepdim ${keepdim}`;
          it(`forward matches plain JS (${label})`, () => {
            const x = x64([2, 3, 4]);
            const want = refReduce(x.toTypedArray(), [2, 3, 4], axes, keepdim, ref);
            const y = op(x, axis, keepdim);
            expect(y.shape).to.deep.equal(want.shape);
            expectClose(y.toTypedArray(), want.data);
          });
          it(`gradcheck (${label})`, () => {
            expect(gradcheck((a) => op(a, axis, keepdim), [x64([2, 3, 4])]).ok).to.equal(true);
          });
        }
    });
  }

  it('reduce a 0-d tensor to itself, with gradient 1', () => {
    for (const [, op] of OPS.filter(([n]) => n !== 'variance')) {
      const x = tensor(2.5, { dtype: 'float64', requiresGrad: true });
      expect(op(x).item()).to.be.closeTo(2.5, 1e-12);
      expect(op(x, -1, true).shape).to.deep.equal([]);
      expect(op(x, 0).item()).to.be.closeTo(2.5, 1e-12);
      expect(() => op(x, 1)).to.throw(AxisError);
      expect(gradcheck((a) => op(a), [x]).ok).to.equal(true);
    }
  });

  it('sum and mean of a float32 tensor longer than 1000 along one axis', () => {
    const x = tensor(Float32Array.from({ length: 3000 }, (_, i) => (i % 7) - 3), { shape: [1, 3000] });
    const want = Array.from({ length: 3000 }, (_, i) => (i % 7) - 3).reduce((a, b) => a + b, 0);
    expect(sum(x, 1).toArray()).to.deep.equal([want]);
    expect(mean(x).item()).to.be.closeTo(want / 3000, 1e-6);
  });

  describe('variance', () => {
    it('uses Bessel correction 1 by default and honours other corrections', () => {
      const v = [1, 2, 3, 4];
      const x = tensor(v, { dtype: 'float64' });
      expect(variance(x).item()).to.be.closeTo(5 / 3, 1e-12);
      expect(variance(x, 0, false, 0).item()).to.be.closeTo(1.25, 1e-12);
      expect(variance(x, 0, false, 2).item()).to.be.closeTo(2.5, 1e-12);
      expect(x.var(0, true).shape).to.deep.equal([1]);
    });
    it('gradcheck with correction 0 and 2 over several axes', () => {
      for (const c of [0, 2]) expect(gradcheck((a) => variance(a, [0, -1], true, c), [x64([3, 2, 4])]).ok).to.equal(true);
    });
    it('of one element with correction 1 is NaN (0/0) as in PyTorch', () => {
      expect(Number.isNaN(variance(tensor([3], { dtype: 'float64' })).item())).to.equal(true);
    });
    it('rejects a non-finite correction', () => {
      expect(() => variance(tensor([1, 2]), 0, false, NaN)).to.throw(ValueError, /correction/);
    });
  });

  describe('max / min ties', () => {
    it('split the gradient evenly among tied extremes', () => {
      const x = tensor([[1, 3, 3], [2, 2, 2]], { dtype: 'float64', requiresGrad: true });
      max(x, 1).sum().backward();
      expectClose(x.grad!.toTypedArray(), [0, 0.5, 0.5, 1 / 3, 1 / 3, 1 / 3]);
      const y = tensor([[1, 3, 1], [5, 4, 4]], { dtype: 'float64', requiresGrad: true });
      min(y).backward();
      expectClose(y.grad!.toTypedArray(), [0.5, 0, 0.5, 0, 0, 0]);
    });
    it('weight the tie shares by the upstream gradient of each output', () => {
      const x = tensor([[4, 4], [1, 0]], { dtype: 'float64', requiresGrad: true });
      max(x, 1, true).backward(tensor([[2], [3]], { dtype: 'float64' }));
      expectClose(x.grad!.toTypedArray(), [1, 1, 3, 0]);
    });
    it('refuse a reduction over an empty axis', () => {
      expect(() => max(tensor(new Float32Array(0), { shape: [2, 0] }), 1)).to.throw(ValueError, /size 0/);
      expect(() => min(tensor(new Float32Array(0), { shape: [0] }))).to.throw(ValueError, /min/);
    });
    it('propagate NaN', () => {
      expect(Number.isNaN(max(tensor([1, NaN, 3])).item())).to.equal(true);
    });
  });

  describe('logsumexp', () => {
    it('is stable for large values', () => {
      const x = tensor([[1000, 1000], [-1000, -1001]], { dtype: 'float64' });
      expectClose(logsumexp(x, 1).toTypedArray(), [1000 + Math.LN2, -1000 + Math.log1p(Math.exp(-1))], 1e-14);
    });
    it('handles infinite entries like PyTorch', () => {
      const x = tensor([[-Infinity, -Infinity], [Infinity, 0], [-Infinity, 0]], { dtype: 'float64' });
      const y = Array.from(logsumexp(x, -1).toTypedArray());
      expect(y[0]).to.equal(-Infinity);
      expect(y[1]).to.equal(Infinity);
      expect(y[2]).to.be.closeTo(0, 1e-15);
    });
    it('gradient is the softmax of the reduced axes (independent check)', () => {
      const x = tensor([[0, Math.log(3)], [2, 2]], { dtype: 'float64', requiresGrad: true });
      logsumexp(x, 1).sum().backward();
      expectClose(x.grad!.toTypedArray(), [0.25, 0.75, 0.5, 0.5]);
    });
    it('gradcheck with large logits', () => {
      const x = tensor([[500, 501, 499], [-300, -301, -302]], { dtype: 'float64', requiresGrad: true });
      expect(gradcheck((a) => logsumexp(a, 1), [x]).ok).to.equal(true);
    });
  });

  describe('argmax', () => {
    it('of a 0-d tensor is 0', () => {
      expect(argmax(tensor(4), -1).item()).to.equal(0);
    });
    it('returns the index of the first maximum along the axis', () => {
      const data = [3, 1, 3, 0, 5, 2, -1, 7, 7, 2, 2, 2];
      const x = tensor(data, { shape: [2, 2, 3] });
      const ref = (axis: number) => {
        const shape = [2, 2, 3];
        const out: number[] = [];
        const outShape = shape.filter((_, i) => i !== axis);
        const n = outShape.reduce((a, b) => a * b, 1);
        for (let o = 0; o < n; o++) {
          const idx: number[] = [];
          let r = o;
          for (let i = outShape.length - 1; i >= 0; i--) { idx.unshift(r % outShape[i]); r = Math.floor(r / outShape[i]); }
          let best = 0, bestV = -Infinity;
          for (let k = 0; k < shape[axis]; k++) {
            const full = [...idx];
            full.splice(axis, 0, k);
            const v = data[(full[0] * 2 + full[1]) * 3 + full[2]];
            if (v > bestV) { best = k; bestV = v; }
          }
          out.push(best);
        }
        return out;
      };
      for (const axis of [0, 1, 2]) expect(Array.from(argmax(x, axis).toTypedArray())).to.deep.equal(ref(axis));
      expect(Array.from(x.argmax(-1).toTypedArray())).to.deep.equal(ref(2));
      expect(argmax(x, 1).shape).to.deep.equal([2, 3]);
    });
    it('treats NaN as the largest value', () => {
      expect(argmax(tensor([1, NaN, 5]), 0).item()).to.equal(1);
    });
    it('carries no gradient', () => {
      expect(argmax(x64([3, 2]), 0).requiresGrad).to.equal(false);
    });
    it('rejects an empty axis and a bad axis', () => {
      expect(() => argmax(tensor(new Float32Array(0), { shape: [2, 0] }), 1)).to.throw(ValueError, /size 0/);
      expect(() => argmax(tensor([1, 2]), 1)).to.throw(AxisError, /argmax: axis 1 is out of range for a tensor of rank 1/);
    });
  });

  describe('bad axes', () => {
    it('throw AxisError naming the op and the rank', () => {
      const x = tensor([[1, 2], [3, 4]]);
      expect(() => sum(x, 2)).to.throw(AxisError, /sum: axis 2 is out of range for a tensor of rank 2/);
      expect(() => mean(x, -3)).to.throw(AxisError, /mean/);
      expect(() => max(x, [0, 0])).to.throw(AxisError, /max: axis repeated/);
      expect(() => logsumexp(x, [1, -1])).to.throw(AxisError, /repeated/);
      expect(() => variance(x, 1.5)).to.throw(AxisError, /variance/);
    });
  });
});
