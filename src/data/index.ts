/**
 * Offline datasets and batching: synthetic 2-D sets, Iris, MNIST, splits, standardisation, long-tailed versions and
 * the DataLoader. Datasets are plain typed arrays; tensors appear only at the loader.
 * @example
 * import { data } from 'aglu';
 * const { train, test } = data.standardize(data.trainTestSplit(data.moons({ n: 1000, noise: 0.1, seed: 0 }), { seed: 0 }));
 * for (const { x, y } of new data.DataLoader(train, { batchSize: 64, shuffle: true, seed: 0 })) { … }
 */
export { makeDataset, size, classCounts, indicesByClass, subset, batchTensors, toTensors, allocate } from './dataset.js';
export type { Dataset, Split, Batch } from './dataset.js';
export { moons, circles, spirals, blobs } from './synthetic.js';
export type { SyntheticOptions, BlobsOptions } from './synthetic.js';
export { iris } from './iris.js';
export { mnist } from './mnist.js';
export type { MnistOptions } from './mnist.js';
export { trainTestSplit, fitStandardizer, standardize } from './split.js';
export type { SplitOptions, Standardizer } from './split.js';
export { longTailCounts, longTailed } from './long-tail.js';
export type { LongTailOptions, LongTailSplit } from './long-tail.js';
export { DataLoader } from './loader.js';
export type { DataLoaderOptions } from './loader.js';
export { Rng } from './rng.js';
