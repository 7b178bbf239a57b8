/**
 * Seeded train/test splitting and feature standardisation (fit on train, apply to test), after scikit-learn's
 * train_test_split and StandardScaler.
 */
import { ValueError } from '../errors.js';
import { allocate, indicesByClass, size, subset, type Dataset, type Split } from './dataset.js';
import { resolveSeed, Rng } from './rng.js';

export interface SplitOptions {
  /** Test share: a fraction in (0, 1) (rows = ⌈fraction · n⌉) or an integer count (default 0.25, as scikit-learn). */
  testSize?: number;
  /** Keep each class's share equal in train and test (default false). */
  stratify?: boolean;
  /** Seed of the local stream; default: drawn from the global generator. */
  seed?: number;
  /** Shuffle before splitting (default true); false puts the last rows in test, keeps order, and cannot stratify. */
  shuffle?: boolean;
}

/**
 * Splits a dataset into train and test. With `stratify`, each class contributes test rows in proportion to its size
 * (largest-remainder rounding so the total is exact, ties to the lower class index), chosen at random within the
 * class; both sets come out shuffled.
 * @example const { train, test } = trainTestSplit(iris(), { testSize: 0.2, stratify: true, seed: 0 }); // 120 / 30, 10 per class in test
 */
export function trainTestSplit(ds: Dataset, options: SplitOptions = {}): Split {
  const { testSize = 0.25, stratify = false, shuffle = true } = options;
  const n = size(ds);
  // ceil as scikit-learn, minus a hair so that 0.3 · 100 = 30.000000000000004 gives 30 test rows, not 31
  const nTest = testSize > 0 && testSize < 1 ? Math.ceil(testSize * n - 1e-9) : testSize;
  if (!Number.isInteger(nTest) || nTest < 1 || nTest > n - 1)
    throw new ValueError(
      `trainTestSplit: testSize ${testSize} gives ${nTest} test rows of ${n}; use a fraction in (0, 1) or a count in [1, ${n - 1}]`,
    );
  if (!shuffle) {
    if (stratify) throw new ValueError('trainTestSplit: stratify needs shuffle: true (as in scikit-learn)');
    const idx = Array.from({ length: n }, (_, i) => i);
    return { train: subset(ds, idx.slice(0, n - nTest), `${ds.name}-train`), test: subset(ds, idx.slice(n - nTest), `${ds.name}-test`) };
  }
  const rng = new Rng(resolveSeed(options.seed, 'trainTestSplit'));
  let train: number[], test: number[];
  if (stratify) {
    const groups = indicesByClass(ds);
    const quota = allocate(nTest, groups.map((g) => g.length));
    train = [];
    test = [];
    groups.forEach((g, c) => {
      const p = rng.shuffle([...g]);
      test.push(...p.slice(0, quota[c]));
      train.push(...p.slice(quota[c]));
    });
    rng.shuffle(train);
    rng.shuffle(test);
  } else {
    const p = rng.permutation(n);
    test = p.slice(0, nTest);
    train = p.slice(nTest);
  }
  return { train: subset(ds, train, `${ds.name}-train`), test: subset(ds, test, `${ds.name}-test`) };
}

/** Per-feature mean and standard deviation fitted on one dataset, applicable to any dataset with the same features. */
export interface Standardizer {
  mean: Float64Array;
  std: Float64Array;
  /** (x − mean) / std per feature, as a new dataset. */
  transform(ds: Dataset): Dataset;
}

/**
 * Fits a standardiser on `ds` (population std as scikit-learn's StandardScaler; a constant feature gets std 1 so it
 * maps to 0 rather than NaN). Statistics accumulate in float64.
 * @example const s = fitStandardizer(train); const testStd = s.transform(test);
 */
export function fitStandardizer(ds: Dataset): Standardizer {
  const n = size(ds), f = ds.numFeatures;
  if (n === 0) throw new ValueError(`fitStandardizer: dataset '${ds.name}' is empty`);
  const mean = new Float64Array(f), m2 = new Float64Array(f);
  for (let i = 0; i < n; i++) for (let j = 0; j < f; j++) mean[j] += ds.x[i * f + j];
  for (let j = 0; j < f; j++) mean[j] /= n;
  for (let i = 0; i < n; i++)
    for (let j = 0; j < f; j++) {
      const d = ds.x[i * f + j] - mean[j];
      m2[j] += d * d;
    }
  const std = m2.map((v) => (v > 0 ? Math.sqrt(v / n) : 1));
  return {
    mean,
    std,
    transform(other: Dataset): Dataset {
      if (other.numFeatures !== f)
        throw new ValueError(`standardize: fitted on ${f} features, '${other.name}' has ${other.numFeatures}`);
      const x = new Float32Array(other.x.length);
      for (let k = 0; k < x.length; k++) x[k] = (other.x[k] - mean[k % f]) / std[k % f];
      return { ...other, x, y: other.y.slice() };
    },
  };
}

/**
 * Standardises a split with statistics fitted on the train set only (no test leakage).
 * @example const { train, test } = standardize(trainTestSplit(iris(), { seed: 0 }));
 */
export function standardize(split: Split): Split & { mean: Float64Array; std: Float64Array } {
  const s = fitStandardizer(split.train);
  return { train: s.transform(split.train), test: s.transform(split.test), mean: s.mean, std: s.std };
}
