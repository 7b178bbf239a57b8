/**
 * GPU.js kernels for elementwise work: every unary and binary primitive, `where`, and the strided copy that
 * materialises views. GPU.js compiles these from their source text (GLSL on headlessgl, WebAssembly on webasm,
 * JavaScript on cpu), so they are plain functions: no imports, no closures, no TS helpers; sizes come as
 * arguments.
 *
 * Each op is a tiny function with the fixed name `unaryOp(x, p0, p1)` or `binaryOp(a, b)`; the layout kernels
 * (`unaryR1` … `whereR6`) call that name and the backend links in the one op function it wants
 * (`functions: [UNARY_FNS.exp]`). So 19 unary and 13 binary ops share 9 layout kernels, and each (op, layout)
 * pair compiles once.
 *
 * Layouts: an operand is read at `offset + Σ coord_d · stride_d` of its storage, with the coordinates of the output
 * element. R1 is the flat case (one axis: contiguous, or a broadcast scalar with stride 0), R2 two axes (the
 * bias-add case [N, H] + [H]), R6 up to six axes after adjacent axes have been merged. Index arithmetic runs in
 * float on GL and f32 on webasm, exact below 2^24 elements — the backend refuses bigger tensors.
 *
 * Float semantics: several Math functions are written out by hand (log1p, expm1, tanh, erf, pow) because GLSL
 * has no accurate log1p/expm1, overflows in a naive tanh, and leaves pow(x, y) undefined for x < 0.
 */

/** `this` inside a GPU.js kernel (types only; erased by tsc). */
interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

// The op function linked into each layout kernel (see the header).
declare function unaryOp(x: number, p0: number, p1: number): number;
declare function binaryOp(a: number, b: number): number;

// ---- unary ops: unaryOp(x, p0, p1) --------------------------------------------------------------------------

/** One function per UnaryOp of src/backend/backend.ts, plus `copy` (the identity, for materialising views). */
export const UNARY_FNS = {
  copy: function unaryOp(x: number, p0: number, p1: number): number {
    return x;
  },
  neg: function unaryOp(x: number, p0: number, p1: number): number {
    return -x;
  },
  exp: function unaryOp(x: number, p0: number, p1: number): number {
    return Math.exp(x);
  },
  log: function unaryOp(x: number, p0: number, p1: number): number {
    return Math.log(x);
  },
  // log1p(x) = log(u)·x/(u − 1) with u = 1 + x rounded (Goldberg): exact to a few ulps in single precision.
  log1p: function unaryOp(x: number, p0: number, p1: number): number {
    const u = 1.0 + x;
    if (u === 1.0) return x;
    return (Math.log(u) * x) / (u - 1.0);
  },
  sqrt: function unaryOp(x: number, p0: number, p1: number): number {
    return Math.sqrt(x);
  },
  abs: function unaryOp(x: number, p0: number, p1: number): number {
    return Math.abs(x);
  },
  square: function unaryOp(x: number, p0: number, p1: number): number {
    return x * x;
  },
  // sign(0) = 0 and sign(NaN) = NaN, as in the js backend.
  sign: function unaryOp(x: number, p0: number, p1: number): number {
    if (x > 0.0) return 1.0;
    if (x < 0.0) return -1.0;
    return x;
  },
  step: function unaryOp(x: number, p0: number, p1: number): number {
    if (x > 0.0) return 1.0;
    return 0.0;
  },
  relu: function unaryOp(x: number, p0: number, p1: number): number {
    if (x > 0.0) return x;
    return 0.0;
  },
  leakyRelu: function unaryOp(x: number, p0: number, p1: number): number {
    if (x > 0.0) return x;
    return x * p0;
  },
  // Two branches so exp never overflows.
  sigmoid: function unaryOp(x: number, p0: number, p1: number): number {
    if (x >= 0.0) return 1.0 / (1.0 + Math.exp(-x));
    const e = Math.exp(x);
    return e / (1.0 + e);
  },
  // tanh(x) = −expm1(−2|x|) / (2 + expm1(−2|x|)), expm1 by Kahan's trick: accurate near 0, no overflow.
  tanh: function unaryOp(x: number, p0: number, p1: number): number {
    const u = -2.0 * Math.abs(x);
    const e = Math.exp(u);
    let m = u;
    if (e !== 1.0) {
      if (e - 1.0 === -1.0) m = -1.0;
      else m = ((e - 1.0) * u) / Math.log(e);
    }
    const t = -m / (2.0 + m);
    if (x < 0.0) return -t;
    return t;
  },
  // PyTorch's softplus(β = p0, threshold = p1): linear above the threshold, else (max(βx, 0) + log1p(e^{−|βx|}))/β.
  softplus: function unaryOp(x: number, p0: number, p1: number): number {
    const bx = p0 * x;
    if (bx > p1) return x;
    const e = Math.exp(-Math.abs(bx));
    const u = 1.0 + e;
    let l = e;
    if (u !== 1.0) l = (Math.log(u) * e) / (u - 1.0);
    return (Math.max(bx, 0.0) + l) / p0;
  },
  // Maclaurin series below 0.5 (good relative accuracy near 0), Abramowitz–Stegun 7.1.26 above (|error| < 1.5e-7).
  erf: function unaryOp(x: number, p0: number, p1: number): number {
    const ax = Math.abs(x);
    if (ax < 0.5) {
      const x2 = x * x;
      return (
        1.1283791670955126 *
        x *
        (1.0 - x2 * (0.3333333333333333 - x2 * (0.1 - x2 * (0.023809523809523808 - x2 * (0.004629629629629629 - x2 * 0.0007575757575757576)))))
      );
    }
    const t = 1.0 / (1.0 + 0.3275911 * ax);
    const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
    const y = 1.0 - poly * Math.exp(-ax * ax);
    if (x < 0.0) return -y;
    return y;
  },
  // min(max(x, lo), hi) as the js backend: with lo > hi every element becomes hi.
  clamp: function unaryOp(x: number, p0: number, p1: number): number {
    let y = x;
    if (y < p0) y = p0;
    if (y > p1) y = p1;
    return y;
  },
  // JavaScript's Math.pow for a scalar exponent; GLSL's pow is undefined for negative bases.
  powScalar: function unaryOp(x: number, p0: number, p1: number): number {
    if (p0 === 0.0) return 1.0;
    const r = Math.pow(Math.abs(x), p0);
    if (x >= 0.0) return r;
    if (Math.floor(p0) !== p0) return Math.sqrt(-1.0 - r * 0.0);
    const half = p0 * 0.5;
    if (Math.floor(half) === half) return r;
    return -r;
  },
  addScalar: function unaryOp(x: number, p0: number, p1: number): number {
    return x + p0;
  },
  mulScalar: function unaryOp(x: number, p0: number, p1: number): number {
    return x * p0;
  },
};

