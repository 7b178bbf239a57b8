/**
 * Synthetic 2-D classification sets after scikit-learn's make_moons / make_circles / make_blobs, plus K-arm spirals.
 * Each takes its own `seed` (a local stream; without one, a seed is drawn from the global generator, so
 * `manualSeed` governs it): the same seed gives the same data bit for bit.
 *
 * Differences from scikit-learn: the random stream is aglu's xoshiro128** rather than NumPy's, so a seed does not
 * reproduce scikit-learn's numbers; the default noise is 0 as in scikit-learn (`noise: undefined` = none); values
 * are stored as float32; `n` must be an integer (no per-class tuple, except that blobs takes explicit centres).
 */
import { ValueError } from '../errors.js';
import { makeDataset, type Dataset } from './dataset.js';
import { resolveSeed, Rng } from './rng.js';

export interface SyntheticOptions {
  /** Number of samples (default 100, as scikit-learn). */
  n?: number;
  /** Standard deviation of Gaussian noise added to every coordinate (default 0). */
  noise?: number;
  /** Seed of the local stream; default: drawn from the global generator. */
  seed?: number;
  /** Shuffle the rows (default true, as scikit-learn); false keeps them grouped by class. */
  shuffle?: boolean;
}

function checkCount(op: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new ValueError(`${op}: n must be an integer ≥ ${min}, got ${n}`);
}

function checkNoise(op: string, noise: number): void {
  if (!(noise >= 0) || !Number.isFinite(noise)) throw new ValueError(`${op}: noise must be a finite number ≥ 0, got ${noise}`);
}

/** Splits n into k near-equal parts, the first n mod k parts one larger (scikit-learn's make_blobs rule). */
function splitEven(n: number, k: number): number[] {
  return Array.from({ length: k }, (_, i) => Math.floor(n / k) + (i < n % k ? 1 : 0));
}

/** Shuffles rows, then adds noise, in that order (scikit-learn's order), and packs into float32. */
function finish(
  name: string,
  pts: number[][],
  labels: number[],
  numClasses: number,
  rng: Rng,
  shuffle: boolean,
  noise: number,
): Dataset {
  const n = labels.length, f = pts[0]?.length ?? 2;
  const order = shuffle ? rng.permutation(n) : Array.from({ length: n }, (_, i) => i);
  const x = new Float32Array(n * f), y = new Float32Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k];
    y[k] = labels[i];
    for (let j = 0; j < f; j++) x[k * f + j] = noise > 0 ? pts[i][j] + noise * rng.normal() : pts[i][j];
  }
  return makeDataset({ name, x, y, numFeatures: f, numClasses });
}

/**
 * Two interleaving half circles (scikit-learn's make_moons): class 0 the upper moon (cos t, sin t) with ⌊n/2⌋ points,
 * class 1 the lower one (1 − cos t, 0.5 − sin t), t evenly spaced over [0, π] endpoints included.
 * @example const ds = moons({ n: 500, noise: 0.1, seed: 0 });
 */
export function moons(options: SyntheticOptions = {}): Dataset {
  const { n = 100, noise = 0, shuffle = true } = options;
  checkCount('moons', n, 2);
  checkNoise('moons', noise);
  const rng = new Rng(resolveSeed(options.seed, 'moons'));
  const nOut = Math.floor(n / 2), nIn = n - nOut;
  const pts: number[][] = [], labels: number[] = [];
  for (let i = 0; i < nOut; i++) {
    const t = nOut > 1 ? (Math.PI * i) / (nOut - 1) : 0;
    pts.push([Math.cos(t), Math.sin(t)]);
    labels.push(0);
  }
  for (let i = 0; i < nIn; i++) {
    const t = nIn > 1 ? (Math.PI * i) / (nIn - 1) : 0;
    pts.push([1 - Math.cos(t), 1 - Math.sin(t) - 0.5]);
    labels.push(1);
  }
  return finish('moons', pts, labels, 2, rng, shuffle, noise);
}

/**
 * A large circle (class 0, radius 1) containing a smaller one (class 1, radius `factor`), as make_circles.
 * @example const ds = circles({ n: 400, noise: 0.05, factor: 0.5, seed: 1 });
 */
export function circles(options: SyntheticOptions & { factor?: number } = {}): Dataset {
  const { n = 100, noise = 0, shuffle = true, factor = 0.8 } = options;
  checkCount('circles', n, 2);
  checkNoise('circles', noise);
  if (!(factor >= 0 && factor < 1)) throw new ValueError(`circles: factor must be in [0, 1), got ${factor}`);
  const rng = new Rng(resolveSeed(options.seed, 'circles'));
  const nOut = Math.floor(n / 2), nIn = n - nOut;
  const pts: number[][] = [], labels: number[] = [];
  // endpoint excluded, as linspace(0, 2π, m, endpoint=False): no duplicated point at angle 2π
  for (let i = 0; i < nOut; i++) {
    const t = (2 * Math.PI * i) / nOut;
    pts.push([Math.cos(t), Math.sin(t)]);
    labels.push(0);
  }
  for (let i = 0; i < nIn; i++) {
    const t = (2 * Math.PI * i) / nIn;
    pts.push([factor * Math.cos(t), factor * Math.sin(t)]);
    labels.push(1);
  }
  return finish('circles', pts, labels, 2, rng, shuffle, noise);
}

