/**
 * The js backend: ndarray storage and ndarray-ops loops, float32 or float64. It is the reference every other
 * backend is compared against, so clarity wins over cleverness here; sums accumulate in float64.
 */
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import type { NdArray } from 'ndarray';
import type { AdamUpdateOptions, ApaKernelOptions, ApaLossKernelOptions, Backend, BinaryOp, Buf, DType, MemoryInfo, ReduceOp, SgdUpdateOptions, TypedArray, UnaryOp } from './backend.js';
import { contiguousStrides, sizeOf, type Shape } from '../shape.js';
import { ValueError } from '../errors.js';
import { erf } from '../math.js';
import { apaBackwardJs, apaBceBackwardJs, apaBceForwardJs, apaForwardJs } from '../ops/apa-js.js';

/** A strided view on a typed array (ndarray's layout), shape [] for scalars. */
export class JsBuf implements Buf {
  constructor(
    readonly data: TypedArray,
    readonly shape: number[],
    readonly strides: number[],
    readonly offset: number,
    readonly dtype: DType,
  ) {}

  /** An ndarray over the same memory (scalars as shape [1], which ndarray-ops handles). */
  nd(): NdArray<TypedArray> {
    return this.shape.length === 0
      ? ndarray(this.data, [1], [1], this.offset)
      : ndarray(this.data, this.shape, this.strides, this.offset);
  }

  isContiguous(): boolean {
    const want = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d === 1 || this.strides[i] === want[i]);
  }
}

const live = { buffers: 0, bytes: 0 };
const collected = new FinalizationRegistry<number>((bytes) => {
  live.buffers--;
  live.bytes -= bytes;
});

function alloc(n: number, dtype: DType): TypedArray {
  const data = dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
  live.buffers++;
  live.bytes += data.byteLength;
  collected.register(data, data.byteLength);
  return data;
}

function wrap(data: TypedArray, shape: Shape, dtype: DType): JsBuf {
  return new JsBuf(data, [...shape], contiguousStrides(shape), 0, dtype);
}

/** The values in row-major order: the buffer's own memory when it is already laid out so, else a copy. */
function flat(x: JsBuf): TypedArray {
  const n = sizeOf(x.shape);
  if (x.isContiguous()) return x.data.subarray(x.offset, x.offset + n);
  const out = alloc(n, x.dtype);
  ops.assign(wrap(out, x.shape, x.dtype).nd(), x.nd());
  return out;
}

function contiguous(x: JsBuf): JsBuf {
  return x.isContiguous() ? x : wrap(flat(x), x.shape, x.dtype);
}

function expandView(x: JsBuf, shape: Shape): JsBuf {
  const lead = shape.length - x.shape.length;
  const strides = shape.map((d, i) => {
    if (i < lead) return 0;
    return x.shape[i - lead] === 1 && d !== 1 ? 0 : x.strides[i - lead];
  });
  return new JsBuf(x.data, [...shape], strides, x.offset, x.dtype);
}

function broadcastShape(...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) =>
    Math.max(...shapes.map((s) => (i - rank + s.length >= 0 ? s[i - rank + s.length] : 1))),
  );
}

function permuteView(x: JsBuf, axes: readonly number[]): JsBuf {
  return new JsBuf(x.data, axes.map((a) => x.shape[a]), axes.map((a) => x.strides[a]), x.offset, x.dtype);
}

function softplus(x: number, beta: number, threshold: number): number {
  const bx = beta * x;
  // PyTorch's rule: linear above the threshold; log1p(exp(−|bx|)) + max(bx, 0) keeps exp from overflowing.
  return bx > threshold ? x : (Math.max(bx, 0) + Math.log1p(Math.exp(-Math.abs(bx)))) / beta;
}

