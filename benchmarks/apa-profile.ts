/**
 * Where the time of one fused AGLU forward + backward (dz, dλ, dκ) goes, per mode, on n float32 elements
 * (default 2^20; AGLU_PROFILE_N to change), λ, κ of shape [1]. A profile for development, not a benchmark table:
 *
 *   npx tsc -p . --outDir build && xvfb-run -a node build/benchmarks/apa-profile.js [js] [cpu] [webasm] [headlessgl]
 *
 * Per mode it reports medians over AGLU_PROFILE_REPS (default 7) calls of:
 *   - every GPU.js kernel the op runs, by kernel function name (GPU.js's createKernel is wrapped; on GL each timed
 *     call ends with gl.finish(), so queued work is charged to the kernel that queued it),
 *   - the backend calls apaForward / apaBackward, and the readbacks of dλ and dκ (read),
 *   - the whole tensor-level step (aglu, backward, dλ.item(), dκ.item()) as a user runs it,
 * and the accuracy of dλ, dκ against the js backend in float64.
 */
import { GPU } from 'gpu.js';
import os from 'node:os';
import { setBackend, backend } from '../src/backend/current.js';
import { gpujsBackend, gpujsFinish, headlessglUnavailableReason, type GpujsMode } from '../src/backend/gpujs.js';
import type { Backend, Buf } from '../src/backend/backend.js';
import { aglu } from '../src/ops/apa.js';
import { tensor } from '../src/tensor.js';

const N = Number(process.env.AGLU_PROFILE_N ?? 1 << 20);
const REPS = Number(process.env.AGLU_PROFILE_REPS ?? 7);
const LAMBDA = 0.7, KAPPA = 1.3;

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

// ---- per-kernel timing: wrap GPU.js's createKernel / createKernelMap --------------------------------------------

const kernelTimes = new Map<string, number[]>();
let profiling = false;
let depth = 0;
let finishAll: (() => void) | null = null;

