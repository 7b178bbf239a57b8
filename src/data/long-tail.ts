/**
 * Long-tailed versions of any dataset, as CIFAR-10/100-LT (Cao et al. 2019, "LDAM"): the train split is subsampled
 * with an exponential profile n_c = n_max · ρ^(−c/(C−1)), class 0 the head and class C−1 the tail, and the test
 * split is kept balanced.
 */
import { ValueError } from '../errors.js';
import { classCounts, indicesByClass, subset, type Dataset, type Split } from './dataset.js';
import { resolveSeed, Rng } from './rng.js';

/**
 * The exponential profile: n_c = ⌊n_max · ρ^(−c/(C−1)) + 1e-9⌋, at least 1 (the guard keeps exact products such as
 * 500 · 100^(−1) = 5 from rounding down to 4 in floating point; CIFAR-LT's code truncates likewise).
 * @example longTailCounts({ numClasses: 10, nMax: 500, imbalanceRatio: 100 }) // [500, 299, 179, 107, 64, 38, 23, 13, 8, 5]
 */
export function longTailCounts(options: { numClasses: number; nMax: number; imbalanceRatio: number }): number[] {
  const { numClasses: c, nMax, imbalanceRatio: rho } = options;
  if (!Number.isInteger(c) || c < 1) throw new ValueError(`longTailCounts: numClasses must be a positive integer, got ${c}`);
  if (!Number.isInteger(nMax) || nMax < 1) throw new ValueError(`longTailCounts: nMax must be a positive integer, got ${nMax}`);
  if (!(rho >= 1) || !Number.isFinite(rho)) throw new ValueError(`longTailCounts: imbalanceRatio must be a finite number ≥ 1, got ${rho}`);
  if (c === 1) return [nMax];
  return Array.from({ length: c }, (_, k) => Math.max(1, Math.floor(nMax * Math.pow(rho, -k / (c - 1)) + 1e-9)));
}

export interface LongTailOptions {
  /** ρ = n_head / n_tail (default 100). */
  imbalanceRatio?: number;
  /** Head-class count; default the smallest class count of the train split, so every class can fill its quota. */
  nMax?: number;
  /** Balance the test split by subsampling every class to the smallest test-class count (default true). */
  balanceTest?: boolean;
  /** Seed of the local stream that picks which rows are kept; default: drawn from the global generator. */
  seed?: number;
}

export interface LongTailSplit extends Split {
  /** Train rows per class after subsampling (follows the profile). */
  trainCounts: number[];
  /** Test rows per class. */
  testCounts: number[];
  imbalanceRatio: number;
}

function pick(ds: Dataset, quota: number[], rng: Rng, name: string): Dataset {
  const keep: number[] = [];
  indicesByClass(ds).forEach((rows, c) => {
    if (rows.length < quota[c])
      throw new ValueError(
        `longTailed: class ${c} of '${ds.name}' has ${rows.length} rows but the profile asks for ${quota[c]}; lower nMax (at most ${rows.length} here)`,
      );
    keep.push(...rng.shuffle([...rows]).slice(0, quota[c]));
  });
  return subset(ds, rng.shuffle(keep), name);
}

/**
 * The long-tailed version of a split: the train set keeps n_c random rows of class c (profile above, class order
 * fixed: class 0 is the head), the test set stays balanced. Per-class counts are reported.
 * @example const lt = longTailed(mnist(), { imbalanceRatio: 100, seed: 0 }); lt.trainCounts; // [690, 413, …, 6]
 */
export function longTailed(split: Split, options: LongTailOptions = {}): LongTailSplit {
  const { imbalanceRatio = 100, balanceTest = true } = options;
  const { train, test } = split;
  if (train.numClasses !== test.numClasses)
    throw new ValueError(`longTailed: train has ${train.numClasses} classes, test ${test.numClasses}`);
  const rng = new Rng(resolveSeed(options.seed, 'longTailed'));
  const available = classCounts(train);
  const nMax = options.nMax ?? Math.min(...available);
  const quota = longTailCounts({ numClasses: train.numClasses, nMax, imbalanceRatio });
  const ltTrain = pick(train, quota, rng, `${train.name}-lt${imbalanceRatio}`);
  let ltTest = test;
  if (balanceTest) {
    const tc = classCounts(test);
    const m = Math.min(...tc);
    if (m === 0) throw new ValueError(`longTailed: class ${tc.indexOf(0)} has no test rows; the test set cannot be balanced`);
    ltTest = tc.every((v) => v === m) ? test : pick(test, tc.map(() => m), rng, `${test.name}-balanced`);
  }
  return { train: ltTrain, test: ltTest, trainCounts: classCounts(ltTrain), testCounts: classCounts(ltTest), imbalanceRatio };
}