function sigmoid(x: number): number {
  // Two branches so exp never overflows: for x < 0 use e^x / (1 + e^x).
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

const UNARY: Record<UnaryOp, (x: number, p0: number, p1: number) => number> = {
  neg: (x) => -x,
  exp: Math.exp,
  log: Math.log,
  log1p: Math.log1p,
  sqrt: Math.sqrt,
  abs: Math.abs,
  square: (x) => x * x,
  sign: (x) => (x > 0 ? 1 : x < 0 ? -1 : x),
  step: (x) => (x > 0 ? 1 : 0),
  relu: (x) => (x > 0 ? x : 0),
  leakyRelu: (x, slope) => (x > 0 ? x : x * slope),
  sigmoid,
  tanh: Math.tanh,
  softplus,
  erf,
  // min(max(x, lo), hi): with lo > hi every element becomes hi (torch.clamp); NaN stays NaN.
  clamp: (x, lo, hi) => {
    const y = x < lo ? lo : x;
    return y > hi ? hi : y;
  },
  powScalar: (x, p) => Math.pow(x, p),
  addScalar: (x, c) => x + c,
  mulScalar: (x, c) => x * c,
};

type BinaryNd = (out: NdArray<TypedArray>, a: NdArray<TypedArray>, b: NdArray<TypedArray>) => void;
const BINARY: Record<BinaryOp, BinaryNd> = {
  add: ops.add, sub: ops.sub, mul: ops.mul, div: ops.div, pow: ops.pow,
  maximum: ops.max, minimum: ops.min,
  eq: ops.eq, ne: ops.neq, lt: ops.lt, le: ops.leq, gt: ops.gt, ge: ops.geq,
};

/** Calls fn(outIndex, offsetInX) for every element of `shape`, walking x's strides (odometer order). */
function forEachStrided(shape: Shape, strides: readonly number[], offset: number, fn: (i: number, off: number) => void): void {
  const n = sizeOf(shape);
  const rank = shape.length;
  const idx = new Array<number>(rank).fill(0);
  let off = offset;
  for (let i = 0; i < n; i++) {
    fn(i, off);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < shape[d]) {
        off += strides[d];
        break;
      }
      off -= strides[d] * (shape[d] - 1);
      idx[d] = 0;
    }
  }
}

/**
 * out[m×n] = A[m×k] · B[k×n], row-major at the given offsets, summed in float64 in ascending p (so every output
 * element sees the same order whatever the blocking). Four rows of A share each load of B: 2–2.5× faster than one
 * row at a time here. No skipping of zero entries: 0·Inf and 0·NaN must stay NaN as IEEE (and PyTorch) say.
 */
function gemm(A: TypedArray, ao: number, B: TypedArray, bo: number, out: TypedArray, oo: number, m: number, k: number, n: number): void {
  const acc = new Float64Array(4 * n);
  let i = 0;
  for (; i + 4 <= m; i += 4) {
    acc.fill(0);
    const a0 = ao + i * k, a1 = a0 + k, a2 = a1 + k, a3 = a2 + k;
    for (let p = 0; p < k; p++) {
      const x0 = A[a0 + p], x1 = A[a1 + p], x2 = A[a2 + p], x3 = A[a3 + p];
      const bRow = bo + p * n;
      for (let j = 0; j < n; j++) {
        const bv = B[bRow + j];
        acc[j] += x0 * bv;
        acc[n + j] += x1 * bv;
        acc[2 * n + j] += x2 * bv;
        acc[3 * n + j] += x3 * bv;
      }
    }
    out.set(acc, oo + i * n);
  }
  for (; i < m; i++) {
    acc.fill(0, 0, n);
    for (let p = 0; p < k; p++) {
      const av = A[ao + i * k + p];
      const bRow = bo + p * n;
      for (let j = 0; j < n; j++) acc[j] += av * B[bRow + j];
    }
    out.set(acc.subarray(0, n), oo + i * n);
  }
}

function checkIndex(op: string, v: number, size: number): number {
  if (!Number.isInteger(v) || v < 0 || v >= size)
    throw new ValueError(`${op}: index ${v} is out of range for an axis of size ${size}; indices must be integers in 0..${size - 1}`);
  return v;
}

/**
 * The fused optimizer updates: one loop per parameter, float64 arithmetic in the very order of the op chain they
 * replace (src/optim/sgd.ts, adam.ts before fusion), so float64 results are the same to the last bit or two.
 */
function sgdUpdateJs(param: JsBuf, grad: JsBuf, momentumBuf: JsBuf | null, o: SgdUpdateOptions): { param: JsBuf; momentumBuf: JsBuf | null } {
  const p = flat(param), g0 = flat(grad);
  const n = p.length;
  const out = alloc(n, param.dtype);
  const useBuf = o.momentum !== 0;
  const prev = useBuf && momentumBuf !== null ? flat(momentumBuf) : null;
  const buf = useBuf ? alloc(n, param.dtype) : null;
  const { lr, momentum: mu, weightDecay: wd, nesterov, maximize } = o;
  const keepG = 1 - o.dampening;
  for (let i = 0; i < n; i++) {
    const pi = p[i];
    let g = wd !== 0 ? g0[i] + pi * wd : g0[i];
    if (buf !== null) {
      const b = prev === null ? g : prev[i] * mu + g * keepG;
      buf[i] = b;
      g = nesterov ? g + buf[i] * mu : buf[i];
    }
    out[i] = maximize ? pi + g * lr : pi - g * lr;
  }
  return { param: wrap(out, param.shape, param.dtype), momentumBuf: buf === null ? null : wrap(buf, param.shape, param.dtype) };
}

