/**
 * GPU.js kernels for reductions along one run of adjacent axes, and the row statistics softmax and argmax need.
 * Every kernel sees its (contiguous) input as [outer, inner, post] and reduces `inner`.
 *
 * Sums, maxima and minima run in stages of `this.constants.block` elements: a stage turns [outer, inner, post]
 * into [outer, ceil(inner/block), post] and the backend repeats it until one block is left. The constant loop
 * bound is what GPU.js treats as safe (no loopMaxIterations cap), each output cell has a bounded amount of work
 * (parallel on a GPU), and the float32 sums are pairwise-ish (error ~ log(n), not n).
 * Loops over `inner` (argmax, logsumexp) rely on the backend raising loopMaxIterations above any tensor size.
 */

interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

export function sumStage(this: KernelThis, x: Float32Array, inner: number, post: number, blocks: number): number {
  const i = this.thread.x;
  const q = i % post;
  const t = (i - q) / post;
  const p = t % blocks;
  const o = (t - p) / blocks;
  const start = p * this.constants.block;
  let acc = 0.0;
  for (let j = 0; j < this.constants.block; j++) {
    if (start + j < inner) acc += x[(o * inner + start + j) * post + q];
  }
  return acc;
}

/** NaN wins (propagates), as in the js backend. */
export function maxStage(this: KernelThis, x: Float32Array, inner: number, post: number, blocks: number): number {
  const i = this.thread.x;
  const q = i % post;
  const t = (i - q) / post;
  const p = t % blocks;
  const o = (t - p) / blocks;
  const start = p * this.constants.block;
  let acc = x[(o * inner + start) * post + q];
  for (let j = 1; j < this.constants.block; j++) {
    if (start + j < inner) {
      const v = x[(o * inner + start + j) * post + q];
      if (v > acc || v !== v) acc = v;
    }
  }
  return acc;
}

export function minStage(this: KernelThis, x: Float32Array, inner: number, post: number, blocks: number): number {
  const i = this.thread.x;
  const q = i % post;
  const t = (i - q) / post;
  const p = t % blocks;
  const o = (t - p) / blocks;
  const start = p * this.constants.block;
  let acc = x[(o * inner + start) * post + q];
  for (let j = 1; j < this.constants.block; j++) {
    if (start + j < inner) {
      const v = x[(o * inner + start + j) * post + q];
      if (v < acc || v !== v) acc = v;
    }
  }
  return acc;
}

/** Index of the first maximum along `inner` (NaN counts as the largest); output [outer, post]. */
export function argmaxAxis(this: KernelThis, x: Float32Array, inner: number, post: number): number {
  const i = this.thread.x;
  const q = i % post;
  const o = (i - q) / post;
  let best = x[o * inner * post + q];
  let at = 0;
  for (let j = 1; j < inner; j++) {
    if (best === best) {
      const v = x[(o * inner + j) * post + q];
      if (v > best || v !== v) {
        best = v;
        at = j;
      }
    }
  }
  return at;
}

/**
 * log Σ exp along `inner`, shifted by the maximum so large logits stay finite; output [outer, post].
 * A row of −∞ gives NaN (as PyTorch's softmax does), through (−∞) − (−∞).
 */
export function logSumExpAxis(this: KernelThis, x: Float32Array, inner: number, post: number): number {
  const i = this.thread.x;
  const q = i % post;
  const o = (i - q) / post;
  const base = o * inner * post + q;
  let m = x[base];
  for (let j = 1; j < inner; j++) {
    const v = x[base + j * post];
    if (v > m || v !== v) m = v;
  }
  // A different loop variable: GPU.js hoists loop counters to function scope.
  let s = 0.0;
  for (let h = 0; h < inner; h++) {
    s += Math.exp(x[base + h * post] - m);
  }
  return m + Math.log(s);
}
