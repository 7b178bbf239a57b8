/**
 * AGLU forward + backward (dz, dλ, dκ) on n float32 elements (default 2^20; AGLU_BENCH_N to change), λ, κ of
 * shape [1]: the fused op (`aglu`, one forward pass, three backward passes on gpujs / one on js) against the same
 * math composed from the engine's elementwise ops (`apaComposite`, the tape deriving the backward), on js and on
 * every gpujs mode that runs here. Then, on the raw GPU.js forward kernel, its two exps as Math.exp (called through
 * JavaScript per element on webasm) against kernels/apa.ts' inline polynomial (constants.polyExp).
 *
 *   npx tsc -p . --outDir build && node build/benchmarks/apa.bench.js          (add xvfb-run -a for headlessgl)
 *
 * Every timed call ends by reading dλ and dκ back as numbers, so lazy or asynchronous work is included. Calls are
 * deferred (setImmediate between calls) so that GPU.js storage of dropped tensors is released as in a training
 * loop. Numbers depend on the machine and its load: benchmark.js reports the mean and its margin of error.
 */
import Benchmark from 'benchmark';
import { createRequire } from 'node:module';
import os from 'node:os';
import { setBackend } from '../src/backend/current.js';
import { headlessglUnavailableReason } from '../src/backend/gpujs.js';
import { aglu, apaComposite } from '../src/ops/apa.js';
import { tensor, type Tensor } from '../src/tensor.js';
import * as APA from '../kernels/apa.js';

const N = Number(process.env.AGLU_BENCH_N ?? 1 << 20);
const LAMBDA = 0.7, KAPPA = 1.3;

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

interface Row {
  target: string;
  variant: string;
  ms: number;
  rme: number;
  samples: number;
}
const rows: Row[] = [];

/** Runs one benchmark.js case of an async-deferred step; records mean ms. */
function bench(target: string, variant: string, step: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const b = new Benchmark(`${target} ${variant}`, {
      defer: true,
      minSamples: 5,
      maxTime: 4,
      fn: (deferred: { resolve(): void }) => {
        step();
        setImmediate(() => deferred.resolve());
      },
      onComplete: () => {
        if (b.error) return reject(b.error);
        rows.push({ target, variant, ms: b.stats.mean * 1000, rme: b.stats.rme, samples: b.stats.sample.length });
        console.log(`  ${target.padEnd(18)} ${variant.padEnd(34)} ${(b.stats.mean * 1000).toFixed(1).padStart(8)} ms ±${b.stats.rme.toFixed(1)}% (${b.stats.sample.length} samples)`);
        resolve();
      },
    });
    b.run({ async: true });
  });
}

/** One AGLU forward + backward through `op`, reading dλ and dκ; frees what it made. */
function stepWith(op: (z: Tensor, l: Tensor, k: Tensor) => Tensor, z: Tensor, dy: Tensor): () => void {
  return () => {
    const zl = z.detach().requiresGrad_();
    const l = tensor([LAMBDA], { requiresGrad: true }), k = tensor([KAPPA], { requiresGrad: true });
    const y = op(zl, l, k);
    y.backward(dy);
    const sink = l.grad!.item() + k.grad!.item();
    if (!Number.isFinite(sink)) throw new Error('non-finite gradient');
    for (const t of [y, zl.grad!, l.grad!, k.grad!, l, k]) t.dispose();
  };
}

async function opLevel(): Promise<void> {
  const targets: { name: string; select: () => void }[] = [{ name: 'js', select: () => setBackend('js') }];
  for (const mode of ['cpu', 'webasm', 'headlessgl'] as const) {
    const why = mode === 'headlessgl' ? headlessglUnavailableReason() : null;
    if (why !== null) console.log(`  gpujs ${mode}: not measured — ${why}`);
    else targets.push({ name: `gpujs ${mode}`, select: () => setBackend('gpujs', { mode }) });
  }
  for (const t of targets) {
    t.select();
    const z = tensor(Z), dy = tensor(DY);
    await bench(t.name, 'fused aglu', stepWith((a, b, c) => aglu(a, b, c), z, dy));
    await bench(t.name, 'composite (elementwise ops)', stepWith((a, b, c) => apaComposite(a, b, c, { gated: true }), z, dy));
    z.dispose();
    dy.dispose();
  }
}

// ---- kernel level: webasm's Math.exp/log through JavaScript vs the inline polynomial ------------------------------

interface RawKernel {
  (...args: (Float32Array | number)[]): unknown;
}
interface RawGpu {
  createKernel(fn: unknown, settings: object): RawKernel & { kernel: { constructor: { name: string } } };
}

async function kernelLevel(): Promise<void> {
  const { GPU } = createRequire(import.meta.url)('gpu.js') as { GPU: new (s: object) => RawGpu };
  for (const mode of ['webasm', 'cpu'] as const) {
    const gpu = new GPU({ mode });
    const lp = new Float32Array([LAMBDA, Math.log(Math.fround(LAMBDA)), 1]);
    const kap = new Float32Array([KAPPA]);
    const settings = { output: [N], precision: 'single' };
    // kernels/apa.ts switches its two exps on constants.polyExp: Math.exp (1 = inline polynomial)
    const poly = gpu.createKernel(APA.apaForwardKernel, { ...settings, constants: { polyExp: 1 } });
    const math = gpu.createKernel(APA.apaForwardKernel, { ...settings, constants: { polyExp: 0 } });
    await bench(`GPU.js ${mode}`, 'forward kernel, Math.exp', () => void math(Z, lp, kap, 1, 1, N, 1, 1));
    await bench(`GPU.js ${mode}`, 'forward kernel, inline polynomial', () => void poly(Z, lp, kap, 1, 1, N, 1, 1));
  }
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`AGLU forward + backward on ${N} float32 elements — ${cpu[0]?.model.trim()} ×${cpu.length}, node ${process.version}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  await opLevel();
  const speedups = new Map<string, number>();
  for (const r of rows) if (r.variant === 'fused aglu') speedups.set(r.target, r.ms);
  console.log('\n  composite / fused:');
  for (const r of rows)
    if (r.variant.startsWith('composite')) console.log(`  ${r.target.padEnd(18)} ${(r.ms / (speedups.get(r.target) ?? NaN)).toFixed(2)}×`);
  console.log('\nGPU.js forward kernel alone (no backward, no tape):');
  await kernelLevel();
}

await main();
