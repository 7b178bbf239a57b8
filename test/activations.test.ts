import { expect } from 'chai';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { setBackend } from '../src/backend/current.js';
import { ValueError } from '../src/errors.js';
import { erf } from '../src/math.js';
import { gelu, leakyRelu, relu, sigmoid, silu, softplus, tanh } from '../src/ops/activations.js';
import { ones, tensor, Tensor, type DType } from '../src/tensor.js';

const f64 = (values: number[], requiresGrad = true): Tensor => tensor(values, { dtype: 'float64', requiresGrad });
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());

function expectClose(actual: number[], expected: number[], tol = 1e-14): void {
  expect(actual.length).to.equal(expected.length);
  actual.forEach((v, i) => expect(v, `element ${i}`).to.be.closeTo(expected[i], tol * Math.max(1, Math.abs(expected[i]))));
}

function gradOf(f: (t: Tensor) => Tensor, x: Tensor): number[] {
  const y = f(x);
  y.backward(ones(y.shape, { dtype: y.dtype }));
  return flat(x.grad!);
}

// Φ(x) = ½(1 + erf(x/√2)) from Python's math.erf (an implementation independent of src/math.ts).
const PHI: [number, number][] = [
  [-3, 0.0013498980316301035],
  [-2, 0.02275013194817921],
  [-1, 0.15865525393145707],
  [-0.5, 0.3085375387259869],
  [0.5, 0.6914624612740131],
  [1, 0.8413447460685429],
  [2, 0.9772498680518208],
  [3, 0.9986501019683699],
];

// Smooth points: no kink of relu / leakyRelu within gradcheck's eps, none at softplus's default threshold.
const XS = [-3.1, -1.7, -0.45, 0.3, 1.2, 2.6, 4.4];

