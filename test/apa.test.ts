import { expect } from 'chai';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { noGrad, record } from '../src/autograd/tape.js';
import { backend as currentBackend, setBackend } from '../src/backend/current.js';
import { gpujsKernelReports, headlessglUnavailableReason } from '../src/backend/gpujs.js';
import { AxisError, DTypeError, ShapeError, ValueError } from '../src/errors.js';
import { erf } from '../src/math.js';
import { aglu, apa, apaComposite, LAMBDA_FLOOR } from '../src/ops/apa.js';
import { add, exp, mul, neg, pow } from '../src/ops/elementwise.js';
import { manualSeed } from '../src/random.js';
import { rand, randn, tensor, Tensor, type DType } from '../src/tensor.js';
import { expectAllFinite, maxScaledDiff, valueAndGrads } from './grad-helpers.js';

const f64 = { dtype: 'float64', requiresGrad: true } as const;
const param = (values: number[]): Tensor => tensor(values, f64);

/** The paper's formula, evaluated directly in float64 (accurate where λ·e^{−κz} is moderate). */
const naiveApa = (z: number, l: number, k: number): number => Math.pow(l * Math.exp(-k * z) + 1, -1 / l);
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

function grid(from: number, to: number, n: number): number[] {
  return Array.from({ length: n }, (_, i) => from + ((to - from) * i) / (n - 1));
}

// The grid every backend must survive: finite values and gradients everywhere (issue 4).
const Z_GRID = [-1e4, -1e3, -100, -10, -1, -1e-3, 0, 1e-3, 1, 10, 100, 1e3, 1e4];
const L_GRID = [1e-4, 1e-3, 0.01, 0.1, 0.5, 1, 2, 10, 100, 1e3];
const K_GRID = [-100, -10, -1, -0.01, 0, 0.01, 1, 10, 100];

/** z of shape [13, 90]: every column is one (λ, κ) pair of the grid, every row one z. */
function extremeGrid(dtype: DType): { z: Tensor; l: Tensor; k: Tensor } {
  const pairs = L_GRID.flatMap((l) => K_GRID.map((k) => [l, k]));
  const z = tensor(Z_GRID.map((v) => pairs.map(() => v)), { dtype });
  return { z, l: tensor(pairs.map((p) => p[0]), { dtype }), k: tensor(pairs.map((p) => p[1]), { dtype }) };
}

