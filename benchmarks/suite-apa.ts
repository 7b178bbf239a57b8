/**
 * Benchmark 1: AGLU forward + backward (gradients for z, λ and κ) on n float32 elements, λ and κ of shape [1].
 * Every implementation computes y = AGLU(z, λ, κ) and, for an upstream gradient dy, dz, dλ = Σ dy·∂y/∂λ and dκ;
 * each timed call ends by reading dλ and dκ back as numbers (which forces lazy backends to finish), and leaves dz
 * where the library keeps it. Inputs are identical everywhere: z ~ U(−4, 4), dy ~ U(−1, 1), λ = 0.7, κ = 1.3.
 * Values are checked once per case against a float64 plain-JS reference (errors land in `extra`).
 */
import { aglu, setBackend, tensor, tidy, type Tensor } from '../src/index.js';
import { apaComposite } from '../src/ops/apa.js';
import { CONFIG, type CaseResult, type Stat, errorMessage, measure, samplingFor, sizeLabel, timeOnceAndTick, uniformArray } from './common.js';
import { loadTf, type Tf, type TfBackend } from './tfjs.js';
import { kernelFallbacks, selectAglu, transfersOf } from './targets.js';

export const TITLE = 'AGLU forward + backward (dz, dλ, dκ), float32, λ, κ of shape [1]';
const LAMBDA = 0.7, KAPPA = 1.3, FLOOR = 1e-4;

let sink = 0;

interface Inputs {
  n: number;
  z: Float32Array;
  dy: Float32Array;
  ref: { y: Float64Array; dz: Float64Array; dlambda: number; dkappa: number };
}

const inputsCache = new Map<number, Inputs>();
function inputs(n: number): Inputs {
  let v = inputsCache.get(n);
  if (v === undefined) {
    const z = uniformArray(n, -4, 4, 1), dy = uniformArray(n, -1, 1, 2);
    const y = new Float64Array(n), dz = new Float64Array(n);
    const [dlambda, dkappa] = agluLoop(z, LAMBDA, KAPPA, dy, y, dz);
    v = { n, z, dy, ref: { y, dz, dlambda, dkappa } };
    inputsCache.set(n, v);
  }
  return v;
}

/**
 * The hand-fused single-thread reference: one pass computes y and dz and accumulates dλ, dκ (docs/apa.md):
 * u = log λ − κz, s = softplus(u), σ = sigmoid(u), p = e^{−s/λ}, y = z·p,
 * ∂y/∂z = p + z·p·κσ/λ, ∂y/∂κ = z·p·zσ/λ, ∂y/∂λ = z·p·(s − σ)/λ².
 */
export function agluLoop(
  z: ArrayLike<number>, lambda: number, kappa: number, dy: ArrayLike<number>,
  y: Float32Array | Float64Array, dz: Float32Array | Float64Array,
): [number, number] {
  const l = Math.max(lambda, FLOOR), logl = Math.log(l), invl = 1 / l;
  let dl = 0, dk = 0;
  for (let i = 0; i < z.length; i++) {
    const zi = z[i], u = logl - kappa * zi;
    const e = Math.exp(-Math.abs(u));
    const s = (u > 0 ? u : 0) + Math.log1p(e);
    const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
    const p = Math.exp(-s * invl);
    y[i] = zi * p;
    const g = dy[i] * zi * p;
    dz[i] = dy[i] * p + g * kappa * sig * invl;
    dk += g * zi * sig * invl;
    dl += g * (s - sig) * invl * invl;
  }
  return [dl, dk];
}

/** Relative errors of one implementation's results against the float64 reference. */
function check(inp: Inputs, dz: ArrayLike<number>, dl: number, dk: number, y?: ArrayLike<number>): Record<string, number> {
  let maxRef = 0, maxErr = 0, maxRefY = 0, maxErrY = 0;
  for (let i = 0; i < inp.n; i++) {
    maxRef = Math.max(maxRef, Math.abs(inp.ref.dz[i]));
    maxErr = Math.max(maxErr, Math.abs(dz[i] - inp.ref.dz[i]));
    if (y !== undefined) {
      maxRefY = Math.max(maxRefY, Math.abs(inp.ref.y[i]));
      maxErrY = Math.max(maxErrY, Math.abs(y[i] - inp.ref.y[i]));
    }
  }
  const out: Record<string, number> = {
    errDz: maxErr / maxRef,
    errDlambda: Math.abs(dl - inp.ref.dlambda) / Math.abs(inp.ref.dlambda),
    errDkappa: Math.abs(dk - inp.ref.dkappa) / Math.abs(inp.ref.dkappa),
  };
  if (y !== undefined) out.errY = maxErrY / maxRefY;
  return out;
}

/** Warm-up (its time is reported as firstCallMs), then benchmark.js sampling. */
async function timeCase(name: string, fn: () => void): Promise<{ stat: Stat; firstCallMs: number }> {
  const firstCallMs = await timeOnceAndTick(fn);
  return { stat: await measure(name, fn, samplingFor(firstCallMs)), firstCallMs };
}