type AnyFn = (...args: unknown[]) => unknown;
interface GpuProto {
  createKernel: AnyFn;
  createKernelMap: AnyFn;
  context?: { finish?: () => void } | null;
}
const proto = (GPU as unknown as { prototype: GpuProto }).prototype;
for (const method of ['createKernel', 'createKernelMap'] as const) {
  const original = proto[method];
  proto[method] = function (this: GpuProto, ...args: unknown[]): unknown {
    const fn = (method === 'createKernel' ? args[0] : args[1]) as { name?: string };
    const name = fn.name ?? 'anonymous';
    const k = original.apply(this, args) as AnyFn;
    const gpu = this;
    return new Proxy(k, {
      apply(target, thisArg, callArgs: unknown[]) {
        // a kernel map may run inner kernels made by createKernel: count the outermost call only
        if (!profiling || depth > 0) return Reflect.apply(target, thisArg, callArgs);
        gpu.context?.finish?.();
        const t0 = performance.now();
        depth++;
        let r: unknown;
        try {
          r = Reflect.apply(target, thisArg, callArgs);
        } finally {
          depth--;
        }
        gpu.context?.finish?.();
        const dt = performance.now() - t0;
        const list = kernelTimes.get(name) ?? [];
        list.push(dt);
        kernelTimes.set(name, list);
        return r;
      },
    });
  };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** float64 oracle on the js backend. */
function oracle(): { dl: number; dk: number } {
  setBackend('js');
  const z = tensor(Z, { dtype: 'float64', requiresGrad: true });
  const l = tensor([LAMBDA], { dtype: 'float64', requiresGrad: true }), k = tensor([KAPPA], { dtype: 'float64', requiresGrad: true });
  aglu(z, l, k).backward(tensor(DY, { dtype: 'float64' }));
  return { dl: l.grad!.item(), dk: k.grad!.item() };
}

function time(fn: () => void): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

async function tick(): Promise<void> {
  await new Promise((r) => setImmediate(r));
}

async function profileMode(mode: 'js' | GpujsMode, ref: { dl: number; dk: number }): Promise<void> {
  let b: Backend;
  if (mode === 'js') {
    setBackend('js');
    b = backend();
    finishAll = null;
  } else {
    setBackend('gpujs', { mode });
    b = gpujsBackend(mode);
    finishAll = () => gpujsFinish(b);
  }
  const opts = { channelAxis: 0, gated: true, lambdaFloor: Math.fround(1e-4) };
  const z = b.fromTypedArray(Z, [N], 'float32'), g = b.fromTypedArray(DY, [N], 'float32');
  const l = b.fromTypedArray(Float32Array.of(LAMBDA), [1], 'float32'), k = b.fromTypedArray(Float32Array.of(KAPPA), [1], 'float32');
  const phases = new Map<string, number[]>();
  const add = (key: string, ms: number) => phases.set(key, [...(phases.get(key) ?? []), ms]);
  let dl = NaN, dk = NaN;
  for (let rep = 0; rep <= REPS; rep++) {
    profiling = rep > 0;
    let y: Buf | null = null;
    let d: { dz: Buf; dlambda: Buf; dkappa: Buf } | null = null;
    const tf = time(() => {
      y = b.apaForward(z, l, k, opts);
      finishAll?.();
    });
    const tb = time(() => {
      d = b.apaBackward(z, l, k, g, opts);
      finishAll?.();
    });
    const dd = d as unknown as { dz: Buf; dlambda: Buf; dkappa: Buf };
    const tr = time(() => {
      dl = b.read(dd.dlambda)[0];
      dk = b.read(dd.dkappa)[0];
    });
    if (rep > 0) {
      add('backend apaForward', tf);
      add('backend apaBackward', tb);
      add('read dλ + dκ', tr);
    }
    b.dispose(y as unknown as Buf);
    for (const x of [dd.dz, dd.dlambda, dd.dkappa]) b.dispose(x);
    await tick();
  }
  profiling = false;
  console.log(`\n${mode === 'js' ? 'js' : `gpujs ${mode}`}  (dλ rel err ${(Math.abs(dl - ref.dl) / Math.abs(ref.dl)).toExponential(2)}, dκ rel err ${(Math.abs(dk - ref.dk) / Math.abs(ref.dk)).toExponential(2)})`);
  report(phases);
  // the whole step as a user runs it (kernels counted separately: what the tape and tensor API add)
  phases.clear();
  const zt = tensor(Z), dyt = tensor(DY);
  for (let rep = 0; rep <= REPS; rep++) {
    profiling = rep > 0;
    const zl = zt.detach().requiresGrad_();
    const lt = tensor([LAMBDA], { requiresGrad: true }), kt = tensor([KAPPA], { requiresGrad: true });
    const ms = time(() => {
      const yy = aglu(zl, lt, kt);
      yy.backward(dyt);
      const s = lt.grad!.item() + kt.grad!.item();
      if (!Number.isFinite(s)) throw new Error('non-finite gradient');
      yy.dispose();
    });
    if (rep > 0) add('tensor step (fwd+bwd+item)', ms);
    for (const t of [zl.grad!, lt.grad!, kt.grad!, lt, kt]) t.dispose();
    await tick();
  }
  profiling = false;
  zt.dispose();
  dyt.dispose();
  for (const x of [z, g, l, k]) b.dispose(x);
  console.log('  as a user runs it:');
  report(phases);
}

function report(phases: Map<string, number[]>): void {
  for (const [name, xs] of kernelTimes) console.log(`  kernel ${name.padEnd(30)} ${median(xs).toFixed(2).padStart(8)} ms  ×${(xs.length / REPS).toFixed(1)} per step`);
  for (const [name, xs] of phases) console.log(`  ${name.padEnd(37)} ${median(xs).toFixed(2).padStart(8)} ms`);
  kernelTimes.clear();
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`fused AGLU profile, n = ${N}, ${REPS} reps (medians) — ${cpu[0]?.model.trim()} ×${cpu.length}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const ref = oracle();
  const asked = process.argv.slice(2);
  const modes = (asked.length ? asked : ['js', 'cpu', 'webasm', 'headlessgl']) as ('js' | GpujsMode)[];
  for (const mode of modes) {
    if (mode === 'headlessgl' && headlessglUnavailableReason() !== null) {
      console.log(`\ngpujs headlessgl: not available — ${headlessglUnavailableReason()}`);
      continue;
    }
    await profileMode(mode, ref);
  }
}

await main();
