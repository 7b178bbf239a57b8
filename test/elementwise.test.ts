import { expect } from 'chai';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { setBackend } from '../src/backend/current.js';
import { DTypeError, ShapeError, ValueError } from '../src/errors.js';
import {
  abs, add, clamp, div, eq, exp, ge, gt, le, log, log1p, lt, maximum, minimum, mul, ne, neg, pow, sqrt, square, sub, where,
} from '../src/ops/elementwise.js';
import { ones, tensor, Tensor } from '../src/tensor.js';

type Shape = number[];
const size = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** Deterministic, tie-free test data: `size` values from a smooth pattern, shifted and scaled. */
function data(n: number, phase: number, scale = 2, shift = 0): number[] {
  return Array.from({ length: n }, (_, i) => shift + scale * Math.sin(1.37 * i + phase));
}

const f64 = (values: number[], shape: Shape, requiresGrad = true): Tensor =>
  tensor(values, { shape, dtype: 'float64', requiresGrad });
const f32 = (values: number[], shape: Shape): Tensor => tensor(values, { shape, dtype: 'float32' });
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());

/** NumPy broadcasting done by hand on flat row-major arrays: the independent reference for forward values. */
function broadcastRef(a: number[], as: Shape, b: number[], bs: Shape, f: (x: number, y: number) => number): { values: number[]; shape: Shape } {
  const rank = Math.max(as.length, bs.length);
  const pad = (s: Shape): Shape => [...Array<number>(rank - s.length).fill(1), ...s];
  const pa = pad(as), pb = pad(bs);
  const shape = pa.map((d, i) => Math.max(d, pb[i]));
  const at = (vals: number[], s: Shape, idx: number[]): number => {
    let off = 0;
    for (let i = 0; i < rank; i++) off = off * s[i] + (s[i] === 1 ? 0 : idx[i]);
    return vals[off];
  };
  const values: number[] = [];
  for (let k = 0; k < size(shape); k++) {
    const idx: number[] = [];
    let r = k;
    for (let i = rank - 1; i >= 0; i--) {
      idx[i] = r % shape[i];
      r = Math.floor(r / shape[i]);
    }
    values.push(f(at(a, pa, idx), at(b, pb, idx)));
  }
  return { values, shape };
}

function expectClose(actual: number[], expected: number[], tol = 1e-12): void {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((v, i) => {
    if (Number.isNaN(expected[i])) expect(v, `element ${i}`).to.be.NaN;
    else expect(v, `element ${i}`).to.be.closeTo(expected[i], tol * Math.max(1, Math.abs(expected[i])));
  });
}

/** Runs backward with an all-ones upstream gradient (works for any output shape). */
function backwardOnes(y: Tensor): void {
  y.backward(ones(y.shape, { dtype: y.dtype }));
}

