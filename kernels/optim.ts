/**
 * GPU.js kernels of the fused optimizer updates (src/optim/sgd.ts, adam.ts; Backend.sgdUpdate / adamUpdate).
 * One output per kernel: a kernel map would run on GPU.js's cpu backend when webasm is asked for. So each new
 * state tensor is one kernel, and the parameter's kernel reads the new state — SGD with momentum is two passes,
 * Adam two or three, instead of a chain of 6–15 elementwise ops. Flags are 0/1 numbers (tested `> 0.5`), so the
 * argument types never change and each kernel compiles once; an unused state argument gets the parameter.
 * Plain functions, no imports or closures: GPU.js compiles them from their source (see kernels/elementwise.ts).
 */

/** `this` inside a GPU.js kernel (types only; erased by tsc). */
interface KernelThis {
  thread: { x: number; y: number; z: number };
}

/** SGD's new momentum buffer: g = ∇ (+ wd·p); b ← g on the first step (hasBuf 0), else μ·b + (1 − dampening)·g. */
export function sgdMomentumKernel(
  this: KernelThis, p: Float32Array, g: Float32Array, b: Float32Array,
  hasBuf: number, useWd: number, wd: number, mu: number, keepG: number,
): number {
  const i = this.thread.x;
  let gi = g[i];
  if (useWd > 0.5) {
    gi = gi + p[i] * wd;
  }
  let out = gi;
  if (hasBuf > 0.5) {
    out = b[i] * mu + gi * keepG;
  }
  return out;
}

/** SGD's new parameter from the new momentum buffer b (read only when useBuf is 1): p ∓ lr·g. */
export function sgdParamKernel(
  this: KernelThis, p: Float32Array, g: Float32Array, b: Float32Array,
  useBuf: number, useWd: number, wd: number, nesterov: number, mu: number, lr: number, maximize: number,
): number {
  const i = this.thread.x;
  const pi = p[i];
  let gi = g[i];
  if (useWd > 0.5) {
    gi = gi + pi * wd;
  }
  if (useBuf > 0.5) {
    if (nesterov > 0.5) {
      gi = gi + b[i] * mu;
    } else {
      gi = b[i];
    }
  }
  let out = pi - gi * lr;
  if (maximize > 0.5) {
    out = pi + gi * lr;
  }
  return out;
}

/**
 * One of Adam's moments from g = ±∇ (+ wd·p for Adam's L2 decay). First moment (second 0): m + (g − m)·(1 − β1);
 * second moment (second 1): β2·v + (1 − β2)·g². On the first step (hasPrev 0) the moment was zero.
 */
export function adamMomentKernel(
  this: KernelThis, p: Float32Array, g: Float32Array, prev: Float32Array,
  hasPrev: number, second: number, maximize: number, useL2: number, wd: number, beta: number, oneMinusBeta: number,
): number {
  const i = this.thread.x;
  let gi = g[i];
  if (maximize > 0.5) {
    gi = -gi;
  }
  if (useL2 > 0.5) {
    gi = gi + p[i] * wd;
  }
  let out = 0.0;
  if (second > 0.5) {
    out = gi * gi * oneMinusBeta;
    if (hasPrev > 0.5) {
      out = prev[i] * beta + gi * gi * oneMinusBeta;
    }
  } else {
    out = gi * oneMinusBeta;
    if (hasPrev > 0.5) {
      const mi = prev[i];
      out = mi + (gi - mi) * oneMinusBeta;
    }
  }
  return out;
}

/** AMSGrad's running maximum of the second moment: max(vmax, v), or v on the first step (hasPrev 0). */
export function adamMaxKernel(this: KernelThis, v: Float32Array, vmax: Float32Array, hasPrev: number): number {
  const i = this.thread.x;
  let out = v[i];
  if (hasPrev > 0.5) {
    out = Math.max(vmax[i], v[i]);
  }
  return out;
}

/** Adam's new parameter from the new moments: p·decay − stepSize · m / (√s / bc2Sqrt + ε). */
export function adamParamKernel(
  this: KernelThis, p: Float32Array, m: Float32Array, s: Float32Array,
  decay: number, bc2Sqrt: number, eps: number, stepSize: number,
): number {
  const i = this.thread.x;
  return p[i] * decay - (m[i] / (Math.sqrt(s[i]) / bc2Sqrt + eps)) * stepSize;
}
