/** Helpers every op file uses: wrapping backend buffers, scalars as tensors, dtype/backend checks, sumTo. */
import type { Buf } from '../backend/backend.js';
import { BackendError, DTypeError } from '../errors.js';
import { fmt, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';

/** A new tensor (not on the tape) around a buffer of `like`'s backend. */
export function wrap(buf: Buf, like: Tensor): Tensor {
  return new Tensor(buf, like.backend);
}

/** A number becomes a 0-d tensor of `like`'s dtype and backend; tensors are checked against `like`. */
export function asTensor(op: string, x: Tensor | number, like: Tensor): Tensor {
  if (typeof x === 'number') return new Tensor(like.backend.fill([], x, like.dtype), like.backend);
  checkCompatible(op, like, x);
  return x;
}

/** Same backend and same dtype, or a typed error naming the op. Nothing is silently cast. */
export function checkCompatible(op: string, ...ts: Tensor[]): void {
  const [first] = ts;
  for (const t of ts) {
    if (t.backend !== first.backend)
      throw new BackendError(`${op}: tensors live on different backends (${first.backend.name} and ${t.backend.name}); create them after the same setBackend call`);
    if (t.dtype !== first.dtype)
      throw new DTypeError(`${op}: dtypes ${first.dtype} (shape ${fmt(first.shape)}) and ${t.dtype} (shape ${fmt(t.shape)}) differ; cast one with .to('${first.dtype}')`);
  }
}

/** Sums a broadcast gradient back to the shape of the input it belongs to (the adjoint of broadcasting). */
export function sumTo(grad: Tensor, shape: Shape): Tensor {
  if (sameShape(grad.shape, shape)) return grad;
  const lead = grad.ndim - shape.length;
  const axes: number[] = [];
  grad.shape.forEach((d, i) => {
    if (i < lead || (shape[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const b = grad.backend;
  const reduced = axes.length > 0 ? b.reduce('sum', grad.buf, axes, true) : grad.buf;
  return wrap(b.reshape(reduced, shape), grad);
}
