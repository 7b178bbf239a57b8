/**
 * Matrix product with torch.matmul's rules: 2-D × 2-D, batched [..., m, k] × [..., k, n] with NumPy broadcasting of
 * the batch dims, and 1-D operands promoted to a row (left) or column (right) whose axis is dropped afterwards.
 */
import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { checkCompatible, sumTo, wrap } from './util.js';

const reshapeRaw = (x: Tensor, shape: readonly number[]): Tensor =>
  sameShape(x.shape, shape) ? x : wrap(x.backend.reshape(x.buf, shape), x);
/** Swaps the last two axes (both operands of the raw product are at least 2-D). */
const mT = (x: Tensor): Tensor => {
  const r = x.ndim;
  return wrap(x.backend.permute(x.buf, x.shape.map((_, i) => (i === r - 2 ? r - 1 : i === r - 1 ? r - 2 : i))), x);
};
const mm = (a: Tensor, b: Tensor): Tensor => wrap(a.backend.matmul(a.buf, b.buf), a);

/**
 * a @ b. Gradients: dA = g·Bᵀ and dB = Aᵀ·g, each summed back over the batch dims it was broadcast along.
 * @example matmul(tensor([[1, 2], [3, 4]]), tensor([[5], [6]])).toArray(); // [[17], [39]]
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  checkCompatible('matmul', a, b);
  const shapes = `${fmt(a.shape)} @ ${fmt(b.shape)}`;
  if (a.ndim === 0 || b.ndim === 0)
    throw new ShapeError(`matmul: ${shapes} has a 0-d operand; matmul needs at least 1-D tensors (use mul for scaling)`);
  const a2 = a.ndim === 1 ? [1, a.shape[0]] : a.shape;
  const b2 = b.ndim === 1 ? [b.shape[0], 1] : b.shape;
  const k = a2[a2.length - 1];
  if (b2[b2.length - 2] !== k)
    throw new ShapeError(
      `matmul: ${shapes}: the inner dimensions differ (${k} vs ${b2[b2.length - 2]}); ` +
        `a's last size must equal b's ${b.ndim === 1 ? 'only' : 'second-to-last'} size — transpose or reshape one operand`,
    );
  const batchA = a2.slice(0, -2);
  const batchB = b2.slice(0, -2);
  const rank = Math.max(batchA.length, batchB.length);
  const batch: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = batchA[i - rank + batchA.length] ?? 1;
    const db = batchB[i - rank + batchB.length] ?? 1;
    if (da !== db && da !== 1 && db !== 1)
      throw new ShapeError(
        `matmul: ${shapes}: batch dimensions ${fmt(batchA)} and ${fmt(batchB)} cannot be broadcast ` +
          `(${da} vs ${db}); batch sizes must match or be 1`,
      );
    batch.push(da === 1 ? db : da);
  }
  const m = a2[a2.length - 2];
  const n = b2[b2.length - 1];
  const outShape = [...batch, ...(a.ndim === 1 ? [] : [m]), ...(b.ndim === 1 ? [] : [n])];
  const A = reshapeRaw(a, a2);
  const B = reshapeRaw(b, b2);
  const out = reshapeRaw(mm(A, B), outShape);
  return record('matmul', out, [a, b], (g) => {
    const g2 = reshapeRaw(g, [...batch, m, n]);
    return [
      a.requiresGrad ? reshapeRaw(sumTo(mm(g2, mT(B)), a2), a.shape) : null,
      b.requiresGrad ? reshapeRaw(sumTo(mm(mT(A), g2), b2), b.shape) : null,
    ];
  });
}
