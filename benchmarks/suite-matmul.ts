/**
 * Benchmark 4: square float32 matmul n×n · n×n at n = 128, 256, 512, reported as GFLOP/s (2n³ flops per call).
 * Each call multiplies two resident inputs and reads the n×n result back as a typed array (so lazy backends finish),
 * the same for every library. The plain-JS row is a cache-friendly i-k-j loop on one thread.
 */
import { matmul, tensor, tidy } from '../src/index.js';
import { CONFIG, type CaseResult, type Stat, errorMessage, measure, samplingFor, timeOnceAndTick, uniformArray } from './common.js';
import { selectAglu } from './targets.js';
import { loadTf, type TfBackend } from './tfjs.js';

export const TITLE = 'Matmul n×n·n×n float32, result read back';
let sink = 0;

const gflops = (n: number, s: Stat): number => (2 * n ** 3) / (s.median * 1e6);

function inputs(n: number): [Float32Array, Float32Array] {
  return [uniformArray(n * n, -1, 1, 11), uniformArray(n * n, -1, 1, 12)];
}

/** Max relative error of c against a float64 product (checked once per case, outside the timing). */
function check(n: number, a: Float32Array, b: Float32Array, c: ArrayLike<number>): number {
  let err = 0, scale = 0;
  // Spot-check 64 entries: a full float64 product at 512 would cost more than the benchmark.
  for (let k = 0; k < 64; k++) {
    const i = (k * 7919) % n, j = (k * 104729) % n;
    let s = 0;
    for (let t = 0; t < n; t++) s += a[i * n + t] * b[t * n + j];
    err = Math.max(err, Math.abs(c[i * n + j] - s));
    scale = Math.max(scale, Math.abs(s));
  }
  return err / scale;
}

async function caseOf(impl: string, mode: string, n: number, fn: () => ArrayLike<number>, a: Float32Array, b: Float32Array): Promise<CaseResult> {
  const key = String(n);
  try {
    const err = check(n, a, b, fn());
    const warm = await timeOnceAndTick(() => (sink += fn()[0]));
    const stat = await measure(`${impl} ${mode} ${n}`, () => (sink += fn()[0]), samplingFor(warm));
    return { suite: 'matmul', impl, mode, key, stat, extra: { gflops: gflops(n, stat), maxRelErr: err } };
  } catch (e) {
    return { suite: 'matmul', impl, mode, key, skipped: errorMessage(e) };
  }
}

function plainMatmul(n: number, a: Float32Array, b: Float32Array): Float32Array {
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k], row = k * n, out = i * n;
      for (let j = 0; j < n; j++) c[out + j] += aik * b[row + j];
    }
  return c;
}

export async function run(target: string): Promise<CaseResult[]> {
  const sizes = CONFIG.matmulSizes;
  const out: CaseResult[] = [];
  if (target === 'plain') {
    for (const n of sizes) {
      const [a, b] = inputs(n);
      out.push(await caseOf('plain JS loop', 'js (1 thread)', n, () => plainMatmul(n, a, b), a, b));
    }
    return out;
  }
  if (target.startsWith('aglu:')) {
    let mode: string;
    try {
      mode = selectAglu(target);
    } catch (e) {
      const why = errorMessage(e);
      return sizes.map((n) => ({ suite: 'matmul', impl: 'aglu', mode: target.slice(5).replace(':', ' '), key: String(n), skipped: why }));
    }
    for (const n of sizes) {
      const [a, b] = inputs(n);
      const ta = tensor(a, { shape: [n, n] }), tb = tensor(b, { shape: [n, n] });
      const r = await caseOf('aglu', mode, n, () => tidy(() => matmul(ta, tb).toTypedArray()), a, b);
      ta.dispose();
      tb.dispose();
      out.push(r);
    }
    return out;
  }
  if (target === 'tfjs:cpu' || target === 'tfjs:wasm') {
    const backend = target.slice(5) as TfBackend;
    const { tf } = await loadTf(backend);
    for (const n of sizes) {
      const [a, b] = inputs(n);
      const ta = tf.tensor2d(a, [n, n]), tb = tf.tensor2d(b, [n, n]);
      // dataSync outside tf.tidy: tidy walks whatever its callback returns, element by element for a typed array.
      out.push(await caseOf('tfjs', `tfjs ${backend}`, n, () => {
        const c = tf.matMul(ta, tb);
        const v = c.dataSync();
        c.dispose();
        return v;
      }, a, b));
      tf.dispose([ta, tb]);
    }
    return out;
  }
  if (target === 'js-pytorch') {
    const { torch } = await import('js-pytorch');
    for (const n of sizes) {
      const [a, b] = inputs(n);
      const rows = (x: Float32Array) => Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * n, (i + 1) * n)));
      const ta = torch.tensor(rows(a)), tb = torch.tensor(rows(b));
      out.push(await caseOf('js-pytorch', 'js-pytorch cpu', n, () => (ta.matmul(tb)._data as number[][]).flat(), a, b));
    }
    return out;
  }
  throw new Error(`matmul: no target '${target}'`);
}

export const TARGETS = ['plain', 'aglu:js', 'aglu:gpujs:cpu', 'aglu:gpujs:webasm', 'aglu:gpujs:headlessgl', 'tfjs:cpu', 'tfjs:wasm', 'js-pytorch'];
export const sinkValue = (): number => sink;
