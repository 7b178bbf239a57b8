import { expect } from 'chai';
import { AxisError, logSoftmax, manualSeed, randn, setBackend, softmax, tensor } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck } from '../src/autograd/gradcheck.js';

const x64 = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', requiresGrad: true });

/** Plain-JS softmax of every line along `axis` of row-major data (shifted by the line's max). */
function refSoftmax(data: number[], shape: number[], axis: number, log: boolean): number[] {
  const out = new Array<number>(data.length);
  const stride = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const n = shape[axis];
  for (let start = 0; start < data.length; start++) {
    if (Math.floor(start / stride) % n !== 0) continue; // only line starts
    const line = Array.from({ length: n }, (_, i) => data[start + i * stride]);
    const m = Math.max(...line);
    const z = line.reduce((s, v) => s + Math.exp(v - m), 0);
    line.forEach((v, i) => (out[start + i * stride] = log ? v - m - Math.log(z) : Math.exp(v - m) / z));
  }
  return out;
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `element ${i}`).to.be.closeTo(expected[i], tol * Math.max(1, Math.abs(expected[i])));
}

describe('softmax / logSoftmax', () => {
  before(() => {
    setBackend('js');
    manualSeed(5);
  });

  it('hand-computed values', () => {
    expectClose(softmax(tensor([0, Math.log(3)], { dtype: 'float64' })).toTypedArray(), [0.25, 0.75]);
    expectClose(logSoftmax(tensor([0, 0], { dtype: 'float64' })).toTypedArray(), [-Math.LN2, -Math.LN2]);
  });

  for (const [axis, norm] of [[0, 0], [1, 1], [-1, 2], [-3, 0]] as [number, number][]) {
    it(`softmax along axis ${axis} matches plain JS and sums to 1`, () => {
      const x = x64([2, 3, 4]);
      const y = softmax(x, axis);
      expectClose(y.toTypedArray(), refSoftmax(Array.from(x.toTypedArray()), [2, 3, 4], norm, false));
      expectClose(y.sum(axis).toTypedArray(), new Array(y.size / [2, 3, 4][norm]).fill(1));
    });
    it(`logSoftmax along axis ${axis} matches plain JS`, () => {
      const x = x64([2, 3, 4]);
      expectClose(x.logSoftmax(axis).toTypedArray(), refSoftmax(Array.from(x.toTypedArray()), [2, 3, 4], norm, true));
    });
    it(`gradcheck softmax and logSoftmax along axis ${axis}`, () => {
      expect(gradcheck((a) => softmax(a, axis), [x64([2, 3, 4])]).ok).to.equal(true);
      expect(gradcheck((a) => logSoftmax(a, axis), [x64([2, 3, 4])]).ok).to.equal(true);
    });
  }

  it('the default axis is the last', () => {
    const x = x64([3, 2]);
    expectClose(x.softmax().toTypedArray(), Array.from(softmax(x, 1).toTypedArray()));
    expectClose(logSoftmax(x).toTypedArray(), Array.from(logSoftmax(x, 1).toTypedArray()));
  });

  it('large logits (1e4) stay finite, forward and backward', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const x = tensor([[1e4, 1e4 - 1, -1e4], [-1e4, -1e4, -1e4 + 2]], { dtype, requiresGrad: true });
      const want = refSoftmax([0, -1, -2e4, 0, 0, 2], [2, 3], 1, false); // shift-invariant: same as the big logits
      const y = softmax(x);
      expectClose(y.toTypedArray(), want, 1e-6);
      const ly = logSoftmax(x);
      expectClose(ly.toTypedArray(), refSoftmax([0, -1, -2e4, 0, 0, 2], [2, 3], 1, true), 1e-6);
      y.mul(tensor([[1, 2, 3], [4, 5, 6]], { dtype })).sum().backward();
      expect(Array.from(x.grad!.toTypedArray()).every(Number.isFinite)).to.equal(true);
      x.grad = null;
      ly.sum().backward();
      expect(Array.from(x.grad!.toTypedArray()).every(Number.isFinite)).to.equal(true);
    }
  });

  it('gradcheck at large logits', () => {
    const x = tensor([[1e4, 1e4 - 1, 1e4 + 0.5]], { dtype: 'float64', requiresGrad: true });
    expect(gradcheck((a) => softmax(a), [x]).ok).to.equal(true);
    expect(gradcheck((a) => logSoftmax(a), [x]).ok).to.equal(true);
  });

  it('backward formulas against hand-computed values', () => {
    // y = softmax([0, ln 3]) = [1/4, 3/4]; with g = [1, 0]: y·(g − Σg·y) = [1/4·3/4, 3/4·(−1/4)]
    const x = tensor([0, Math.log(3)], { dtype: 'float64', requiresGrad: true });
    softmax(x).backward(tensor([1, 0], { dtype: 'float64' }));
    expectClose(x.grad!.toTypedArray(), [3 / 16, -3 / 16]);
    // logSoftmax with g = [1, 1]: g − softmax·Σg = [1 − 2/4, 1 − 6/4]
    const z = tensor([0, Math.log(3)], { dtype: 'float64', requiresGrad: true });
    logSoftmax(z).backward(tensor([1, 1], { dtype: 'float64' }));
    expectClose(z.grad!.toTypedArray(), [0.5, -0.5]);
  });

  it('a 0-d input gives 1 (softmax) and 0 (logSoftmax) with zero gradient', () => {
    const x = tensor(3, { dtype: 'float64', requiresGrad: true });
    expect(softmax(x).item()).to.equal(1);
    expect(softmax(x, 0).item()).to.equal(1);
    expect(() => softmax(x, 1)).to.throw(AxisError);
    expect(logSoftmax(x).item()).to.equal(0);
    expect(gradcheck((a) => softmax(a), [x]).ok).to.equal(true);
    expect(gradcheck((a) => logSoftmax(a), [x]).ok).to.equal(true);
  });

  it('rejects an axis out of range', () => {
    expect(() => softmax(tensor([[1, 2]]), 2)).to.throw(AxisError, /softmax: axis 2 is out of range for a tensor of rank 2/);
    expect(() => logSoftmax(tensor([1, 2]), -2)).to.throw(AxisError, /logSoftmax/);
  });
});
