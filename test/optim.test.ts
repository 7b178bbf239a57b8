import { expect } from 'chai';
import { setBackend } from '../src/backend/current.js';
import { ValueError } from '../src/errors.js';
import { nn, optim } from '../src/index.js';
import { manualSeed } from '../src/random.js';
import { randn, tensor, Tensor, zeros } from '../src/tensor.js';

const f64 = { dtype: 'float64' } as const;
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());
const closeAll = (a: number[], b: number[], tol: number): void => {
  expect(a.length).to.equal(b.length);
  a.forEach((v, i) => expect(v, `element ${i}`).to.be.closeTo(b[i], tol * (1 + Math.abs(b[i]))));
};

// A quadratic bowl Σ c_i (p_i − t_i)² gives gradients 2c(p − t) that change every step.
const C = [1, 3, 0.5, 2];
const T = [0.5, -1, 2, 0];
const P0 = [0.1, 0.7, -0.3, 1.2];
const bowlGrad = (p: number[]): number[] => p.map((v, i) => 2 * C[i] * (v - T[i]));

/** Runs `steps` optimizer steps on the bowl with aglu and returns the trajectory of the parameter. */
function runAglu(make: (p: Tensor) => optim.Optimizer<optim.BaseOptions>, steps: number): number[][] {
  const p = tensor(P0, { dtype: 'float64', requiresGrad: true });
  const opt = make(p);
  const out: number[][] = [];
  const c = tensor(C, f64), t = tensor(T, f64);
  for (let s = 0; s < steps; s++) {
    opt.zeroGrad();
    p.sub(t).square().mul(c).sum().backward();
    opt.step();
    out.push(flat(p));
  }
  return out;
}

/** torch.optim.SGD's documented algorithm, in plain JS. */
function refSgd(o: { lr: number; momentum?: number; dampening?: number; nesterov?: boolean; wd?: number; maximize?: boolean }, steps: number): number[][] {
  let p = [...P0];
  const state: { buf: number[] | null } = { buf: null };
  const out: number[][] = [];
  const mu = o.momentum ?? 0, damp = o.dampening ?? 0, wd = o.wd ?? 0;
  for (let s = 0; s < steps; s++) {
    let g = bowlGrad(p);
    if (wd !== 0) g = g.map((v, i) => v + wd * p[i]);
    if (mu !== 0) {
      const prev = state.buf;
      const b = prev === null ? [...g] : prev.map((x, i) => mu * x + (1 - damp) * g[i]);
      state.buf = b;
      g = o.nesterov ? g.map((v, i) => v + mu * b[i]) : b;
    }
    p = p.map((v, i) => (o.maximize ? v + o.lr * g[i] : v - o.lr * g[i]));
    out.push(p);
  }
  return out;
}

/** torch.optim.Adam / AdamW's documented algorithm, in plain JS. */
function refAdam(o: { lr: number; b1?: number; b2?: number; eps?: number; wd?: number; decoupled?: boolean; amsgrad?: boolean; maximize?: boolean }, steps: number): number[][] {
  const b1 = o.b1 ?? 0.9, b2 = o.b2 ?? 0.999, eps = o.eps ?? 1e-8, wd = o.wd ?? 0;
  let p = [...P0];
  let m = p.map(() => 0), v = p.map(() => 0), vmax = p.map(() => 0);
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    let g = bowlGrad(p);
    if (o.maximize) g = g.map((x) => -x);
    if (o.decoupled) p = p.map((x) => x * (1 - o.lr * wd));
    else if (wd !== 0) g = g.map((x, i) => x + wd * p[i]);
    m = m.map((x, i) => b1 * x + (1 - b1) * g[i]);
    v = v.map((x, i) => b2 * x + (1 - b2) * g[i] * g[i]);
    vmax = vmax.map((x, i) => Math.max(x, v[i]));
    const mHat = m.map((x) => x / (1 - b1 ** t));
    const vHat = (o.amsgrad ? vmax : v).map((x) => x / (1 - b2 ** t));
    p = p.map((x, i) => x - (o.lr * mHat[i]) / (Math.sqrt(vHat[i]) + eps));
    out.push(p);
  }
  return out;
}

