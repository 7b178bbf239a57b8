/**
 * Tensor: a shape, a dtype, a backend buffer, and its place on the autograd tape. Ops live in src/ops/*; the
 * methods here only forward to them so that `x.relu().sum()` and `relu(x).sum()` are the same call.
 */
import type { Backend, Buf, DType, TypedArray } from './backend/backend.js';
import { backend as currentBackend } from './backend/current.js';
import { AutogradError, BackendError, DTypeError, ShapeError, ValueError } from './errors.js';
import { fmt, sameShape, sizeOf, type Shape } from './shape.js';
import { isGradEnabled, noGrad, releaseNode, runBackward, type GradNode } from './autograd/tape.js';
import { claimBuffer, trackTensor } from './autograd/tidy.js';
import { random, randomNormal } from './random.js';
import * as ew from './ops/elementwise.js';
import * as act from './ops/activations.js';
import * as red from './ops/reduce.js';
import * as shp from './ops/shape.js';
import { matmul } from './ops/matmul.js';
import { logSoftmax, softmax } from './ops/softmax.js';
import { aglu, apa, type ApaOptions } from './ops/apa.js';

export type { DType } from './backend/backend.js';
export type NestedArray = number | NestedArray[];
export interface TensorOptions {
  dtype?: DType;
  requiresGrad?: boolean;
}

export class Tensor {
  /** Set by the tape when an op recorded this tensor's creation; null for leaves. */
  gradFn: GradNode | null = null;
  readonly shape: number[];
  readonly dtype: DType;
  #buf: Buf | null;
  #grad: Tensor | null = null;
  /** @internal Set by keep(): no tidy scope disposes this tensor. */
  kept = false;
  /** @internal How many tensors hold this one as their `.grad`. */
  gradSlots = 0;
  /** @internal A tidy scope spared this tensor only because it was a `.grad`: dispose it when no slot holds it. */
  releaseWithGrad = false;

  /**
   * @internal Wraps a backend buffer, which this tensor then owns: no other Tensor may wrap the same buffer object
   * (give it its own view, `backend.expand(buf, shape)`), so that disposing one never frees another's handle.
   * Users create tensors with `tensor`, `zeros`, …
   */
  constructor(buf: Buf, readonly backend: Backend, public requiresGrad = false) {
    this.#buf = buf;
    this.shape = [...buf.shape];
    this.dtype = buf.dtype;
    claimBuffer(buf);
    trackTensor(this);
  }

  /**
   * Accumulated gradient after backward (leaves that require grad only); set it to null to drop it. A gradient
   * that a tidy scope kept only because it sat here is disposed when it is replaced or dropped (see tidy).
   */
  get grad(): Tensor | null {
    return this.#grad;
  }
  set grad(g: Tensor | null) {
    const old = this.#grad;
    if (old === g) return;
    this.#grad = g;
    if (g !== null) g.gradSlots++;
    if (old !== null && --old.gradSlots === 0 && old.releaseWithGrad && !old.kept) old.dispose();
  }

  /** @internal The backend buffer; throws once the tensor is disposed. */
  get buf(): Buf {
    if (this.#buf === null) throw new ValueError(`this tensor of shape ${fmt(this.shape)} was disposed; its values are gone`);
    return this.#buf;
  }

  /** Number of elements. */
  get size(): number {
    return sizeOf(this.shape);
  }
  /** Number of dimensions. */
  get ndim(): number {
    return this.shape.length;
  }
  get isDisposed(): boolean {
    return this.#buf === null;
  }

  // ---- read-out ----------------------------------------------------------------------------------------------
  /** The values as a flat row-major typed array (a copy). */
  toTypedArray(): TypedArray {
    return this.backend.read(this.buf);
  }
  /** The values as nested arrays (a number for a 0-d tensor). */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    const build = (dim: number, at: number): NestedArray => {
      if (dim === this.shape.length) return flat[at];
      const stride = sizeOf(this.shape.slice(dim + 1));
      return Array.from({ length: this.shape[dim] }, (_, i) => build(dim + 1, at + i * stride));
    };
    return build(0, 0);
  }
  /** The single value of a one-element tensor. */
  item(): number {
    if (this.size !== 1)
      throw new ShapeError(`item: tensor of shape ${fmt(this.shape)} has ${this.size} elements; item() needs exactly one (use toArray())`);
    return this.toTypedArray()[0];
  }

