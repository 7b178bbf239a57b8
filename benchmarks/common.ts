/**
 * Shared pieces of the peer benchmarks (issue 7): the result format, benchmark.js statistics, deterministic data,
 * the run configuration (full or quick) and the machine/version description written beside every table.
 */
import Benchmark from 'benchmark';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';

/** `AGLU_BENCH_QUICK=1`: smaller sizes, shorter sampling, MNIST capped — for development, not for the docs. */
export const QUICK = process.env.AGLU_BENCH_QUICK === '1';

/** Times in milliseconds per call. `median` with the interquartile range [q1, q3] is what the tables show. */
export interface Stat {
  median: number;
  q1: number;
  q3: number;
  min: number;
  max: number;
  mean: number;
  /** benchmark.js' relative margin of error of the mean (%, 95% confidence). */
  rme: number;
  /** Samples benchmark.js took (each the mean of `calls / samples` back-to-back calls). */
  samples: number;
  calls: number;
}

export type Extra = Record<string, number | string | boolean | null>;

/** One measured (or skipped) row. `key` identifies the column (size, activation, …) the row's figure belongs to. */
export interface CaseResult {
  suite: string;
  /** Library and variant, e.g. 'aglu fused', 'tfjs composite', 'plain JS fused loop'. */
  impl: string;
  /** Where it ran, e.g. 'js', 'gpujs webasm', 'tfjs wasm'. */
  mode: string;
  key: string;
  stat?: Stat;
  extra?: Extra;
  /** Set instead of `stat` when the case could not run here; says why. */
  skipped?: string;
}

export interface SuiteFile {
  suite: string;
  title: string;
  quick: boolean;
  startedAt: string;
  wallSeconds: number;
  /** 1-minute load average when the suite started and ended (other work on the machine shows here). */
  loadAverage?: { start: number; end: number };
  machine: MachineInfo;
  versions: Record<string, string>;
  notes: string[];
  results: CaseResult[];
}

/** The console output of another benchmark script (ops.bench, apa.bench), run by the runner after its own suites. */
export interface ExtraRun {
  name: string;
  title: string;
  command: string;
  startedAt: string;
  wallSeconds: number;
  exitCode: number | null;
  /** Its stdout (and the tail of stderr when it failed). */
  output: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  loadAverageAtStart: number[];
}

