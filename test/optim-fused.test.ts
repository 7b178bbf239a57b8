/**
 * The fused optimizer updates (Backend.sgdUpdate / adamUpdate, kernels/optim.ts). On js float64 they must equal
 * the op chains they replaced — kept here as reference optimizers that override `update` with the old code — to
 * 1e-15 relative over several steps, parameters and state alike. On gpujs (cpu, webasm, and headlessgl where it
 * runs) they must match js float32 to ~1e-6, with every optimizer kernel running on the mode asked for.
 */
import { expect } from 'chai';
import { backend, setBackend } from '../src/backend/current.js';
import { gpujsKernelReports, headlessglUnavailableReason } from '../src/backend/gpujs.js';
import { Adam, AdamW, SGD, type AdamOptions, type SgdOptions } from '../src/optim/index.js';
import type { ParamGroup } from '../src/optim/optimizer.js';
import { noGrad } from '../src/autograd/tape.js';
import { tidy } from '../src/autograd/tidy.js';
import { tensor, type DType, type Tensor } from '../src/tensor.js';

// ---- the op-composed updates as they were before fusion (reference) ----

class RefSGD extends SGD {
  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<SgdOptions>, wd: number, state: Record<string, Tensor | number>): Tensor {
    let g = wd !== 0 ? grad.add(p.mul(wd)) : grad;
    const mu = group.momentum ?? 0;
    if (mu !== 0) {
      const prev = state.momentumBuffer as Tensor | undefined;
      const buf = prev === undefined ? g.clone() : prev.mul(mu).add(g.mul(1 - (group.dampening ?? 0)));
      state.momentumBuffer = buf;
      g = group.nesterov === true ? g.add(buf.mul(mu)) : buf;
    }
    return group.maximize === true ? p.add(g.mul(group.lr)) : p.sub(g.mul(group.lr));
  }
}

function refAdamUpdate(decoupled: boolean, p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, wd: number, state: Record<string, Tensor | number>): Tensor {
  const [b1, b2] = group.betas ?? [0.9, 0.999];
  const eps = group.eps ?? 1e-8;
  const lr = group.lr;
  let g = group.maximize === true ? grad.neg() : grad;
  let param = p;
  if (wd !== 0) {
    if (decoupled) param = p.mul(1 - lr * wd);
    else g = g.add(p.mul(wd));
  }
  const step = ((state.step as number | undefined) ?? 0) + 1;
  state.step = step;
  const m0 = state.expAvg as Tensor | undefined;
  const v0 = state.expAvgSq as Tensor | undefined;
  const m = m0 === undefined ? g.mul(1 - b1) : m0.add(g.sub(m0).mul(1 - b1));
  const v = v0 === undefined ? g.square().mul(1 - b2) : v0.mul(b2).add(g.square().mul(1 - b2));
  state.expAvg = m;
  state.expAvgSq = v;
  let second = v;
  if (group.amsgrad === true) {
    const prevMax = state.maxExpAvgSq as Tensor | undefined;
    second = prevMax === undefined ? v : prevMax.maximum(v);
    state.maxExpAvgSq = second;
  }
  const bc1 = 1 - b1 ** step;
  const bc2Sqrt = Math.sqrt(1 - b2 ** step);
  const denom = second.sqrt().div(bc2Sqrt).add(eps);
  return param.sub(m.div(denom).mul(lr / bc1));
}

class RefAdam extends Adam {
  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, wd: number, state: Record<string, Tensor | number>): Tensor {
    return refAdamUpdate(false, p, grad, group, wd, state);
  }
}

class RefAdamW extends AdamW {
  protected override update(p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, wd: number, state: Record<string, Tensor | number>): Tensor {
    return refAdamUpdate(true, p, grad, group, wd, state);
  }
}

// ---- a fixed problem: three parameters (one an APA λ by name), deterministic gradients per step ----

const SHAPES = [[5, 7], [7], [3]];
const NAMES = ['fc.weight', 'fc.bias', 'act.lambda'];
const wave = (n: number, a: number, b: number): number[] => Array.from({ length: n }, (_, i) => Math.sin(a * i + b) * (1 + 0.5 * Math.cos(0.7 * i)));

interface Run {
  params: Float64Array[];
  state: Record<string, Float64Array | number>[];
}

/** Runs `steps` updates of fresh parameters with gradients that change every step (some steps inside tidy). */
function run(makeOpt: (params: [string, Tensor][]) => SGD | Adam | AdamW, dtype: DType, steps = 5): Run {
  const params = SHAPES.map((s, k) => tensor(wave(s.reduce((a, b) => a * b, 1), 0.9 + k, k), { shape: s, dtype, requiresGrad: true }));
  const opt = makeOpt(params.map((p, k) => [NAMES[k], p]));
  for (let t = 0; t < steps; t++) {
    const body = (): void => {
      params.forEach((p, k) => {
        // every other step one parameter gets no gradient: it must be skipped
        if (t % 2 === 1 && k === 1) p.grad = null;
        else noGrad(() => (p.grad = tensor(wave(p.size, 1.7 + 0.3 * t, k - t), { shape: p.shape, dtype })));
      });
      opt.step();
    };
    if (t % 2 === 0) tidy(body);
    else body();
  }
  const state = params.map((p) => {
    const st = (opt as unknown as { state: Map<Tensor, Record<string, Tensor | number>> }).state.get(p) ?? {};
    return Object.fromEntries(Object.entries(st).map(([k, v]) => [k, typeof v === 'number' ? v : Float64Array.from(v.toTypedArray())]));
  });
  return { params: params.map((p) => Float64Array.from(p.toTypedArray())), state };
}

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol: number, atol: number, what: string): void {
  expect(actual.length, what).to.equal(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) expect.fail(`${what}[${i}]: ${a} vs ${e} (rtol ${rtol}, atol ${atol})`);
  }
}

