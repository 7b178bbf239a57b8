/**
 * GPU.js kernels for batched matrix products out[t, i, j] = Σ_p A[t, i, p] · B[t, p, j]. Operands are read through
 * strides (batch, row, column), so transposed and batch-broadcast inputs need no copy. The loop over the inner
 * dimension `k` is an argument-bounded loop: the backend raises loopMaxIterations above any tensor size so GPU.js
 * never truncates it (its default cap of 1000 would silently drop terms for k > 1000).
 *
 * The fast path is `matmulBlock4`: each thread computes four rows of one output column and returns them as a
 * vec4 (Array(4)), so every element of B it loads feeds four products — on webasm (whose SIMD path runs four
 * adjacent columns at once and gathers B lane by lane) and on GL (where each read is a texture fetch) loads, not
 * arithmetic, are the cost, and this halves it. Its packed [column, row-block] result is then laid out row-major
 * by `matmulUnpackFlat` (cpu/webasm: a flat array of 4-tuples) or `matmulUnpackTexture` (GL: an RGBA texture).
 * `matmulFlat` (one output per thread, 1-D output) is the fallback for outputs too large for a 2-D texture.
 */

interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

export function matmulFlat(
  this: KernelThis, a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  ao: number, aBatch: number, aRow: number, aCol: number, bo: number, bBatch: number, bRow: number, bCol: number,
): number {
  const i = this.thread.x;
  const j = i % n;
  const t = (i - j) / n;
  const r = t % m;
  const bt = (t - r) / m;
  const ab = ao + bt * aBatch + r * aRow;
  const bb = bo + bt * bBatch + j * bCol;
  const k4 = k - (k % 4);
  let s0 = 0.0;
  let s1 = 0.0;
  let s2 = 0.0;
  let s3 = 0.0;
  for (let p = 0; p < k4; p += 4) {
    s0 += a[ab + p * aCol] * b[bb + p * bRow];
    s1 += a[ab + (p + 1) * aCol] * b[bb + (p + 1) * bRow];
    s2 += a[ab + (p + 2) * aCol] * b[bb + (p + 2) * bRow];
    s3 += a[ab + (p + 3) * aCol] * b[bb + (p + 3) * bRow];
  }
  for (let q = k4; q < k; q++) {
    s0 += a[ab + q * aCol] * b[bb + q * bRow];
  }
  return s0 + s1 + (s2 + s3);
}

/**
 * Four rows (4·blk … 4·blk+3 of batch bt, thread.y = bt·mb4 + blk) of output column j = thread.x. Rows past m
 * read row m−1 (results dropped by the unpack) so no read leaves the operands.
 */
export function matmulBlock4(
  this: KernelThis, a: Float32Array, b: Float32Array, m: number, n: number, k: number,
  ao: number, aBatch: number, aRow: number, aCol: number, bo: number, bBatch: number, bRow: number, bCol: number, mb4: number,
): number[] {
  const j = this.thread.x;
  const y = this.thread.y;
  const blk = y % mb4;
  const bt = (y - blk) / mb4;
  const r0 = blk * 4;
  const base = ao + bt * aBatch;
  // Running offsets instead of p·stride products: GPU.js's webasm code does not strength-reduce, and the
  // multiplications cost more than the loads (3.9 vs 1.7 GFLOP/s at 256³ here).
  let a0 = base + r0 * aRow;
  let a1 = base + Math.min(r0 + 1, m - 1) * aRow;
  let a2 = base + Math.min(r0 + 2, m - 1) * aRow;
  let a3 = base + Math.min(r0 + 3, m - 1) * aRow;
  let bi = bo + bt * bBatch + j * bCol;
  let s0 = 0.0;
  let s1 = 0.0;
  let s2 = 0.0;
  let s3 = 0.0;
  for (let p = 0; p < k; p++) {
    const bv = b[bi];
    s0 += a[a0] * bv;
    s1 += a[a1] * bv;
    s2 += a[a2] * bv;
    s3 += a[a3] * bv;
    bi += bRow;
    a0 += aCol;
    a1 += aCol;
    a2 += aCol;
    a3 += aCol;
  }
  return [s0, s1, s2, s3];
}

/** Row-major [batch, m, n] from matmulBlock4's result as a flat array of 4-tuples ((y·n + j)·4 + q). */
export function matmulUnpackFlat(this: KernelThis, c: Float32Array, m: number, n: number, mb4: number): number {
  const i = this.thread.x;
  const j = i % n;
  const t = (i - j) / n;
  const r = t % m;
  const bt = (t - r) / m;
  const q = r % 4;
  const blk = (r - q) / 4;
  return c[((bt * mb4 + blk) * n + j) * 4 + q];
}

/** Row-major [batch, m, n] from matmulBlock4's result as an RGBA texture (2-D, [n, batch·mb4]). */
export function matmulUnpackTexture(this: KernelThis, c: number[][][], m: number, n: number, mb4: number): number {
  const i = this.thread.x;
  const j = i % n;
  const t = (i - j) / n;
  const r = t % m;
  const bt = (t - r) / m;
  const q = r % 4;
  const blk = (r - q) / 4;
  const v = c[bt * mb4 + blk][j];
  if (q === 0) return v[0];
  if (q === 1) return v[1];
  if (q === 2) return v[2];
  return v[3];
}