// ---- binary ops: binaryOp(a, b) ----------------------------------------------------------------------------

/** One function per BinaryOp, plus internal ones the backend composes (softmax's exp(a − b)). */
export const BINARY_FNS = {
  add: function binaryOp(a: number, b: number): number {
    return a + b;
  },
  sub: function binaryOp(a: number, b: number): number {
    return a - b;
  },
  mul: function binaryOp(a: number, b: number): number {
    return a * b;
  },
  div: function binaryOp(a: number, b: number): number {
    return a / b;
  },
  pow: function binaryOp(a: number, b: number): number {
    if (b === 0.0) return 1.0;
    const r = Math.pow(Math.abs(a), b);
    if (a >= 0.0) return r;
    if (Math.floor(b) !== b) return Math.sqrt(-1.0 - r * 0.0);
    const half = b * 0.5;
    if (Math.floor(half) === half) return r;
    return -r;
  },
  maximum: function binaryOp(a: number, b: number): number {
    if (a !== a) return a;
    if (b !== b) return b;
    return Math.max(a, b);
  },
  minimum: function binaryOp(a: number, b: number): number {
    if (a !== a) return a;
    if (b !== b) return b;
    return Math.min(a, b);
  },
  eq: function binaryOp(a: number, b: number): number {
    if (a === b) return 1.0;
    return 0.0;
  },
  ne: function binaryOp(a: number, b: number): number {
    if (a === b) return 0.0;
    return 1.0;
  },
  lt: function binaryOp(a: number, b: number): number {
    if (a < b) return 1.0;
    return 0.0;
  },
  le: function binaryOp(a: number, b: number): number {
    if (a <= b) return 1.0;
    return 0.0;
  },
  gt: function binaryOp(a: number, b: number): number {
    if (a > b) return 1.0;
    return 0.0;
  },
  ge: function binaryOp(a: number, b: number): number {
    if (a >= b) return 1.0;
    return 0.0;
  },
  /** softmax's second pass: exp(x − logsumexp). */
  expSub: function binaryOp(a: number, b: number): number {
    return Math.exp(a - b);
  },
};

// ---- layout kernels ------------------------------------------------------------------------------------------
// Argument order: operand storage, then its offset and strides (outermost first); output sizes s1… come last.

export function unaryR1(this: KernelThis, x: Float32Array, p0: number, p1: number, xo: number, x0: number): number {
  return unaryOp(x[xo + this.thread.x * x0], p0, p1);
}

export function unaryR2(this: KernelThis, x: Float32Array, p0: number, p1: number, xo: number, x0: number, x1: number, s1: number): number {
  const i = this.thread.x;
  const c1 = i % s1;
  const c0 = (i - c1) / s1;
  return unaryOp(x[xo + c0 * x0 + c1 * x1], p0, p1);
}

