/**
 * Classification metrics on predictions and labels given as Tensors or plain arrays. Predictions may be class
 * indices ([n]) or scores/logits ([n, C], reduced by argmax — first maximum wins, a NaN counts as the maximum as in
 * PyTorch). Values are read once with toTypedArray(), so metrics run the same on every backend.
 */
import { ShapeError, ValueError } from './errors.js';
import { Tensor } from './tensor.js';

/** Class indices [n] or scores [n, C], as a Tensor, a flat array, or an array of rows. */
export type Predictions = Tensor | ArrayLike<number> | ArrayLike<ArrayLike<number>>;
/** True class indices [n]. */
export type Labels = Tensor | ArrayLike<number>;

function argmaxRow(row: ArrayLike<number>, off: number, c: number): number {
  let best = 0, bv = row[off];
  for (let j = 1; j < c; j++) {
    const v = row[off + j];
    if (v > bv || (Number.isNaN(v) && !Number.isNaN(bv))) {
      best = j;
      bv = v;
    }
  }
  return best;
}

function checkIndex(op: string, what: string, v: number, i: number): void {
  if (!Number.isInteger(v) || v < 0) throw new ValueError(`${op}: ${what} ${v} at position ${i} is not a class index (an integer ≥ 0)`);
}

/**
 * Predicted class indices: argmax over the last axis of [n, C] scores, or the values of [n] indices.
 * @example predictedClasses([[0.1, 2], [3, -1]]) // [1, 0]
 */
export function predictedClasses(pred: Predictions, op = 'predictedClasses'): number[] {
  if (pred instanceof Tensor) {
    const flat = pred.toTypedArray();
    if (pred.ndim === 2) {
      const [n, c] = pred.shape;
      if (c === 0) throw new ShapeError(`${op}: scores of shape [${n}, 0] have no classes to take the argmax over`);
      return Array.from({ length: n }, (_, i) => argmaxRow(flat, i * c, c));
    }
    if (pred.ndim !== 1)
      throw new ShapeError(`${op}: predictions of shape [${pred.shape.join(', ')}]; pass class indices [n] or scores [n, C]`);
    const out = Array.from(flat);
    out.forEach((v, i) => checkIndex(op, 'prediction', v, i));
    return out;
  }
  const out: number[] = [];
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i];
    if (typeof p === 'number') {
      checkIndex(op, 'prediction', p, i);
      out.push(p);
    } else {
      if (p.length === 0) throw new ShapeError(`${op}: score row ${i} is empty`);
      out.push(argmaxRow(p, 0, p.length));
    }
  }
  return out;
}

function labelArray(labels: Labels, op: string): number[] {
  if (labels instanceof Tensor && labels.ndim !== 1)
    throw new ShapeError(`${op}: labels of shape [${labels.shape.join(', ')}]; pass class indices of shape [n]`);
  const out = Array.from(labels instanceof Tensor ? labels.toTypedArray() : labels);
  out.forEach((v, i) => checkIndex(op, 'label', v, i));
  return out;
}

function pair(pred: Predictions, labels: Labels, op: string): [number[], number[]] {
  const p = predictedClasses(pred, op), y = labelArray(labels, op);
  if (p.length !== y.length) throw new ShapeError(`${op}: ${p.length} predictions for ${y.length} labels; they must match`);
  if (y.length === 0) throw new ValueError(`${op}: no samples; accuracy of nothing is undefined`);
  return [p, y];
}

function classesOf(op: string, p: number[], y: number[], numClasses: number | undefined): number {
  // loops rather than Math.max(...a): spreading 100k+ values overflows the call stack
  let maxLabel = 0, maxPred = 0;
  for (const v of y) if (v > maxLabel) maxLabel = v;
  for (const v of p) if (v > maxPred) maxPred = v;
  if (numClasses === undefined) return Math.max(maxLabel, maxPred) + 1;
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new ValueError(`${op}: numClasses must be a positive integer, got ${numClasses}`);
  if (maxLabel >= numClasses) throw new ValueError(`${op}: label ${maxLabel} is outside numClasses ${numClasses}`);
  return numClasses;
}

/**
 * Fraction of correct predictions.
 * @example accuracy(logits, y); accuracy([0, 1, 1], [0, 1, 0]) // 2/3
 */
export function accuracy(pred: Predictions, labels: Labels): number {
  const [p, y] = pair(pred, labels, 'accuracy');
  let ok = 0;
  for (let i = 0; i < y.length; i++) if (p[i] === y[i]) ok++;
  return ok / y.length;
}