  // ---- autograd ----------------------------------------------------------------------------------------------
  /**
   * Back-propagates from this tensor: `loss.backward()` for a one-element tensor, or `y.backward(upstream)` with a
   * gradient of y's shape. Gradients accumulate into `.grad` of the leaves that require grad.
   * @example const x = tensor([1, 2], { requiresGrad: true }); x.square().sum().backward(); x.grad!.toArray(); // [2, 4]
   */
  backward(grad?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad)
      throw new AutogradError(
        `backward: this tensor of shape ${fmt(this.shape)} does not require grad; create the inputs with { requiresGrad: true }`,
      );
    if (grad === undefined) {
      if (this.size !== 1)
        throw new AutogradError(
          `backward: output of shape ${fmt(this.shape)} is not a scalar; call .sum() or .mean() first, or pass a gradient of shape ${fmt(this.shape)}`,
        );
      // On this tensor's backend, which need not be the current one after a setBackend call.
      grad = new Tensor(this.backend.fill(this.shape, 1, this.dtype), this.backend);
    } else {
      if (!sameShape(grad.shape, this.shape))
        throw new ShapeError(`backward: gradient of shape ${fmt(grad.shape)} for an output of shape ${fmt(this.shape)}; the shapes must be equal`);
      if (grad.dtype !== this.dtype)
        throw new DTypeError(`backward: gradient of dtype ${grad.dtype} for an output of dtype ${this.dtype}; cast one of them`);
      if (grad.backend !== this.backend)
        throw new BackendError(`backward: gradient on the ${grad.backend.name} backend for an output on ${this.backend.name}; create both after the same setBackend call`);
    }
    const g = grad.detach();
    noGrad(() => runBackward(this, g, options.retainGraph ?? false));
  }
  /**
   * Same values, cut off from the tape. Shares memory with this tensor through its own view, so disposing one of
   * the two leaves the other intact.
   */
  detach(): Tensor {
    return new Tensor(ownView(this), this.backend, false);
  }
  /** Sets requiresGrad in place (leaves only) and returns this. */
  requiresGrad_(flag = true): this {
    if (this.gradFn !== null && !flag)
      throw new AutogradError('requiresGrad_: this tensor was computed by an op; use detach() to get one without grad');
    this.requiresGrad = flag;
    return this;
  }
  /**
   * Releases the tensor's memory now (its handle on it: views and detached copies keep shared memory alive); using
   * it afterwards throws. Also drops its `.grad` and its place on the tape. Idempotent.
   */
  dispose(): void {
    if (this.#buf === null) return;
    const node = this.gradFn;
    this.backend.dispose(this.#buf);
    this.#buf = null;
    this.gradFn = null;
    this.grad = null;
    if (node !== null) releaseNode(node);
  }
  /**
   * Replaces this tensor's values with `other`'s (same shape, dtype and backend) in place, keeping its identity —
   * what optimizers and loadStateDict need. Backend buffers are immutable, so instead of writing into memory this
   * tensor takes its own view of `other`'s memory (`other` may be disposed afterwards, e.g. by tidy) and releases
   * its old handle at once; memory it shared (detached views, state-dict snapshots) stays with them. Like PyTorch,
   * a leaf that requires grad may only be assigned under noGrad, and a tensor an op computed not at all.
   * @example noGrad(() => w.assign_(w.sub(w.grad!.mul(0.1))));
   */
  assign_(other: Tensor): this {
    if (!sameShape(other.shape, this.shape))
      throw new ShapeError(`assign_: values of shape ${fmt(other.shape)} cannot replace a tensor of shape ${fmt(this.shape)}; the shapes must be equal`);
    if (other.dtype !== this.dtype)
      throw new DTypeError(`assign_: values of dtype ${other.dtype} for a tensor of dtype ${this.dtype}; cast them with .to('${this.dtype}')`);
    if (other.backend !== this.backend)
      throw new BackendError(`assign_: values live on the ${other.backend.name} backend, this tensor on ${this.backend.name}; create both after the same setBackend call`);
    if (this.gradFn !== null)
      throw new AutogradError('assign_: this tensor was computed by an op; only leaf tensors can be assigned in place');
    if (this.requiresGrad && isGradEnabled())
      throw new AutogradError('assign_: a leaf that requires grad is being assigned in place; wrap the update in noGrad(() => …)');
    const view = ownView(other);
    claimBuffer(view);
    const old = this.#buf;
    this.#buf = view;
    if (old !== null) this.backend.dispose(old);
    return this;
  }
  /** A copy of the values in another dtype (no gradient flows through a cast). */
  to(dtype: DType): Tensor {
    checkDType(this.backend, dtype, 'to');
    return new Tensor(this.backend.cast(this.buf, dtype), this.backend);
  }
  /** An independent copy with the same values (on the tape: gradient flows back unchanged). */
  clone(): Tensor {
    return ew.mul(this, 1);
  }

  toString(): string {
    const v = JSON.stringify(this.toArray(), (_, x: unknown) => (typeof x === 'number' ? Number(x.toPrecision(6)) : x));
    return `tensor(${v}, shape=${fmt(this.shape)}, dtype=${this.dtype}${this.requiresGrad ? ', requiresGrad=true' : ''})`;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.isDisposed ? `tensor(<disposed>, shape=${fmt(this.shape)})` : this.toString();
  }

  // ---- elementwise -------------------------------------------------------------------------------------------
  add(other: Tensor | number): Tensor { return ew.add(this, other); }
  sub(other: Tensor | number): Tensor { return ew.sub(this, other); }
  mul(other: Tensor | number): Tensor { return ew.mul(this, other); }
  div(other: Tensor | number): Tensor { return ew.div(this, other); }
  pow(exponent: Tensor | number): Tensor { return ew.pow(this, exponent); }
  maximum(other: Tensor | number): Tensor { return ew.maximum(this, other); }
  minimum(other: Tensor | number): Tensor { return ew.minimum(this, other); }
  neg(): Tensor { return ew.neg(this); }
  exp(): Tensor { return ew.exp(this); }
  log(): Tensor { return ew.log(this); }
  log1p(): Tensor { return ew.log1p(this); }
  sqrt(): Tensor { return ew.sqrt(this); }
  abs(): Tensor { return ew.abs(this); }
  square(): Tensor { return ew.square(this); }
  clamp(min?: number, max?: number): Tensor { return ew.clamp(this, min, max); }
  eq(other: Tensor | number): Tensor { return ew.eq(this, other); }
  ne(other: Tensor | number): Tensor { return ew.ne(this, other); }
  lt(other: Tensor | number): Tensor { return ew.lt(this, other); }
  le(other: Tensor | number): Tensor { return ew.le(this, other); }
  gt(other: Tensor | number): Tensor { return ew.gt(this, other); }
  ge(other: Tensor | number): Tensor { return ew.ge(this, other); }

  // ---- activations -------------------------------------------------------------------------------------------
  relu(): Tensor { return act.relu(this); }
  leakyRelu(negativeSlope?: number): Tensor { return act.leakyRelu(this, negativeSlope); }
  sigmoid(): Tensor { return act.sigmoid(this); }
  tanh(): Tensor { return act.tanh(this); }
  softplus(options?: act.SoftplusOptions): Tensor { return act.softplus(this, options); }
  gelu(options?: act.GeluOptions): Tensor { return act.gelu(this, options); }
  silu(): Tensor { return act.silu(this); }
  apa(lambda: Tensor, kappa: Tensor, options?: ApaOptions): Tensor { return apa(this, lambda, kappa, options); }
  aglu(lambda: Tensor, kappa: Tensor, options?: ApaOptions): Tensor { return aglu(this, lambda, kappa, options); }

  // ---- reductions --------------------------------------------------------------------------------------------
  sum(axis?: number | number[], keepdim?: boolean): Tensor { return red.sum(this, axis, keepdim); }
  mean(axis?: number | number[], keepdim?: boolean): Tensor { return red.mean(this, axis, keepdim); }
  max(axis?: number | number[], keepdim?: boolean): Tensor { return red.max(this, axis, keepdim); }
  min(axis?: number | number[], keepdim?: boolean): Tensor { return red.min(this, axis, keepdim); }
  logsumexp(axis?: number | number[], keepdim?: boolean): Tensor { return red.logsumexp(this, axis, keepdim); }
  /** Variance with Bessel's correction by default (correction 1, as torch.var). */
  var(axis?: number | number[], keepdim?: boolean, correction?: number): Tensor { return red.variance(this, axis, keepdim, correction); }
  argmax(axis: number): Tensor { return red.argmax(this, axis); }

  // ---- shape -------------------------------------------------------------------------------------------------
  reshape(...shape: number[] | [number[]]): Tensor { return shp.reshape(this, flatArgs(shape)); }
  permute(...axes: number[] | [number[]]): Tensor { return shp.permute(this, flatArgs(axes)); }
  transpose(axis0 = -2, axis1 = -1): Tensor { return shp.transpose(this, axis0, axis1); }
  /** The matrix transpose of a 2-D tensor (like torch's `.T` for matrices). */
  get T(): Tensor { return shp.transpose(this, -2, -1); }
  expand(...shape: number[] | [number[]]): Tensor { return shp.expand(this, flatArgs(shape)); }
  broadcastTo(shape: number[]): Tensor { return shp.expand(this, shape); }
  squeeze(axis?: number | number[]): Tensor { return shp.squeeze(this, axis); }
  unsqueeze(axis: number): Tensor { return shp.unsqueeze(this, axis); }
  flatten(): Tensor { return shp.reshape(this, [this.size]); }
  /** Elements start..end-1 along `axis` (negative indices count from the end). */
  slice(axis: number, start: number, end?: number): Tensor { return shp.slice(this, axis, start, end); }
  indexSelect(axis: number, indices: Tensor | number[]): Tensor { return shp.indexSelect(this, axis, indices); }
  gather(axis: number, index: Tensor): Tensor { return shp.gather(this, axis, index); }

  // ---- linear algebra, softmax -------------------------------------------------------------------------------
  matmul(other: Tensor): Tensor { return matmul(this, other); }
  softmax(axis = -1): Tensor { return softmax(this, axis); }
  logSoftmax(axis = -1): Tensor { return logSoftmax(this, axis); }
}

/** A new buffer object on t's memory (expand to the same shape is a pure view on every backend). */
function ownView(t: Tensor): Buf {
  return t.backend.expand(t.buf, t.shape);
}

function flatArgs(args: number[] | [number[]]): number[] {
  return Array.isArray(args[0]) ? args[0] : (args as number[]);
}

function checkDType(b: Backend, dtype: DType, op: string): void {
  if (dtype !== 'float32' && dtype !== 'float64')
    throw new DTypeError(`${op}: unknown dtype '${String(dtype)}'; use 'float32' or 'float64'`);
  if (!b.supportsDType(dtype))
    throw new DTypeError(
      `${op}: the ${b.name} backend (mode ${b.mode}) cannot hold ${dtype}; use 'float32', or setBackend('js') for float64`,
    );
}

function make(data: TypedArray, shape: Shape, options: TensorOptions, op: string): Tensor {
  const dtype = options.dtype ?? 'float32';
  const b = currentBackend();
  checkDType(b, dtype, op);
  checkShape(shape, op);
  return new Tensor(b.fromTypedArray(data, shape, dtype), b, options.requiresGrad ?? false);
}

function checkShape(shape: Shape, op: string): void {
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new ShapeError(`${op}: invalid shape ${Array.isArray(shape) ? fmt(shape) : String(shape)}; sizes are non-negative integers`);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let d: NestedArray = data;
  while (Array.isArray(d)) {
    shape.push(d.length);
    d = d[0];
  }
  return shape;
}

function flattenNested(data: NestedArray, shape: number[], dim: number, out: number[]): void {
  if (dim === shape.length) {
    if (Array.isArray(data)) throw new ShapeError(`tensor: ragged nested array; expected a number at depth ${dim} (shape ${fmt(shape)}), got an array`);
    if (typeof data !== 'number') throw new ValueError(`tensor: found ${typeof data} at depth ${dim}, not a number`);
    out.push(data);
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[dim])
    throw new ShapeError(
      `tensor: ragged nested array — expected ${shape[dim]} elements at depth ${dim} (shape ${fmt(shape)}), got ${Array.isArray(data) ? data.length : 'a number'}`,
    );
  for (const x of data) flattenNested(x, shape, dim + 1, out);
}

/**
 * Creates a tensor from a number, nested arrays, or a flat array / typed array with `shape`.
 * @example tensor([[1, 2], [3, 4]]); tensor(new Float32Array(6), { shape: [2, 3] }); tensor(2.5, { dtype: 'float64' })
 */
export function tensor(
  data: NestedArray | ArrayLike<number>,
  options: TensorOptions & { shape?: number[] } = {},
): Tensor {
  let flat: ArrayLike<number>;
  let shape: number[];
  if (typeof data === 'number') {
    flat = [data];
    shape = [];
  } else if (ArrayBuffer.isView(data) || (options.shape !== undefined && !Array.isArray((data as NestedArray[])[0]))) {
    flat = data as ArrayLike<number>;
    shape = options.shape ?? [flat.length];
  } else {
    shape = inferShape(data as NestedArray);
    const out: number[] = [];
    flattenNested(data as NestedArray, shape, 0, out);
    flat = out;
  }
  if (options.shape !== undefined && sizeOf(options.shape) !== flat.length)
    throw new ShapeError(`tensor: ${flat.length} values cannot fill shape ${fmt(options.shape)} (${sizeOf(options.shape)} elements)`);
  if (options.shape !== undefined) shape = options.shape;
  for (let i = 0; i < flat.length; i++)
    if (typeof flat[i] !== 'number') throw new ValueError(`tensor: element ${i} is ${typeof flat[i]}, not a number`);
  return make(Float64Array.from(flat), shape, options, 'tensor');
}

/** A tensor of the given shape filled with `value`. */
export function full(shape: number[], value: number, options: TensorOptions = {}): Tensor {
  checkShape(shape, 'full');
  return make(new Float64Array(sizeOf(shape)).fill(value), shape, options, 'full');
}
export const zeros = (shape: number[], options: TensorOptions = {}): Tensor => full(shape, 0, options);
export const ones = (shape: number[], options: TensorOptions = {}): Tensor => full(shape, 1, options);

/** start, start+step, … below end (like torch.arange). */
export function arange(start: number, end?: number, step = 1, options: TensorOptions = {}): Tensor {
  if (end === undefined) [start, end] = [0, start];
  if (step === 0 || !Number.isFinite(step)) throw new ValueError(`arange: step must be a non-zero finite number, got ${step}`);
  const n = Math.max(0, Math.ceil((end - start) / step));
  return make(Float64Array.from({ length: n }, (_, i) => start + i * step), [n], options, 'arange');
}

/** `steps` evenly spaced values from start to end inclusive. */
export function linspace(start: number, end: number, steps: number, options: TensorOptions = {}): Tensor {
  if (!Number.isInteger(steps) || steps < 0) throw new ValueError(`linspace: steps must be a non-negative integer, got ${steps}`);
  const h = steps > 1 ? (end - start) / (steps - 1) : 0;
  return make(Float64Array.from({ length: steps }, (_, i) => (i === steps - 1 && steps > 1 ? end : start + i * h)), [steps], options, 'linspace');
}

/** Uniform in [0, 1), from the seeded generator (see manualSeed). */
export function rand(shape: number[], options: TensorOptions = {}): Tensor {
  checkShape(shape, 'rand');
  // float32 would round draws within 2^-25 of 1 up to exactly 1; cap at the largest float32 below 1 to stay in [0, 1).
  const top = (options.dtype ?? 'float32') === 'float32' ? 1 - 2 ** -24 : 1;
  return make(Float64Array.from({ length: sizeOf(shape) }, () => Math.min(random(), top)), shape, options, 'rand');
}

/** Standard normal, from the seeded generator (see manualSeed). */
export function randn(shape: number[], options: TensorOptions = {}): Tensor {
  checkShape(shape, 'randn');
  return make(Float64Array.from({ length: sizeOf(shape) }, randomNormal), shape, options, 'randn');
}
