/**
 * A Dataset is plain data (typed arrays and counts) so that it stays backend-independent; tensors are only created
 * at the edge, by `toTensors` / `batchTensors` or the DataLoader.
 */
import type { DType } from '../backend/backend.js';
import { ShapeError, ValueError } from '../errors.js';
import { tensor, type Tensor } from '../tensor.js';

/** A classification dataset: `x` row-major [n, numFeatures], `y` class indices 0..numClasses-1 stored as floats. */
export interface Dataset {
  name: string;
  x: Float32Array;
  y: Float32Array;
  numFeatures: number;
  numClasses: number;
  classNames?: string[];
}

/** A train/test pair. */
export interface Split {
  train: Dataset;
  test: Dataset;
}

/** One batch as tensors: x [b, numFeatures], y [b] (class indices as floats). */
export interface Batch {
  x: Tensor;
  y: Tensor;
}

/** Number of samples. @example size(moons({ n: 10 })) // 10 */
export function size(ds: Dataset): number {
  return ds.y.length;
}

/**
 * Checks a dataset's invariants (sizes agree, labels are integers in range) and returns it; for hand-made datasets.
 * @example makeDataset({ name: 'xor', x: new Float32Array([0,0, 0,1, 1,0, 1,1]), y: new Float32Array([0,1,1,0]), numFeatures: 2, numClasses: 2 })
 */
export function makeDataset(ds: Dataset): Dataset {
  const n = ds.y.length;
  if (!Number.isInteger(ds.numFeatures) || ds.numFeatures < 1)
    throw new ValueError(`dataset '${ds.name}': numFeatures must be a positive integer, got ${ds.numFeatures}`);
  if (!Number.isInteger(ds.numClasses) || ds.numClasses < 1)
    throw new ValueError(`dataset '${ds.name}': numClasses must be a positive integer, got ${ds.numClasses}`);
  if (ds.x.length !== n * ds.numFeatures)
    throw new ShapeError(
      `dataset '${ds.name}': x has ${ds.x.length} values but ${n} labels × ${ds.numFeatures} features need ${n * ds.numFeatures}`,
    );
  for (let i = 0; i < n; i++) {
    const c = ds.y[i];
    if (!Number.isInteger(c) || c < 0 || c >= ds.numClasses)
      throw new ValueError(`dataset '${ds.name}': label ${c} at row ${i} is not a class index in [0, ${ds.numClasses})`);
  }
  if (ds.classNames !== undefined && ds.classNames.length !== ds.numClasses)
    throw new ValueError(`dataset '${ds.name}': ${ds.classNames.length} class names for ${ds.numClasses} classes`);
  return ds;
}

/** Samples per class. @example classCounts(iris()) // [50, 50, 50] */
export function classCounts(ds: Dataset): number[] {
  const counts = new Array<number>(ds.numClasses).fill(0);
  for (let i = 0; i < ds.y.length; i++) counts[ds.y[i]]++;
  return counts;
}

/** Row indices of each class, in dataset order. */
export function indicesByClass(ds: Dataset): number[][] {
  const out: number[][] = Array.from({ length: ds.numClasses }, () => []);
  for (let i = 0; i < ds.y.length; i++) out[ds.y[i]].push(i);
  return out;
}

/** The rows `indices` (in that order) as a new dataset. @example subset(ds, [0, 2, 4]) */
export function subset(ds: Dataset, indices: ArrayLike<number>, name = ds.name): Dataset {
  const f = ds.numFeatures, n = size(ds);
  const x = new Float32Array(indices.length * f);
  const y = new Float32Array(indices.length);
  for (let k = 0; k < indices.length; k++) {
    const i = indices[k];
    if (!Number.isInteger(i) || i < 0 || i >= n)
      throw new ValueError(`subset: index ${i} at position ${k} is outside dataset '${ds.name}' of ${n} rows`);
    x.set(ds.x.subarray(i * f, i * f + f), k * f);
    y[k] = ds.y[i];
  }
  return { ...ds, name, x, y };
}

/**
 * The rows `indices` as tensors x [b, numFeatures] and y [b], float32 unless `dtype` says otherwise.
 * @example const { x, y } = batchTensors(ds, [0, 1, 2]);
 */
export function batchTensors(ds: Dataset, indices: ArrayLike<number>, options: { dtype?: DType } = {}): Batch {
  const dtype = options.dtype ?? 'float32';
  const f = ds.numFeatures, b = indices.length;
  const xs = dtype === 'float64' ? new Float64Array(b * f) : new Float32Array(b * f);
  const ys = dtype === 'float64' ? new Float64Array(b) : new Float32Array(b);
  for (let k = 0; k < b; k++) {
    const i = indices[k];
    xs.set(ds.x.subarray(i * f, i * f + f), k * f);
    ys[k] = ds.y[i];
  }
  return { x: tensor(xs, { shape: [b, f], dtype }), y: tensor(ys, { shape: [b], dtype }) };
}

/** The whole dataset as tensors. @example const { x, y } = toTensors(iris(), { dtype: 'float64' }); */
export function toTensors(ds: Dataset, options: { dtype?: DType } = {}): Batch {
  const dtype = options.dtype ?? 'float32';
  const n = size(ds);
  if (dtype === 'float32')
    return { x: tensor(ds.x, { shape: [n, ds.numFeatures], dtype }), y: tensor(ds.y, { shape: [n], dtype }) };
  return batchTensors(ds, Array.from({ length: n }, (_, i) => i), options);
}

/** Splits `total` into integer parts proportional to `weights` summing to `total` (largest remainder, ties to lower index). */
export function allocate(total: number, weights: number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (total * w) / sum);
  const out = exact.map(Math.floor);
  const order = exact.map((e, i) => [e - Math.floor(e), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = total - out.reduce((a, b) => a + b, 0), k = 0; r > 0; r--, k++) out[order[k][1]]++;
  return out;
}
