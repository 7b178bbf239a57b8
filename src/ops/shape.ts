/**
 * Shape ops: views where the backend can (reshape, permute, expand, slice), copies otherwise. Each op's backward
 * sits beside its forward and is the adjoint layout change: reshape back, inverse permutation, sum over broadcast
 * axes, zero padding around a slice, scatter-add for gathers.
 */
import { record } from '../autograd/tape.js';
import { AxisError, BackendError, ShapeError, ValueError } from '../errors.js';
import { fmt, normAxes, normAxis, resolveReshape, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkCompatible, sumTo, wrap } from './util.js';

const reshapeRaw = (x: Tensor, shape: readonly number[]): Tensor =>
  sameShape(x.shape, shape) ? x : wrap(x.backend.reshape(x.buf, shape), x);

/**
 * The same elements in a new shape; one dimension may be -1 and is inferred.
 * @example reshape(arange(6), [2, -1]).shape; // [2, 3]
 */
export function reshape(x: Tensor, shape: number[]): Tensor {
  const to = resolveReshape('reshape', x.shape, shape);
  const out = wrap(x.backend.reshape(x.buf, to), x);
  return record('reshape', out, [x], (g) => [reshapeRaw(g, x.shape)]);
}

/**
 * Reorders the axes: output axis i is input axis axes[i] (negative axes count from the end).
 * @example permute(zeros([2, 3, 4]), [2, 0, 1]).shape; // [4, 2, 3]
 */
export function permute(x: Tensor, axes: number[]): Tensor {
  if (axes.length !== x.ndim)
    throw new AxisError(`permute: got ${axes.length} axes [${axes}] for a tensor of shape ${fmt(x.shape)}; give each of its ${x.ndim} axes exactly once`);
  const perm = axes.map((a) => normAxis('permute', a, x.ndim));
  if (new Set(perm).size !== perm.length)
    throw new AxisError(`permute: axes [${axes}] repeat an axis of a tensor of shape ${fmt(x.shape)}; give each axis exactly once`);
  const inverse = perm.map((_, i) => perm.indexOf(i));
  const out = wrap(x.backend.permute(x.buf, perm), x);
  return record('permute', out, [x], (g) => [wrap(g.backend.permute(g.buf, inverse), g)]);
}

/**
 * Swaps two axes (by default the last two: the matrix transpose).
 * @example transpose(zeros([2, 3])).shape; // [3, 2]
 */
export function transpose(x: Tensor, a0 = -2, a1 = -1): Tensor {
  const i = normAxis('transpose', a0, x.ndim);
  const j = normAxis('transpose', a1, x.ndim);
  const perm = x.shape.map((_, k) => (k === i ? j : k === j ? i : k));
  return permute(x, perm);
}

/**
 * Broadcasts to `shape` by NumPy rules (new axes in front; size-1 axes stretched; -1 keeps a size) without
 * copying. The gradient sums over the broadcast axes.
 * @example expand(tensor([[1], [2]]), [2, 3]).toArray(); // [[1, 1, 1], [2, 2, 2]]
 */
export function expand(x: Tensor, shape: number[]): Tensor {
  const lead = shape.length - x.ndim;
  const bad = (why: string): never => {
    throw new ShapeError(`expand: cannot broadcast shape ${fmt(x.shape)} to ${fmt(shape)}: ${why}`);
  };
  if (lead < 0) bad(`the target has fewer dimensions (${shape.length}) than the tensor (${x.ndim}); reshape or squeeze first`);
  const to = shape.map((d, i) => {
    if (d === -1 && i >= lead) return x.shape[i - lead];
    if (!Number.isInteger(d) || d < 0) bad(`dimension ${i} is ${d}; sizes are non-negative integers, or -1 to keep an existing size`);
    if (i >= lead && x.shape[i - lead] !== d && x.shape[i - lead] !== 1)
      bad(`dimension ${i} has size ${x.shape[i - lead]}, which is neither ${d} nor 1; only size-1 dimensions can be stretched`);
    return d;
  });
  if (sameShape(to, x.shape)) return x;
  const out = wrap(x.backend.expand(x.buf, to), x);
  return record('expand', out, [x], (g) => [sumTo(g, x.shape)]);
}

/** expand under NumPy's name. @example broadcastTo(tensor([1, 2]), [3, 2]).shape; // [3, 2] */
export const broadcastTo = (x: Tensor, shape: number[]): Tensor => expand(x, shape);

/**
 * Removes size-1 axes: the given one(s), or all of them when `axis` is undefined. Naming an axis whose size is
 * not 1 is an error (NumPy's rule; PyTorch would silently keep it).
 * @example squeeze(zeros([2, 1, 3, 1])).shape; // [2, 3]; squeeze(zeros([2, 1, 3]), 1).shape // [2, 3]
 */
