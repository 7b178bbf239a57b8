/**
 * The Backend interface: the small set of primitives every op is written with. A backend is one object that
 * `satisfies Backend`; the js backend (ndarray, float32/float64) is the living definition that the gpujs
 * backend is compared against. Buffers are opaque to the ops: they only carry shape and dtype.
 *
 * Conventions every backend follows:
 * - Inputs are never modified; every primitive returns a new buffer (which may share memory with its input
 *   for the view primitives: reshape, permute, expand, slice) — never one of its inputs. `expand(x, x.shape)` is
 *   how a second tensor gets its own handle on x's memory (detach, assign_): each Tensor owns its buffer object,
 *   and `dispose` releases that handle only.
 * - Binary primitives and `where` broadcast NumPy-style; shapes were checked by the op layer already.
 * - Comparison results are 1 or 0 in the inputs' dtype.
 */
import type { Shape } from '../shape.js';

export type DType = 'float32' | 'float64';
export type TypedArray = Float32Array | Float64Array;

/** A backend's storage of one tensor. Backends extend it; ops see only shape and dtype. */
export interface Buf {
  readonly shape: Shape;
  readonly dtype: DType;
}

/**
 * Unary primitives, elementwise. Two optional numeric parameters p0, p1:
 * leakyRelu(p0 = negative slope), softplus(p0 = beta, p1 = threshold), clamp(p0 = min, p1 = max),
 * powScalar(p0 = exponent), addScalar(p0), mulScalar(p0).
 * `step` is 1 where x > 0 else 0 (the derivative mask of relu).
 */
export const UNARY_OPS = [
  'neg', 'exp', 'log', 'log1p', 'sqrt', 'abs', 'square', 'sign', 'step', 'relu', 'leakyRelu',
  'sigmoid', 'tanh', 'softplus', 'erf', 'clamp', 'powScalar', 'addScalar', 'mulScalar',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'eq', 'ne', 'lt', 'le', 'gt', 'ge',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export type ReduceOp = 'sum' | 'max' | 'min';

/** Options of the fused APA/AGLU primitives. λ and κ buffers have shape [1] or [C] (C = z.shape[channelAxis]). */
export interface ApaKernelOptions {
  /** Axis of z that λ, κ of shape [C] run along (already normalised to 0..rank-1). */
  channelAxis: number;
  /** true: AGLU = z·APA(z); false: APA(z). */
  gated: boolean;
  /** λ is clamped at this floor in the forward; no gradient flows to λ below it. */
  lambdaFloor: number;
}

/**
 * Options of the fused APA losses (one-vs-all binary cross-entropy with p = APA(z), see docs/apa.md).
 * λ and κ buffers have shape [1] or [C] as for apaForward.
 */
export interface ApaLossKernelOptions {
  /** Axis of z that λ, κ of shape [C] run along (already normalised to 0..rank-1). */
  channelAxis: number;
  /** λ is clamped at this floor; no gradient flows to λ below it. */
  lambdaFloor: number;
  /** The λ → 0 limit, p = exp(−e^{−κz}) (the Gumbel loss): λ is ignored and its gradient is 0. */
  gumbel: boolean;
}

/**
 * Options of the fused SGD update (torch.optim.SGD, see src/optim/sgd.ts): g ← ∇ + wd·p; with momentum
 * b ← g on the first step (no buffer yet), else b ← μ·b + (1 − dampening)·g; g ← g + μ·b (Nesterov) or b;
 * p ← p − lr·g (p + lr·g with maximize).
 */
export interface SgdUpdateOptions {
  lr: number;
  /** 0: no momentum buffer is made or returned. */
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
  maximize: boolean;
}

/**
 * Options of the fused Adam/AdamW update (torch.optim.Adam/AdamW, see src/optim/adam.ts): g ← ±∇ (+ wd·p unless
 * decoupled, where p ← p·(1 − lr·wd) instead); m ← m + (g − m)·(1 − β1); v ← β2·v + (1 − β2)·g² (m, v start at
 * zero); v̂ ← max(v̂, v) with amsgrad; p ← p − lr/(1 − β1ᵗ) · m / (√v̂/√(1 − β2ᵗ) + ε).
 */
export interface AdamUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW's decoupled weight decay instead of an L2 term in the gradient. */
  decoupled: boolean;
  amsgrad: boolean;
  maximize: boolean;
  /** The step count t of the bias corrections, 1 on the first step. */
  step: number;
}

