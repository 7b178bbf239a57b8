/**
 * softmax and logSoftmax along one axis through the backend's stable primitive (it subtracts the maximum, so
 * logits of 1e4 stay finite). Backward: softmax y·(g − Σ g·y), logSoftmax g − exp(y)·Σ g, sums along the axis.
 */
import { record } from '../autograd/tape.js';
import { normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { binaryRaw, unaryRaw } from './elementwise.js';
import { wrap } from './util.js';

function run(x: Tensor, axis: number, log: boolean): { out: Tensor; a: number } {
  const op = log ? 'logSoftmax' : 'softmax';
  if (x.ndim === 0) {
    // One element: the backend primitive wants a real axis, so lift to [1] and back. Axis 0 or -1 (torch).
    normAxis(op, axis, 1);
    const one = x.backend.softmax(x.backend.reshape(x.buf, [1]), 0, log);
    return { out: wrap(x.backend.reshape(one, []), x), a: -1 };
  }
  const a = normAxis(op, axis, x.ndim);
  return { out: wrap(x.backend.softmax(x.buf, a, log), x), a };
}

/** Σ along the axis, kept as size 1 so it broadcasts back (a 0-d tensor is its own sum). */
const sumAlong = (t: Tensor, a: number): Tensor => (a < 0 ? t : wrap(t.backend.reduce('sum', t.buf, [a], true), t));

/**
 * exp(x) / Σ exp(x) along `axis` (default the last).
 * @example softmax(tensor([0, Math.log(3)])).toArray(); // [0.25, 0.75]
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  const { out: y, a } = run(x, axis, false);
  return record('softmax', y, [x], (g) => [binaryRaw('mul', y, binaryRaw('sub', g, sumAlong(binaryRaw('mul', g, y), a)))]);
}

/**
 * x − log Σ exp(x) along `axis` (default the last); more accurate than log(softmax(x)) for very negative values.
 * @example logSoftmax(tensor([0, 0])).toArray(); // [-0.6931, -0.6931]
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  const { out: y, a } = run(x, axis, true);
  return record('logSoftmax', y, [x], (g) => [binaryRaw('sub', g, binaryRaw('mul', unaryRaw('exp', y), sumAlong(g, a)))]);
}
