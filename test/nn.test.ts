import { expect } from 'chai';
import { gradcheck } from '../src/autograd/gradcheck.js';
import { setBackend } from '../src/backend/current.js';
import { ShapeError, ValueError } from '../src/errors.js';
import { nn } from '../src/index.js';
import { noGrad } from '../src/autograd/tape.js';
import { aglu } from '../src/ops/apa.js';
import { manualSeed } from '../src/random.js';
import { ones, randn, tensor, Tensor, zeros } from '../src/tensor.js';

const f64 = { dtype: 'float64' } as const;
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));
const closeAll = (a: number[], b: number[], tol: number): void => {
  expect(a.length).to.equal(b.length);
  a.forEach((v, i) => expect(v).to.be.closeTo(b[i], tol * (1 + Math.abs(b[i]))));
};
/**
 * Central differences of a scalar loss w.r.t. every element of every module parameter (perturbed in place with
 * assign_), compared with the gradients backward() leaves in the parameters.
 */
function checkParamGrads(m: nn.Module, lossOf: () => Tensor, eps = 1e-6, tol = 1e-6): void {
  m.zeroGrad();
  lossOf().backward();
  for (const [name, p] of m.namedParameters()) {
    const analytical = flat(p.grad!);
    const base = Float64Array.from(p.toTypedArray());
    const at = (i: number, d: number): number => {
      const v = Float64Array.from(base);
      v[i] += d;
      noGrad(() => p.assign_(tensor(v, { shape: p.shape, dtype: p.dtype })));
      return noGrad(() => lossOf().item());
    };
    base.forEach((_, i) => {
      const numerical = (at(i, eps) - at(i, -eps)) / (2 * eps);
      expect(analytical[i], `${name}[${i}]`).to.be.closeTo(numerical, tol * (1 + Math.abs(numerical)));
    });
    noGrad(() => p.assign_(tensor(base, { shape: p.shape, dtype: p.dtype })));
  }
}
const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
const variance = (v: number[]): number => {
  const m = mean(v);
  return v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length;
};

