/**
 * AGLU forward + backward (dz, dλ, dκ) on n float32 elements (default 2^20; AGLU_BENCH_N to change), λ, κ of
 * shape [1], side by side in one run: the fused op (`aglu`: one forward pass; on gpujs two backward passes, dz and
 * the blocked dλ/dκ partial sums, on js one) against the same math composed from the engine's elementwise ops
 * (`apaComposite`, the tape deriving the backward), on js and on every gpujs mode that runs here; TensorFlow.js wasm's
 * composite of the same stable formula; and a hand-fused plain-JS loop (single-thread reference). Then, on the raw
 * GPU.js forward kernel, exp as Math.exp (called through JavaScript per element on webasm) against kernels/apa.ts'
 * inline table exp (constants.polyExp).
 *
 *   npx tsc -p . --outDir build && xvfb-run -a node build/benchmarks/apa.bench.js      (xvfb-run for headlessgl)
 *
 * Other processes may share the cores, so the cases run round-robin AGLU_BENCH_ROUNDS times (default 3,
 * benchmark.js for AGLU_BENCH_MAXTIME s each, default 2): the tables give the median over all samples and the
 * ratios the median of the per-round ratios (each ratio taken between cases of the same round). Every timed call
 * ends by reading dλ and dκ back as numbers, so lazy or asynchronous work is included; the event loop turns between
 * calls so that GPU.js storage of dropped tensors is released as in a training loop. AGLU_BENCH_OUT=file.json writes
 * the rows. AGLU_BENCH_TARGETS=js,webasm,… restricts the targets (js, cpu, webasm, headlessgl, tfjs, plain);
 * AGLU_BENCH_COMPOSITE=0 skips aglu's composites (for repeated fused-only comparisons), =only runs them without the
 * fused op, AGLU_BENCH_KERNELS=0 skips the kernel-level part. Cases run in one process affect each other (garbage,
 * kernel caches: GL fused measured ~40 ms slower right after the composites): compare like with like.
 */
import { createRequire } from 'node:module';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { setBackend } from '../src/backend/current.js';
import { headlessglUnavailableReason } from '../src/backend/gpujs.js';
import { aglu, apaComposite } from '../src/ops/apa.js';
import { tensor, type Tensor } from '../src/tensor.js';
import * as APA from '../kernels/apa.js';
import { measure, quantile, type Stat } from './common.js';
import { loadTf, type Tf } from './tfjs.js';

const N = Number(process.env.AGLU_BENCH_N ?? 1 << 20);
const ROUNDS = Number(process.env.AGLU_BENCH_ROUNDS ?? 3);
const MAX_TIME = Number(process.env.AGLU_BENCH_MAXTIME ?? 2);
const ONLY = process.env.AGLU_BENCH_TARGETS?.split(',').map((s) => s.trim());
const COMPOSITE = process.env.AGLU_BENCH_COMPOSITE !== '0';
const FUSED = process.env.AGLU_BENCH_COMPOSITE !== 'only';
const LAMBDA = 0.7, KAPPA = 1.3, FLOOR = 1e-4;

/** Deterministic inputs: z ~ U(−4, 4), dy ~ U(−1, 1). */
function uniform(n: number, lo: number, hi: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = lo + ((hi - lo) * s) / 2 ** 32;
  }
  return out;
}
const Z = uniform(N, -4, 4, 1), DY = uniform(N, -1, 1, 2);

/** One case: `prepare` selects its backend and returns the step (or throws why it cannot run here). */
interface Case {
  target: string;
  variant: string;
  prepare: () => Promise<{ step: () => void; done: () => void }>;
}
interface Row {
  target: string;
  variant: string;
  round: number;
  stat: Stat;
}
const rows: Row[] = [];
let sink = 0;

/** One AGLU forward + backward through `op` on aglu's current backend, reading dλ and dκ; frees what it made. */
function agluCase(target: string, variant: string, select: () => void, op: (z: Tensor, l: Tensor, k: Tensor) => Tensor): Case {
  return {
    target,
    variant,
    prepare: async () => {
      select();
      const z = tensor(Z), dy = tensor(DY);
      return {
        step: () => {
          const zl = z.detach().requiresGrad_();
          const l = tensor([LAMBDA], { requiresGrad: true }), k = tensor([KAPPA], { requiresGrad: true });
          const y = op(zl, l, k);
          y.backward(dy);
          sink += l.grad!.item() + k.grad!.item();
          for (const t of [y, zl.grad!, l.grad!, k.grad!, l, k]) t.dispose();
        },
        done: () => {
          z.dispose();
          dy.dispose();
        },
      };
    },
  };
}