function expectRunsClose(actual: Run, expected: Run, rtol: number, atol: number): void {
  actual.params.forEach((p, k) => expectClose(p, expected.params[k], rtol, atol, `param ${NAMES[k]}`));
  actual.state.forEach((st, k) => {
    expect(Object.keys(st).sort(), `state keys of ${NAMES[k]}`).to.deep.equal(Object.keys(expected.state[k]).sort());
    for (const [key, v] of Object.entries(st)) {
      const e = expected.state[k][key];
      if (typeof v === 'number') expect(v).to.equal(e);
      else expectClose(v, e as Float64Array, rtol, atol, `${key} of ${NAMES[k]}`);
    }
  });
}

const SGD_CASES: [string, SgdOptions][] = [
  ['plain', { lr: 0.1 }],
  ['momentum', { lr: 0.05, momentum: 0.9 }],
  ['momentum + dampening + weight decay', { lr: 0.05, momentum: 0.8, dampening: 0.3, weightDecay: 0.01, apaWeightDecay: 0.002 }],
  ['Nesterov + weight decay', { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-3 }],
  ['maximize + momentum', { lr: 0.02, momentum: 0.5, maximize: true, weightDecay: 0.1 }],
];
const ADAM_CASES: [string, 'Adam' | 'AdamW', AdamOptions][] = [
  ['Adam', 'Adam', { lr: 0.01 }],
  ['Adam + L2 weight decay', 'Adam', { lr: 0.01, weightDecay: 0.05, betas: [0.8, 0.99], eps: 1e-6 }],
  ['Adam + AMSGrad + maximize', 'Adam', { lr: 0.01, amsgrad: true, maximize: true, weightDecay: 0.01 }],
  ['AdamW', 'AdamW', { lr: 0.01, weightDecay: 0.1 }],
  ['AdamW + AMSGrad', 'AdamW', { lr: 0.02, weightDecay: 0.1, amsgrad: true, apaWeightDecay: 0.01 }],
];

function fusedOpt(kind: 'SGD' | 'Adam' | 'AdamW', o: SgdOptions | AdamOptions) {
  return (ps: [string, Tensor][]) => (kind === 'SGD' ? new SGD(ps, o) : kind === 'Adam' ? new Adam(ps, o as AdamOptions) : new AdamW(ps, o as AdamOptions));
}
function refOpt(kind: 'SGD' | 'Adam' | 'AdamW', o: SgdOptions | AdamOptions) {
  return (ps: [string, Tensor][]) => (kind === 'SGD' ? new RefSGD(ps, o) : kind === 'Adam' ? new RefAdam(ps, o as AdamOptions) : new RefAdamW(ps, o as AdamOptions));
}
const ALL_CASES: [string, 'SGD' | 'Adam' | 'AdamW', SgdOptions | AdamOptions][] = [
  ...SGD_CASES.map(([n, o]): [string, 'SGD', SgdOptions] => [`SGD ${n}`, 'SGD', o]),
  ...ADAM_CASES,
];

describe('fused optimizer updates (js float64): equal to the op-composed updates', () => {
  before(() => setBackend('js'));

  for (const [name, kind, o] of ALL_CASES)
    it(`${name}: parameters and state after 5 steps agree to 1e-15 relative`, () => {
      const fused = run(fusedOpt(kind, o), 'float64');
      const ref = run(refOpt(kind, o), 'float64');
      expectRunsClose(fused, ref, 1e-15, 1e-300);
      // and the parameters did move
      expect(fused.params[0][0]).to.not.equal(Math.sin(0) * 1.5);
    });

  it('a gradient of another shape or dtype is refused with a typed error', () => {
    const p = tensor([1, 2, 3], { requiresGrad: true, dtype: 'float64' });
    const opt = new SGD([p], { lr: 0.1, momentum: 0.9 });
    p.grad = tensor([1, 2], { dtype: 'float64' });
    expect(() => opt.step()).to.throw(/shape \[2\].*\[3\]/);
    p.grad = tensor([1, 2, 3], { dtype: 'float32' });
    expect(() => opt.step()).to.throw(/float32.*float64/);
  });
});

const glMissing = headlessglUnavailableReason();
const MODES = ['cpu', 'webasm', ...(glMissing === null ? ['headlessgl'] : [])] as const;
if (glMissing !== null) console.log(`optim-fused tests: headlessgl cases skipped — ${glMissing}`);

describe('fused optimizer updates (gpujs): match js float32', () => {
  after(() => setBackend('js'));

  for (const mode of MODES)
    describe(`mode ${mode}`, () => {
      for (const [name, kind, o] of ALL_CASES)
        it(`${name}: 5 steps match js float32 to ~1e-6`, () => {
          setBackend('js');
          const expected = run(fusedOpt(kind, o), 'float32');
          setBackend('gpujs', { mode });
          const actual = run(fusedOpt(kind, o), 'float32');
          expectRunsClose(actual, expected, 2e-6, 1e-6);
        });

      it('every optimizer kernel ran on the mode asked for', () => {
        setBackend('gpujs', { mode });
        const reports = gpujsKernelReports(backend()).filter((r) => r.key.startsWith('optim:'));
        expect(reports.map((r) => r.key).sort()).to.deep.equal(['optim:adam:max', 'optim:adam:moment', 'optim:adam:param', 'optim:sgd:momentum', 'optim:sgd:param']);
        for (const r of reports) expect(r, r.key).to.include({ mode, fallbackReason: null });
      });
    });
});
