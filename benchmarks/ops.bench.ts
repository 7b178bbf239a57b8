/**
 * Per-op throughput of the gpujs backend on every mode that runs here, beside a plain Float32Array loop in the same
 * run: a binary op (add) and a unary transcendental (exp) on 2^20 elements, matmul at 128/256/512 (GFLOP/s), and the
 * first-call latency of ops not yet compiled (kernel build + first run).
 *
 *   npx tsc -p . --outDir build && node build/benchmarks/ops.bench.js            (xvfb-run -a … adds headlessgl)
 *   AGLU_BENCH_MAXTIME=3 …   seconds per case (default 1; the default run takes well under 3 minutes)
 *
 * Each timed op leaves its result on the device and disposes it (cpu/webasm compute synchronously; on headlessgl
 * every sample ends with gl.finish() so the GPU work is inside the time). The plain loop allocates its output like an
 * op does. Numbers depend on the machine and its load: benchmark.js reports the mean and its margin of error.
 */
import Benchmark from 'benchmark';
import os from 'node:os';
import { backend, setBackend } from '../src/backend/current.js';
import { gpujsFinish, headlessglUnavailableReason } from '../src/backend/gpujs.js';
import { tensor, type Tensor } from '../src/tensor.js';

const N = 1 << 20;
const MAX_TIME = Number(process.env.AGLU_BENCH_MAXTIME ?? 1);
const SIZES = [128, 256, 512];

function pattern(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.sin(0.37 * i + seed);
  return out;
}
const A = pattern(N, 1), B = pattern(N, 2);

interface Row {
  target: string;
  caseName: string;
  ms: number;
  rme: number;
  extra: string;
}
const rows: Row[] = [];

function bench(target: string, caseName: string, step: () => void, extra: (ms: number) => string = () => ''): Promise<void> {
  return new Promise((resolve, reject) => {
    const b = new Benchmark(`${target} ${caseName}`, {
      defer: true,
      minSamples: 5,
      maxTime: MAX_TIME,
      fn: (deferred: { resolve(): void }) => {
        step();
        // A turn of the event loop between samples lets released device memory be reclaimed, as in a training loop.
        setImmediate(() => deferred.resolve());
      },
      onComplete: () => {
        if (b.error) return reject(b.error);
        const ms = b.stats.mean * 1000;
        const row = { target, caseName, ms, rme: b.stats.rme, extra: extra(ms) };
        rows.push(row);
        console.log(`  ${target.padEnd(18)} ${caseName.padEnd(16)} ${ms.toFixed(3).padStart(9)} ms ±${row.rme.toFixed(1).padStart(4)}%  ${row.extra}`);
        resolve();
      },
    });
    b.run({ async: true });
  });
}

const gflops = (n: number) => (ms: number) => `${((2 * n ** 3) / (ms * 1e6)).toFixed(2)} GFLOP/s`;

// ---- plain Float32Array loops ----------------------------------------------------------------------------------

async function plain(): Promise<void> {
  await bench('plain Float32Array', 'add 1M', () => {
    const out = new Float32Array(N);
    for (let i = 0; i < N; i++) out[i] = A[i] + B[i];
  });
  await bench('plain Float32Array', 'exp 1M', () => {
    const out = new Float32Array(N);
    for (let i = 0; i < N; i++) out[i] = Math.exp(A[i]);
  });
  for (const n of SIZES) {
    const a = A.subarray(0, n * n), b = B.subarray(0, n * n);
    await bench('plain Float32Array', `matmul ${n}`, () => {
      // i-k-j order: the inner loop streams rows of b and of the output.
      const out = new Float32Array(n * n);
      for (let i = 0; i < n; i++)
        for (let p = 0; p < n; p++) {
          const av = a[i * n + p];
          const bo = p * n, oo = i * n;
          for (let j = 0; j < n; j++) out[oo + j] += av * b[bo + j];
        }
    }, gflops(n));
  }
}

// ---- gpujs modes ---------------------------------------------------------------------------------------------

function modes(): string[] {
  const out = ['cpu', 'webasm'];
  const why = headlessglUnavailableReason();
  if (why === null) out.push('headlessgl');
  else console.log(`  gpujs headlessgl: not measured — ${why}`);
  return out;
}

/** Time of one call, including kernel compilation when it is the op's first call on this backend. */
function once(f: () => Tensor): number {
  const t0 = performance.now();
  const y = f();
  gpujsFinish(backend());
  const ms = performance.now() - t0;
  y.dispose();
  return ms;
}

async function gpujs(mode: string): Promise<void> {
  setBackend('gpujs', { mode });
  const target = `gpujs ${mode}`;
  const sync = (): void => gpujsFinish(backend());
  // First calls: ops this process has not compiled yet on this backend, on shapes not seen before.
  const x = tensor(pattern(1000, 3), { shape: [10, 100] });
  const first = {
    sigmoid: once(() => x.sigmoid()),
    'softmax axis 1': once(() => x.softmax(1)),
    'sum axis 0': once(() => x.sum(0)),
    'matmul 10x100x10': once(() => x.matmul(x.T.slice(1, 0, 10))),
  };
  const again = once(() => x.sigmoid());
  console.log(`  ${target.padEnd(18)} first call: ${Object.entries(first).map(([k, v]) => `${k} ${v.toFixed(1)} ms`).join(', ')}; sigmoid again ${again.toFixed(2)} ms`);
  for (const [k, v] of Object.entries(first)) rows.push({ target, caseName: `first ${k}`, ms: v, rme: 0, extra: '' });

  const a = tensor(A), b = tensor(B);
  await bench(target, 'add 1M', () => {
    const y = a.add(b);
    sync();
    y.dispose();
  });
  await bench(target, 'exp 1M', () => {
    const y = a.exp();
    sync();
    y.dispose();
  });
  for (const n of SIZES) {
    const m1 = tensor(A.subarray(0, n * n), { shape: [n, n] }), m2 = tensor(B.subarray(0, n * n), { shape: [n, n] });
    await bench(target, `matmul ${n}`, () => {
      const y = m1.matmul(m2);
      sync();
      y.dispose();
    }, gflops(n));
    m1.dispose();
    m2.dispose();
  }
  a.dispose();
  b.dispose();
}

async function main(): Promise<void> {
  const cpu = os.cpus();
  console.log(`gpujs ops — ${cpu[0]?.model.trim()} ×${cpu.length}, node ${process.version}, load ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  await plain();
  for (const mode of modes()) await gpujs(mode);
  console.log('\n  relative to the plain loop (time ratio; lower is better):');
  for (const r of rows) {
    const base = rows.find((p) => p.target === 'plain Float32Array' && p.caseName === r.caseName);
    if (base && r.target !== base.target) console.log(`  ${r.target.padEnd(18)} ${r.caseName.padEnd(16)} ${(r.ms / base.ms).toFixed(2)}×`);
  }
  setBackend('js');
}

await main();
