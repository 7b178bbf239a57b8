/**
 * Benchmark 5: first-call latency, each target in a fresh process. GPU.js compiles a kernel the first time an op
 * runs with a given signature; tfjs initialises its backend once. Measured: backend setup, the first AGLU
 * forward+backward on 1,000 elements (new ops), the first on 1,500 elements (same ops, new shape), the first
 * 128×128 matmul, and the first MLP training step (every kernel of a step) — each beside the steady-state time of the
 * same call (median of 9 further calls). tfjs' setup excludes loading its gradient modules through
 * benchmarks/tfjs-hook.ts (a cost of this harness; reported as gradientModulesLoadMs in the JSON).
 */
import { aglu, getBackend, setBackend, matmul, tensor, tidy } from '../src/index.js';
import { type CaseResult, type Stat, errorMessage, quantile, timeOnce, timeOnceAndTick, uniformArray } from './common.js';
import { agluTrainer, initWeights, tfjsTrainer, type Trainer } from './mlp-model.js';
import { SIZES, BATCH } from './suite-mlp.js';
import { agluModeLabel } from './targets.js';
import { loadTf, type TfBackend } from './tfjs.js';

export const TITLE = 'First-call latency (kernel compile / backend init) vs steady state, fresh process per mode';
let sink = 0;

function single(ms: number): Stat {
  return { median: ms, q1: ms, q3: ms, min: ms, max: ms, mean: ms, rme: 0, samples: 1, calls: 1 };
}
/** Median of 9 further calls (early steady state: the JIT may still be tiering up, hence the spread). */
async function steady(fn: () => void): Promise<Stat> {
  const n = 9, t: number[] = [];
  for (let i = 0; i < n; i++) t.push(await timeOnceAndTick(fn));
  t.sort((a, b) => a - b);
  return { median: quantile(t, 0.5), q1: quantile(t, 0.25), q3: quantile(t, 0.75), min: t[0], max: t[n - 1], mean: t.reduce((a, b) => a + b) / n, rme: 0, samples: n, calls: n };
}

interface Ops {
  apa(n: number): () => void;
  matmul(): () => void;
  trainer(): Trainer;
}

async function measureAll(impl: string, mode: string, setupMs: number, ops: Ops, extra: Record<string, string> = {}): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  const row = (key: string, stat: Stat): void => void out.push({ suite: 'firstcall', impl, mode, key, stat, extra });
  row('backend setup', single(setupMs));
  const apa1 = ops.apa(1000);
  row('AGLU fwd+bwd 1k: first', single(await timeOnceAndTick(apa1)));
  row('AGLU fwd+bwd 1k: steady', await steady(apa1));
  const apa2 = ops.apa(1500);
  row('AGLU fwd+bwd 1.5k (new shape): first', single(await timeOnceAndTick(apa2)));
  const mm = ops.matmul();
  row('matmul 128: first', single(await timeOnceAndTick(mm)));
  row('matmul 128: steady', await steady(mm));
  const x = uniformArray(BATCH * SIZES[0], 0, 1, 3), labels = Int32Array.from({ length: BATCH }, (_, i) => i % 10);
  const t = ops.trainer();
  row('MLP step (relu): first', single(await timeOnceAndTick(() => (sink += t.step(x, labels)))));
  row('MLP step (relu): steady', await steady(() => (sink += t.step(x, labels))));
  return out;
}

export async function run(target: string): Promise<CaseResult[]> {
  if (target.startsWith('aglu:')) {
    const [, name, mode] = target.split(':');
    const label = agluModeLabel(target);
    let setupMs: number;
    let actual: string;
    try {
      setupMs = timeOnce(() => setBackend(name as 'js' | 'gpujs', mode === undefined ? {} : { mode }));
      actual = getBackend().mode;
      if (mode !== undefined && mode !== 'auto' && actual !== mode) throw new Error(`asked for mode '${mode}', the backend reports '${actual}'`);
    } catch (e) {
      return [{ suite: 'firstcall', impl: 'aglu', mode: label, key: 'backend setup', skipped: errorMessage(e) }];
    }
    try {
      return await measureAll('aglu', mode === 'auto' ? `gpujs auto → ${actual}` : label, setupMs, {
        apa: (n) => {
          const z = tensor(uniformArray(n, -4, 4, 1), { requiresGrad: true }), dy = tensor(uniformArray(n, -1, 1, 2));
          const l = tensor([0.7], { requiresGrad: true }), k = tensor([1.3], { requiresGrad: true });
          return () => {
            sink += tidy(() => {
              aglu(z, l, k).backward(dy);
              return l.grad!.item() + k.grad!.item();
            });
            for (const p of [z, l, k]) {
              p.grad?.dispose();
              p.grad = null;
            }
          };
        },
        matmul: () => {
          const a = tensor(uniformArray(128 * 128, -1, 1, 11), { shape: [128, 128] }), b = tensor(uniformArray(128 * 128, -1, 1, 12), { shape: [128, 128] });
          return () => void (sink += tidy(() => matmul(a, b).toTypedArray()[0]));
        },
        trainer: () => agluTrainer(initWeights(SIZES, 'relu')),
      }, { resolvedMode: actual });
    } catch (e) {
      return [{ suite: 'firstcall', impl: 'aglu', mode: label, key: 'AGLU fwd+bwd 1k: first', skipped: errorMessage(e) }];
    }
  }
  if (target === 'tfjs:cpu' || target === 'tfjs:wasm') {
    const backend = target.slice(5) as TfBackend;
    const { tf, setupMs, info } = await loadTf(backend);
    return measureAll('tfjs', `tfjs ${backend}`, setupMs, {
      apa: (n) => {
        const z = tf.tensor1d(uniformArray(n, -4, 4, 1)), dy = tf.tensor1d(uniformArray(n, -1, 1, 2));
        const l = tf.tensor1d([0.7]), k = tf.tensor1d([1.3]);
        const g = tf.grads((z, l, k) => {
          const lc = tf.maximum(l, 1e-4);
          return tf.mul(z, tf.exp(tf.neg(tf.div(tf.softplus(tf.sub(tf.log(lc), tf.mul(k, z))), lc))));
        });
        return () => tf.tidy(() => {
          const [, dl, dk] = g([z, l, k], dy);
          sink += dl.dataSync()[0] + dk.dataSync()[0];
        });
      },
      matmul: () => {
        const a = tf.tensor2d(uniformArray(128 * 128, -1, 1, 11), [128, 128]), b = tf.tensor2d(uniformArray(128 * 128, -1, 1, 12), [128, 128]);
        return () => tf.tidy(() => void (sink += tf.matMul(a, b).dataSync()[0]));
      },
      trainer: () => tfjsTrainer(tf, initWeights(SIZES, 'relu')),
    }, info);
  }
  throw new Error(`firstcall: no target '${target}'`);
}

export const TARGETS = ['aglu:js', 'aglu:gpujs:auto', 'aglu:gpujs:cpu', 'aglu:gpujs:webasm', 'aglu:gpujs:headlessgl', 'tfjs:cpu', 'tfjs:wasm'];
export const sinkValue = (): number => sink;