export interface MemoryInfo {
  /** Buffers this backend holds (not disposed). */
  buffers: number;
  /** Bytes those buffers hold. */
  bytes: number;
}

export interface Backend<B extends Buf = Buf> {
  /** 'js' or 'gpujs'. */
  readonly name: string;
  /** The mode that actually runs ('float64-capable' js has mode 'js'; gpujs: 'cpu' | 'webasm' | 'headlessgl' | …). */
  readonly mode: string;
  supportsDType(dtype: DType): boolean;

  // creation, read-out, lifetime
  fromTypedArray(data: TypedArray, shape: Shape, dtype: DType): B;
  fill(shape: Shape, value: number, dtype: DType): B;
  /** A row-major contiguous copy of the values, in the buffer's dtype. */
  read(x: B): TypedArray;
  cast(x: B, dtype: DType): B;
  dispose(x: B): void;
  memory(): MemoryInfo;

  // layout (views where the backend can, copies otherwise)
  reshape(x: B, shape: Shape): B;
  permute(x: B, axes: readonly number[]): B;
  /** Broadcast to a larger shape (NumPy rules, shape already checked). */
  expand(x: B, shape: Shape): B;
  /** Half-open ranges per axis, step 1. */
  slice(x: B, begin: readonly number[], end: readonly number[]): B;
  concat(xs: readonly B[], axis: number): B;

  // elementwise
  unary(op: UnaryOp, x: B, p0?: number, p1?: number): B;
  binary(op: BinaryOp, a: B, b: B): B;
  /** cond ≠ 0 ? a : b, broadcasting all three. */
  where(cond: B, a: B, b: B): B;

  // reductions and friends
  reduce(op: ReduceOp, x: B, axes: readonly number[], keepdim: boolean): B;
  /** Index (as a float) of the first maximum along one axis; the axis is removed. */
  argmax(x: B, axis: number): B;
  /** [..., m, k] × [..., k, n] → [..., m, n], batch dims broadcast; both at least 2-D. */
  matmul(a: B, b: B): B;
  /** Numerically stable softmax (or log-softmax) along one axis. */
  softmax(x: B, axis: number, log: boolean): B;
  /** torch.gather: out[i][j] = x[i][index[i][j]] along `axis`; index has x's rank, values are integers. */
  gather(x: B, axis: number, index: B): B;
  /** The adjoint of gather: zeros of `shape`, then out[…index…] += src along `axis`. */
  scatterAdd(shape: Shape, axis: number, index: B, src: B): B;

  // fused APA / AGLU (see docs/apa.md); dλ and dκ come back reduced to λ's and κ's shapes
  apaForward(z: B, lambda: B, kappa: B, opts: ApaKernelOptions): B;
  apaBackward(z: B, lambda: B, kappa: B, grad: B, opts: ApaKernelOptions): { dz: B; dlambda: B; dkappa: B };
  /** Elementwise loss −[t·log p + (1−t)·log(1−p)], p = APA(z); target has z's shape. */
  apaBceForward(z: B, target: B, lambda: B, kappa: B, opts: ApaLossKernelOptions): B;
  /** Gradients of Σ grad·loss w.r.t. z, λ, κ (grad has z's shape); none flows to target. */
  apaBceBackward(z: B, target: B, lambda: B, kappa: B, grad: B, opts: ApaLossKernelOptions): { dz: B; dlambda: B; dkappa: B };

  // fused optimizer updates: one call per parameter and step; inputs (param, and grad and state of param's shape) are
  // left as they are, every output is a new buffer of param's shape and dtype
  /** New parameter values and momentum buffer (null when momentum is 0); momentumBuf null on the first step. */
  sgdUpdate(param: B, grad: B, momentumBuf: B | null, opts: SgdUpdateOptions): { param: B; momentumBuf: B | null };
  /** New parameter values and moments; m, v (and vmax) null on the first step; vmax comes back null unless amsgrad. */
  adamUpdate(param: B, grad: B, m: B | null, v: B | null, vmax: B | null, opts: AdamUpdateOptions): { param: B; m: B; v: B; vmax: B | null };
}