/** The CPU's name, plus family/model and SIMD width from /proc/cpuinfo where the name alone is vague (VMs). */
function cpuModel(): string {
  const name = os.cpus()[0]?.model.trim() ?? 'unknown';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const field = (k: string): string | undefined => new RegExp(`^${k}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
    const flags = field('flags') ?? '';
    const simd = flags.includes('avx512f') ? 'AVX-512' : flags.includes('avx2') ? 'AVX2' : flags.includes('sse4_2') ? 'SSE4.2' : 'no AVX';
    return `${name} (family ${field('cpu family') ?? '?'}, model ${field('model') ?? '?'}, ${simd})`;
  } catch {
    return name;
  }
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cpuModel: cpuModel(),
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

const require = createRequire(import.meta.url);

/** Installed version of a package (its package.json), or 'not installed'. */
export function packageVersion(name: string): string {
  try {
    const file = require.resolve(`${name}/package.json`);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  } catch {
    // Packages whose exports hide package.json: walk up from the main entry.
    try {
      let dir = require.resolve(name);
      for (let i = 0; i < 6; i++) {
        dir = dir.slice(0, dir.lastIndexOf('/'));
        try {
          const pkg = JSON.parse(readFileSync(`${dir}/package.json`, 'utf8')) as { name?: string; version: string };
          if (pkg.name === name) return pkg.version;
        } catch {
          /* keep walking */
        }
      }
    } catch {
      /* not installed */
    }
    return 'not installed';
  }
}

export function versions(): Record<string, string> {
  const names = [
    'gpu.js', 'gl', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-wasm', 'js-pytorch',
    'brain.js', 'benchmark',
  ];
  const out: Record<string, string> = { aglu: packageVersion('aglu') };
  try {
    out.aglu = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    /* keep what we have */
  }
  for (const n of names) out[n] = packageVersion(n);
  return out;
}

export interface MeasureOptions {
  /** Seconds benchmark.js may keep sampling (it stops once both this and minSamples are reached). */
  maxTime: number;
  minSamples?: number;
}

/**
 * Times a synchronous function with benchmark.js and returns its per-call statistics in ms. The function must do
 * the whole work, including the read-back that forces lazy backends to finish. After every call the event loop
 * turns once (a deferred benchmark resolved from setImmediate), as it does in a training loop that awaits anything:
 * aglu's gpujs backend releases the storage of dropped tensors from a FinalizationRegistry, which only runs then.
 * The same few microseconds of overhead apply to every library.
 */
export function measure(name: string, fn: () => void, options: MeasureOptions): Promise<Stat> {
  return new Promise((resolve, reject) => {
    const bench: Benchmark = new Benchmark(name, {
      defer: true,
      maxTime: options.maxTime,
      minSamples: options.minSamples ?? 5,
      fn: (deferred: { resolve(): void }) => {
        fn();
        setImmediate(() => deferred.resolve());
      },
      onComplete: () => {
        if (bench.error) return reject(bench.error instanceof Error ? bench.error : new Error(String(bench.error)));
        const sample = (bench.stats.sample as number[]).map((s) => s * 1000).sort((a, b) => a - b);
        resolve({
          median: quantile(sample, 0.5),
          q1: quantile(sample, 0.25),
          q3: quantile(sample, 0.75),
          min: sample[0],
          max: sample[sample.length - 1],
          mean: bench.stats.mean * 1000,
          rme: bench.stats.rme,
          samples: sample.length,
          calls: Math.round(bench.count * bench.cycles),
        });
      },
    });
    bench.run({ async: true });
  });
}

/** One turn of the event loop (lets FinalizationRegistry callbacks and other deferred work run). */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Linear-interpolated quantile of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * q, lo = Math.floor(at), hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

/** Wall-clock ms of one call (the first call, a warm-up, or a one-shot measurement). */
export function timeOnce(fn: () => void): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

/** timeOnce, then one turn of the event loop (not timed). */
export async function timeOnceAndTick(fn: () => void): Promise<number> {
  const ms = timeOnce(fn);
  await tick();
  return ms;
}

/** A small deterministic generator (mulberry32) so every library sees exactly the same inputs. */
export function lcg(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [lo, hi) as float32, from seed. */
export function uniformArray(n: number, lo: number, hi: number, seed: number): Float32Array {
  const r = lcg(seed), out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + (hi - lo) * r();
  return out;
}

export function errorMessage(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0].slice(0, 300);
}

/** Human size label: 10000 → '10k', 1000000 → '1M'. */
export function sizeLabel(n: number): string {
  if (n >= 1e6 && n % 1e6 === 0) return `${n / 1e6}M`;
  if (n >= 1e3 && n % 1e3 === 0) return `${n / 1e3}k`;
  return String(n);
}

/** The configuration every suite reads (full or quick). */
export const CONFIG = {
  apaSizes: QUICK ? [10_000, 100_000] : [10_000, 100_000, 1_000_000],
  /** js-pytorch's nested arrays take ~3 s for one fwd+bwd at 100k here; larger sizes are not attempted. */
  jsPytorchMaxApaSize: QUICK ? 10_000 : 100_000,
  matmulSizes: QUICK ? [128, 256] : [128, 256, 512],
  /** benchmark.js sampling budget per case, seconds. */
  maxTime: QUICK ? 0.25 : 1.5,
  minSamples: QUICK ? 3 : 5,
  /** One warm-up call slower than this (ms) gets the slow-case treatment: fewer samples. */
  slowCallMs: 1500,
  mnistTargetAccuracy: 0.9,
  mnistMaxEpochs: QUICK ? 2 : 15,
};

/** Options for a case whose single call is slow: fewer samples, so one case cannot eat the run's budget. */
export function samplingFor(firstCallMs: number): MeasureOptions {
  if (firstCallMs > CONFIG.slowCallMs) return { maxTime: 0, minSamples: QUICK ? 1 : 3 };
  if (firstCallMs > 300) return { maxTime: Math.min(CONFIG.maxTime, 1), minSamples: QUICK ? 2 : 4 };
  return { maxTime: CONFIG.maxTime, minSamples: CONFIG.minSamples };
}