export function squeeze(x: Tensor, axis?: number | number[]): Tensor {
  let drop: number[];
  if (axis === undefined) drop = x.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  else {
    drop = normAxes('squeeze', axis, x.ndim);
    for (const a of drop)
      if (x.shape[a] !== 1)
        throw new ShapeError(`squeeze: axis ${a} of shape ${fmt(x.shape)} has size ${x.shape[a]}, not 1; only size-1 axes can be removed (use reshape or a reduction)`);
  }
  return reshape(x, x.shape.filter((_, i) => !drop.includes(i)));
}

/**
 * Inserts a size-1 axis at `axis` (in -(ndim+1)..ndim; negative counts from the end of the result, like torch).
 * @example unsqueeze(zeros([2, 3]), -1).shape; // [2, 3, 1]
 */
export function unsqueeze(x: Tensor, axis: number): Tensor {
  const a = normAxis('unsqueeze', axis, x.ndim + 1);
  const shape = [...x.shape];
  shape.splice(a, 0, 1);
  return reshape(x, shape);
}

/**
 * Joins tensors along an existing axis; all other sizes must match.
 * @example concat([zeros([2, 3]), ones([1, 3])], 0).shape; // [3, 3]
 */
export function concat(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('concat: got no tensors; pass a non-empty list');
  checkCompatible('concat', ...xs);
  const [first] = xs;
  if (first.ndim === 0)
    throw new ShapeError('concat: cannot join 0-d tensors along an axis; unsqueeze them first or use stack');
  const a = normAxis('concat', axis, first.ndim);
  for (const x of xs)
    if (x.ndim !== first.ndim || x.shape.some((d, i) => i !== a && d !== first.shape[i]))
      throw new ShapeError(
        `concat: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} do not match outside axis ${a}: ` +
          `${fmt(x.shape)} vs ${fmt(first.shape)}; all sizes except along axis ${a} must be equal`,
      );
  if (xs.length === 1) return first;
  const out = wrap(first.backend.concat(xs.map((x) => x.buf), a), first);
  return record('concat', out, xs, (g) => {
    let at = 0;
    return xs.map((x) => {
      const part = x.requiresGrad ? sliceRaw(g, a, at, at + x.shape[a]) : null;
      at += x.shape[a];
      return part;
    });
  });
}

/**
 * Joins same-shaped tensors along a new axis.
 * @example stack([zeros([2, 3]), ones([2, 3])], 1).shape; // [2, 2, 3]
 */
export function stack(xs: Tensor[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: got no tensors; pass a non-empty list');
  for (const x of xs)
    if (!sameShape(x.shape, xs[0].shape))
      throw new ShapeError(`stack: shapes ${xs.map((t) => fmt(t.shape)).join(', ')} differ; stack needs tensors of one shape (concat joins along an existing axis)`);
  const a = normAxis('stack', axis, xs[0].ndim + 1);
  return concat(xs.map((x) => unsqueeze(x, a)), a);
}

function sliceRaw(x: Tensor, axis: number, start: number, end: number): Tensor {
  const begin = x.shape.map((_, i) => (i === axis ? start : 0));
  const stop = x.shape.map((d, i) => (i === axis ? end : d));
  return wrap(x.backend.slice(x.buf, begin, stop), x);
}

/** Python's slice bounds: negative counts from the end, then clamped into 0..size. */
function clampIndex(op: string, v: number, size: number): number {
  if (!Number.isInteger(v)) throw new ValueError(`${op}: slice bound ${v} is not an integer`);
  return Math.min(Math.max(v < 0 ? v + size : v, 0), size);
}

/**
 * Elements start..end-1 along `axis`, with Python's rules: negative bounds count from the end and out-of-range
 * bounds are clamped (an empty result when end ≤ start). The gradient is zero outside the slice.
 * @example slice(arange(5), 0, 1, -1).toArray(); // [1, 2, 3]
 */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const a = normAxis('slice', axis, x.ndim);
  const n = x.shape[a];
  const s = clampIndex('slice', start, n);
  const e = Math.max(s, end === undefined ? n : clampIndex('slice', end, n));
  const out = sliceRaw(x, a, s, e);
  return record('slice', out, [x], (g) => {
    const pad = (len: number): Tensor => {
      const shape = x.shape.map((d, i) => (i === a ? len : d));
      return wrap(g.backend.fill(shape, 0, g.dtype), g);
    };
    const parts = [pad(s), g, pad(n - e)].filter((t) => t.shape[a] > 0);
    if (parts.length === 0) return [g]; // the axis has size 0: g already has x's shape
    return [parts.length === 1 ? parts[0] : wrap(g.backend.concat(parts.map((t) => t.buf), a), g)];
  });
}

function noScalar(op: string, x: Tensor): void {
  if (x.ndim === 0) throw new ShapeError(`${op}: the input is 0-d and has no axis to index; unsqueeze it first`);
}