/**
 * K interleaved spiral arms, one class each (no scikit-learn counterpart; as the CS231n toy set). Arm k's i-th of m
 * points has radius r = (i+1)/m and angle 2πk/K + 2π·turns·r, so the arms fill the unit disc without touching the
 * origin; Gaussian noise of std `noise` is added to the coordinates. n is split as evenly as possible.
 * @example const ds = spirals({ n: 600, arms: 3, noise: 0.05, seed: 2 });
 */
export function spirals(options: SyntheticOptions & { arms?: number; turns?: number } = {}): Dataset {
  const { n = 100, noise = 0, shuffle = true, arms = 2, turns = 1 } = options;
  if (!Number.isInteger(arms) || arms < 2) throw new ValueError(`spirals: arms must be an integer ≥ 2, got ${arms}`);
  if (!(turns > 0) || !Number.isFinite(turns)) throw new ValueError(`spirals: turns must be a positive number, got ${turns}`);
  checkCount('spirals', n, arms);
  checkNoise('spirals', noise);
  const rng = new Rng(resolveSeed(options.seed, 'spirals'));
  const pts: number[][] = [], labels: number[] = [];
  splitEven(n, arms).forEach((m, k) => {
    for (let i = 0; i < m; i++) {
      const r = (i + 1) / m;
      const t = (2 * Math.PI * k) / arms + 2 * Math.PI * turns * r;
      pts.push([r * Math.cos(t), r * Math.sin(t)]);
      labels.push(k);
    }
  });
  return finish(`spirals-${arms}`, pts, labels, arms, rng, shuffle, noise);
}

export interface BlobsOptions extends Omit<SyntheticOptions, 'noise'> {
  /** Number of centres (default 3, drawn uniformly in centerBox) or the centres themselves. */
  centers?: number | number[][];
  /** Features when centres are drawn (default 2). */
  numFeatures?: number;
  /** Standard deviation of each cluster (default 1), one number or one per centre. */
  clusterStd?: number | number[];
  /** Box the drawn centres lie in (default [−10, 10], as scikit-learn). */
  centerBox?: [number, number];
}

/**
 * Isotropic Gaussian blobs, one class per centre (scikit-learn's make_blobs). The centres used are returned too.
 * @example const ds = blobs({ n: 300, centers: 4, clusterStd: 0.5, seed: 3 }); ds.centers; // 4 × 2
 */
export function blobs(options: BlobsOptions = {}): Dataset & { centers: number[][] } {
  const { n = 100, shuffle = true, clusterStd = 1, centerBox = [-10, 10] } = options;
  const rng = new Rng(resolveSeed(options.seed, 'blobs'));
  let centers: number[][];
  const c = options.centers ?? 3;
  if (typeof c === 'number') {
    const f = options.numFeatures ?? 2;
    if (!Number.isInteger(c) || c < 1) throw new ValueError(`blobs: centers must be a positive integer or a list of points, got ${c}`);
    if (!Number.isInteger(f) || f < 1) throw new ValueError(`blobs: numFeatures must be a positive integer, got ${f}`);
    const [lo, hi] = centerBox;
    centers = Array.from({ length: c }, () => Array.from({ length: f }, () => lo + (hi - lo) * rng.uniform()));
  } else {
    centers = c.map((p) => [...p]);
    const f = centers[0]?.length ?? 0;
    if (centers.length === 0 || f === 0 || centers.some((p) => p.length !== f))
      throw new ValueError(`blobs: centers must be a non-empty list of points of equal length`);
    if (options.numFeatures !== undefined && options.numFeatures !== f)
      throw new ValueError(`blobs: numFeatures ${options.numFeatures} disagrees with centres of length ${f}`);
  }
  const k = centers.length;
  const stds = typeof clusterStd === 'number' ? new Array<number>(k).fill(clusterStd) : clusterStd;
  if (stds.length !== k || stds.some((s) => !(s >= 0)))
    throw new ValueError(`blobs: clusterStd must be a number ≥ 0 or one per centre (${k}), got ${String(clusterStd)}`);
  checkCount('blobs', n, k);
  const pts: number[][] = [], labels: number[] = [];
  splitEven(n, k).forEach((m, ci) => {
    for (let i = 0; i < m; i++) {
      pts.push(centers[ci].map((v) => v + stds[ci] * rng.normal()));
      labels.push(ci);
    }
  });
  return { ...finish('blobs', pts, labels, k, rng, shuffle, 0), centers };
}