function adamUpdateJs(param: JsBuf, grad: JsBuf, m: JsBuf | null, v: JsBuf | null, vmax: JsBuf | null, o: AdamUpdateOptions) {
  const p = flat(param), g0 = flat(grad);
  const n = p.length;
  const dt = param.dtype;
  const m0 = m === null ? null : flat(m), v0 = v === null ? null : flat(v);
  const vm0 = o.amsgrad && vmax !== null ? flat(vmax) : null;
  const out = alloc(n, dt), mOut = alloc(n, dt), vOut = alloc(n, dt);
  const vmOut = o.amsgrad ? alloc(n, dt) : null;
  const { lr, beta1: b1, beta2: b2, eps, weightDecay: wd, decoupled, maximize, step } = o;
  const decay = 1 - lr * wd;
  const bc1 = 1 - b1 ** step;
  const bc2Sqrt = Math.sqrt(1 - b2 ** step);
  const stepSize = lr / bc1;
  for (let i = 0; i < n; i++) {
    const pi = p[i];
    let g = maximize ? -g0[i] : g0[i];
    let base = pi;
    if (wd !== 0) {
      if (decoupled) base = pi * decay;
      else g = g + pi * wd;
    }
    // Stored values are read back (mOut[i], not the float64 temporary) so float32 sees what the op chain saw.
    mOut[i] = m0 === null ? g * (1 - b1) : m0[i] + (g - m0[i]) * (1 - b1);
    vOut[i] = v0 === null ? g * g * (1 - b2) : v0[i] * b2 + g * g * (1 - b2);
    let second = vOut[i];
    if (vmOut !== null) {
      vmOut[i] = vm0 === null ? second : Math.max(vm0[i], second);
      second = vmOut[i];
    }
    out[i] = base - (mOut[i] / (Math.sqrt(second) / bc2Sqrt + eps)) * stepSize;
  }
  return {
    param: wrap(out, param.shape, dt),
    m: wrap(mOut, param.shape, dt),
    v: wrap(vOut, param.shape, dt),
    vmax: vmOut === null ? null : wrap(vmOut, param.shape, dt),
  };
}