describe('apa / aglu (js backend)', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(11));

  describe('forward values', () => {
    it('equal the paper formula (λ·e^{−κz} + 1)^{−1/λ} where it is accurate, per channel, in float64', () => {
      const zs = grid(-4, 4, 9);
      const ls = [0.05, 0.5, 1, 3], ks = [-1.5, 0.3, 1, 2.5];
      const z = tensor(zs.map((v) => ls.map(() => v)), { dtype: 'float64' });
      const p = apa(z, tensor(ls, { dtype: 'float64' }), tensor(ks, { dtype: 'float64' })).toArray() as number[][];
      const y = aglu(z, tensor(ls, { dtype: 'float64' }), tensor(ks, { dtype: 'float64' })).toArray() as number[][];
      zs.forEach((zv, i) =>
        ls.forEach((l, c) => {
          const want = naiveApa(zv, l, ks[c]);
          expect(Math.abs(p[i][c] - want)).to.be.at.most(1e-13 * want + 1e-300);
          expect(Math.abs(y[i][c] - zv * want)).to.be.at.most(1e-13 * Math.abs(zv * want) + 1e-300);
        }),
      );
    });

    it('float32 results are the float64 ones rounded (within 1 float32 ulp)', () => {
      const z = randn([64]).mul(4);
      const z64 = z.to('float64');
      const a32 = aglu(z, tensor([0.37]), tensor([1.7])).toTypedArray();
      const a64 = aglu(z64, tensor([0.37], { dtype: 'float64' }), tensor([1.7], { dtype: 'float64' })).toTypedArray();
      // λ and κ are float32 numbers in the float32 run: compare against float64 with the same parameter values
      const a64same = aglu(z64, tensor([Math.fround(0.37)], { dtype: 'float64' }), tensor([Math.fround(1.7)], { dtype: 'float64' })).toTypedArray();
      for (let i = 0; i < 64; i++) {
        expect(a32[i]).to.equal(Math.fround(a64same[i]));
        expect(Math.abs(a32[i] - a64[i])).to.be.at.most(1e-6 * (1 + Math.abs(a64[i])));
      }
    });

    it('Tensor methods z.apa / z.aglu are the functional ops', () => {
      const z = randn([3, 4], { dtype: 'float64' });
      const l = rand([4], { dtype: 'float64' }).add(0.1), k = randn([4], { dtype: 'float64' });
      expect(z.apa(l, k).toArray()).to.deep.equal(apa(z, l, k).toArray());
      expect(z.aglu(l, k).toArray()).to.deep.equal(aglu(z, l, k).toArray());
    });

    it('accepts 0-d λ and κ, and gives gradients of their shape', () => {
      const z = param([0.3, -1.2]);
      const l = tensor(0.8, f64), k = tensor(1.1, f64);
      aglu(z, l, k).backward(tensor([1, 1], { dtype: 'float64' }));
      expect(l.grad!.shape).to.deep.equal([]);
      expect(k.grad!.shape).to.deep.equal([]);
      expect(gradcheck((a, b, c) => aglu(a, b, c), [z, l, k]).ok).to.equal(true);
    });
  });

  describe('unification (the activations APA contains)', () => {
    const zs = grid(-30, 30, 121);

    it('λ = κ = 1: APA is the sigmoid and AGLU is SiLU, to rounding (float64 and float32)', () => {
      for (const dtype of ['float64', 'float32'] as const) {
        const z = tensor(zs, { dtype });
        const one = tensor([1], { dtype });
        const p = apa(z, one, one).toTypedArray();
        const y = aglu(z, one, one).toTypedArray();
        const zr = z.toTypedArray();
        const tol = dtype === 'float64' ? 1e-14 : 1.2e-7; // float32: within one rounding
        zr.forEach((zv, i) => {
          expect(Math.abs(p[i] - sigmoid(zv))).to.be.at.most(tol * sigmoid(zv));
          expect(Math.abs(y[i] - zv * sigmoid(zv))).to.be.at.most(tol * Math.abs(zv * sigmoid(zv)));
        });
      }
    });

    it('λ → 0: APA tends to the Gumbel CDF exp(−e^{−κz}), with an error shrinking like λ', () => {
      const z = tensor(grid(-3, 6, 91), { dtype: 'float64' });
      const k = 1.4;
      const gumbel = z.toTypedArray().map((v) => Math.exp(-Math.exp(-k * v)));
      const err = (l: number): number => {
        const p = apa(z, tensor([l], { dtype: 'float64' }), tensor([k], { dtype: 'float64' })).toTypedArray();
        return Math.max(...p.map((v, i) => Math.abs(v - gumbel[i])));
      };
      expect(err(LAMBDA_FLOOR)).to.be.below(1e-4);
      expect(err(1e-2) / err(1e-3)).to.be.within(7, 13); // first order in λ
      expect(err(1e-3) / err(1e-4)).to.be.within(7, 13);
    });

    it('κ = 0: AGLU is linear with slope (1 + λ)^{−1/λ}', () => {
      const z = tensor(grid(-50, 50, 21), { dtype: 'float64' });
      for (const l of [1e-4, 0.3, 1, 7]) {
        const y = aglu(z, tensor([l], { dtype: 'float64' }), tensor([0], { dtype: 'float64' })).toTypedArray();
        const slope = Math.exp(-Math.log1p(l) / l); // (1 + λ)^{−1/λ}; Math.pow would lose ~1e-12 to the rounding of 1 + λ
        z.toTypedArray().forEach((v, i) => expect(Math.abs(y[i] - slope * v)).to.be.at.most(1e-14 * Math.abs(v)));
      }
    });

    it('κ large: AGLU tends to ReLU (κ = 100: max error below 2/(eκ) ≈ 0.0074 for λ ∈ {0.1, 0.5, 1, 2})', () => {
      const z = tensor(grid(-6, 6, 1201), { dtype: 'float64' });
      for (const l of [0.1, 0.5, 1, 2]) {
        const y = aglu(z, tensor([l], { dtype: 'float64' }), tensor([100], { dtype: 'float64' })).toTypedArray();
        const err = Math.max(...z.toTypedArray().map((v, i) => Math.abs(y[i] - Math.max(v, 0))));
        expect(err).to.be.below(2 / (Math.E * 100));
      }
    });

    // The issue asked for 0.02; the exact maximum of |z·σ(1.702z) − z·Φ(z)| is 0.020335 at z ≈ −2.27 (also with
    // Python's math.erf), so the bound asserted is 0.0204 and the test pins the true value.
    it('λ = 1, κ = 1.702: AGLU is GELU within 0.0204 on [−6, 6] (max error 0.02033 at z ≈ −2.27)', () => {
      const zs6 = grid(-6, 6, 1201);
      const y = aglu(tensor(zs6, { dtype: 'float64' }), tensor([1], { dtype: 'float64' }), tensor([1.702], { dtype: 'float64' })).toTypedArray();
      const gelu = zs6.map((v) => 0.5 * v * (1 + erf(v / Math.SQRT2)));
      const err = Math.max(...gelu.map((g, i) => Math.abs(y[i] - g)));
      expect(err).to.be.within(0.0203, 0.0204);
    });

    it("Ultralytics' class named AGLU computes exp((1/λ)·softplus_{β=−1}(κz − log λ)): that is APA (the gate), not AGLU", () => {
      const zs8 = grid(-5, 5, 21);
      const l = 0.6, k = 1.3;
      // softplus with β = −1: (1/β)·log(1 + e^{βx}) = −log(1 + e^{−x})
      const ultralytics = zs8.map((v) => Math.exp((1 / l) * -Math.log1p(Math.exp(-(k * v - Math.log(l))))));
      const z = tensor(zs8, { dtype: 'float64' });
      const L = tensor([l], { dtype: 'float64' }), K = tensor([k], { dtype: 'float64' });
      const p = apa(z, L, K).toTypedArray(), y = aglu(z, L, K).toTypedArray();
      ultralytics.forEach((u, i) => expect(Math.abs(p[i] - u)).to.be.at.most(1e-14));
      expect(Math.max(...ultralytics.map((u, i) => Math.abs(y[i] - u)))).to.be.above(1);
    });
  });

  describe('gradcheck in float64 w.r.t. z, λ, κ', () => {
    const ops = { apa, aglu } as const;
    for (const [name, f] of Object.entries(ops)) {
      it(`${name}: one λ, κ per layer ([1]) on a 2-D input`, () => {
        const z = randn([2, 3], f64).mul(2).detach().requiresGrad_();
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([0.7]), param([1.3])]).ok).to.equal(true);
      });

      it(`${name}: per-channel λ, κ ([C]) on [B, F] (default channelAxis 1)`, () => {
        const z = randn([3, 4], f64).mul(2).detach().requiresGrad_();
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([0.2, 0.9, 1.5, 4]), param([1.1, -0.7, 2.2, 0.4])]).ok).to.equal(true);
      });

      it(`${name}: per-channel on [N, C, H, W] (channelAxis 1), and λ [1] with κ [C]`, () => {
        const z = randn([2, 3, 2, 2], f64).mul(2).detach().requiresGrad_();
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([0.4, 1, 2.5]), param([0.8, -1.2, 1.9])]).ok).to.equal(true);
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([0.6]), param([0.8, -1.2, 1.9])]).ok).to.equal(true);
      });

      it(`${name}: negative channelAxis (−1 on [2, 3, 4]) and an explicit channelAxis 0`, () => {
        const z = randn([2, 3, 4], f64).detach().requiresGrad_();
        expect(gradcheck((a, b, c) => f(a, b, c, { channelAxis: -1 }), [z, param([0.3, 0.6, 1.2, 2]), param([1, 2, -1, 0.5])]).ok).to.equal(true);
        expect(gradcheck((a, b, c) => f(a, b, c, { channelAxis: 0 }), [z, param([0.3, 2]), param([1, -0.5])]).ok).to.equal(true);
      });

      it(`${name}: λ near the floor (1.2e-4), with p far from 0 and 1`, () => {
        const z = param([-0.5, 0, 0.4, 1.1, 2]);
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([1.2e-4]), param([1.5])], { eps: 1e-8 }).ok).to.equal(true);
      });

      it(`${name}: λ below the floor is clamped — no gradient reaches λ (like torch.clamp)`, () => {
        const z = param([-0.5, 0.4, 2]), l = param([5e-5]);
        expect(gradcheck((a, b, c) => f(a, b, c), [z, l, param([1.5])], { eps: 1e-8 }).ok).to.equal(true);
        f(z, l, param([1.5])).backward(tensor([1, 1, 1], { dtype: 'float64' }));
        expect(l.grad!.item()).to.equal(0);
        const atFloor = f(z.detach(), tensor([5e-5], { dtype: 'float64' }), tensor([1.5], { dtype: 'float64' })).toTypedArray();
        const clamped = f(z.detach(), tensor([LAMBDA_FLOOR], { dtype: 'float64' }), tensor([1.5], { dtype: 'float64' })).toTypedArray();
        expect(Array.from(atFloor)).to.deep.equal(Array.from(clamped));
      });

      it(`${name}: negative κ and large |z| (p saturated at 0 or 1)`, () => {
        const z = param([-60, -15, -3, 4, 20, 80]);
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([0.6]), param([-0.9])]).ok).to.equal(true);
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([2.5]), param([0.7])]).ok).to.equal(true);
        expect(gradcheck((a, b, c) => f(a, b, c), [z, param([0.01]), param([0.35])]).ok).to.equal(true);
      });

      it(`${name}: lambdaParam 'softplus' (λ = softplus(ρ) + 1e-4), per channel, including ρ far below 0`, () => {
        const z = randn([3, 4], f64).mul(2).detach().requiresGrad_();
        const rho = param([-3, 0.2, 1.5, -12]);
        expect(gradcheck((a, b, c) => f(a, b, c, { lambdaParam: 'softplus' }), [z, rho, param([1, -0.5, 2, 0.3])]).ok).to.equal(true);
      });
    }

    it("'softplus' keeps a gradient where 'clamp' has none (ρ = −20: λ ≈ 1e-4 + 2e-9)", () => {
      const z = tensor([0.5, 1, 2], { dtype: 'float64' });
      const rho = param([-20]), lam = param([-20]);
      aglu(z, rho, tensor([1], { dtype: 'float64' }), { lambdaParam: 'softplus' }).backward(tensor([1, 1, 1], { dtype: 'float64' }));
      aglu(z, lam, tensor([1], { dtype: 'float64' })).backward(tensor([1, 1, 1], { dtype: 'float64' }));
      expect(rho.grad!.item()).to.not.equal(0);
      expect(Number.isFinite(rho.grad!.item())).to.equal(true);
      expect(lam.grad!.item()).to.equal(0);
    });

    it("the λ-gradient (−z/λ)·p/(λ + e^{κz}) quoted as the official backward's fails gradcheck where ours passes; it lacks z·p·log(1 + λe^{−κz})/λ²", () => {
      const zs = [0.5, -1, 2, 1.5], l = 0.7, k = 1.3;
      const official = (z: Tensor, lam: Tensor, kap: Tensor): Tensor => {
        const out = noGrad(() => aglu(z, lam, kap));
        return record('agluOfficialLambda', out, [z, lam, kap], (g) => {
          const zv = z.toTypedArray(), gv = g.toTypedArray(), L = lam.item(), K = kap.item();
          let dl = 0, dk = 0;
          const dz = Array.from(zv, (x, i) => {
            const p = naiveApa(x, L, K), sig = (L * Math.exp(-K * x)) / (1 + L * Math.exp(-K * x));
            dl += gv[i] * (-x / L) * p / (L + Math.exp(K * x));
            dk += gv[i] * x * x * p * sig / L;
            return gv[i] * p * (1 + (x * K * sig) / L);
          });
          return [tensor(dz, { dtype: 'float64' }), tensor([dl], { dtype: 'float64' }), tensor([dk], { dtype: 'float64' })];
        });
      };
      const inputs = [param(zs), param([l]), param([k])];
      const theirs = gradcheck(official, inputs, { raiseException: false });
      expect(theirs.ok).to.equal(false);
      expect(theirs.worst!.input).to.equal(1); // the λ entry is the one out of tolerance
      expect(gradcheck((a, b, c) => aglu(a, b, c), inputs).ok).to.equal(true);
      // ours − theirs is exactly the dropped term Σ z·p·log(1 + λe^{−κz})/λ²
      const ones = tensor([1, 1, 1, 1], { dtype: 'float64' });
      const ourL = valueAndGrads((a, b, c) => aglu(a, b, c), inputs, ones).grads[1][0];
      const theirL = valueAndGrads(official, inputs, ones).grads[1][0];
      const dropped = zs.reduce((s, x) => s + (x * naiveApa(x, l, k) * Math.log1p(l * Math.exp(-k * x))) / (l * l), 0);
      expect(Math.abs(ourL - theirL - dropped)).to.be.below(1e-12);
    });
  });

  describe('fused equals the composite of elementwise ops (apaComposite)', () => {
    // Tolerances on |fused − composite| / (1 + |composite|): float64 1e-12 (measured ≤ 8e-15); float32 1e-5
    // (measured ≤ 1.5e-6: the composite rounds each of its ~12 steps to float32, and its λ-gradient adds −s/λ²
    // and σ/λ², which nearly cancel, where the fused kernel forms (s − σ)/λ² directly).
    const TOL = { float64: 1e-12, float32: 1e-5 } as const;
    const cases: { name: string; shape: number[]; l: number[]; k: number[]; o?: { channelAxis?: number; lambdaParam?: 'softplus' } }[] = [
      { name: 'scalar params, 2-D', shape: [5, 6], l: [0.7], k: [1.3] },
      { name: 'per channel, 2-D', shape: [5, 4], l: [0.05, 0.5, 1, 3], k: [-1.5, 0.3, 1, 2.5] },
      { name: 'per channel, 4-D', shape: [2, 3, 3, 2], l: [0.2, 1, 2], k: [0.8, -0.6, 1.7] },
      { name: 'softplus λ, channelAxis −1', shape: [4, 3], l: [-2, 0, 1.5], k: [1, 2, -1], o: { channelAxis: -1, lambdaParam: 'softplus' } },
    ];
    for (const dtype of ['float64', 'float32'] as const) {
      for (const c of cases) {
        for (const gated of [false, true]) {
          it(`${gated ? 'aglu' : 'apa'} ${c.name} (${dtype}): values and gradients for z, λ, κ`, () => {
            const z = randn(c.shape, { dtype }).mul(3).detach();
            const l = tensor(c.l, { dtype }), k = tensor(c.k, { dtype });
            const up = randn(c.shape, { dtype });
            const f = gated ? aglu : apa;
            const fused = valueAndGrads((a, b, d) => f(a, b, d, c.o), [z, l, k], up);
            const comp = valueAndGrads((a, b, d) => apaComposite(a, b, d, { ...c.o, gated }), [z, l, k], up);
            expect(maxScaledDiff(fused.value, comp.value)).to.be.at.most(TOL[dtype]);
            fused.grads.forEach((gr, i) => expect(maxScaledDiff(gr, comp.grads[i])).to.be.at.most(TOL[dtype]));
          });
        }
      }
    }
  });

  describe('extreme grid: z ∈ [−1e4, 1e4], λ ∈ [1e-4, 1e3], κ ∈ [−100, 100]', () => {
    for (const dtype of ['float64', 'float32'] as const) {
      for (const gated of [false, true]) {
        it(`${gated ? 'aglu' : 'apa'} (${dtype}): every value and every gradient is finite`, () => {
          const { z, l, k } = extremeGrid(dtype);
          const up = tensor(Array.from({ length: z.size }, (_, i) => (i % 3) - 1.25), { dtype, shape: z.shape });
          const r = valueAndGrads((a, b, c) => (gated ? aglu : apa)(a, b, c), [z, l, k], up);
          expectAllFinite('value', r.value);
          r.grads.forEach((g, i) => expectAllFinite(`gradient of input ${i}`, g));
        });
      }
      it(`apa (${dtype}): values stay in [0, 1] and monotone in z for κ > 0`, () => {
        const { z, l, k } = extremeGrid(dtype);
        const p = apa(z, l, k).toArray() as number[][];
        const ks = k.toTypedArray();
        p.forEach((row) => row.forEach((v) => expect(v).to.be.within(0, 1)));
        for (let c = 0; c < ks.length; c++)
          if (ks[c] > 0) for (let i = 1; i < p.length; i++) expect(p[i][c]).to.be.at.least(p[i - 1][c]);
      });
    }

    it('the naive formula composed from engine ops, (λ·e^{−κz} + 1)^{−1/λ}, gives NaN/Inf gradients on this grid', () => {
      const { z, l, k } = extremeGrid('float64');
      const naive = (a: Tensor, b: Tensor, c: Tensor): Tensor => pow(add(mul(b, exp(neg(mul(c, a)))), 1), neg(pow(b, -1)));
      const r = valueAndGrads(naive, [z, l, k], tensor(new Array<number>(z.size).fill(1), { dtype: 'float64', shape: z.shape }));
      const bad = r.grads.flatMap((g) => Array.from(g)).filter((v) => !Number.isFinite(v)).length;
      expect(bad).to.be.above(0);
    });

    it('float32: the log-space form keeps ~7 digits at λ = 1e-4 where the naive formula in float32 loses them', () => {
      const zs = grid(-2, 2, 41);
      const l = LAMBDA_FLOOR, k = 1;
      const truth = zs.map((v) => Math.exp(-Math.log1p(Math.fround(l) * Math.exp(-k * Math.fround(v))) / Math.fround(l)));
      const ours = apa(tensor(zs, { dtype: 'float32' }), tensor([l], { dtype: 'float32' }), tensor([k], { dtype: 'float32' })).toTypedArray();
      const f = Math.fround;
      const naive32 = zs.map((v) => f(Math.pow(f(f(f(l) * f(Math.exp(f(-k * f(v))))) + 1), f(-1 / f(l)))));
      const relErr = (xs: ArrayLike<number>) => Math.max(...truth.map((t, i) => Math.abs(xs[i] - t) / t));
      expect(relErr(ours)).to.be.below(2e-7);
      expect(relErr(naive32)).to.be.above(1e-4);
    });
  });

  describe('errors', () => {
    it('per-channel λ whose size is not C → ShapeError naming both shapes', () => {
      const z = randn([2, 4]);
      expect(() => aglu(z, tensor([1, 2, 3]), tensor([1]))).to.throw(ShapeError, /\[3\].*\[2, 4\]/);
      expect(() => apa(z, tensor([1]), tensor([1, 2]))).to.throw(ShapeError, /κ \(kappa\) of shape \[2\]/);
    });
    it('λ of rank 2 → ShapeError suggesting a reshape; per-channel λ on a 0-d z → ShapeError', () => {
      expect(() => aglu(randn([2, 4]), tensor([[1, 2, 3, 4]]), tensor([1]))).to.throw(ShapeError, /reshape/);
      expect(() => aglu(tensor(1), tensor([1, 2]), tensor([1]))).to.throw(ShapeError);
    });
    it('channelAxis out of range → AxisError; unknown lambdaParam → ValueError; mixed dtypes → DTypeError', () => {
      expect(() => aglu(randn([2, 4]), tensor([1, 2, 3, 4]), tensor([1]), { channelAxis: 2 })).to.throw(AxisError);
      expect(() => aglu(randn([2]), tensor([1]), tensor([1]), { lambdaParam: 'exp' as 'clamp' })).to.throw(ValueError);
      expect(() => aglu(randn([2]), tensor([1], { dtype: 'float64' }), tensor([1]))).to.throw(DTypeError);
    });
  });
});

