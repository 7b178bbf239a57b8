import { expect } from 'chai';
import { DTypeError, ShapeError, manualSeed, matmul, randn, setBackend, tensor, zeros } from '../src/index.js';
import type { Tensor } from '../src/index.js';
import { gradcheck } from '../src/autograd/gradcheck.js';

const x64 = (shape: number[]): Tensor => randn(shape, { dtype: 'float64', requiresGrad: true });

/** Plain-JS batched product with broadcast batch dims (both operands at least 2-D, row-major data). */
function refMatmul(a: number[], as: number[], b: number[], bs: number[]): { data: number[]; shape: number[] } {
  const [m, k] = as.slice(-2);
  const n = bs[bs.length - 1];
  const ba = as.slice(0, -2), bb = bs.slice(0, -2);
  const r = Math.max(ba.length, bb.length);
  const pa = [...Array(r - ba.length).fill(1), ...ba], pb = [...Array(r - bb.length).fill(1), ...bb];
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const nb = batch.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let t = 0; t < nb; t++) {
    // batch multi-index → offsets into a and b, with size-1 dims pinned at 0
    let rest = t, offA = 0, offB = 0, mulA = 1, mulB = 1;
    for (let i = r - 1; i >= 0; i--) {
      const idx = rest % batch[i];
      rest = Math.floor(rest / batch[i]);
      offA += (pa[i] === 1 ? 0 : idx) * mulA;
      offB += (pb[i] === 1 ? 0 : idx) * mulB;
      mulA *= pa[i];
      mulB *= pb[i];
    }
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += a[offA * m * k + i * k + p] * b[offB * k * n + p * n + j];
        data.push(s);
      }
  }
  return { data, shape: [...batch, m, n] };
}

function expectClose(actual: ArrayLike<number>, expected: number[], tol = 1e-12): void {
  expect(actual.length).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) expect(actual[i], `element ${i}`).to.be.closeTo(expected[i], tol * Math.max(1, Math.abs(expected[i])));
}

describe('matmul', () => {
  before(() => {
    setBackend('js');
    manualSeed(3);
  });

  it('2-D product of a hand-computed example', () => {
    expect(matmul(tensor([[1, 2], [3, 4]]), tensor([[5, 6, 7], [8, 9, 10]])).toArray()).to.deep.equal([[21, 24, 27], [47, 54, 61]]);
  });

  const cases: [number[], number[]][] = [
    [[3, 4], [4, 2]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [5, 4, 2]], // batch dims broadcast both ways: a's 1 → 5, b's missing dim → 2
    [[3, 4], [2, 4, 2]], // 2-D broadcast against a batch
    [[2, 3, 4], [4, 2]],
    [[1, 3, 4], [3, 1, 4, 2]],
  ];
  for (const [as, bs] of cases) {
    it(`${JSON.stringify(as)} @ ${JSON.stringify(bs)} matches plain JS`, () => {
      const a = x64(as), b = x64(bs);
      const want = refMatmul(Array.from(a.toTypedArray()), as, Array.from(b.toTypedArray()), bs);
      const y = a.matmul(b);
      expect(y.shape).to.deep.equal(want.shape);
      expectClose(y.toTypedArray(), want.data);
    });
    it(`gradcheck ${JSON.stringify(as)} @ ${JSON.stringify(bs)}`, () => {
      expect(gradcheck((a, b) => matmul(a, b), [x64(as), x64(bs)]).ok).to.equal(true);
    });
  }

  describe('1-D operands (torch rules)', () => {
    const a = [1, 2, 3];
    it('vector · vector is a 0-d dot product', () => {
      const y = matmul(tensor(a), tensor([4, 5, 6]));
      expect(y.shape).to.deep.equal([]);
      expect(y.item()).to.equal(32);
    });
    it('vector @ matrix and matrix @ vector drop the promoted axis', () => {
      const m = [[1, 0], [0, 1], [1, 1]];
      const vm = matmul(tensor(a), tensor(m));
      expect(vm.shape).to.deep.equal([2]);
      expect(vm.toArray()).to.deep.equal([4, 5]);
      const mv = matmul(tensor(m).T, tensor(a));
      expect(mv.toArray()).to.deep.equal([4, 5]);
    });
    it('batched @ vector and vector @ batched', () => {
      expect(matmul(zeros([2, 5, 3]), zeros([3])).shape).to.deep.equal([2, 5]);
      expect(matmul(zeros([3]), zeros([2, 3, 4])).shape).to.deep.equal([2, 4]);
    });
    it('gradcheck for every 1-D combination', () => {
      const pairs: [number[], number[]][] = [[[3], [3]], [[3], [3, 2]], [[2, 3], [3]], [[3], [2, 3, 4]], [[2, 4, 3], [3]]];
      for (const [as, bs] of pairs) expect(gradcheck((x, y) => matmul(x, y), [x64(as), x64(bs)]).ok).to.equal(true);
    });
  });

  it('gradients only for the input that requires them', () => {
    const a = x64([2, 3]);
    const b = randn([3, 2], { dtype: 'float64' });
    expect(gradcheck((x) => matmul(x, b), [a]).ok).to.equal(true);
    expect(gradcheck((y) => matmul(b, y), [x64([2, 4])]).ok).to.equal(true);
  });

  it('inner dimension above 1000 (float32 and float64)', () => {
    const k = 1500;
    const a = tensor(Array.from({ length: k }, (_, i) => (i % 5) - 2), { shape: [1, k] });
    const b = tensor(Array.from({ length: k }, (_, i) => (i % 3) - 1), { shape: [k, 1] });
    let want = 0;
    for (let i = 0; i < k; i++) want += ((i % 5) - 2) * ((i % 3) - 1);
    expect(matmul(a, b).item()).to.equal(want);
  });

  it('propagates NaN from 0 · Inf like IEEE arithmetic', () => {
    expect(Number.isNaN(matmul(tensor([[0, 1]]), tensor([[Infinity], [1]])).item())).to.equal(true);
  });

  describe('bad input', () => {
    it('inner-dimension mismatch names both shapes', () => {
      expect(() => matmul(zeros([2, 3]), zeros([4, 2]))).to.throw(ShapeError, /matmul: \[2, 3\] @ \[4, 2\]: the inner dimensions differ \(3 vs 4\)/);
      expect(() => matmul(zeros([3]), zeros([4]))).to.throw(ShapeError, /\[3\] @ \[4\]/);
      expect(() => matmul(zeros([2, 5, 3]), zeros([2]))).to.throw(ShapeError, /3 vs 2/);
    });
    it('batch dims that cannot broadcast', () => {
      expect(() => matmul(zeros([2, 3, 4]), zeros([3, 4, 5]))).to.throw(ShapeError, /batch dimensions \[2\] and \[3\] cannot be broadcast/);
    });
    it('0-d operands and mixed dtypes', () => {
      expect(() => matmul(tensor(2), zeros([2]))).to.throw(ShapeError, /0-d/);
      expect(() => matmul(zeros([2, 2]), zeros([2, 2], { dtype: 'float64' }))).to.throw(DTypeError, /matmul/);
    });
  });
});
