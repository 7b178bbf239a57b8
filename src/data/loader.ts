/**
 * DataLoader: batches of tensors from a plain Dataset, after torch.utils.data.DataLoader. Tensors are created here,
 * at the edge, so datasets stay backend-independent.
 */
import type { DType } from '../backend/backend.js';
import { ValueError } from '../errors.js';
import { batchTensors, size, type Batch, type Dataset } from './dataset.js';
import { deriveSeed, resolveSeed, Rng } from './rng.js';

export interface DataLoaderOptions {
  /** Rows per batch (default 1, as PyTorch). */
  batchSize?: number;
  /** A fresh seeded permutation every epoch (default false, as PyTorch; pass true for training). */
  shuffle?: boolean;
  /** Seed of the shuffling; default: drawn from the global generator when the loader is built. */
  seed?: number;
  /** Drop the last batch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /** dtype of the x and y tensors (default 'float32'). */
  dtype?: DType;
}

/**
 * Iterates `{ x: Tensor [b, features], y: Tensor [b] }`. Each pass (`for … of`) is the next epoch; with `shuffle`, epoch
 * e uses the permutation seeded by (seed, e), so a loader rebuilt with the same seed replays the same epochs, and
 * `setEpoch` jumps to any of them.
 * @example
 * const loader = new DataLoader(train, { batchSize: 32, shuffle: true, seed: 0 });
 * for (let epoch = 0; epoch < 10; epoch++) for (const { x, y } of loader) { … }
 */
export class DataLoader implements Iterable<Batch> {
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly dtype: DType;
  readonly seed: number;
  #epoch = 0;

  constructor(readonly dataset: Dataset, options: DataLoaderOptions = {}) {
    const { batchSize = 1, shuffle = false, dropLast = false, dtype = 'float32' } = options;
    if (!Number.isInteger(batchSize) || batchSize < 1)
      throw new ValueError(`DataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (dtype !== 'float32' && dtype !== 'float64')
      throw new ValueError(`DataLoader: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.dropLast = dropLast;
    this.dtype = dtype;
    // drawn even without shuffle so that the global stream advances the same way either way
    this.seed = resolveSeed(options.seed, 'DataLoader');
  }

  /** Batches per epoch. */
  get length(): number {
    const n = size(this.dataset);
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** The epoch the next pass will run. */
  get epoch(): number {
    return this.#epoch;
  }

  /** Makes the next pass run epoch `e` (e.g. to resume training). */
  setEpoch(e: number): void {
    if (!Number.isInteger(e) || e < 0) throw new ValueError(`DataLoader.setEpoch: epoch must be an integer ≥ 0, got ${e}`);
    this.#epoch = e;
  }

  /** Row order of epoch `e` (identity without shuffle). */
  order(e: number): number[] {
    const n = size(this.dataset);
    return this.shuffle ? new Rng(deriveSeed(this.seed, e)).permutation(n) : Array.from({ length: n }, (_, i) => i);
  }

  /** The row indices of each batch of epoch `e`, dropLast applied. */
  batchIndices(e: number): number[][] {
    const p = this.order(e), out: number[][] = [];
    for (let s = 0; s < p.length; s += this.batchSize) {
      const b = p.slice(s, s + this.batchSize);
      if (b.length < this.batchSize && this.dropLast) break;
      out.push(b);
    }
    return out;
  }

  *[Symbol.iterator](): Iterator<Batch> {
    const e = this.#epoch++;
    for (const b of this.batchIndices(e)) yield batchTensors(this.dataset, b, { dtype: this.dtype });
  }
}