// ---- gpujs: the fused kernels of kernels/apa.ts against the js float64 oracle ---------------------------------

/**
 * Per-element magnitudes of the terms each gradient sums (plain float64 formulas of docs/apa.md), so a float32
 * backend is judged relative to what it actually added up: |dz| ≤ |g|·p·(1 + |zκσ/λ|) (AGLU), and dλ, dκ against
 * Σ|g·p·z·(s − σ)/λ²| and Σ|g·p·z·z·σ/λ|. p is floored at 2e-34: float32 kernels flush p < e^{−87} to 0.
 */
function gradientScales(z: ArrayLike<number>, shape: number[], l: ArrayLike<number>, k: ArrayLike<number>, g: ArrayLike<number>, gated: boolean) {
  const C = l.length > 1 || k.length > 1 ? Math.max(l.length, k.length) : 1;
  const inner = C === 1 ? z.length : shape.slice(2).reduce((a, d) => a * d, 1);
  const dz = new Float64Array(z.length), dl = new Float64Array(l.length), dk = new Float64Array(k.length);
  for (let i = 0; i < z.length; i++) {
    const c = C === 1 ? 0 : Math.floor(i / inner) % C;
    const lam = Math.max(l[l.length === 1 ? 0 : c], LAMBDA_FLOOR), kap = k[k.length === 1 ? 0 : c], zi = z[i];
    const u = Math.log(lam) - kap * zi;
    const s = Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
    const sig = sigmoid(u);
    const p = Math.exp(-s / lam) + 2e-34;
    const zf = gated ? Math.abs(zi) : 1;
    dz[i] = Math.abs(g[i]) * p * (gated ? 1 + Math.abs((zi * kap * sig) / lam) : Math.abs(kap) * sig / lam);
    dl[l.length === 1 ? 0 : c] += Math.abs(g[i]) * p * zf * Math.abs(s - sig) / (lam * lam);
    dk[k.length === 1 ? 0 : c] += Math.abs(g[i]) * p * zf * Math.abs(zi) * sig / lam;
  }
  return [dz, dl, dk];
}