/**
 * Confusion matrix m[true][predicted] (rows are true classes, as scikit-learn). numClasses defaults to the largest
 * index seen + 1; a prediction outside numClasses is an error.
 * @example confusionMatrix([0, 1, 1], [0, 1, 0]) // [[1, 1], [0, 1]]
 */
export function confusionMatrix(pred: Predictions, labels: Labels, numClasses?: number): number[][] {
  const [p, y] = pair(pred, labels, 'confusionMatrix');
  const c = classesOf('confusionMatrix', p, y, numClasses);
  const m = Array.from({ length: c }, () => new Array<number>(c).fill(0));
  for (let i = 0; i < y.length; i++) {
    if (p[i] >= c) throw new ValueError(`confusionMatrix: prediction ${p[i]} at position ${i} is outside numClasses ${c}`);
    m[y[i]][p[i]]++;
  }
  return m;
}

/**
 * Accuracy within each true class (recall per class); NaN for a class with no samples.
 * @example perClassAccuracy([0, 1, 1, 2], [0, 1, 0, 2]) // [0.5, 1, 1]
 */
export function perClassAccuracy(pred: Predictions, labels: Labels, numClasses?: number): number[] {
  const [p, y] = pair(pred, labels, 'perClassAccuracy');
  const c = classesOf('perClassAccuracy', p, y, numClasses);
  const hit = new Array<number>(c).fill(0), tot = new Array<number>(c).fill(0);
  for (let i = 0; i < y.length; i++) {
    tot[y[i]]++;
    if (p[i] === y[i]) hit[y[i]]++;
  }
  return tot.map((t, k) => (t === 0 ? NaN : hit[k] / t));
}

/** Training-class-count limits: a class is many-shot when count > many, few-shot when count < few, medium otherwise. */
export interface ShotThresholds {
  many: number;
  few: number;
}

export interface ShotOptions {
  /**
   * Default { many: 100, few: 20 } (the usual LT split: > 100, 20–100, < 20). 'scaled' uses
   * { many: n_max / 5, few: n_max / 25 } with n_max the largest training-class count, i.e. the CIFAR-100-LT split
   * (n_max = 500 → 100 and 20) carried over proportionally to smaller or larger datasets.
   */
  thresholds?: ShotThresholds | 'scaled';
}

export interface ShotGroups {
  many: number[];
  medium: number[];
  few: number[];
  thresholds: ShotThresholds;
}

/**
 * Sorts classes into many/medium/few-shot groups by their training counts.
 * @example shotGroups([500, 100, 20, 19]) // { many: [0], medium: [1, 2], few: [3], thresholds: { many: 100, few: 20 } }
 */
export function shotGroups(trainCounts: ArrayLike<number>, options: ShotOptions = {}): ShotGroups {
  const counts = Array.from(trainCounts);
  if (counts.length === 0) throw new ValueError('shotGroups: trainCounts is empty');
  const t = options.thresholds ?? { many: 100, few: 20 };
  const nMax = Math.max(...counts);
  const thresholds = t === 'scaled' ? { many: nMax / 5, few: nMax / 25 } : { ...t };
  if (!(thresholds.few <= thresholds.many)) throw new ValueError(`shotGroups: few threshold ${thresholds.few} exceeds many threshold ${thresholds.many}`);
  const g: ShotGroups = { many: [], medium: [], few: [], thresholds };
  counts.forEach((n, c) => (n > thresholds.many ? g.many : n < thresholds.few ? g.few : g.medium).push(c));
  return g;
}

export interface ShotAccuracy {
  /** Mean per-class accuracy over the many-shot classes present in the labels (NaN if none). */
  many: number;
  medium: number;
  few: number;
  /** Plain accuracy over all samples. */
  overall: number;
  perClass: number[];
  groups: ShotGroups;
}

/**
 * Many/medium/few-shot accuracy for long-tailed training: each group's value is the mean of its classes' per-class
 * accuracies (as OLTR's shot_acc; with a balanced test set this equals the sample accuracy within the group).
 * @example const s = shotAccuracy(model(x), y, lt.trainCounts); s.many; s.medium; s.few;
 */
export function shotAccuracy(pred: Predictions, labels: Labels, trainCounts: ArrayLike<number>, options: ShotOptions = {}): ShotAccuracy {
  const groups = shotGroups(trainCounts, options);
  const [p, y] = pair(pred, labels, 'shotAccuracy');
  const perClass = perClassAccuracy(p, y, trainCounts.length);
  const mean = (cs: number[]): number => {
    const v = cs.map((c) => perClass[c]).filter((a) => !Number.isNaN(a));
    return v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length;
  };
  return { many: mean(groups.many), medium: mean(groups.medium), few: mean(groups.few), overall: accuracy(p, y), perClass, groups };
}