describe('activations', () => {
  before(() => setBackend('js'));

  describe('erf (src/math.ts)', () => {
    it('matches known values to float64 precision', () => {
      const known: [number, number][] = [
        [0.5, 0.5204998778130465],
        [1, 0.8427007929497149],
        [2, 0.9953222650189527],
        [3.5, 0.9999992569016276],
        [-1, -0.8427007929497149],
        [0.1, 0.1124629160182849], // Python math.erf
        [2.9, 0.9999589021219005], // just below the series/continued-fraction switch
        [3, 0.9999779095030014],
        [5, 0.9999999999984626],
      ];
      for (const [x, e] of known) expect(erf(x), `erf(${x})`).to.be.closeTo(e, 2e-16 * 4);
      expect(erf(0)).to.equal(0);
      expect(erf(10)).to.equal(1);
      expect(erf(-Infinity)).to.equal(-1);
      expect(erf(NaN)).to.be.NaN;
    });
    it('is odd and tracks its Taylor polynomial 2/√π·(x − x³/3 + x⁵/10) near 0', () => {
      for (const x of [1e-9, 1e-5, 1e-3]) {
        expect(erf(-x)).to.equal(-erf(x));
        expect(erf(x)).to.be.closeTo((2 / Math.sqrt(Math.PI)) * (x - x ** 3 / 3 + x ** 5 / 10), 4e-16 * x);
      }
    });
  });

  describe('values against independent formulas (float64)', () => {
    it('relu and leakyRelu (default slope 0.01, custom slope)', () => {
      const xs = [-2, -0.5, 0, 0.5, 3];
      expect(flat(relu(f64(xs, false)))).to.deep.equal([0, 0, 0, 0.5, 3]);
      expectClose(flat(leakyRelu(f64(xs, false))), [-0.02, -0.005, 0, 0.5, 3]);
      expectClose(flat(leakyRelu(f64(xs, false), 0.2)), [-0.4, -0.1, 0, 0.5, 3]);
    });

    it('sigmoid = 1 / (1 + e^−x)', () => {
      expectClose(flat(sigmoid(f64(XS, false))), XS.map((x) => 1 / (1 + Math.E ** -x)));
      expect(sigmoid(f64([0], false)).item()).to.equal(0.5);
    });

    it('tanh = (e^2x − 1) / (e^2x + 1)', () => {
      expectClose(flat(tanh(f64(XS, false))), XS.map((x) => (Math.E ** (2 * x) - 1) / (Math.E ** (2 * x) + 1)));
    });

    it('softplus = ln(1 + e^βx)/β, and exactly x where βx > threshold', () => {
      const ref = (x: number, beta: number): number => Math.log(1 + Math.E ** (beta * x)) / beta;
      expectClose(flat(softplus(f64(XS, false))), XS.map((x) => ref(x, 1)));
      expect(softplus(f64([0], false)).item()).to.be.closeTo(Math.LN2, 1e-16);
      // default threshold 20: 15 is below it (smooth), 25 above (identity)
      expectClose(flat(softplus(f64([15, 25], false))), [ref(15, 1), 25]);
      expect(softplus(f64([25], false)).item()).to.equal(25);
      // beta 2, threshold 1: the switch sits at x = 0.5
      const xs = [-1, 0.2, 0.49, 0.51, 3];
      const y = flat(softplus(f64(xs, false), { beta: 2, threshold: 1 }));
      expectClose(y.slice(0, 3), xs.slice(0, 3).map((x) => ref(x, 2)));
      expect(y.slice(3)).to.deep.equal([0.51, 3]);
      // beta 0.5 with the default threshold: linear only above x = 40
      expectClose(flat(softplus(f64([-4, 1, 30], false), { beta: 0.5 })), [-4, 1, 30].map((x) => ref(x, 0.5)));
      expect(softplus(f64([41], false), { beta: 0.5 }).item()).to.equal(41);
    });

    it('gelu (exact) = x·Φ(x), e.g. gelu(1) = 0.8413447460685429', () => {
      const xs = PHI.map(([x]) => x);
      expectClose(flat(gelu(f64(xs, false))), PHI.map(([x, p]) => x * p), 4e-16);
      expect(gelu(f64([1], false)).item()).to.be.closeTo(0.8413447460685429, 2e-16);
      expect(gelu(f64([0], false)).item()).to.equal(0);
      expectClose(flat(gelu(f64(xs, false), { approximate: 'none' })), PHI.map(([x, p]) => x * p), 4e-16);
    });

    it("gelu approximate 'tanh' = 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), within 1e-3 of the exact gelu", () => {
      const ref = (x: number): number => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
      const y = flat(gelu(f64(XS, false), { approximate: 'tanh' }));
      expectClose(y, XS.map(ref));
      PHI.forEach(([x, p]) => expect(gelu(f64([x], false), { approximate: 'tanh' }).item()).to.be.closeTo(x * p, 1e-3));
    });

    it('silu = x / (1 + e^−x)', () => {
      expectClose(flat(silu(f64(XS, false))), XS.map((x) => x / (1 + Math.E ** -x)));
    });

    it('float32 inputs give float32 outputs close to the float64 formulas', () => {
      const x = tensor(XS, { dtype: 'float32' });
      const pairs: [string, Tensor, (v: number) => number][] = [
        ['sigmoid', sigmoid(x), (v) => 1 / (1 + Math.exp(-v))],
        ['silu', silu(x), (v) => v / (1 + Math.exp(-v))],
        ['softplus', softplus(x), (v) => Math.log1p(Math.exp(v))],
        ['gelu', gelu(x, { approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      ];
      for (const [name, y, ref] of pairs) {
        expect(y.dtype, name).to.equal('float32');
        expectClose(flat(y), XS.map((v) => ref(Math.fround(v))), 1e-6);
      }
    });

    it('tensor methods are the same ops', () => {
      const x = f64(XS, false);
      expect(flat(x.relu())).to.deep.equal(flat(relu(x)));
      expect(flat(x.leakyRelu(0.3))).to.deep.equal(flat(leakyRelu(x, 0.3)));
      expect(flat(x.softplus({ beta: 3 }))).to.deep.equal(flat(softplus(x, { beta: 3 })));
      expect(flat(x.gelu({ approximate: 'tanh' }))).to.deep.equal(flat(gelu(x, { approximate: 'tanh' })));
      expect(flat(x.silu())).to.deep.equal(flat(silu(x)));
    });
  });

  describe('gradients', () => {
    const cases: [string, (t: Tensor) => Tensor][] = [
      ['relu', relu],
      ['leakyRelu', (t) => leakyRelu(t)],
      ['leakyRelu(0.2)', (t) => leakyRelu(t, 0.2)],
      ['sigmoid', sigmoid],
      ['tanh', tanh],
      ['softplus', (t) => softplus(t)],
      ['softplus(beta 2, threshold 1)', (t) => softplus(t, { beta: 2, threshold: 1 })],
      ['softplus(beta 0.5)', (t) => softplus(t, { beta: 0.5 })],
      ['gelu', (t) => gelu(t)],
      ["gelu('tanh')", (t) => gelu(t, { approximate: 'tanh' })],
      ['silu', silu],
    ];
    for (const [name, f] of cases) {
      it(`${name}: gradcheck in float64`, () => {
        expect(gradcheck(f, [f64(XS)]).ok).to.equal(true);
        expect(gradcheck(f, [tensor([[0.7, -0.2], [-5.5, 8]], { dtype: 'float64', requiresGrad: true })]).ok).to.equal(true);
      });
    }

    it('each activation is one node on the tape, named after the op', () => {
      const x = f64(XS);
      for (const [name, f] of [['relu', relu], ['sigmoid', sigmoid], ['gelu', gelu], ['silu', silu], ['softplus', softplus]] as const) {
        const y = f(x);
        expect(y.gradFn?.op).to.equal(name);
        expect(y.gradFn?.inputs).to.deep.equal([x]);
      }
    });

    it('kinks: relu has gradient 0 at 0, leakyRelu the slope', () => {
      expect(gradOf(relu, f64([-1, 0, 2]))).to.deep.equal([0, 0, 1]);
      expectClose(gradOf((t) => leakyRelu(t), f64([-1, 0, 2])), [0.01, 0.01, 1]);
      expectClose(gradOf((t) => leakyRelu(t, 0.3), f64([-1, 0, 2])), [0.3, 0.3, 1]);
    });

    it('softplus gradient is σ(βx) below the threshold and exactly 1 above it', () => {
      const g = gradOf((t) => softplus(t, { beta: 2, threshold: 1 }), f64([-1, 0.2, 0.51, 3]));
      expectClose(g.slice(0, 2), [-1, 0.2].map((x) => 1 / (1 + Math.exp(-2 * x))));
      expect(g.slice(2)).to.deep.equal([1, 1]);
    });

    it('hand-derived derivatives: σ′(0) = 1/4, tanh′(0) = 1, gelu′(0) = 1/2, silu′(0) = 1/2, gelu′(1) = Φ(1) + φ(1)', () => {
      expect(gradOf(sigmoid, f64([0]))[0]).to.equal(0.25);
      expect(gradOf(tanh, f64([0]))[0]).to.equal(1);
      expect(gradOf((t) => gelu(t), f64([0]))[0]).to.equal(0.5);
      expect(gradOf((t) => gelu(t, { approximate: 'tanh' }), f64([0]))[0]).to.equal(0.5);
      expect(gradOf(silu, f64([0]))[0]).to.equal(0.5);
      const phi1 = Math.exp(-0.5) / Math.sqrt(2 * Math.PI);
      expect(gradOf((t) => gelu(t), f64([1]))[0]).to.be.closeTo(0.8413447460685429 + phi1, 1e-15);
    });
  });

  describe('extreme inputs ±1e4', () => {
    const xs = [-1e4, -1e3, -50, 50, 1e3, 1e4];
    // [name, op, value at -1e4, value at +1e4, gradient at -1e4, gradient at +1e4]
    const cases: [string, (t: Tensor) => Tensor, number, number, number, number][] = [
      ['relu', relu, 0, 1e4, 0, 1],
      ['leakyRelu', (t) => leakyRelu(t), -100, 1e4, 0.01, 1],
      ['sigmoid', sigmoid, 0, 1, 0, 0],
      ['tanh', tanh, -1, 1, 0, 0],
      ['softplus', (t) => softplus(t), 0, 1e4, 0, 1],
      ['softplus(threshold ∞)', (t) => softplus(t, { threshold: Infinity }), 0, 1e4, 0, 1],
      ['softplus(beta 0.01)', (t) => softplus(t, { beta: 0.01 }), 0, 1e4, 0, 1],
      ['gelu', (t) => gelu(t), 0, 1e4, 0, 1],
      ["gelu('tanh')", (t) => gelu(t, { approximate: 'tanh' }), 0, 1e4, 0, 1],
      ['silu', silu, 0, 1e4, 0, 1],
    ];
    for (const dtype of ['float32', 'float64'] as DType[]) {
      for (const [name, f, vLo, vHi, gLo, gHi] of cases) {
        it(`${name} in ${dtype}: finite values and gradients, with the right limits`, () => {
          const x = tensor(xs, { dtype, requiresGrad: true });
          const y = f(x);
          const v = flat(y);
          v.forEach((e, i) => expect(Number.isFinite(e), `value at x = ${xs[i]}: ${e}`).to.equal(true));
          y.backward(ones(y.shape, { dtype }));
          const g = flat(x.grad!);
          g.forEach((e, i) => expect(Number.isFinite(e), `gradient at x = ${xs[i]}: ${e}`).to.equal(true));
          expect(v[0]).to.be.closeTo(vLo, 1e-6);
          expect(v[v.length - 1]).to.be.closeTo(vHi, 1e-6);
          expect(g[0]).to.be.closeTo(gLo, 1e-6);
          expect(g[g.length - 1]).to.be.closeTo(gHi, 1e-6);
        });
      }
    }
  });

  describe('bad options', () => {
    it('softplus beta 0 / non-finite, gelu unknown approximation, leakyRelu NaN slope → ValueError', () => {
      const x = f64([1, 2], false);
      expect(() => softplus(x, { beta: 0 })).to.throw(ValueError, /softplus.*beta/);
      expect(() => softplus(x, { beta: Infinity })).to.throw(ValueError, /softplus.*beta/);
      expect(() => softplus(x, { threshold: NaN })).to.throw(ValueError, /softplus.*threshold/);
      expect(() => gelu(x, { approximate: 'erf' as 'none' })).to.throw(ValueError, /gelu.*'none' or 'tanh'/);
      expect(() => leakyRelu(x, NaN)).to.throw(ValueError, /leakyRelu/);
    });
  });
});