/**
 * Independent checks of the reference loop itself (smallest size, float64): its dλ and dκ against central finite
 * differences of Σ dy·y, and its dz, dλ, dκ against aglu's fused op on the js backend in float64.
 */
function referenceChecks(inp: Inputs): Record<string, number> {
  const n = inp.n, y = new Float64Array(n), dz = new Float64Array(n);
  const loss = (l: number, k: number): number => {
    agluLoop(inp.z, l, k, inp.dy, y, dz);
    let s = 0;
    for (let i = 0; i < n; i++) s += inp.dy[i] * y[i];
    return s;
  };
  const h = 1e-6;
  const fdL = (loss(LAMBDA + h, KAPPA) - loss(LAMBDA - h, KAPPA)) / (2 * h);
  const fdK = (loss(LAMBDA, KAPPA + h) - loss(LAMBDA, KAPPA - h)) / (2 * h);
  setBackend('js');
  const z = tensor(inp.z, { dtype: 'float64', requiresGrad: true });
  const l = tensor([LAMBDA], { dtype: 'float64', requiresGrad: true }), k = tensor([KAPPA], { dtype: 'float64', requiresGrad: true });
  aglu(z, l, k).backward(tensor(inp.dy, { dtype: 'float64' }));
  const adz = z.grad!.toTypedArray();
  let maxErr = 0, maxRef = 0;
  for (let i = 0; i < n; i++) {
    maxErr = Math.max(maxErr, Math.abs(adz[i] - inp.ref.dz[i]));
    maxRef = Math.max(maxRef, Math.abs(inp.ref.dz[i]));
  }
  return {
    finiteDiffErrDlambda: Math.abs(fdL - inp.ref.dlambda) / Math.abs(inp.ref.dlambda),
    finiteDiffErrDkappa: Math.abs(fdK - inp.ref.dkappa) / Math.abs(inp.ref.dkappa),
    vsAgluFloat64ErrDz: maxErr / maxRef,
    vsAgluFloat64ErrDlambda: Math.abs(l.grad!.item() - inp.ref.dlambda) / Math.abs(inp.ref.dlambda),
    vsAgluFloat64ErrDkappa: Math.abs(k.grad!.item() - inp.ref.dkappa) / Math.abs(inp.ref.dkappa),
  };
}

async function runPlain(): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const n of CONFIG.apaSizes) {
    const inp = inputs(n);
    const y = new Float32Array(n), dz = new Float32Array(n);
    let dl = 0, dk = 0;
    const { stat, firstCallMs } = await timeCase(`plain ${n}`, () => {
      [dl, dk] = agluLoop(inp.z, LAMBDA, KAPPA, inp.dy, y, dz);
      sink += dl + dk;
    });
    let refChecks: Record<string, number | string> = {};
    if (n === CONFIG.apaSizes[0]) {
      try {
        refChecks = referenceChecks(inp);
      } catch (e) {
        refChecks = { referenceCheckError: errorMessage(e) };
      }
    }
    out.push({ suite: 'apa', impl: 'plain JS fused loop', mode: 'js (1 thread)', key: sizeLabel(n), stat, extra: { firstCallMs, ...check(inp, dz, dl, dk, y), ...refChecks } });
  }
  return out;
}

async function runAglu(target: string): Promise<CaseResult[]> {
  let mode: string;
  try {
    mode = selectAglu(target);
  } catch (e) {
    const why = errorMessage(e);
    return CONFIG.apaSizes.flatMap((n) => ['aglu fused', 'aglu unfused'].map((impl) => ({ suite: 'apa', impl, mode: target.replace(/^aglu:/, '').replace(':', ' '), key: sizeLabel(n), skipped: why })));
  }
  const out: CaseResult[] = [];
  for (const n of CONFIG.apaSizes) {
    const inp = inputs(n);
    const z = tensor(inp.z, { requiresGrad: true }), dy = tensor(inp.dy);
    const lam = tensor([LAMBDA], { requiresGrad: true }), kap = tensor([KAPPA], { requiresGrad: true });
    for (const fused of [true, false]) {
      const impl = fused ? 'aglu fused' : 'aglu unfused';
      const clear = (): void => {
        for (const t of [z, lam, kap]) {
          t.grad?.dispose();
          t.grad = null;
        }
      };
      const forward = (): Tensor => (fused ? aglu(z, lam, kap) : apaComposite(z, lam, kap, { gated: true }));
      // The timed call, in aglu's tidy scope (as tf.tidy for tfjs): y and every intermediate are released at its end;
      // the gradients in .grad survive it and are disposed by clear().
      const timed = (): number =>
        tidy(() => {
          forward().backward(dy);
          return lam.grad!.item() + kap.grad!.item();
        });
      try {
        // The check runs on its own call, outside the timing.
        const y = forward();
        y.backward(dy);
        const errs = check(inp, z.grad!.toTypedArray(), lam.grad!.item(), kap.grad!.item(), y.toTypedArray());
        y.dispose();
        clear();
        const copies = transfersOf(() => {
          sink += timed();
          clear();
        });
        const { stat, firstCallMs } = await timeCase(`${impl} ${mode} ${n}`, () => {
          sink += timed();
          clear();
        });
        out.push({ suite: 'apa', impl, mode, key: sizeLabel(n), stat, extra: { firstCallMs, ...errs, ...copies, ...kernelFallbacks() } });
      } catch (e) {
        out.push({ suite: 'apa', impl, mode, key: sizeLabel(n), skipped: errorMessage(e) });
      }
    }
    for (const t of [z, dy, lam, kap]) t.dispose();
  }
  return out;
}