/** The same stable formula in tfjs ops: y = z·exp(−softplus(log λ − κz)/λ), λ clamped at 1e-4. */
function tfjsCase(): Case {
  return {
    target: 'tfjs wasm',
    variant: 'composite (tfjs ops, tf.grads)',
    prepare: async () => {
      const { tf } = await loadTf('wasm');
      const f = (z: ReturnType<Tf['tensor']>, lam: ReturnType<Tf['tensor']>, kap: ReturnType<Tf['tensor']>) => {
        const l = tf.maximum(lam, FLOOR);
        const u = tf.sub(tf.log(l), tf.mul(kap, z));
        return tf.mul(z, tf.exp(tf.neg(tf.div(tf.softplus(u), l))));
      };
      const grads = tf.grads((z, l, k) => f(z, l, k));
      const z = tf.tensor1d(Z), dy = tf.tensor1d(DY), lam = tf.tensor1d([LAMBDA]), kap = tf.tensor1d([KAPPA]);
      return {
        step: () =>
          tf.tidy(() => {
            const [, dl, dk] = grads([z, lam, kap], dy);
            sink += dl.dataSync()[0] + dk.dataSync()[0];
          }),
        done: () => tf.dispose([z, dy, lam, kap]),
      };
    },
  };
}

/** The hand-fused single-thread reference: y, dz and dλ, dκ in one float64 pass (docs/apa.md). */
function plainCase(): Case {
  const y = new Float32Array(N), dz = new Float32Array(N);
  return {
    target: 'plain JS',
    variant: 'hand-fused loop (1 thread)',
    prepare: async () => ({
      step: () => {
        const l = Math.max(LAMBDA, FLOOR), logl = Math.log(l), invl = 1 / l;
        let dl = 0, dk = 0;
        for (let i = 0; i < N; i++) {
          const zi = Z[i], u = logl - KAPPA * zi;
          const e = Math.exp(-Math.abs(u));
          const s = (u > 0 ? u : 0) + Math.log1p(e);
          const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
          const p = Math.exp(-s * invl);
          y[i] = zi * p;
          const g = DY[i] * zi * p;
          dz[i] = DY[i] * p + g * KAPPA * sig * invl;
          dk += g * zi * sig * invl;
          dl += g * (s - sig) * invl * invl;
        }
        sink += dl + dk;
      },
      done: () => {},
    }),
  };
}

function cases(): Case[] {
  const want = (name: string) => ONLY === undefined || ONLY.includes(name);
  const out: Case[] = [];
  const fused = (a: Tensor, b: Tensor, c: Tensor) => aglu(a, b, c);
  const composite = (a: Tensor, b: Tensor, c: Tensor) => apaComposite(a, b, c, { gated: true });
  if (want('js')) {
    if (FUSED) out.push(agluCase('js', 'fused aglu', () => setBackend('js'), fused));
    if (COMPOSITE) out.push(agluCase('js', 'composite (elementwise ops)', () => setBackend('js'), composite));
  }
  for (const mode of ['cpu', 'webasm', 'headlessgl'] as const) {
    if (!want(mode)) continue;
    const why = mode === 'headlessgl' ? headlessglUnavailableReason() : null;
    if (why !== null) {
      console.log(`  gpujs ${mode}: not measured — ${why}`);
      continue;
    }
    const select = () => setBackend('gpujs', { mode });
    if (FUSED) out.push(agluCase(`gpujs ${mode}`, 'fused aglu', select, fused));
    if (COMPOSITE) out.push(agluCase(`gpujs ${mode}`, 'composite (elementwise ops)', select, composite));
  }
  if (want('tfjs')) out.push(tfjsCase());
  if (want('plain')) out.push(plainCase());
  return out;
}

const fmt = (s: Stat) => `${s.median.toFixed(1).padStart(7)} ms [${s.q1.toFixed(1)}–${s.q3.toFixed(1)}]`;
const median = (xs: number[]) => quantile([...xs].sort((a, b) => a - b), 0.5);