describe('optim', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(5));

  describe('SGD', () => {
    it('one plain step is p − lr·∇ (hand-computed)', () => {
      const [p1] = runAglu((p) => new optim.SGD([p], { lr: 0.1 }), 1);
      closeAll(p1, [0.1 - 0.1 * 2 * (0.1 - 0.5), 0.7 - 0.1 * 6 * 1.7, -0.3 - 0.1 * 1 * -2.3, 1.2 - 0.1 * 4 * 1.2], 1e-15);
    });
    const cases: [string, ConstructorParameters<typeof optim.SGD>[1], Parameters<typeof refSgd>[0]][] = [
      ['momentum', { lr: 0.05, momentum: 0.9 }, { lr: 0.05, momentum: 0.9 }],
      ['momentum + dampening', { lr: 0.05, momentum: 0.8, dampening: 0.3 }, { lr: 0.05, momentum: 0.8, dampening: 0.3 }],
      ['Nesterov + weight decay', { lr: 0.03, momentum: 0.9, nesterov: true, weightDecay: 0.1 }, { lr: 0.03, momentum: 0.9, nesterov: true, wd: 0.1 }],
      ['maximize', { lr: 0.01, momentum: 0.5, maximize: true }, { lr: 0.01, momentum: 0.5, maximize: true }],
    ];
    for (const [name, opts, ref] of cases)
      it(`follows torch's algorithm over 6 steps: ${name}`, () => {
        const got = runAglu((p) => new optim.SGD([p], opts), 6);
        refSgd(ref, 6).forEach((want, s) => closeAll(got[s], want, 1e-13));
      });

    it('rejects Nesterov without momentum or with dampening, and negative rates', () => {
      const p = zeros([2], { requiresGrad: true });
      expect(() => new optim.SGD([p], { lr: 0.1, nesterov: true })).to.throw(ValueError, /Nesterov/);
      expect(() => new optim.SGD([p], { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true })).to.throw(ValueError, /dampening 0/);
      expect(() => new optim.SGD([p], { lr: -1 })).to.throw(ValueError, /lr/);
    });
  });

  describe('Adam and AdamW', () => {
    it('the first Adam step moves each parameter by lr against the sign of its gradient', () => {
      const [p1] = runAglu((p) => new optim.Adam([p], { lr: 0.01, eps: 0 }), 1);
      closeAll(p1, P0.map((v, i) => v - 0.01 * Math.sign(bowlGrad(P0)[i])), 1e-15);
    });
    const cases: [string, 'Adam' | 'AdamW', optim.AdamOptions, Parameters<typeof refAdam>[0]][] = [
      ['Adam', 'Adam', { lr: 0.05 }, { lr: 0.05 }],
      ['Adam, L2 weight decay, custom betas', 'Adam', { lr: 0.02, weightDecay: 0.3, betas: [0.8, 0.95] }, { lr: 0.02, wd: 0.3, b1: 0.8, b2: 0.95 }],
      ['Adam AMSGrad', 'Adam', { lr: 0.1, amsgrad: true }, { lr: 0.1, amsgrad: true }],
      ['AdamW (default weight decay 0.01)', 'AdamW', { lr: 0.05 }, { lr: 0.05, wd: 0.01, decoupled: true }],
      ['AdamW decoupled decay 0.5, maximize', 'AdamW', { lr: 0.01, weightDecay: 0.5, maximize: true }, { lr: 0.01, wd: 0.5, decoupled: true, maximize: true }],
    ];
    for (const [name, cls, opts, ref] of cases)
      it(`follows torch's algorithm with bias correction over 8 steps: ${name}`, () => {
        const got = runAglu((p) => new optim[cls]([p], opts), 8);
        refAdam(ref, 8).forEach((want, s) => closeAll(got[s], want, 1e-12));
      });

    it('rejects betas outside [0, 1)', () => {
      expect(() => new optim.Adam([zeros([1], { requiresGrad: true })], { lr: 0.1, betas: [1, 0.9] })).to.throw(ValueError, /betas\[0\]/);
    });
  });

  describe('parameter groups and APA weight decay', () => {
    /** Zero gradients, so an AdamW step only applies the decoupled decay p·(1 − lr·wd). */
    function decayStep(opt: optim.Optimizer<optim.BaseOptions>): void {
      for (const p of opt.parameters()) p.grad = zeros(p.shape, { dtype: p.dtype });
      opt.step();
    }

    it('AdamW on a model decays weights but not λ and κ by default', () => {
      const model = nn.mlp([2, 3, 2], { activation: 'aglu', dtype: 'float64' });
      const before = Object.fromEntries(model.namedParameters().map(([n, p]) => [n, flat(p)]));
      const opt = new optim.AdamW(model, { lr: 0.1, weightDecay: 0.5 });
      expect(opt.paramGroups[0].isApa).to.deep.equal([false, false, true, true, false, false]);
      decayStep(opt);
      for (const [n, p] of model.namedParameters())
        closeAll(flat(p), before[n].map((v) => (/lambda|kappa/.test(n) ? v : v * (1 - 0.05))), 1e-15);
    });

    it('λ and κ are recognised in a plain tensor list and by name; apaWeightDecay overrides', () => {
      const model = nn.mlp([2, 3, 2], { activation: 'apa', dtype: 'float64' });
      expect(new optim.SGD(model.parameters(), { lr: 0.1 }).paramGroups[0].isApa).to.deep.equal([false, false, true, true, false, false]);
      const lam = tensor([0.5], { dtype: 'float64', requiresGrad: true });
      const w = tensor([2], { dtype: 'float64', requiresGrad: true });
      const named = new optim.AdamW([['act.lambda', lam], ['fc.weight', w]], { lr: 0.1, weightDecay: 0.5, apaWeightDecay: 0.2 });
      expect(named.paramGroups[0].isApa).to.deep.equal([true, false]);
      decayStep(named);
      expect(flat(lam)[0]).to.be.closeTo(0.5 * (1 - 0.02), 1e-15);
      expect(flat(w)[0]).to.be.closeTo(2 * (1 - 0.05), 1e-15);
      expect(new optim.SGD([['1.kappa_param', w]], { lr: 1 }).paramGroups[0].isApa).to.deep.equal([true]);
    });

    it('groups take their own options over the defaults', () => {
      const a = tensor([1], { dtype: 'float64', requiresGrad: true }), b = tensor([1], { dtype: 'float64', requiresGrad: true });
      const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.5, momentum: 0.9 }], { lr: 0.1 });
      expect(opt.paramGroups.map((g) => [g.lr, g.momentum])).to.deep.equal([[0.1, 0], [0.5, 0.9]]);
      a.grad = tensor([1], f64);
      b.grad = tensor([1], f64);
      opt.step();
      expect(flat(a)[0]).to.be.closeTo(0.9, 1e-15);
      expect(flat(b)[0]).to.be.closeTo(0.5, 1e-15);
    });

    it('skips parameters without gradient, keeps identity, and validates the parameter list', () => {
      const a = tensor([1, 2], { requiresGrad: true }), b = tensor([3], { requiresGrad: true });
      const opt = new optim.SGD([a, b], { lr: 1 });
      a.grad = tensor([1, 1]);
      opt.step();
      expect(flat(a)).to.deep.equal([0, 1]);
      expect(flat(b)).to.deep.equal([3]);
      expect(opt.parameters()[0]).to.equal(a);
      opt.zeroGrad();
      expect(a.grad).to.equal(null);
      expect(() => new optim.SGD([a, a], { lr: 1 })).to.throw(ValueError, /more than one group/);
      expect(() => new optim.SGD([], { lr: 1 })).to.throw(ValueError, /no parameters/);
      expect(() => new optim.SGD([tensor([1])], { lr: 1 })).to.throw(ValueError, /does not require grad/);
    });

    it('a model trained with SGD on a linear target drives the loss down', () => {
      const fc = new nn.Linear(3, 1, f64);
      const x = randn([64, 3], f64);
      const y = x.matmul(tensor([[1], [-2], [0.5]], f64)).add(0.3);
      const opt = new optim.SGD(fc, { lr: 0.2, momentum: 0.5 });
      const losses: number[] = [];
      for (let i = 0; i < 100; i++) {
        opt.zeroGrad();
        const loss = fc.forward(x).sub(y).square().mean();
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
      expect(losses[99]).to.be.below(1e-6 * losses[0]);
      closeAll(flat(fc.weight), [1, -2, 0.5], 1e-2);
    });
  });

  describe('clipGradNorm', () => {
    it('scales all gradients by maxNorm / (norm + 1e-6) when above, and returns the norm', () => {
      const a = tensor([3], { dtype: 'float64', requiresGrad: true }), b = tensor([0, 4], { dtype: 'float64', requiresGrad: true });
      a.grad = tensor([3], f64);
      b.grad = tensor([0, 4], f64);
      expect(optim.clipGradNorm([a, b], 1)).to.be.closeTo(5, 1e-15);
      const k = 1 / (5 + 1e-6);
      closeAll([...flat(a.grad), ...flat(b.grad)], [3 * k, 0, 4 * k], 1e-15);
      expect(optim.clipGradNorm([a, b], 10)).to.be.closeTo(5 * k, 1e-12);
      closeAll(flat(a.grad), [3 * k], 1e-15); // below the bound: untouched
      b.grad = tensor([0, -7], f64);
      expect(optim.clipGradNorm([a, b], 100, { normType: Infinity })).to.equal(7);
      b.grad = tensor([NaN, 1], f64);
      expect(() => optim.clipGradNorm([a, b], 1, { errorIfNonfinite: true })).to.throw(ValueError, /NaN or Inf/);
    });
  });

  describe('LR schedulers', () => {
    const opt = () => new optim.SGD([{ params: [zeros([1], { requiresGrad: true })] }, { params: [zeros([1], { requiresGrad: true })], lr: 2 }], { lr: 0.1 });
    const run = (s: optim.LRScheduler, n: number): number[][] => {
      const out = [s.getLastLr()];
      for (let i = 0; i < n; i++) {
        s.step();
        out.push(s.getLastLr());
      }
      return out;
    };

    it('StepLR: base·γ^⌊t/stepSize⌋ per group', () => {
      const got = run(new optim.StepLR(opt(), { stepSize: 2, gamma: 0.5 }), 4);
      [[0.1, 2], [0.1, 2], [0.05, 1], [0.05, 1], [0.025, 0.5]].forEach((want, t) => closeAll(got[t], want, 1e-15));
    });

    it('CosineWarmupLR: linear warm-up, half cosine to minLr, then flat', () => {
      const o = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
      const got = run(new optim.CosineWarmupLR(o, { warmupSteps: 2, totalSteps: 6, minLr: 0.1 }), 7).map((l) => l[0]);
      const cos = (f: number) => 0.1 + 0.9 * (1 + Math.cos(Math.PI * f)) / 2;
      closeAll(got, [0, 0.5, 1, cos(0.25), cos(0.5), cos(0.75), 0.1, 0.1], 1e-15);
      const o2 = new optim.SGD([zeros([1], { requiresGrad: true })], { lr: 1 });
      closeAll(run(new optim.CosineWarmupLR(o2, { totalSteps: 4, warmupSteps: 4, warmupStartFactor: 0.2 }), 2).map((l) => l[0]), [0.2, 0.4, 0.6], 1e-15);
      expect(() => new optim.CosineWarmupLR(o2, { totalSteps: 2, warmupSteps: 3 })).to.throw(ValueError);
    });
  });
});
