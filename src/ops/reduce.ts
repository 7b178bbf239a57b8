/**
 * Reductions over one axis, a list of axes, or all axes (undefined), with keepdim. Each op's backward sits beside
 * its forward: the gradient is reshaped to the keepdim shape and broadcast back over the reduced axes.
 */
import type { ReduceOp } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import { ValueError } from '../errors.js';
import { fmt, normAxes, normAxis, reducedShape, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { binaryRaw, div, exp, mul, sub, unaryRaw } from './elementwise.js';
import { asTensor, wrap } from './util.js';

type Axes = number | number[] | undefined;

/** The reduced axes (a 0-d tensor has none to reduce) and the output shapes with and without kept dims. */
function plan(op: string, x: Tensor, axis: Axes, keepdim: boolean) {
  // A 0-d tensor accepts axis 0 or -1 (as torch does) and has nothing to reduce.
  const axes = x.ndim === 0 ? (normAxes(op, axis, 1), []) : normAxes(op, axis, x.ndim);
  const kept = reducedShape(x.shape, axes, true);
  return { axes, kept, out: keepdim ? kept : reducedShape(x.shape, axes, false), count: sizeOf(axes.map((a) => x.shape[a])) };
}

/** Runs a reduce primitive without recording it; the result has the keepdim shape. */
function reduceRaw(op: ReduceOp, x: Tensor, axes: readonly number[]): Tensor {
  return wrap(x.backend.reduce(op, x.buf, axes, true), x);
}

const reshapeRaw = (x: Tensor, shape: readonly number[]): Tensor => wrap(x.backend.reshape(x.buf, shape), x);
const expandRaw = (x: Tensor, shape: readonly number[]): Tensor => wrap(x.backend.expand(x.buf, shape), x);

/** The upstream gradient reshaped to the keepdim shape, so that it broadcasts against x. */
const keptGrad = (g: Tensor, kept: readonly number[]): Tensor => reshapeRaw(g, kept);

/**
 * Sum over `axis` (a number, a list, or all when undefined); keepdim keeps reduced axes as size 1.
 * @example sum(tensor([[1, 2], [3, 4]]), 1); // [3, 7]
 */
export function sum(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const p = plan('sum', x, axis, keepdim);
  const out = reshapeRaw(reduceRaw('sum', x, p.axes), p.out);
  return record('sum', out, [x], (g) => [expandRaw(keptGrad(g, p.kept), x.shape)]);
}

/**
 * Arithmetic mean over `axis`; an empty reduction gives NaN (0/0), as in PyTorch.
 * @example mean(tensor([[1, 2], [3, 4]]), 0); // [2, 3]
 */
export function mean(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const p = plan('mean', x, axis, keepdim);
  const out = reshapeRaw(unaryRaw('mulScalar', reduceRaw('sum', x, p.axes), 1 / p.count), p.out);
  return record('mean', out, [x], (g) => [expandRaw(unaryRaw('mulScalar', keptGrad(g, p.kept), 1 / p.count), x.shape)]);
}

function extremum(op: 'max' | 'min', x: Tensor, axis: Axes, keepdim: boolean): Tensor {
  const p = plan(op, x, axis, keepdim);
  if (p.count === 0)
    throw new ValueError(`${op}: cannot reduce over axes [${p.axes}] of size 0 in a tensor of shape ${fmt(x.shape)}; ${op} of no elements is undefined`);
  const k = reduceRaw(op, x, p.axes);
  const out = reshapeRaw(k, p.out);
  return record(op, out, [x], (g) => {
    // Ties share the gradient evenly (torch.amax's rule), so the gradient stays the derivative of a symmetric function.
    const mask = binaryRaw('eq', x, k);
    const ties = reduceRaw('sum', mask, p.axes);
    return [mul(mask, div(keptGrad(g, p.kept), ties))];
  });
}

/**
 * Largest value over `axis`; where several elements tie, each receives an equal share of the gradient.
 * @example max(tensor([[1, 5], [7, 2]]), 1); // [5, 7]
 */
export const max = (x: Tensor, axis?: Axes, keepdim = false): Tensor => extremum('max', x, axis, keepdim);
/**
 * Smallest value over `axis`; ties share the gradient like max.
 * @example min(tensor([[1, 5], [7, 2]]), 1); // [1, 2]
 */
export const min = (x: Tensor, axis?: Axes, keepdim = false): Tensor => extremum('min', x, axis, keepdim);

/**
 * log Σ exp(x) over `axis`, computed as m + log Σ exp(x − m) with m the maximum so that large values do not
 * overflow; an empty reduction gives −∞. Gradient: softmax(x) along the reduced axes.
 * @example logsumexp(tensor([1000, 1000]), 0); // 1000 + ln 2
 */
export function logsumexp(x: Tensor, axis?: Axes, keepdim = false): Tensor {
  const p = plan('logsumexp', x, axis, keepdim);
  const m = reduceRaw('max', x, p.axes);
  // An infinite (or empty: −∞) maximum is replaced by 0 so that x − m stays free of ∞ − ∞.
  const mSafe = wrap(x.backend.where(binaryRaw('eq', unaryRaw('abs', m), Infinity).buf, asTensor('logsumexp', 0, x).buf, m.buf), x);
  const s = reduceRaw('sum', unaryRaw('exp', binaryRaw('sub', x, mSafe)), p.axes);
  const k = binaryRaw('add', unaryRaw('log', s), mSafe);
  const out = reshapeRaw(k, p.out);
  return record('logsumexp', out, [x], (g) => [mul(keptGrad(g, p.kept), exp(sub(x, k)))]);
}

/**
 * Variance over `axis`: Σ(x − mean)² / (N − correction), with Bessel's correction 1 by default (torch.var);
 * N − correction ≤ 0 gives Inf or NaN, as in PyTorch.
 * @example variance(tensor([1, 2, 3, 4])); // 1.6667; variance(tensor([1, 2, 3, 4]), 0, false, 0) // 1.25
 */
export function variance(x: Tensor, axis?: Axes, keepdim = false, correction = 1): Tensor {
  if (!Number.isFinite(correction))
    throw new ValueError(`variance: correction must be a finite number (0 for the population variance, 1 for the sample variance), got ${correction}`);
  const p = plan('variance', x, axis, keepdim);
  const denom = Math.max(0, p.count - correction);
  const mu = unaryRaw('mulScalar', reduceRaw('sum', x, p.axes), 1 / p.count);
  const d = binaryRaw('sub', x, mu);
  const out = reshapeRaw(binaryRaw('div', reduceRaw('sum', unaryRaw('square', d), p.axes), asTensor('variance', denom, x)), p.out);
  // d/dx_i Σ(x_j − μ)² = 2(x_i − μ): the terms through μ sum to zero because Σ(x_j − μ) = 0.
  return record('variance', out, [x], (g) => [mul(d, unaryRaw('mulScalar', keptGrad(g, p.kept), 2 / denom))]);
}

/**
 * Index of the first largest value along `axis` (the axis is removed), as a float tensor of x's dtype;
 * NaN counts as the largest value, as in PyTorch. Carries no gradient.
 * @example argmax(tensor([[1, 5], [7, 2]]), 1); // [1, 0]
 */
export function argmax(x: Tensor, axis: number): Tensor {
  if (x.ndim === 0) {
    normAxis('argmax', axis, 1);
    return asTensor('argmax', 0, x);
  }
  const a = normAxis('argmax', axis, x.ndim);
  if (x.shape[a] === 0)
    throw new ValueError(`argmax: axis ${axis} of shape ${fmt(x.shape)} has size 0; there is no largest element`);
  return wrap(x.backend.argmax(x.buf, a), x);
}