export function unaryR6(
  this: KernelThis, x: Float32Array, p0: number, p1: number,
  xo: number, x0: number, x1: number, x2: number, x3: number, x4: number, x5: number,
  s1: number, s2: number, s3: number, s4: number, s5: number,
): number {
  let i = this.thread.x;
  const c5 = i % s5;
  i = (i - c5) / s5;
  const c4 = i % s4;
  i = (i - c4) / s4;
  const c3 = i % s3;
  i = (i - c3) / s3;
  const c2 = i % s2;
  i = (i - c2) / s2;
  const c1 = i % s1;
  const c0 = (i - c1) / s1;
  return unaryOp(x[xo + c0 * x0 + c1 * x1 + c2 * x2 + c3 * x3 + c4 * x4 + c5 * x5], p0, p1);
}

export function binaryR1(this: KernelThis, a: Float32Array, b: Float32Array, ao: number, a0: number, bo: number, b0: number): number {
  const i = this.thread.x;
  return binaryOp(a[ao + i * a0], b[bo + i * b0]);
}

export function binaryR2(
  this: KernelThis, a: Float32Array, b: Float32Array,
  ao: number, a0: number, a1: number, bo: number, b0: number, b1: number, s1: number,
): number {
  const i = this.thread.x;
  const c1 = i % s1;
  const c0 = (i - c1) / s1;
  return binaryOp(a[ao + c0 * a0 + c1 * a1], b[bo + c0 * b0 + c1 * b1]);
}

export function binaryR6(
  this: KernelThis, a: Float32Array, b: Float32Array,
  ao: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number,
  bo: number, b0: number, b1: number, b2: number, b3: number, b4: number, b5: number,
  s1: number, s2: number, s3: number, s4: number, s5: number,
): number {
  let i = this.thread.x;
  const c5 = i % s5;
  i = (i - c5) / s5;
  const c4 = i % s4;
  i = (i - c4) / s4;
  const c3 = i % s3;
  i = (i - c3) / s3;
  const c2 = i % s2;
  i = (i - c2) / s2;
  const c1 = i % s1;
  const c0 = (i - c1) / s1;
  return binaryOp(
    a[ao + c0 * a0 + c1 * a1 + c2 * a2 + c3 * a3 + c4 * a4 + c5 * a5],
    b[bo + c0 * b0 + c1 * b1 + c2 * b2 + c3 * b3 + c4 * b4 + c5 * b5],
  );
}

/** cond ≠ 0 ? a : b (no op function to link). */
export function whereR1(
  this: KernelThis, c: Float32Array, a: Float32Array, b: Float32Array,
  co: number, c0: number, ao: number, a0: number, bo: number, b0: number,
): number {
  const i = this.thread.x;
  if (c[co + i * c0] !== 0.0) return a[ao + i * a0];
  return b[bo + i * b0];
}

export function whereR6(
  this: KernelThis, c: Float32Array, a: Float32Array, b: Float32Array,
  co: number, c0: number, c1: number, c2: number, c3: number, c4: number, c5: number,
  ao: number, a0: number, a1: number, a2: number, a3: number, a4: number, a5: number,
  bo: number, b0: number, b1: number, b2: number, b3: number, b4: number, b5: number,
  s1: number, s2: number, s3: number, s4: number, s5: number,
): number {
  let i = this.thread.x;
  const d5 = i % s5;
  i = (i - d5) / s5;
  const d4 = i % s4;
  i = (i - d4) / s4;
  const d3 = i % s3;
  i = (i - d3) / s3;
  const d2 = i % s2;
  i = (i - d2) / s2;
  const d1 = i % s1;
  const d0 = (i - d1) / s1;
  if (c[co + d0 * c0 + d1 * c1 + d2 * c2 + d3 * c3 + d4 * c4 + d5 * c5] !== 0.0)
    return a[ao + d0 * a0 + d1 * a1 + d2 * a2 + d3 * a3 + d4 * a4 + d5 * a5];
  return b[bo + d0 * b0 + d1 * b1 + d2 * b2 + d3 * b3 + d4 * b4 + d5 * b5];
}

/** Every element `v` (fill; also the upload kernel's sibling). */
export function fillValue(this: KernelThis, v: number): number {
  return v;
}

/** Uploads a host array unchanged (on headlessgl its output texture is the device copy). */
export function upload(this: KernelThis, x: Float32Array): number {
  return x[this.thread.x];
}

/** Reads a storage at precomputed offsets (the fallback for views of more than six merged axes). */
export function gatherOffsets(this: KernelThis, x: Float32Array, offsets: Float32Array): number {
  return x[offsets[this.thread.x]];
}