function expectWithinScale(what: string, got: ArrayLike<number>, want: ArrayLike<number>, scale: ArrayLike<number>, rtol: number): void {
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) expect.fail(`${what}: element ${i} is ${got[i]}`);
    const err = Math.abs(got[i] - want[i]);
    if (err > rtol * scale[i] + 1e-37) expect.fail(`${what}: element ${i} is ${got[i]}, want ${want[i]} (|err| ${err.toExponential(2)} > ${rtol}·${scale[i].toExponential(2)})`);
  }
}

/** Values and gradients of apa/aglu on the current backend and on js float64 for the same (float32) inputs. */
function againstOracle(mode: string, zv: number[], shape: number[], lv: number[], kv: number[], gv: number[], gated: boolean, rtol: number): void {
  const f = gated ? aglu : apa;
  const r32 = (xs: number[]) => xs.map((v) => Math.fround(v));
  const [z, l, k, g] = [zv, lv, kv, gv].map(r32);
  const got = valueAndGrads((a, b, c) => f(a, b, c), [tensor(z, { shape }), tensor(l), tensor(k)], tensor(g, { shape }));
  setBackend('js');
  // float32's 1e-4 is the float32 floor itself; in float64 it would sit (2.5e-12) below the float64 floor
  const l64 = l.map((v) => (v === Math.fround(LAMBDA_FLOOR) ? LAMBDA_FLOOR : v));
  const want = valueAndGrads((a, b, c) => f(a, b, c), [tensor(z, { shape, dtype: 'float64' }), tensor(l64, { dtype: 'float64' }), tensor(k, { dtype: 'float64' })], tensor(g, { shape, dtype: 'float64' }));
  setBackend('gpujs', { mode });
  const scales = gradientScales(z, shape, l, k, g, gated);
  const valueScale = want.value.map((v) => Math.abs(v) + 2e-34 * (gated ? 1 + Math.abs(v) : 1));
  expectWithinScale('value', got.value, want.value, valueScale, rtol);
  ['dz', 'dλ', 'dκ'].forEach((name, i) => expectWithinScale(name, got.grads[i], want.grads[i], scales[i], rtol));
}