async function opLevel(): Promise<void> {
  const list = cases();
  for (let round = 0; round < ROUNDS; round++) {
    console.log(`round ${round + 1}/${ROUNDS} (load ${os.loadavg()[0].toFixed(2)})`);
    for (const c of list) {
      const { step, done } = await c.prepare();
      step(); // warm-up: kernel compiles, JIT
      const stat = await measure(`${c.target} ${c.variant}`, step, { maxTime: MAX_TIME, minSamples: 5 });
      done();
      rows.push({ target: c.target, variant: c.variant, round, stat });
      console.log(`  ${c.target.padEnd(16)} ${c.variant.padEnd(32)} ${fmt(stat)} (${stat.samples} samples)`);
    }
  }
  // all samples of all rounds: median and quartiles of the per-round medians
  console.log(`\nMedians over ${ROUNDS} rounds (per-round medians' range in brackets):`);
  const keys = [...new Set(rows.map((r) => `${r.target}\u0000${r.variant}`))];
  const med = new Map<string, number>();
  for (const key of keys) {
    const rs = rows.filter((r) => `${r.target}\u0000${r.variant}` === key).map((r) => r.stat.median);
    med.set(key, median(rs));
    const [target, variant] = key.split('\u0000');
    console.log(`  ${target.padEnd(16)} ${variant.padEnd(32)} ${median(rs).toFixed(1).padStart(7)} ms [${Math.min(...rs).toFixed(1)}–${Math.max(...rs).toFixed(1)}]`);
  }
  const perRound = (a: (r: Row) => boolean, b: (r: Row) => boolean): number[] => {
    const out: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const ra = rows.find((r) => r.round === round && a(r)), rb = rows.find((r) => r.round === round && b(r));
      if (ra && rb) out.push(ra.stat.median / rb.stat.median);
    }
    return out;
  };
  console.log('\nRatios (median of per-round ratios; >1 means fused is faster):');
  for (const target of [...new Set(rows.map((r) => r.target))]) {
    const fusedRow = (r: Row) => r.target === target && r.variant === 'fused aglu';
    if (!rows.some(fusedRow)) continue;
    const vsComposite = perRound((r) => r.target === target && r.variant.startsWith('composite'), fusedRow);
    const vsTf = perRound((r) => r.target === 'tfjs wasm', fusedRow);
    console.log(
      `  ${target.padEnd(16)} composite / fused ${vsComposite.length ? median(vsComposite).toFixed(2) : '—'}×` +
        `   tfjs-wasm / fused ${vsTf.length ? median(vsTf).toFixed(2) : '—'}×`,
    );
  }
}

// ---- kernel level: webasm's Math.exp through JavaScript vs the inline table exp -----------------------------------

interface RawKernel {
  (...args: (Float32Array | number)[]): unknown;
}
interface RawGpu {
  createKernel(fn: unknown, settings: object): RawKernel & { kernel: { constructor: { name: string } } };
}

async function kernelLevel(): Promise<void> {
  const { GPU } = createRequire(import.meta.url)('gpu.js') as { GPU: new (s: object) => RawGpu };
  if (!('apaExpTable' in APA)) return; // an older kernels/apa.ts (before/after comparisons)
  for (const mode of ['webasm', 'cpu'] as const) {
    if (ONLY !== undefined && !ONLY.includes(mode)) continue;
    const gpu = new GPU({ mode });
    const lp = new Float32Array([LAMBDA, Math.log(Math.fround(LAMBDA)), 1]);
    const kap = new Float32Array([KAPPA]);
    const settings = { output: [N], precision: 'single' };
    // kernels/apa.ts switches its two exps on constants.polyExp (1 = inline table exp); perChannel 0: one λ, κ
    const table = { perChannel: 0, expTable: APA.apaExpTable() };
    const poly = gpu.createKernel(APA.apaForwardKernel, { ...settings, constants: { ...table, polyExp: 1 } });
    const math = gpu.createKernel(APA.apaForwardKernel, { ...settings, constants: { ...table, polyExp: 0 } });
    for (const [name, k] of [['Math.exp', math], ['inline table exp', poly]] as const) {
      k(Z, lp, kap, 1, 1, N, 1, 1);
      const stat = await measure(name, () => void k(Z, lp, kap, 1, 1, N, 1, 1), { maxTime: MAX_TIME, minSamples: 5 });
      console.log(`  GPU.js ${mode.padEnd(7)} forward kernel, ${name.padEnd(18)} ${fmt(stat)}`);
    }
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`AGLU forward + backward on ${N} float32 elements — ${cpu[0]?.model.trim()} ×${cpu.length}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await opLevel();
  if (process.env.AGLU_BENCH_OUT) writeFileSync(process.env.AGLU_BENCH_OUT, JSON.stringify({ n: N, rounds: ROUNDS, rows }, null, 1));
  if (process.env.AGLU_BENCH_KERNELS !== '0') {
    console.log('\nGPU.js forward kernel alone (no backward, no tape):');
    await kernelLevel();
  }
  if (!Number.isFinite(sink)) throw new Error('non-finite gradient');
}

await main();