/** The same stable formula as aglu's composite, in tfjs ops: p = exp(−softplus(log λ − κz)/λ), λ clamped at 1e-4. */
function tfAglu(tf: Tf) {
  return (z: ReturnType<Tf['tensor']>, lam: ReturnType<Tf['tensor']>, kap: ReturnType<Tf['tensor']>) => {
    const l = tf.maximum(lam, FLOOR);
    const u = tf.sub(tf.log(l), tf.mul(kap, z));
    return tf.mul(z, tf.exp(tf.neg(tf.div(tf.softplus(u), l))));
  };
}

async function runTfjs(backend: TfBackend): Promise<CaseResult[]> {
  const mode = `tfjs ${backend}`;
  const { tf, info } = await loadTf(backend);
  const f = tfAglu(tf);
  const grads = tf.grads((z, l, k) => f(z, l, k));
  const out: CaseResult[] = [];
  for (const n of CONFIG.apaSizes) {
    const inp = inputs(n);
    const z = tf.tensor1d(inp.z), dy = tf.tensor1d(inp.dy), lam = tf.tensor1d([LAMBDA]), kap = tf.tensor1d([KAPPA]);
    const [cdz, cdl, cdk] = grads([z, lam, kap], dy);
    const cy = f(z, lam, kap);
    const errs = check(inp, cdz.dataSync(), cdl.dataSync()[0], cdk.dataSync()[0], cy.dataSync());
    tf.dispose([cdz, cdl, cdk, cy]);
    const { stat, firstCallMs } = await timeCase(`${mode} ${n}`, () => {
      tf.tidy(() => {
        const [, dl, dk] = grads([z, lam, kap], dy);
        sink += dl.dataSync()[0] + dk.dataSync()[0];
      });
    });
    out.push({ suite: 'apa', impl: 'tfjs composite', mode, key: sizeLabel(n), stat, extra: { firstCallMs, ...errs, ...info } });
    tf.dispose([z, dy, lam, kap]);
  }
  return out;
}

async function runJsPytorch(): Promise<CaseResult[]> {
  const { torch } = await import('js-pytorch');
  const out: CaseResult[] = [];
  for (const n of CONFIG.apaSizes) {
    const mode = 'js-pytorch cpu';
    if (n > CONFIG.jsPytorchMaxApaSize) {
      out.push({ suite: 'apa', impl: 'js-pytorch composite', mode, key: sizeLabel(n), skipped: `not run: one call takes ~30 s per million elements here (nested JS arrays); measured up to ${sizeLabel(CONFIG.jsPytorchMaxApaSize)}` });
      continue;
    }
    const inp = inputs(n);
    // js-pytorch broadcasts a [1] parameter only against a trailing axis of size 1, so z is [n, 1].
    const z = torch.tensor(Array.from(inp.z, (v) => [v]), true);
    const dy = torch.tensor(Array.from(inp.dy, (v) => [v]));
    const lam = torch.tensor([LAMBDA], true), kap = torch.tensor([KAPPA], true);
    // js-pytorch has no softplus/abs/maximum: the direct formula y = z·exp(−log(1 + λe^{−κz})/λ).
    const step = () => {
      const y = z.mul(lam.mul(kap.mul(z).neg().exp()).add(1).log().div(lam).neg().exp());
      y.backward(dy);
      return y;
    };
    const grad = (t: typeof z): number[] => (t._grad._data as number[] | number[][]).flat();
    const y0 = step();
    const errs = check(inp, grad(z), grad(lam)[0], grad(kap)[0], (y0._data as number[][]).flat());
    y0.zero_grad_graph();
    const { stat, firstCallMs } = await timeCase(`js-pytorch ${n}`, () => {
      const y = step();
      sink += grad(lam)[0] + grad(kap)[0];
      y.zero_grad_graph();
    });
    out.push({ suite: 'apa', impl: 'js-pytorch composite', mode, key: sizeLabel(n), stat, extra: { firstCallMs, ...errs } });
  }
  return out;
}

export async function run(target: string): Promise<CaseResult[]> {
  if (target === 'plain') return runPlain();
  if (target.startsWith('aglu:')) return runAglu(target);
  if (target === 'tfjs:cpu' || target === 'tfjs:wasm') return runTfjs(target.slice(5) as TfBackend);
  if (target === 'js-pytorch') return runJsPytorch();
  throw new Error(`apa: no target '${target}'`);
}

export const TARGETS = ['plain', 'aglu:js', 'aglu:gpujs:cpu', 'aglu:gpujs:webasm', 'aglu:gpujs:headlessgl', 'tfjs:cpu', 'tfjs:wasm', 'js-pytorch'];
export const sinkValue = (): number => sink;