const GPU_MODES = ['cpu', 'webasm', ...(headlessglUnavailableReason() === null ? ['headlessgl'] : [])];
for (const mode of GPU_MODES) {
  describe(`apa / aglu on gpujs ${mode} (float32) against the js float64 oracle`, function () {
    this.timeout(120000);
    before(() => setBackend('gpujs', { mode }));
    after(() => setBackend('js'));
    beforeEach(() => manualSeed(3));

    // Tolerance: |got − want| ≤ 2e-5 × the summed magnitude of the terms (gradientScales). Measured on cpu and
    // webasm: every check passes at 1e-5 and fails at 3e-6 (a value with s/λ ≈ 50, where exp(−s/λ) multiplies
    // float32's rounding of s by 50).
    for (const gated of [false, true]) {
      it(`${gated ? 'aglu' : 'apa'}: the extreme grid (finite everywhere, and equal to the oracle to 2e-5 of scale)`, () => {
        const { z, l, k } = extremeGrid('float32');
        const g = Array.from({ length: z.size }, (_, i) => (i % 3) - 1.25);
        againstOracle(mode, Array.from(z.toTypedArray()), z.shape, Array.from(l.toTypedArray()), Array.from(k.toTypedArray()), g, gated, 2e-5);
      });
    }

    it('aglu on 1M elements with one λ, κ (SIMD path, 4096 partial-sum blocks) and per channel on [8, 16, 32, 32]', () => {
      const n = 1 << 20;
      const z = Array.from(randn([n]).mul(3).toTypedArray()), g = Array.from(rand([n]).toTypedArray());
      againstOracle(mode, z, [n], [0.7], [1.3], g, true, 2e-5);
      const shape = [8, 16, 32, 32];
      const z4 = Array.from(randn(shape).mul(3).toTypedArray()), g4 = Array.from(randn(shape).toTypedArray());
      const l4 = Array.from(rand([16]).add(0.05).toTypedArray()), k4 = Array.from(randn([16]).toTypedArray());
      againstOracle(mode, z4, shape, l4, k4, g4, true, 2e-5);
    });

    it('fused equals the composite of elementwise ops on the same backend (float32 tolerance 2e-4 of 1 + |value|)', () => {
      const z = randn([6, 5]).mul(3), l = tensor([0.3, 0.8, 1.5, 2.5, 0.05]), k = tensor([1.2, -0.8, 0.6, 1.9, 3]);
      const up = randn([6, 5]);
      for (const gated of [false, true]) {
        const fused = valueAndGrads((a, b, c) => (gated ? aglu : apa)(a, b, c), [z, l, k], up);
        const comp = valueAndGrads((a, b, c) => apaComposite(a, b, c, { gated }), [z, l, k], up);
        expect(maxScaledDiff(fused.value, comp.value)).to.be.at.most(2e-4);
        fused.grads.forEach((gr, i) => expect(maxScaledDiff(gr, comp.grads[i])).to.be.at.most(2e-4));
      }
    });

    it('every APA kernel ran on the requested mode (no silent degradation to cpu)', () => {
      const reports = gpujsKernelReports(currentBackend()).filter((r) => r.key.startsWith('apa:'));
      expect(reports.map((r) => r.key)).to.include.members(['apa:lambda', 'apa:forward', 'apa:dz', 'apa:partials']);
      expect(reports.filter((r) => r.mode !== mode)).to.deep.equal([]);
    });
  });
}