export const jsBackend = {
  name: 'js',
  mode: 'js',
  supportsDType: (_dtype: DType) => true,

  fromTypedArray(data: TypedArray, shape: Shape, dtype: DType): JsBuf {
    const out = alloc(data.length, dtype);
    out.set(data);
    return wrap(out, shape, dtype);
  },
  fill(shape: Shape, value: number, dtype: DType): JsBuf {
    const out = alloc(sizeOf(shape), dtype);
    out.fill(value);
    return wrap(out, shape, dtype);
  },
  read(x: JsBuf): TypedArray {
    return flat(x).slice();
  },
  cast(x: JsBuf, dtype: DType): JsBuf {
    const out = alloc(sizeOf(x.shape), dtype);
    out.set(flat(x));
    return wrap(out, x.shape, dtype);
  },
  dispose(_x: JsBuf): void {
    // Memory is the garbage collector's; a disposed tensor drops its reference in Tensor.dispose().
  },
  memory(): MemoryInfo {
    return { ...live };
  },

  reshape(x: JsBuf, shape: Shape): JsBuf {
    const c = contiguous(x);
    return new JsBuf(c.data, [...shape], contiguousStrides(shape), c.offset, c.dtype);
  },
  permute: permuteView,
  expand: expandView,
  slice(x: JsBuf, begin: readonly number[], end: readonly number[]): JsBuf {
    const offset = begin.reduce((o, b, i) => o + b * x.strides[i], x.offset);
    return new JsBuf(x.data, end.map((e, i) => e - begin[i]), [...x.strides], offset, x.dtype);
  },
  concat(xs: readonly JsBuf[], axis: number): JsBuf {
    const shape = [...xs[0].shape];
    shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
    const out = wrap(alloc(sizeOf(shape), xs[0].dtype), shape, xs[0].dtype);
    let at = 0;
    for (const x of xs) {
      if (sizeOf(x.shape) > 0) {
        const begin = shape.map((_, i) => (i === axis ? at : 0));
        const end = shape.map((d, i) => (i === axis ? at + x.shape[axis] : d));
        ops.assign(jsBackend.slice(out, begin, end).nd(), x.nd());
      }
      at += x.shape[axis];
    }
    return out;
  },

  unary(op: UnaryOp, x: JsBuf, p0 = 0, p1 = 0): JsBuf {
    const src = flat(x);
    const out = alloc(src.length, x.dtype);
    const f = UNARY[op];
    for (let i = 0; i < src.length; i++) out[i] = f(src[i], p0, p1);
    return wrap(out, x.shape, x.dtype);
  },
  binary(op: BinaryOp, a: JsBuf, b: JsBuf): JsBuf {
    const shape = broadcastShape(a.shape, b.shape);
    const out = wrap(alloc(sizeOf(shape), a.dtype), shape, a.dtype);
    if (out.data.length > 0) BINARY[op](out.nd(), expandView(a, shape).nd(), expandView(b, shape).nd());
    return out;
  },
  where(cond: JsBuf, a: JsBuf, b: JsBuf): JsBuf {
    const shape = broadcastShape(cond.shape, a.shape, b.shape);
    const [c, x, y] = [cond, a, b].map((t) => flat(expandView(t, shape)));
    const out = alloc(sizeOf(shape), a.dtype);
    for (let i = 0; i < out.length; i++) out[i] = c[i] !== 0 ? x[i] : y[i];
    return wrap(out, shape, a.dtype);
  },

  reduce(op: ReduceOp, x: JsBuf, axes: readonly number[], keepdim: boolean): JsBuf {
    // Move the reduced axes last, lay out contiguously, then reduce each inner block.
    const kept = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
    const src = flat(permuteView(x, [...kept, ...axes]));
    const inner = sizeOf(axes.map((a) => x.shape[a]));
    const outer = sizeOf(kept.map((a) => x.shape[a]));
    const out = alloc(outer, x.dtype);
    for (let o = 0; o < outer; o++) {
      const base = o * inner;
      let acc = op === 'sum' ? 0 : op === 'max' ? -Infinity : Infinity;
      for (let i = 0; i < inner; i++) {
        const v = src[base + i];
        if (op === 'sum') acc += v;
        else if (Number.isNaN(v) || Number.isNaN(acc)) acc = NaN;
        else if (op === 'max' ? v > acc : v < acc) acc = v;
      }
      out[o] = acc;
    }
    const shape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdim ? [1] : []) : [d]));
    return wrap(out, shape, x.dtype);
  },
  argmax(x: JsBuf, axis: number): JsBuf {
    const kept = x.shape.map((_, i) => i).filter((i) => i !== axis);
    const src = flat(permuteView(x, [...kept, axis]));
    const inner = x.shape[axis];
    const out = alloc(src.length / Math.max(inner, 1), x.dtype);
    for (let o = 0; o < out.length; o++) {
      let best = 0;
      // NaN counts as the largest value (PyTorch's rule), matching reduce's NaN propagation.
      for (let i = 1; i < inner && !Number.isNaN(src[o * inner + best]); i++) {
        const v = src[o * inner + i];
        if (v > src[o * inner + best] || Number.isNaN(v)) best = i;
      }
      out[o] = best;
    }
    return wrap(out, kept.map((a) => x.shape[a]), x.dtype);
  },
  matmul(a: JsBuf, b: JsBuf): JsBuf {
    const [m, k] = a.shape.slice(-2);
    const n = b.shape[b.shape.length - 1];
    const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
    const A = flat(expandView(a, [...batch, m, k]));
    const B = flat(expandView(b, [...batch, k, n]));
    const nb = sizeOf(batch);
    const out = alloc(nb * m * n, a.dtype);
    for (let t = 0; t < nb; t++) gemm(A, t * m * k, B, t * k * n, out, t * m * n, m, k, n);
    return wrap(out, [...batch, m, n], a.dtype);
  },
  softmax(x: JsBuf, axis: number, log: boolean): JsBuf {
    const rank = x.shape.length;
    const order = [...x.shape.keys()].filter((i) => i !== axis).concat(axis);
    const src = flat(permuteView(x, order));
    const inner = x.shape[axis];
    const out = alloc(src.length, x.dtype);
    for (let o = 0; o < src.length; o += inner) {
      let max = -Infinity;
      for (let i = 0; i < inner; i++) max = Math.max(max, src[o + i]);
      if (max === -Infinity) max = 0; // a row of −∞ gives NaN like PyTorch, not a spurious value
      let sum = 0;
      for (let i = 0; i < inner; i++) sum += Math.exp(src[o + i] - max);
      const logSum = Math.log(sum);
      for (let i = 0; i < inner; i++) out[o + i] = log ? src[o + i] - max - logSum : Math.exp(src[o + i] - max) / sum;
    }
    const permuted = wrap(out, order.map((a) => x.shape[a]), x.dtype);
    const inverse = Array.from({ length: rank }, (_, i) => order.indexOf(i));
    return permuteView(permuted, inverse);
  },
  gather(x: JsBuf, axis: number, index: JsBuf): JsBuf {
    const idx = flat(index);
    const out = alloc(idx.length, x.dtype);
    const size = x.shape[axis];
    const outerStrides = x.strides.map((s, i) => (i === axis ? 0 : s));
    forEachStrided(index.shape, outerStrides, x.offset, (i, off) => {
      out[i] = x.data[off + checkIndex('gather', idx[i], size) * x.strides[axis]];
    });
    return wrap(out, index.shape, x.dtype);
  },
  scatterAdd(shape: Shape, axis: number, index: JsBuf, src: JsBuf): JsBuf {
    const idx = flat(index);
    const vals = flat(src);
    const out = alloc(sizeOf(shape), src.dtype);
    const strides = contiguousStrides(shape).map((s, i) => (i === axis ? 0 : s));
    const axisStride = contiguousStrides(shape)[axis];
    forEachStrided(index.shape, strides, 0, (i, off) => {
      out[off + checkIndex('scatterAdd', idx[i], shape[axis]) * axisStride] += vals[i];
    });
    return wrap(out, shape, src.dtype);
  },

  apaForward(z: JsBuf, lambda: JsBuf, kappa: JsBuf, opts: ApaKernelOptions): JsBuf {
    const out = alloc(sizeOf(z.shape), z.dtype);
    apaForwardJs(flat(z), z.shape, flat(lambda), flat(kappa), opts, out);
    return wrap(out, z.shape, z.dtype);
  },
  apaBackward(z: JsBuf, lambda: JsBuf, kappa: JsBuf, grad: JsBuf, opts: ApaKernelOptions) {
    const dz = alloc(sizeOf(z.shape), z.dtype);
    const dlambda = alloc(lambda.shape[0], z.dtype);
    const dkappa = alloc(kappa.shape[0], z.dtype);
    apaBackwardJs(flat(z), z.shape, flat(lambda), flat(kappa), flat(expandView(grad, z.shape)), opts, dz, dlambda, dkappa);
    return { dz: wrap(dz, z.shape, z.dtype), dlambda: wrap(dlambda, lambda.shape, z.dtype), dkappa: wrap(dkappa, kappa.shape, z.dtype) };
  },
  apaBceForward(z: JsBuf, target: JsBuf, lambda: JsBuf, kappa: JsBuf, opts: ApaLossKernelOptions): JsBuf {
    const out = alloc(sizeOf(z.shape), z.dtype);
    apaBceForwardJs(flat(z), flat(expandView(target, z.shape)), z.shape, flat(lambda), flat(kappa), opts, out);
    return wrap(out, z.shape, z.dtype);
  },
  apaBceBackward(z: JsBuf, target: JsBuf, lambda: JsBuf, kappa: JsBuf, grad: JsBuf, opts: ApaLossKernelOptions) {
    const dz = alloc(sizeOf(z.shape), z.dtype);
    const dlambda = alloc(lambda.shape[0], z.dtype);
    const dkappa = alloc(kappa.shape[0], z.dtype);
    const t = flat(expandView(target, z.shape));
    apaBceBackwardJs(flat(z), t, z.shape, flat(lambda), flat(kappa), flat(expandView(grad, z.shape)), opts, dz, dlambda, dkappa);
    return { dz: wrap(dz, z.shape, z.dtype), dlambda: wrap(dlambda, lambda.shape, z.dtype), dkappa: wrap(dkappa, kappa.shape, z.dtype) };
  },

  sgdUpdate: sgdUpdateJs,
  adamUpdate: adamUpdateJs,
} satisfies Backend<JsBuf>;
