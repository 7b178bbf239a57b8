/**
 * GPU.js kernels that move values by index along one axis; operands are contiguous and seen as
 * [outer, axis, post]. Index values are integers stored as floats (checked by the backend before the call).
 */

interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

/** out[o, k, q] = x[o, index[o, k, q], q]; output has the index's shape [outer, kk, post], x is [outer, n, post]. */
export function gatherAxis(this: KernelThis, x: Float32Array, index: Float32Array, n: number, kk: number, post: number): number {
  const i = this.thread.x;
  const q = i % post;
  const t = (i - q) / post;
  const k = t % kk;
  const o = (t - k) / kk;
  return x[(o * n + index[i]) * post + q];
}

/**
 * The adjoint of gatherAxis, written gather-style (each output cell sums what lands on it, no atomics):
 * out[o, c, q] = Σ_k [index[o, k, q] = c] · src[o, k, q]; output [outer, n, post], index and src [outer, kk, post].
 */
export function scatterAddAxis(this: KernelThis, index: Float32Array, src: Float32Array, n: number, kk: number, post: number): number {
  const i = this.thread.x;
  const q = i % post;
  const t = (i - q) / post;
  const c = t % n;
  const o = (t - c) / n;
  let s = 0.0;
  for (let k = 0; k < kk; k++) {
    const at = (o * kk + k) * post + q;
    if (index[at] === c) s += src[at];
  }
  return s;
}

/** Two contiguous operands [outer, na, post] and [outer, nb, post] joined along the middle axis. */
export function concatAxis(this: KernelThis, a: Float32Array, b: Float32Array, na: number, nb: number, post: number): number {
  const i = this.thread.x;
  const q = i % post;
  const t = (i - q) / post;
  const n = na + nb;
  const c = t % n;
  const o = (t - c) / n;
  if (c < na) return a[(o * na + c) * post + q];
  return b[(o * nb + c - na) * post + q];
}