describe('nn', () => {
  before(() => setBackend('js'));
  beforeEach(() => manualSeed(1234));

  describe('Module', () => {
    it('names parameters with dotted paths like PyTorch (mlp with AGLU)', () => {
      const net = nn.mlp([2, 8, 8, 3], { activation: 'aglu' });
      expect(net.namedParameters().map(([n, p]) => `${n}:${p.shape.join('x')}`)).to.deep.equal([
        '0.weight:8x2', '0.bias:8', '1.lambda:1', '1.kappa:1', '2.weight:8x8', '2.bias:8', '3.lambda:1', '3.kappa:1', '4.weight:3x8', '4.bias:3',
      ]);
      expect(net.parameters()).to.have.length(10);
      expect(net.parameterCount()).to.equal(16 + 8 + 64 + 8 + 24 + 3 + 4);
      expect(net.parameters().every((p) => p.requiresGrad)).to.equal(true);
    });

    it('nests names through submodules and lists a shared parameter once', () => {
      const inner = new nn.Sequential(new nn.Linear(3, 4), new nn.ReLU());
      const outer = new nn.Sequential(inner, inner.at(0));
      expect(outer.namedParameters().map(([n]) => n)).to.deep.equal(['0.0.weight', '0.0.bias']);
      expect(outer.namedModules().map(([n]) => n)).to.deep.equal(['', '0', '0.0', '0.1', '1']);
    });

    it('rejects duplicate and dotted names', () => {
      class Bad extends nn.Module {
        constructor(name: string) {
          super();
          this.registerParameter('w', zeros([1]));
          this.registerParameter(name, zeros([1]));
        }
        forward(x: Tensor): Tensor {
          return x;
        }
      }
      expect(() => new Bad('w')).to.throw(ValueError, /already registered/);
      expect(() => new Bad('a.b')).to.throw(ValueError, /contain no '\.'/);
    });

    it('train() and eval() set the mode on every submodule', () => {
      const net = nn.mlp([2, 4, 2], { dropout: 0.5 });
      net.eval();
      expect(net.modules().every((m) => !m.training)).to.equal(true);
      net.train();
      expect(net.modules().every((m) => m.training)).to.equal(true);
    });

    it('zeroGrad drops every gradient', () => {
      const net = nn.mlp([3, 4, 2]);
      net.forward(randn([5, 3])).sum().backward();
      expect(net.parameters().every((p) => p.grad !== null)).to.equal(true);
      net.zeroGrad();
      expect(net.parameters().every((p) => p.grad === null)).to.equal(true);
    });

    it('stateDict is a snapshot; loadStateDict restores it exactly', () => {
      const net = nn.mlp([3, 5, 2], { activation: 'aglu', dtype: 'float64' });
      const snap = net.stateDict();
      const before = Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, flat(v)]));
      noGrad(() => net.parameters().forEach((p) => p.assign_(p.add(1))));
      expect(flat(net.parameters()[0])[0]).to.equal(before['0.weight'][0] + 1);
      expect(flat(snap['0.weight'])).to.deep.equal(before['0.weight']);
      net.loadStateDict(snap);
      for (const [name, p] of net.namedParameters()) expect(flat(p)).to.deep.equal(before[name]);
    });

    it('loadStateDict converts dtype and keeps parameter identity', () => {
      const a = nn.mlp([2, 3, 2], { dtype: 'float64' });
      const b = nn.mlp([2, 3, 2]);
      const w = b.parameters()[0];
      b.loadStateDict(a.stateDict());
      expect(b.parameters()[0]).to.equal(w);
      expect(w.dtype).to.equal('float32');
      closeAll(flat(w), flat(a.parameters()[0]), 1e-7);
    });

    it('loadStateDict is atomic: a wrong shape or missing key leaves the model untouched', () => {
      const net = nn.mlp([2, 3, 2]);
      const before = net.parameters().map(flat);
      const other = nn.mlp([2, 3, 2]).stateDict();
      other['2.weight'] = zeros([2, 4]);
      expect(() => net.loadStateDict(other)).to.throw(ShapeError, /'2\.weight' has shape \[2, 4\] in the state dict but \[2, 3\] in the model/);
      expect(net.parameters().map(flat)).to.deep.equal(before);
      const missing = nn.mlp([2, 3, 2]).stateDict();
      delete missing['2.bias'];
      missing['9.extra'] = zeros([1]);
      expect(() => net.loadStateDict(missing)).to.throw(ValueError, /missing keys: 2\.bias; unexpected keys: 9\.extra/);
      expect(net.parameters().map(flat)).to.deep.equal(before);
      net.loadStateDict(missing, { strict: false });
      expect(flat(net.parameters()[0])).to.deep.equal(flat(missing['0.weight']));
      expect(flat(net.parameters()[3])).to.deep.equal(before[3]);
    });
  });

  describe('init', () => {
    it('calculateGain follows torch.nn.init', () => {
      expect(nn.init.calculateGain('relu')).to.equal(Math.SQRT2);
      expect(nn.init.calculateGain('tanh')).to.equal(5 / 3);
      expect(nn.init.calculateGain('leaky_relu', Math.sqrt(5))).to.be.closeTo(Math.sqrt(1 / 3), 1e-15);
      expect(nn.init.calculateGain('linear')).to.equal(1);
    });

    it('fans: [out, in, k…]; fewer than 2 dims is an error', () => {
      expect(nn.init.fans([6, 4, 3, 3])).to.deep.equal({ fanIn: 36, fanOut: 54 });
      expect(() => nn.init.fans([5])).to.throw(ShapeError);
    });

    it('kaimingUniform and xavierUniform stay in their bounds with the uniform variance', () => {
      const w = nn.init.kaimingUniform(zeros([200, 300], f64), { nonlinearity: 'relu' });
      const b = Math.sqrt(6 / 300);
      const v = flat(w);
      expect(Math.max(...v.map(Math.abs))).to.be.at.most(b);
      expect(variance(v)).to.be.closeTo((b * b) / 3, 0.03 * ((b * b) / 3));
      const x = nn.init.xavierUniform(zeros([200, 300], f64), { gain: 2 });
      const a = 2 * Math.sqrt(6 / 500);
      expect(Math.max(...flat(x).map(Math.abs))).to.be.at.most(a);
      expect(variance(flat(x))).to.be.closeTo((a * a) / 3, 0.03 * ((a * a) / 3));
    });

    it('kaimingNormal and xavierNormal have the stated standard deviations', () => {
      const k = flat(nn.init.kaimingNormal(zeros([200, 300], f64), { mode: 'fan_out' }));
      expect(Math.sqrt(variance(k))).to.be.closeTo(Math.SQRT2 / Math.sqrt(200), 0.02 * (Math.SQRT2 / Math.sqrt(200)));
      expect(Math.abs(mean(k))).to.be.below(0.003);
      const x = flat(nn.init.xavierNormal(zeros([200, 300], f64)));
      expect(Math.sqrt(variance(x))).to.be.closeTo(Math.sqrt(2 / 500), 0.02 * Math.sqrt(2 / 500));
    });

    it('draws from the seeded generator', () => {
      manualSeed(7);
      const a = flat(nn.init.kaimingUniform(zeros([4, 4])));
      manualSeed(7);
      const b = flat(nn.init.kaimingUniform(zeros([4, 4])));
      const c = flat(nn.init.kaimingUniform(zeros([4, 4])));
      expect(a).to.deep.equal(b);
      expect(a).to.not.deep.equal(c);
    });
  });

  describe('Linear', () => {
    it("uses PyTorch's default init: weight and bias in ±1/√in, weight variance 1/(3·in)", () => {
      const fc = new nn.Linear(400, 300, f64);
      const bound = 1 / Math.sqrt(400);
      const w = flat(fc.weight), b = flat(fc.bias!);
      expect(Math.max(...w.map(Math.abs))).to.be.at.most(bound);
      expect(Math.max(...b.map(Math.abs))).to.be.at.most(bound);
      expect(variance(w)).to.be.closeTo(1 / 1200, 0.03 / 1200);
      expect(Math.max(...b.map(Math.abs))).to.be.above(0.8 * bound); // really spread over the interval
    });

    it('computes x·Wᵀ + b (plain-JS reference) for 2-D and 1-D inputs', () => {
      const fc = new nn.Linear(3, 2, f64);
      const x = randn([4, 3], f64);
      const W = flat(fc.weight), B = flat(fc.bias!), X = flat(x);
      const want: number[] = [];
      for (let i = 0; i < 4; i++) for (let o = 0; o < 2; o++) want.push(B[o] + [0, 1, 2].reduce((s, k) => s + X[i * 3 + k] * W[o * 3 + k], 0));
      closeAll(flat(fc.forward(x)), want, 1e-14);
      closeAll(flat(fc.forward(x.slice(0, 1, 2).squeeze(0))), want.slice(2, 4), 1e-14);
      expect(() => fc.forward(randn([4, 5], f64))).to.throw(ShapeError, /must end in 3 features/);
    });

    it('has correct gradients w.r.t. input (gradcheck), weight and bias (central differences)', () => {
      const fc = new nn.Linear(3, 4, f64);
      const x = randn([5, 3], { dtype: 'float64', requiresGrad: true });
      expect(gradcheck((xi) => fc.forward(xi).square(), [x]).ok).to.equal(true);
      checkParamGrads(fc, () => fc.forward(x.detach()).square().sum());
    });

    it('can go without bias', () => {
      const fc = new nn.Linear(3, 4, { bias: false });
      expect(fc.namedParameters().map(([n]) => n)).to.deep.equal(['weight']);
    });
  });

  describe('activation modules', () => {
    const zs = [-3, -1, -0.25, 0, 0.5, 2, 4];
    const z = () => tensor(zs, f64);
    const cases: [string, nn.Module, (v: number) => number][] = [
      ['ReLU', new nn.ReLU(), (v) => Math.max(0, v)],
      ['LeakyReLU(0.1)', new nn.LeakyReLU(0.1), (v) => (v > 0 ? v : 0.1 * v)],
      ['Sigmoid', new nn.Sigmoid(), sigmoid],
      ['Tanh', new nn.Tanh(), Math.tanh],
      ['SiLU', new nn.SiLU(), (v) => v * sigmoid(v)],
      ['Softplus(β=2)', new nn.Softplus({ beta: 2 }), (v) => Math.log1p(Math.exp(2 * v)) / 2],
      ['GELU(tanh)', new nn.GELU({ approximate: 'tanh' }), (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))],
      ['Identity', new nn.Identity(), (v) => v],
    ];
    for (const [name, m, f] of cases)
      it(`${name} matches its formula`, () => closeAll(flat(m.forward(z())), zs.map(f), 1e-12));

    it('GELU (exact) matches x·Φ(x) at known points', () => {
      // Φ(1) = 0.8413447460685429, Φ(−1) = 1 − Φ(1), Φ(2) = 0.9772498680518208
      closeAll(flat(new nn.GELU().forward(tensor([1, -1, 2], f64))), [0.8413447460685429, -(1 - 0.8413447460685429), 2 * 0.9772498680518208], 1e-12);
    });
  });

  describe('APA and AGLU modules', () => {
    it('have parameters lambda and kappa of shape [numParameters]', () => {
      expect(new nn.AGLU().namedParameters().map(([n, p]) => `${n}:${p.shape}`)).to.deep.equal(['lambda:1', 'kappa:1']);
      expect(new nn.APA({ numParameters: 6 }).namedParameters().map(([n, p]) => `${n}:${p.shape}`)).to.deep.equal(['lambda:6', 'kappa:6']);
      expect(() => new nn.AGLU({ numParameters: 0 })).to.throw(ValueError);
    });

    it("init 'aglu': λ ~ U(0, 1), κ ~ U(0.8, 1.2); 'unified': both ~ U(0, 1)", () => {
      const a = new nn.AGLU({ numParameters: 4000, dtype: 'float64' });
      const l = flat(a.lambda), k = flat(a.kappa);
      expect(Math.min(...l)).to.be.at.least(0);
      expect(Math.max(...l)).to.be.below(1);
      expect(mean(l)).to.be.closeTo(0.5, 0.02);
      expect(Math.min(...k)).to.be.at.least(0.8);
      expect(Math.max(...k)).to.be.below(1.2);
      expect(mean(k)).to.be.closeTo(1, 0.01);
      const u = new nn.APA({ numParameters: 4000, init: 'unified', dtype: 'float64' });
      expect(Math.min(...flat(u.kappa))).to.be.at.least(0);
      expect(Math.max(...flat(u.kappa))).to.be.below(1);
      expect(mean(flat(u.kappa))).to.be.closeTo(0.5, 0.02);
      expect(new nn.APA().init).to.equal('unified');
      expect(new nn.AGLU().init).to.equal('aglu');
    });

    it('fixed init { lambda: 1, kappa: 1 }: AGLU is SiLU and APA is the sigmoid', () => {
      const zs = [-4, -1, 0, 0.3, 2.5];
      const fixed = { init: { lambda: 1, kappa: 1 }, dtype: 'float64' } as const;
      closeAll(flat(new nn.AGLU(fixed).forward(tensor(zs, f64))), zs.map((v) => v * sigmoid(v)), 1e-14);
      closeAll(flat(new nn.APA(fixed).forward(tensor(zs, f64))), zs.map(sigmoid), 1e-14);
      expect(() => new nn.AGLU({ init: { lambda: -1, kappa: 1 } })).to.throw(ValueError);
    });

    it('per-channel parameters run along channelAxis (default 1)', () => {
      const m = new nn.AGLU({ numParameters: 3, dtype: 'float64' });
      const x = randn([2, 3], f64);
      const l = flat(m.lambda), k = flat(m.kappa), X = flat(x);
      const want = X.map((v, i) => v * (l[i % 3] * Math.exp(-k[i % 3] * v) + 1) ** (-1 / l[i % 3]));
      closeAll(flat(m.forward(x)), want, 1e-12);
      const m0 = new nn.APA({ numParameters: 2, channelAxis: 0, init: { lambda: 0.5, kappa: 2 }, dtype: 'float64' });
      const y = tensor([[0.1, -0.2, 0.3], [1, 2, 3]], f64);
      closeAll(flat(m0.forward(y)), flat(y).map((v) => (0.5 * Math.exp(-2 * v) + 1) ** -2), 1e-12);
    });

    it("lambdaParam 'softplus' stores ρ with softplus(ρ) + 1e-4 = λ and computes the same activation", () => {
      const sp = new nn.AGLU({ lambdaParam: 'softplus', init: { lambda: 0.7, kappa: 1.3 }, dtype: 'float64' });
      const rho = flat(sp.lambda)[0];
      expect(Math.log1p(Math.exp(rho)) + 1e-4).to.be.closeTo(0.7, 1e-12);
      expect(sp.lambdaValue()[0]).to.be.closeTo(0.7, 1e-12);
      const zs = [-2, -0.5, 0, 1, 3];
      closeAll(flat(sp.forward(tensor(zs, f64))), zs.map((v) => v * (0.7 * Math.exp(-1.3 * v) + 1) ** (-1 / 0.7)), 1e-12);
    });

    it('back-propagates into λ and κ exactly as the functional aglu', () => {
      const m = new nn.AGLU({ numParameters: 3, dtype: 'float64' });
      const x = randn([4, 3], f64);
      m.forward(x).square().sum().backward();
      const l = m.lambda.detach().requiresGrad_(), k = m.kappa.detach().requiresGrad_();
      aglu(x, l, k).square().sum().backward();
      expect(flat(m.lambda.grad!)).to.deep.equal(flat(l.grad!));
      expect(flat(m.kappa.grad!)).to.deep.equal(flat(k.grad!));
      checkParamGrads(m, () => m.forward(x).square().sum());
    });

    it('isApaModule recognises both', () => {
      expect(nn.isApaModule(new nn.APA())).to.equal(true);
      expect(nn.isApaModule(new nn.AGLU())).to.equal(true);
      expect(nn.isApaModule(new nn.SiLU())).to.equal(false);
    });
  });

  describe('Dropout', () => {
    it('is the identity in eval mode and with p = 0', () => {
      const x = randn([3, 4]);
      const d = new nn.Dropout(0.3);
      d.eval();
      expect(d.forward(x)).to.equal(x);
      expect(new nn.Dropout(0).forward(x)).to.equal(x);
      expect(flat(new nn.Dropout(1).forward(x)).every((v) => v === 0)).to.equal(true);
      expect(() => new nn.Dropout(1.5)).to.throw(ValueError);
    });

    it('zeroes about p of the elements and scales the rest by 1/(1 − p), reproducibly', () => {
      const x = ones([100, 100], f64);
      manualSeed(3);
      const y = flat(new nn.Dropout(0.25).forward(x));
      const zeros_ = y.filter((v) => v === 0).length;
      expect(y.every((v) => v === 0 || Math.abs(v - 4 / 3) < 1e-15)).to.equal(true);
      // 10,000 Bernoulli(0.25): σ ≈ 43, so ±200 is beyond 4σ
      expect(zeros_).to.be.within(2300, 2700);
      manualSeed(3);
      expect(flat(new nn.Dropout(0.25).forward(x))).to.deep.equal(y);
    });

    it('passes the gradient through the same mask', () => {
      const x = ones([50], { dtype: 'float64', requiresGrad: true });
      const y = new nn.Dropout(0.5).forward(x);
      y.sum().backward();
      expect(flat(x.grad!)).to.deep.equal(flat(y));
    });
  });

  describe('LayerNorm', () => {
    it('normalises the last axis (biased variance, eps) then scales and shifts', () => {
      const ln = new nn.LayerNorm(4, f64);
      const x = tensor([[1, 2, 3, 4], [-1, 0, 0, 5]], f64);
      const X = flat(x);
      const want: number[] = [];
      for (let r = 0; r < 2; r++) {
        const row = X.slice(r * 4, r * 4 + 4);
        const m = mean(row), v = variance(row);
        want.push(...row.map((u) => (u - m) / Math.sqrt(v + 1e-5)));
      }
      closeAll(flat(ln.forward(x)), want, 1e-12);
      expect(ln.namedParameters().map(([n]) => n)).to.deep.equal(['weight', 'bias']);
      expect(() => ln.forward(randn([2, 3], f64))).to.throw(ShapeError);
    });

    it('has correct gradients w.r.t. input (gradcheck), weight and bias (central differences)', () => {
      const ln = new nn.LayerNorm([2, 3], f64);
      noGrad(() => {
        ln.weight!.assign_(randn([2, 3], f64));
        ln.bias!.assign_(randn([2, 3], f64));
      });
      const x = randn([4, 2, 3], { dtype: 'float64', requiresGrad: true });
      const up = randn([4, 2, 3], f64);
      expect(gradcheck((xi) => ln.forward(xi).mul(up), [x]).ok).to.equal(true);
      checkParamGrads(ln, () => ln.forward(x.detach()).mul(up).sum());
    });
  });

  describe('Sequential and mlp', () => {
    it('Sequential runs its modules in order', () => {
      const net = new nn.Sequential(new nn.Linear(2, 3, f64), new nn.ReLU(), new nn.Linear(3, 1, f64));
      const x = randn([5, 2], f64);
      const l0 = net.at(0) as nn.Linear, l2 = net.at(2) as nn.Linear;
      expect(flat(net.forward(x))).to.deep.equal(flat(l2.forward(l0.forward(x).relu())));
      expect(net.length).to.equal(3);
      expect(() => net.at(3)).to.throw(ValueError);
    });

    it('mlp builds Linear / activation stacks with any activation, per-channel APA and dropout', () => {
      const names = (m: nn.Module) => m.children().map((c) => c.constructor.name);
      expect(names(nn.mlp([4, 8, 8, 2], { activation: 'gelu' }))).to.deep.equal(['Linear', 'GELU', 'Linear', 'GELU', 'Linear']);
      expect(names(nn.mlp([4, 8, 2], { activation: 'aglu', dropout: 0.1 }))).to.deep.equal(['Linear', 'AGLU', 'Dropout', 'Linear']);
      const pc = nn.mlp([4, 8, 2], { activation: 'apa', apa: { perChannel: true, init: 'aglu' } });
      expect((pc.at(1) as nn.APA).lambda.shape).to.deep.equal([8]);
      const custom = nn.mlp([4, 6, 2], { activation: (w) => new nn.AGLU({ numParameters: w }) });
      expect((custom.at(1) as nn.AGLU).kappa.shape).to.deep.equal([6]);
      expect(() => nn.mlp([4])).to.throw(ValueError);
      expect(() => nn.mlp([4, 2, 2], { activation: 'nope' as 'relu' })).to.throw(ValueError, /unknown activation/);
      expect(nn.mlp([3, 5, 2]).forward(randn([7, 3])).shape).to.deep.equal([7, 2]);
    });

    it('toString shows the tree', () => {
      expect(nn.mlp([2, 3, 1], { activation: 'aglu' }).toString()).to.equal(
        "Sequential(\n  (0): Linear(inFeatures=2, outFeatures=3, bias=true)\n  (1): AGLU(numParameters=1, init='aglu', lambdaParam='clamp')\n  (2): Linear(inFeatures=3, outFeatures=1, bias=true)\n)",
      );
    });
  });

  describe('Tensor.assign_', () => {
    it('replaces values in place, keeps identity, and guards the tape', () => {
      const w = tensor([1, 2], { requiresGrad: true });
      expect(() => w.assign_(tensor([3, 4]))).to.throw(/noGrad/);
      noGrad(() => w.assign_(tensor([3, 4])));
      expect(flat(w)).to.deep.equal([3, 4]);
      expect(() => noGrad(() => w.assign_(tensor([1, 2, 3])))).to.throw(ShapeError);
      expect(() => noGrad(() => w.assign_(tensor([1, 2], f64)))).to.throw(/dtype/);
      const y = w.mul(2);
      expect(() => noGrad(() => y.assign_(tensor([0, 0])))).to.throw(/computed by an op/);
    });
  });
});