/** Reads index values and checks that they are integers in 0..size-1 (aglu has no integer dtype). */
function checkIndices(op: string, values: ArrayLike<number>, size: number, what: string): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isInteger(v) || v < 0 || v >= size)
      throw new ValueError(`${op}: index ${v} (element ${i} of the indices) is out of range for ${what} of size ${size}; indices must be integers in 0..${size - 1}`);
  }
}

/** An index tensor on x's backend and in x's dtype (indices are small integers, exact in either dtype). */
function indexLike(op: string, index: Tensor, x: Tensor): Tensor {
  if (index.backend !== x.backend)
    throw new BackendError(`${op}: the index lives on the ${index.backend.name} backend and the input on ${x.backend.name}; create both after the same setBackend call`);
  return index.dtype === x.dtype ? index : wrap(x.backend.cast(index.buf, x.dtype), x);
}

/**
 * Picks entries along `axis` by a list of indices (repeats allowed); the gradient adds up at repeated indices.
 * @example indexSelect(tensor([[1, 2], [3, 4], [5, 6]]), 0, [2, 0]).toArray(); // [[5, 6], [1, 2]]
 */
export function indexSelect(x: Tensor, axis: number, indices: Tensor | number[]): Tensor {
  noScalar('indexSelect', x);
  const a = normAxis('indexSelect', axis, x.ndim);
  let idx: Tensor;
  if (Array.isArray(indices)) {
    checkIndices('indexSelect', indices, x.shape[a], `axis ${a} of shape ${fmt(x.shape)}`);
    idx = wrap(x.backend.fromTypedArray(Float64Array.from(indices), [indices.length], x.dtype), x);
  } else {
    if (indices.ndim > 1)
      throw new ShapeError(`indexSelect: indices must be 1-D, got shape ${fmt(indices.shape)}; flatten them or use gather`);
    idx = indexLike('indexSelect', indices, x);
    checkIndices('indexSelect', idx.toTypedArray(), x.shape[a], `axis ${a} of shape ${fmt(x.shape)}`);
  }
  const k = idx.size;
  // torch.gather on an index broadcast along every other axis is exactly index_select.
  const line = x.shape.map((_, i) => (i === a ? k : 1));
  const full = x.shape.map((d, i) => (i === a ? k : d));
  const index = wrap(x.backend.expand(x.backend.reshape(idx.buf, line), full), x);
  const out = wrap(x.backend.gather(x.buf, a, index.buf), x);
  return record('indexSelect', out, [x], (g) => [wrap(g.backend.scatterAdd(x.shape, a, index.buf, g.buf), g)]);
}

/**
 * torch.gather: out[i][j] = x[i][index[i][j]] along `axis` (shown for axis 1). `index` has x's rank and sizes no
 * larger than x's outside `axis`; the output has index's shape. Picks class scores by label, for instance.
 * @example gather(tensor([[1, 2], [3, 4]]), 1, tensor([[1], [0]])).toArray(); // [[2], [3]]
 */
export function gather(x: Tensor, axis: number, index: Tensor): Tensor {
  noScalar('gather', x);
  const a = normAxis('gather', axis, x.ndim);
  if (index.ndim !== x.ndim || index.shape.some((d, i) => i !== a && d > x.shape[i]))
    throw new ShapeError(
      `gather: index of shape ${fmt(index.shape)} does not fit input of shape ${fmt(x.shape)} along axis ${a}; ` +
        `the index needs the input's rank (${x.ndim}) and sizes no larger than the input's outside axis ${a}`,
    );
  const idx = indexLike('gather', index, x);
  checkIndices('gather', idx.toTypedArray(), x.shape[a], `axis ${a} of shape ${fmt(x.shape)}`);
  const out = wrap(x.backend.gather(x.buf, a, idx.buf), x);
  return record('gather', out, [x], (g) => [wrap(g.backend.scatterAdd(x.shape, a, idx.buf, g.buf), g)]);
}

/**
 * One-hot encoding: a new last axis of size numClasses with 1 at each label and 0 elsewhere, in the labels'
 * dtype. Labels must be integers in 0..numClasses-1. Carries no gradient.
 * @example oneHot(tensor([2, 0]), 3).toArray(); // [[0, 0, 1], [1, 0, 0]]
 */
export function oneHot(labels: Tensor, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1)
    throw new ValueError(`oneHot: numClasses must be a positive integer, got ${numClasses}`);
  checkIndices('oneHot', labels.toTypedArray(), numClasses, `numClasses`);
  const b = labels.backend;
  const classes = b.fromTypedArray(Float64Array.from({ length: numClasses }, (_, i) => i), [numClasses], labels.dtype);
  const column = b.reshape(labels.buf, [...labels.shape, 1]);
  return wrap(b.binary('eq', column, classes), labels);
}