describe('elementwise ops', () => {
  before(() => setBackend('js'));

  describe('unary ops: values and gradients', () => {
    const cases: { name: string; f: (x: Tensor) => Tensor; ref: (x: number) => number; xs: number[] }[] = [
      { name: 'neg', f: neg, ref: (x) => -x, xs: data(6, 0.1) },
      { name: 'exp', f: exp, ref: (x) => Math.E ** x, xs: data(6, 0.2) },
      // ln via the series-free identity ln x = 2·atanh((x−1)/(x+1)) keeps the reference independent of Math.log
      { name: 'log', f: log, ref: (x) => 2 * Math.atanh((x - 1) / (x + 1)), xs: data(6, 0.3, 1, 2) },
      { name: 'log1p', f: log1p, ref: (x) => 2 * Math.atanh(x / (x + 2)), xs: data(6, 0.4, 0.4, 0.1) },
      { name: 'sqrt', f: sqrt, ref: (x) => x ** 0.5, xs: data(6, 0.5, 1, 2) },
      { name: 'abs', f: abs, ref: (x) => (x < 0 ? -x : x), xs: data(6, 0.6) },
      { name: 'square', f: square, ref: (x) => x * x, xs: data(6, 0.7) },
    ];
    for (const { name, f, ref, xs } of cases) {
      it(`${name}: float64 values match the plain-JS formula`, () => {
        expectClose(flat(f(f64(xs, [2, 3], false))), xs.map(ref), 1e-14);
      });
      it(`${name}: float32 keeps the dtype and the values to float32 precision`, () => {
        const y = f(f32(xs, [2, 3]));
        expect(y.dtype).to.equal('float32');
        expect(y.shape).to.deep.equal([2, 3]);
        expectClose(flat(y), xs.map((x) => ref(Math.fround(x))), 1e-6);
      });
      it(`${name}: gradcheck in float64`, () => {
        expect(gradcheck(f, [f64(xs, [2, 3])]).ok).to.equal(true);
      });
    }

    it('abs has gradient 0 at 0 (sign(0) = 0, as PyTorch)', () => {
      const x = f64([-2, 0, 3], [3]);
      backwardOnes(abs(x));
      expect(flat(x.grad!)).to.deep.equal([-1, 0, 1]);
    });

    it('log and sqrt follow IEEE at the domain edge (−∞ / NaN, no exception)', () => {
      expect(flat(log(f64([0, -1], [2], false)))).to.deep.equal([-Infinity, NaN]);
      expect(flat(sqrt(f64([0, -1], [2], false)))).to.deep.equal([0, NaN]);
    });
  });

  describe('binary ops: values, gradients and broadcasting', () => {
    const binaries: {
      name: string;
      f: (a: Tensor, b: Tensor) => Tensor;
      ref: (x: number, y: number) => number;
      // value generators keep each op inside its smooth domain (no zero divisors, positive pow bases, no ties)
      a: (n: number) => number[];
      b: (n: number) => number[];
    }[] = [
      { name: 'add', f: add, ref: (x, y) => x + y, a: (n) => data(n, 0.1), b: (n) => data(n, 1.1) },
      { name: 'sub', f: sub, ref: (x, y) => x - y, a: (n) => data(n, 0.2), b: (n) => data(n, 1.2) },
      { name: 'mul', f: mul, ref: (x, y) => x * y, a: (n) => data(n, 0.3), b: (n) => data(n, 1.3) },
      { name: 'div', f: div, ref: (x, y) => x / y, a: (n) => data(n, 0.4), b: (n) => data(n, 1.4, 1, 2.5) },
      { name: 'pow', f: pow, ref: (x, y) => Math.exp(y * Math.log(x)), a: (n) => data(n, 0.5, 1, 2), b: (n) => data(n, 1.5, 1.5) },
      { name: 'maximum', f: maximum, ref: (x, y) => (x > y ? x : y), a: (n) => data(n, 0.6), b: (n) => data(n, 2.1, 1.7, 0.05) },
      { name: 'minimum', f: minimum, ref: (x, y) => (x < y ? x : y), a: (n) => data(n, 0.7), b: (n) => data(n, 2.2, 1.7, 0.05) },
    ];
    const shapes: [Shape, Shape][] = [
      [[2, 3], [2, 3]],
      [[2, 3], [3]], // b broadcast along rows
      [[3], [2, 3]], // a broadcast: the other direction
      [[3, 1], [1, 4]], // both broadcast
      [[2, 1, 3], [4, 1]], // rank differs, both broadcast
      [[4, 1], [2, 1, 3]],
      [[], [2, 2]], // 0-d with a matrix
    ];
    for (const { name, f, ref, a, b } of binaries) {
      for (const [as, bs] of shapes) {
        it(`${name}: ${JSON.stringify(as)} with ${JSON.stringify(bs)} — values and gradcheck`, () => {
          const av = a(size(as)), bv = b(size(bs));
          const expected = broadcastRef(av, as, bv, bs, ref);
          const y = f(f64(av, as, false), f64(bv, bs, false));
          expect(y.shape).to.deep.equal(expected.shape);
          expectClose(flat(y), expected.values, 1e-13);
          const ta = f64(av, as), tb = f64(bv, bs);
          expect(gradcheck(f, [ta, tb]).ok).to.equal(true);
        });
      }
    }

    it('gradients of broadcast inputs are summed back to their shapes (hand-computed)', () => {
      const a = f64([1, 2, 3, 4, 5, 6], [2, 3]);
      const b = f64([10, 20, 30], [3]);
      backwardOnes(mul(a, b));
      expect(flat(a.grad!)).to.deep.equal([10, 20, 30, 10, 20, 30]);
      expect(flat(b.grad!)).to.deep.equal([5, 7, 9]);
      expect(b.grad!.shape).to.deep.equal([3]);
      const c = f64([1, 2, 3], [3, 1]), d = f64([1, 1, 1, 1], [1, 4]);
      backwardOnes(add(c, d));
      expect(flat(c.grad!)).to.deep.equal([4, 4, 4]);
      expect(flat(d.grad!)).to.deep.equal([3, 3, 3, 3]);
    });

    it('numbers as either operand: values, dtype and gradcheck', () => {
      const xs = data(4, 0.9, 1, 2); // positive, away from 0
      const x = f64(xs, [4], false);
      const cases: [string, (t: Tensor) => Tensor, (v: number) => number][] = [
        ['t + 2', (t) => add(t, 2), (v) => v + 2],
        ['2 + t', (t) => add(2, t), (v) => 2 + v],
        ['t − 3', (t) => sub(t, 3), (v) => v - 3],
        ['3 − t', (t) => sub(3, t), (v) => 3 - v],
        ['t · −2', (t) => mul(t, -2), (v) => -2 * v],
        ['−2 · t', (t) => mul(-2, t), (v) => -2 * v],
        ['t / 4', (t) => div(t, 4), (v) => v / 4],
        ['1 / t', (t) => div(1, t), (v) => 1 / v],
        ['max(t, 2)', (t) => maximum(t, 2), (v) => (v > 2 ? v : 2)],
        ['max(2, t)', (t) => maximum(2, t), (v) => (v > 2 ? v : 2)],
        ['min(t, 2)', (t) => minimum(t, 2), (v) => (v < 2 ? v : 2)],
        ['min(2, t)', (t) => minimum(2, t), (v) => (v < 2 ? v : 2)],
      ];
      for (const [label, f, ref] of cases) {
        const y = f(x);
        expect(y.dtype, label).to.equal('float64');
        expectClose(flat(y), xs.map(ref));
        expect(gradcheck(f, [f64(xs, [4])]).ok, label).to.equal(true);
      }
      const y32 = add(f32([1, 2], [2]), 0.5);
      expect(y32.dtype).to.equal('float32');
      expect(flat(y32)).to.deep.equal([1.5, 2.5]);
    });

    it('at least one operand must be a tensor', () => {
      expect(() => add(1, 2)).to.throw(ValueError, /add/);
    });
  });

  describe('pow', () => {
    it('tensor ^ number: values and gradcheck for integer, fractional, negative and zero exponents', () => {
      const neg3 = data(6, 0.2); // includes negative bases: fine for integer exponents
      const pos = data(6, 0.3, 1, 2);
      const cases: [number[], number, (v: number) => number][] = [
        [neg3, 3, (v) => v * v * v],
        [neg3, 2, (v) => v * v],
        [pos, 0.5, (v) => Math.sqrt(v)],
        [pos, -2, (v) => 1 / (v * v)],
        [pos, 1.7, (v) => Math.exp(1.7 * Math.log(v))],
        [neg3, 0, () => 1],
      ];
      for (const [xs, p, ref] of cases) {
        expectClose(flat(pow(f64(xs, [2, 3], false), p)), xs.map(ref), 1e-13);
        expect(gradcheck((t) => pow(t, p), [f64(xs, [2, 3])]).ok, `exponent ${p}`).to.equal(true);
      }
    });

    it('x ^ 0 has gradient 0 everywhere, also at x = 0', () => {
      const x = f64([0, -2, 5], [3]);
      backwardOnes(pow(x, 0));
      expect(flat(x.grad!)).to.deep.equal([0, 0, 0]);
    });

    it('tensor ^ tensor: d/db is b-gradient a^b·ln a, taken as 0 where a = 0 (PyTorch)', () => {
      const a = f64([0, 2, 3], [3]), b = f64([2, 3, 0.5], [3]);
      const y = pow(a, b);
      expectClose(flat(y), [0, 8, Math.sqrt(3)]);
      backwardOnes(y);
      expectClose(flat(b.grad!), [0, 8 * Math.LN2, Math.sqrt(3) * Math.log(3)]);
      expectClose(flat(a.grad!), [0, 3 * 4, 0.5 / Math.sqrt(3)]);
    });
  });

  describe('maximum / minimum at ties', () => {
    it('split the gradient half and half', () => {
      const a = f64([1, 2, 3], [3]), b = f64([1, 5, 0], [3]);
      const y = maximum(a, b);
      expect(flat(y)).to.deep.equal([1, 5, 3]);
      backwardOnes(y);
      expect(flat(a.grad!)).to.deep.equal([0.5, 0, 1]);
      expect(flat(b.grad!)).to.deep.equal([0.5, 1, 0]);

      const c = f64([1, 2, 3], [3]), d = f64([1, 5, 0], [3]);
      const z = minimum(c, d);
      expect(flat(z)).to.deep.equal([1, 2, 0]);
      backwardOnes(z);
      expect(flat(c.grad!)).to.deep.equal([0.5, 1, 0]);
      expect(flat(d.grad!)).to.deep.equal([0.5, 0, 1]);
    });

    it('ties with a broadcast operand sum their halves', () => {
      const a = f64([1, 1, 0, 2], [2, 2]), b = f64([1], []);
      backwardOnes(maximum(a, b)); // b wins at index 2, ties at 0 and 1, loses at 3
      expect(flat(a.grad!)).to.deep.equal([0.5, 0.5, 0, 1]);
      expect(b.grad!.item()).to.equal(2);
    });
  });

  describe('clamp', () => {
    const xs = [-2.5, -1.3, -0.4, 0.2, 0.9, 1.6];
    const cases: [string, number | undefined, number | undefined, (v: number) => number][] = [
      ['[-1, 1]', -1, 1, (v) => (v < -1 ? -1 : v > 1 ? 1 : v)],
      ['min only', -1, undefined, (v) => (v < -1 ? -1 : v)],
      ['max only', undefined, 0.5, (v) => (v > 0.5 ? 0.5 : v)],
    ];
    for (const [label, lo, hi, ref] of cases) {
      it(`${label}: values and gradcheck away from the bounds`, () => {
        expect(flat(clamp(f64(xs, [6], false), lo, hi))).to.deep.equal(xs.map(ref));
        expect(gradcheck((t) => clamp(t, lo, hi), [f64(xs, [6])]).ok).to.equal(true);
      });
    }

    it('gradient is 1 on the closed interval, 0 outside', () => {
      const x = f64([-2, -1, 0, 1, 2], [5]);
      backwardOnes(clamp(x, -1, 1));
      expect(flat(x.grad!)).to.deep.equal([0, 1, 1, 1, 0]);
      const y = f64([-2, -1, 0], [3]);
      backwardOnes(y.clamp(-1));
      expect(flat(y.grad!)).to.deep.equal([0, 1, 1]);
    });

    it('min > max sets every element to max (torch.clamp)', () => {
      expect(flat(clamp(f64([-5, 0, 5], [3], false), 2, 1))).to.deep.equal([1, 1, 1]);
    });
  });

  describe('comparisons', () => {
    const ops: [string, (a: Tensor, b: Tensor | number) => Tensor, (x: number, y: number) => boolean][] = [
      ['eq', eq, (x, y) => x === y],
      ['ne', ne, (x, y) => x !== y],
      ['lt', lt, (x, y) => x < y],
      ['le', le, (x, y) => x <= y],
      ['gt', gt, (x, y) => x > y],
      ['ge', ge, (x, y) => x >= y],
    ];
    const av = [1, 2, 3, 4, 5, 6], bv = [3, 2, 7];
    for (const [name, f, ref] of ops) {
      it(`${name}: 1/0 values with broadcasting and numbers, in the input dtype, never on the tape`, () => {
        const a = f64(av, [2, 3]);
        const y = f(a, f64(bv, [3], false));
        expect(y.dtype).to.equal('float64');
        expect(flat(y)).to.deep.equal(broadcastRef(av, [2, 3], bv, [3], (x, z) => (ref(x, z) ? 1 : 0)).values);
        expect(y.requiresGrad).to.equal(false);
        expect(y.gradFn).to.equal(null);
        expect(flat(f(a, 3))).to.deep.equal(av.map((x) => (ref(x, 3) ? 1 : 0)));
        const y32 = f(f32([1, 2, 3], [3]), 2);
        expect(y32.dtype).to.equal('float32');
        expect(flat(y32)).to.deep.equal([1, 2, 3].map((x) => (ref(x, 2) ? 1 : 0)));
      });
    }
  });

  describe('where', () => {
    it('picks a where cond ≠ 0, b elsewhere, broadcasting all three', () => {
      const cond = f64([1, 0, 1, 0, 0, 1], [2, 3], false);
      const y = where(cond, f64([10, 20, 30], [3], false), -1);
      expect(y.shape).to.deep.equal([2, 3]);
      expect(flat(y)).to.deep.equal([10, -1, 30, -1, -1, 30]);
      const z = where(f64([1, 0], [2, 1], false), f64([1, 2, 3], [3], false), f64([7, 8, 9, 4, 5, 6], [2, 3], false));
      expect(flat(z)).to.deep.equal([1, 2, 3, 4, 5, 6]);
    });

    it('gradcheck: gradient flows to a and b (summed back over broadcasting)', () => {
      const cond = gt(f64(data(6, 0.3), [2, 3], false), 0);
      expect(gradcheck((a, b) => where(cond, a, b), [f64(data(6, 1), [2, 3]), f64(data(6, 2), [2, 3])]).ok).to.equal(true);
      expect(gradcheck((a, b) => where(cond, a, b), [f64(data(3, 1), [3]), f64(data(2, 2), [2, 1])]).ok).to.equal(true);
      expect(gradcheck((a) => where(cond, a, 0), [f64(data(1, 1), [])]).ok).to.equal(true);
    });

    it('no gradient through the mask, even when the mask requires grad', () => {
      const cond = f64([1, 0, 0], [3]);
      const a = f64([1, 2, 3], [3]), b = f64([4, 5, 6], [3]);
      backwardOnes(where(cond, a, b));
      expect(cond.grad).to.equal(null);
      expect(flat(a.grad!)).to.deep.equal([1, 0, 0]);
      expect(flat(b.grad!)).to.deep.equal([0, 1, 1]);
    });
  });

  describe('bad input', () => {
    it('dtype mismatch → DTypeError naming the op and both dtypes', () => {
      const a = f32([1, 2], [2]);
      const b = f64([1, 2], [2], false);
      for (const [name, f] of [['add', add], ['mul', mul], ['maximum', maximum], ['pow', pow], ['lt', lt]] as const) {
        expect(() => f(a, b), name).to.throw(DTypeError, new RegExp(`${name}.*float32.*float64`));
      }
      expect(() => where(a, b, 0)).to.throw(DTypeError, /where/);
    });

    it('broadcast mismatch → ShapeError naming the op and the shapes', () => {
      const a = f64([1, 2, 3, 4, 5, 6], [2, 3], false);
      const b = f64([1, 2, 3, 4], [4], false);
      for (const [name, f] of [['add', add], ['sub', sub], ['div', div], ['minimum', minimum], ['eq', eq]] as const) {
        expect(() => f(a, b), name).to.throw(ShapeError, new RegExp(`${name}.*\\[2, 3\\].*\\[4\\]`));
      }
      const c = f64([1, 2, 3, 4, 5, 6, 7, 8], [2, 4], false);
      expect(() => mul(c, a)).to.throw(ShapeError, /mul.*\[2, 4\].*\[2, 3\]/);
      expect(() => where(f64([1, 0], [2], false), a, 0)).to.throw(ShapeError, /where.*\[2\].*\[2, 3\]/);
    });
  });
});
