/**
 * The conformance suite: one table of cases — the value and the input gradients of every op of src/ops/* — run on
 * every backend that is available here and compared with the js backend in float64, the reference (which
 * gradcheck in turn compares with finite differences in its own tests).
 *
 * Passes: js float64 (the reference against itself: must be exact), js float32, gpujs cpu, gpujs webasm, and
 * gpujs headlessgl when the `gl` module loads and a display is there (CI runs under xvfb-run); otherwise one line
 * says the headlessgl pass was skipped and why. AGLU_REQUIRE_HEADLESSGL=1 (set by .ci/run) turns that skip into a
 * failure, so CI cannot lose the GLSL path silently.
 *
 * Each case builds its inputs from fixed smooth patterns (no randomness), rounded to float32 first, so the
 * reference and the float32 backends see the same numbers and differ only by float32 arithmetic. The gradient is
 * taken with a fixed non-uniform upstream gradient (so every output element weighs differently).
 *
 * Tolerances (|got − want| ≤ atol + rtol·|want|, per element), against float64:
 *   exact ops (shape ops, comparisons, copies, max/min/argmax, relu, abs, neg)   0
 *   simple arithmetic (add, sub, mul, div, square, sqrt, clamp)                   rtol 1e-6, atol 1e-7
 *   transcendental (exp, log, log1p, pow, sigmoid, tanh, softplus, erf, gelu)    rtol 4e-6, atol 1e-6
 *   reductions and softmax family (float32 partial sums)                         rtol 1e-5, atol 1e-6
 *   matmul (k terms in float32)                                                  rtol 1e-5, atol 1e-5·√k
 * Gradients chain several float32 ops, so each case's gradient tolerance is 4× its value tolerance (at least
 * rtol 1e-5, atol 1e-6). A case may widen either with a comment saying why.
 */
import { expect } from 'chai';
import { getBackend, setBackend } from '../src/backend/current.js';
import { headlessglUnavailableReason, gpujsKernelReports } from '../src/backend/gpujs.js';
import { backend as currentBackend } from '../src/backend/current.js';
import type { Tensor } from '../src/tensor.js';
import { tensor } from '../src/tensor.js';
import * as A from '../src/index.js';
import * as L from '../src/ops/loss.js';

interface Tol {
  rtol: number;
  atol: number;
}
const EXACT: Tol = { rtol: 0, atol: 0 };
const ARITH: Tol = { rtol: 1e-6, atol: 1e-7 };
const TRANS: Tol = { rtol: 4e-6, atol: 1e-6 };
const REDUCE: Tol = { rtol: 1e-5, atol: 1e-6 };

type Gen = 'any' | 'pos' | 'unit' | 'wide';
interface Input {
  shape: number[];
  gen?: Gen;
  /** Fixed values instead of a pattern (indices, labels). */
  values?: number[];
  /** false: a constant (indices, targets); default true. */
  grad?: boolean;
}
interface Case {
  name: string;
  inputs: Input[];
  fn: (...xs: Tensor[]) => Tensor;
  tol: Tol;
  gradTol?: Tol;
  /** Output carries no gradient (comparisons, argmax, oneHot). */
  noGrad?: boolean;
}

/** Smooth, tie-free patterns: distinct values, none exactly 0, per generator domain. */
function pattern(n: number, gen: Gen, seed: number): number[] {
  return Array.from({ length: n }, (_, i) => {
    const s = Math.sin(1.37 * i + 0.61 * seed + 0.3);
    if (gen === 'pos') return 0.2 + 1.8 * (0.5 + 0.5 * s) + 0.001 * i;
    if (gen === 'unit') return 0.9 * s;
    if (gen === 'wide') return 6 * s + 0.01 * i;
    return 2 * s + 0.001 * i;
  });
}

const mm = (shape: number[], gen: Gen = 'any', grad = true): Input => ({ shape, gen, grad });
const idx = (shape: number[], values: number[]): Input => ({ shape, values, grad: false });
const W = TRANS;

const CASES: Case[] = [
  // ---- elementwise (src/ops/elementwise.ts) ----
  { name: 'add broadcast [2,3,4]+[3,1]', inputs: [mm([2, 3, 4]), mm([3, 1])], fn: (a, b) => A.add(a, b), tol: ARITH },
  // Seven axes that cannot be merged: offsets are precomputed on the host (gatherOffsets) before the flat kernel.
  { name: 'add rank-7 alternating broadcast', inputs: [mm([2, 1, 2, 1, 2, 1, 2]), mm([1, 2, 1, 2, 1, 2, 1])], fn: (a, b) => A.add(a, b), tol: ARITH },
  { name: 'add scalar tensor', inputs: [mm([5]), mm([])], fn: (a, b) => A.add(a, b), tol: ARITH },
  { name: 'sub broadcast [4]-[2,4]', inputs: [mm([4]), mm([2, 4])], fn: (a, b) => A.sub(a, b), tol: ARITH },
  { name: 'mul broadcast [2,1,3]*[4,1]', inputs: [mm([2, 1, 3]), mm([4, 1])], fn: (a, b) => A.mul(a, b), tol: ARITH },
  { name: 'mul by number', inputs: [mm([3, 3])], fn: (a) => A.mul(a, 2.5), tol: ARITH },
  { name: 'div', inputs: [mm([3, 4]), mm([4], 'pos')], fn: (a, b) => A.div(a, b), tol: ARITH },
  { name: 'pow tensor exponent', inputs: [mm([2, 3], 'pos'), mm([2, 3], 'unit')], fn: (a, b) => A.pow(a, b), tol: W },
  { name: 'pow number exponent (negative base)', inputs: [mm([7])], fn: (a) => A.pow(a, 3), tol: W },
  { name: 'maximum', inputs: [mm([3, 4]), mm([4], 'unit')], fn: (a, b) => A.maximum(a, b), tol: EXACT },
  { name: 'minimum', inputs: [mm([3, 4]), mm([3, 1], 'unit')], fn: (a, b) => A.minimum(a, b), tol: EXACT },
  { name: 'neg', inputs: [mm([6])], fn: (a) => A.neg(a), tol: EXACT },
  { name: 'exp', inputs: [mm([2, 5])], fn: (a) => A.exp(a), tol: W },
  { name: 'log', inputs: [mm([2, 5], 'pos')], fn: (a) => A.log(a), tol: W },
  { name: 'log1p', inputs: [mm([9], 'unit')], fn: (a) => A.log1p(a), tol: W },
  { name: 'sqrt', inputs: [mm([8], 'pos')], fn: (a) => A.sqrt(a), tol: ARITH },
  { name: 'abs', inputs: [mm([8])], fn: (a) => A.abs(a), tol: EXACT },
  { name: 'square', inputs: [mm([8])], fn: (a) => A.square(a), tol: ARITH },
  { name: 'clamp', inputs: [mm([10])], fn: (a) => A.clamp(a, -0.5, 0.75), tol: EXACT },
  { name: 'clamp lower only', inputs: [mm([10])], fn: (a) => A.clamp(a, -0.5), tol: EXACT },
  { name: 'eq/ne/lt/le/gt/ge', inputs: [mm([3, 4]), mm([4], 'unit')], noGrad: true, tol: EXACT,
    fn: (a, b) => A.add(A.add(A.add(A.eq(a, a), A.ne(a, b)), A.add(A.lt(a, b), A.mul(A.le(a, b), 2))), A.add(A.mul(A.gt(a, b), 4), A.mul(A.ge(a, b), 8))) },
  { name: 'where', inputs: [mm([3, 4]), mm([4], 'unit')], fn: (a, b) => A.where(A.gt(a, 0.1), a, b), tol: EXACT },

  // ---- activations (src/ops/activations.ts) ----
  { name: 'relu', inputs: [mm([3, 5])], fn: (a) => A.relu(a), tol: EXACT },
  { name: 'leakyRelu', inputs: [mm([3, 5])], fn: (a) => A.leakyRelu(a, 0.1), tol: ARITH },
  { name: 'sigmoid', inputs: [mm([3, 5], 'wide')], fn: (a) => A.sigmoid(a), tol: W },
  { name: 'tanh', inputs: [mm([3, 5], 'wide')], fn: (a) => A.tanh(a), tol: W },
  { name: 'tanh near 0', inputs: [mm([6], 'unit')], fn: (a) => A.tanh(A.mul(a, 1e-3)), tol: W },
  { name: 'softplus', inputs: [mm([3, 5], 'wide')], fn: (a) => A.softplus(a), tol: W },
  { name: 'softplus beta, threshold', inputs: [mm([3, 5], 'wide')], fn: (a) => A.softplus(a, { beta: 2, threshold: 5 }), tol: W },
  { name: 'gelu (erf)', inputs: [mm([3, 5], 'wide')], fn: (a) => A.gelu(a), tol: W },
  { name: 'gelu tanh', inputs: [mm([3, 5], 'wide')], fn: (a) => A.gelu(a, { approximate: 'tanh' }), tol: W },
  { name: 'silu', inputs: [mm([3, 5], 'wide')], fn: (a) => A.silu(a), tol: W },

  // ---- reductions (src/ops/reduce.ts) ----
  { name: 'sum all', inputs: [mm([3, 4, 5])], fn: (a) => A.sum(a), tol: REDUCE },
  { name: 'sum axis 1 keepdim', inputs: [mm([3, 4, 5])], fn: (a) => A.sum(a, 1, true), tol: REDUCE },
  { name: 'sum axes [0,2]', inputs: [mm([3, 4, 5])], fn: (a) => A.sum(a, [0, 2]), tol: REDUCE },
  { name: 'sum 1M elements', inputs: [mm([1 << 20], 'unit')], fn: (a) => A.sum(a), tol: { rtol: 1e-4, atol: 1e-3 } },
  { name: 'sum over 5000 (past loopMaxIterations)', inputs: [mm([3, 5000], 'unit')], fn: (a) => A.sum(a, 1), tol: { rtol: 1e-5, atol: 1e-4 } },
  { name: 'mean axis -1', inputs: [mm([4, 6])], fn: (a) => A.mean(a, -1), tol: REDUCE },
  { name: 'max axis 0', inputs: [mm([4, 6])], fn: (a) => A.max(a, 0), tol: EXACT },
  { name: 'max all', inputs: [mm([4, 6])], fn: (a) => A.max(a), tol: EXACT },
  { name: 'min axis 1 keepdim', inputs: [mm([4, 6])], fn: (a) => A.min(a, 1, true), tol: EXACT },
  { name: 'max over 3000', inputs: [mm([2, 3000], 'wide')], fn: (a) => A.max(a, 1), tol: EXACT },
  { name: 'logsumexp axis 1', inputs: [mm([3, 7], 'wide')], fn: (a) => A.logsumexp(a, 1), tol: REDUCE },
  { name: 'logsumexp all', inputs: [mm([3, 7], 'wide')], fn: (a) => A.logsumexp(a), tol: REDUCE },
  { name: 'variance axis 0', inputs: [mm([5, 3])], fn: (a) => A.variance(a, 0), tol: REDUCE },
  { name: 'variance all, correction 0', inputs: [mm([5, 3])], fn: (a) => A.variance(a, undefined, false, 0), tol: REDUCE },
  { name: 'argmax axis 1', inputs: [mm([4, 6])], fn: (a) => A.argmax(a, 1), tol: EXACT, noGrad: true },
  { name: 'argmax over 4096', inputs: [mm([2, 4096], 'wide')], fn: (a) => A.argmax(a, 1), tol: EXACT, noGrad: true },

  // ---- shape (src/ops/shape.ts) ----
  { name: 'reshape', inputs: [mm([2, 6])], fn: (a) => A.mul(A.reshape(a, [3, -1]), A.tensor([1, 2, 3, 4], { dtype: a.dtype })), tol: ARITH },
  { name: 'permute', inputs: [mm([2, 3, 4])], fn: (a) => A.permute(a, [2, 0, 1]), tol: EXACT },
  { name: 'transpose then reshape (copy of a view)', inputs: [mm([3, 4])], fn: (a) => A.reshape(A.transpose(a, 0, 1), [12]), tol: EXACT },
  { name: 'expand', inputs: [mm([3, 1])], fn: (a) => A.mul(A.expand(a, [2, 3, 4]), A.arange(24, undefined, 1, { dtype: a.dtype }).reshape(2, 3, 4)), tol: ARITH },
  { name: 'squeeze/unsqueeze', inputs: [mm([3, 1, 2])], fn: (a) => A.unsqueeze(A.squeeze(a, 1), 0), tol: EXACT },
  { name: 'concat axis 1', inputs: [mm([2, 3]), mm([2, 1]), mm([2, 2])], fn: (a, b, c) => A.concat([a, b, c], 1), tol: EXACT },
  { name: 'stack axis 0', inputs: [mm([2, 3]), mm([2, 3])], fn: (a, b) => A.stack([a, b], 0), tol: EXACT },
  { name: 'slice', inputs: [mm([5, 4])], fn: (a) => A.slice(a, 0, 1, -1), tol: EXACT },
  { name: 'slice of a slice then add', inputs: [mm([5, 4])], fn: (a) => A.add(A.slice(A.slice(a, 1, 1, 3), 0, 2), 1), tol: ARITH },
  { name: 'indexSelect', inputs: [mm([4, 3]), idx([3], [3, 0, 3])], fn: (a, i) => A.indexSelect(a, 0, i), tol: EXACT },
  { name: 'gather axis 1', inputs: [mm([3, 4]), idx([3, 2], [0, 3, 1, 1, 2, 0])], fn: (a, i) => A.gather(a, 1, i), tol: EXACT },
  { name: 'oneHot', inputs: [idx([4], [2, 0, 1, 2])], fn: (l) => A.oneHot(l, 3), tol: EXACT, noGrad: true },

  // ---- matmul (src/ops/matmul.ts) ----
  { name: 'matmul 2-D', inputs: [mm([3, 5]), mm([5, 4])], fn: (a, b) => A.matmul(a, b), tol: { rtol: 1e-5, atol: 2e-5 } },
  { name: 'matmul batched, batch broadcast', inputs: [mm([2, 3, 5]), mm([5, 2])], fn: (a, b) => A.matmul(a, b), tol: { rtol: 1e-5, atol: 2e-5 } },
  { name: 'matmul [2,1,3,4]x[3,4,2]', inputs: [mm([2, 1, 3, 4]), mm([3, 4, 2])], fn: (a, b) => A.matmul(a, b), tol: { rtol: 1e-5, atol: 2e-5 } },
  { name: 'matmul vector @ matrix', inputs: [mm([5]), mm([5, 3])], fn: (a, b) => A.matmul(a, b), tol: { rtol: 1e-5, atol: 2e-5 } },
  { name: 'matmul transposed operand', inputs: [mm([5, 3]), mm([5, 4])], fn: (a, b) => A.matmul(A.transpose(a), b), tol: { rtol: 1e-5, atol: 2e-5 } },
  // n = 4097 is wider than the 2-D textures of the vec4 path: GL takes the one-output-per-thread kernel.
  { name: 'matmul wide output (n = 4097)', inputs: [mm([2, 3]), mm([3, 4097], 'unit')], fn: (a, b) => A.matmul(a, b), tol: { rtol: 1e-5, atol: 2e-5 } },
  // k = 4096 > loopMaxIterations' default: a truncated loop would lose three quarters of every sum.
  { name: 'matmul inner dimension 4096', inputs: [mm([3, 4096], 'unit'), mm([4096, 2], 'unit')], fn: (a, b) => A.matmul(a, b), tol: { rtol: 1e-5, atol: 1e-3 } },

  // ---- softmax (src/ops/softmax.ts) ----
  { name: 'softmax last axis', inputs: [mm([3, 6], 'wide')], fn: (a) => A.softmax(a), tol: REDUCE },
  { name: 'softmax axis 0', inputs: [mm([3, 6], 'wide')], fn: (a) => A.softmax(a, 0), tol: REDUCE },
  { name: 'logSoftmax axis 1 of 3-D', inputs: [mm([2, 5, 3], 'wide')], fn: (a) => A.logSoftmax(a, 1), tol: REDUCE },
  { name: 'logSoftmax large logits', inputs: [mm([2, 4], 'wide')], fn: (a) => A.logSoftmax(A.mul(a, 1000)), tol: { rtol: 1e-5, atol: 2e-3 } },

  // ---- losses (src/ops/loss.ts) ----
  { name: 'crossEntropy', inputs: [mm([4, 5], 'wide'), idx([4], [1, 0, 4, 2])], fn: (a, t) => L.crossEntropy(a, t), tol: REDUCE },
  { name: 'crossEntropy label smoothing, sum', inputs: [mm([4, 5], 'wide'), idx([4], [1, 0, 4, 2])], fn: (a, t) => L.crossEntropy(a, t, { labelSmoothing: 0.1, reduction: 'sum' }), tol: REDUCE },
  { name: 'mse', inputs: [mm([3, 4]), mm([3, 4], 'unit', false)], fn: (a, t) => L.mse(a, t), tol: REDUCE },
  { name: 'binaryCrossEntropyWithLogits', inputs: [mm([3, 4], 'wide'), { shape: [3, 4], values: [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1], grad: false }], fn: (a, t) => L.binaryCrossEntropyWithLogits(a, t), tol: REDUCE },

  // ---- fused APA / AGLU and the APA losses (src/ops/apa.ts, src/ops/apa-loss.ts; kernels/apa.ts) ----
  // exp(−s/λ) turns float32's rounding of u = log λ − κz into a relative error ~|u|·2^-24/λ: TRANS·2 for values.
  { name: 'apa scalar λ, κ', inputs: [mm([3, 5], 'wide'), mm([1], 'pos'), mm([1], 'unit')], fn: (z, l, k) => A.apa(z, l, k), tol: { rtol: 8e-6, atol: 1e-6 } },
  { name: 'aglu per channel [N,C,H,W]', inputs: [mm([2, 3, 2, 2], 'wide'), mm([3], 'pos'), mm([3])], fn: (z, l, k) => A.aglu(z, l, k), tol: { rtol: 8e-6, atol: 1e-6 } },
  { name: 'aglu softplus λ, channelAxis -1, λ [1] κ [C]', inputs: [mm([4, 3], 'wide'), mm([1]), mm([3])], fn: (z, l, k) => A.aglu(z, l, k, { channelAxis: -1, lambdaParam: 'softplus' }), tol: { rtol: 8e-6, atol: 1e-6 } },
  { name: 'aglu 3000 elements, scalar λ, κ (several partial-sum blocks)', inputs: [mm([3000], 'wide'), mm([1], 'pos'), mm([1], 'pos')], fn: (z, l, k) => A.aglu(z, l, k), tol: { rtol: 8e-6, atol: 1e-6 }, gradTol: { rtol: 1e-4, atol: 1e-4 } },
  { name: 'apaBinaryCrossEntropy per class, class indices', inputs: [mm([4, 5], 'wide'), idx([4], [1, 0, 4, 2]), mm([5], 'pos'), mm([5], 'unit')], fn: (z, t, l, k) => A.apaBinaryCrossEntropy(z, t, l, k), tol: REDUCE, gradTol: { rtol: 4e-5, atol: 4e-6 } },
  { name: 'gumbelBinaryCrossEntropy per-class κ, 0/1 targets, sum', inputs: [mm([3, 4], 'wide'), { shape: [3, 4], values: [1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1], grad: false }, mm([4], 'pos')], fn: (z, t, k) => A.gumbelBinaryCrossEntropy(z, t, { kappa: k, reduction: 'sum' }), tol: REDUCE, gradTol: { rtol: 4e-5, atol: 4e-6 } },

  // ---- APA / AGLU, fused (src/ops/apa.ts, src/ops/apa-loss.ts; kernels/apa.ts) ----
  // exp/log-heavy with λ-powers; dλ and dκ are sums over every element.
  { name: 'apa, scalar λ and κ', inputs: [mm([3, 4], 'wide'), mm([1], 'pos'), mm([1], 'pos')], fn: (z, l, k) => A.apa(z, l, k), tol: TRANS, gradTol: { rtol: 4e-5, atol: 4e-6 } },
  { name: 'aglu, per-channel λ and κ', inputs: [mm([2, 3, 4], 'wide'), mm([3], 'pos'), mm([3], 'pos')], fn: (z, l, k) => A.aglu(z, l, k), tol: TRANS, gradTol: { rtol: 4e-5, atol: 4e-6 } },
  { name: 'apaBinaryCrossEntropy, class targets', inputs: [mm([4, 3], 'wide'), mm([1], 'pos'), mm([1], 'pos'), idx([4], [2, 0, 1, 1])], fn: (z, l, k, t) => A.apaBinaryCrossEntropy(z, t, l, k), tol: REDUCE, gradTol: { rtol: 4e-5, atol: 4e-6 } },
  { name: 'gumbelBinaryCrossEntropy', inputs: [mm([4, 3], 'unit'), idx([4], [2, 0, 1, 1])], fn: (z, t) => A.gumbelBinaryCrossEntropy(z, t), tol: REDUCE },

  // ---- a small MLP step: the composition the training loop runs ----
  { name: 'mlp forward', inputs: [mm([8, 5]), mm([5, 6], 'unit'), mm([6], 'unit'), mm([6, 3], 'unit'), idx([8], [0, 2, 1, 1, 0, 2, 2, 1])],
    fn: (x, w1, b1, w2, t) => L.crossEntropy(A.matmul(A.relu(A.add(A.matmul(x, w1), b1)), w2), t), tol: REDUCE },
];

// ---- running a case on one backend -------------------------------------------------------------------------------

interface Result {
  value: Float64Array;
  shape: number[];
  grads: (Float64Array | null)[];
}

/** Fixed non-uniform upstream gradient of the output's size. */
const upstream = (n: number): number[] => Array.from({ length: n }, (_, i) => 0.5 + 0.25 * Math.cos(0.9 * i));

function runCase(c: Case, dtype: 'float32' | 'float64'): Result {
  const inputs = c.inputs.map((inp, k) => {
    const n = inp.shape.reduce((a, b) => a * b, 1);
    const raw = inp.values ?? pattern(n, inp.gen ?? 'any', k);
    const values = raw.map((v) => Math.fround(v));
    return tensor(values, { shape: inp.shape, dtype, requiresGrad: !c.noGrad && inp.grad !== false });
  });
  const y = c.fn(...inputs);
  const value = Float64Array.from(y.toTypedArray());
  let grads: (Float64Array | null)[] = inputs.map(() => null);
  if (!c.noGrad) {
    y.backward(tensor(upstream(y.size), { shape: y.shape, dtype }));
    grads = inputs.map((t) => (t.requiresGrad ? Float64Array.from(t.grad!.toTypedArray()) : null));
  }
  return { value, shape: y.shape, grads };
}

function expectClose(what: string, got: Float64Array, want: Float64Array, tol: Tol): void {
  expect(got.length, `${what}: length`).to.equal(want.length);
  let worst = -1, worstErr = 0;
  for (let i = 0; i < want.length; i++) {
    const g = got[i], w = want[i];
    if (Number.isNaN(w) ? Number.isNaN(g) : g === w) continue;
    const err = Math.abs(g - w);
    if (!(err <= tol.atol + tol.rtol * Math.abs(w)) && (worst < 0 || !(err <= worstErr))) {
      worst = i;
      worstErr = err;
    }
  }
  if (worst >= 0)
    expect.fail(`${what}: element ${worst} is ${got[worst]}, want ${want[worst]} (|err| ${worstErr.toExponential(2)} > ${tol.atol} + ${tol.rtol}·|want|)`);
}

const gradTol = (c: Case): Tol =>
  c.gradTol ?? { rtol: Math.max(4 * c.tol.rtol, 1e-5), atol: Math.max(4 * c.tol.atol, 1e-6) };

// The reference: computed once per case, on js float64.
const reference = new Map<string, Result>();
function ref(c: Case): Result {
  let r = reference.get(c.name);
  if (r === undefined) {
    setBackend('js');
    r = runCase(c, 'float64');
    reference.set(c.name, r);
  }
  return r;
}

interface Pass {
  label: string;
  select: () => void;
  dtype: 'float32' | 'float64';
  mode?: string;
}

function conformancePass(pass: Pass): void {
  describe(`conformance: ${pass.label}`, function () {
    this.timeout(120000);
    after(() => setBackend('js'));
    for (const c of CASES) {
      it(c.name, () => {
        const want = ref(c);
        pass.select();
        const got = runCase(c, pass.dtype);
        expect(got.shape, 'shape').to.deep.equal(want.shape);
        const exact = pass.dtype === 'float64';
        expectClose('value', got.value, want.value, exact ? EXACT : c.tol);
        got.grads.forEach((g, k) => {
          const w = want.grads[k];
          if (w === null) return expect(g).to.equal(null);
          expectClose(`gradient of input ${k}`, g!, w, exact ? EXACT : gradTol(c));
        });
      });
    }
    if (pass.mode !== undefined) {
      it('ran every kernel on the requested mode (no silent GPU.js degradation)', () => {
        pass.select();
        expect(getBackend()).to.deep.equal({ name: 'gpujs', mode: pass.mode });
        const reports = gpujsKernelReports(currentBackend());
        expect(reports.length).to.be.greaterThan(10);
        expect(reports.filter((r) => r.mode !== pass.mode)).to.deep.equal([]);
      });
    }
  });
}

conformancePass({ label: 'js float64 (reference)', select: () => setBackend('js'), dtype: 'float64' });
conformancePass({ label: 'js float32', select: () => setBackend('js'), dtype: 'float32' });
conformancePass({ label: 'gpujs cpu', select: () => setBackend('gpujs', { mode: 'cpu' }), dtype: 'float32', mode: 'cpu' });
conformancePass({ label: 'gpujs webasm', select: () => setBackend('gpujs', { mode: 'webasm' }), dtype: 'float32', mode: 'webasm' });

const glMissing = headlessglUnavailableReason();
if (glMissing === null) {
  conformancePass({ label: 'gpujs headlessgl', select: () => setBackend('gpujs', { mode: 'headlessgl' }), dtype: 'float32', mode: 'headlessgl' });
} else if (process.env.AGLU_REQUIRE_HEADLESSGL === '1') {
  describe('conformance: gpujs headlessgl', () => {
    it('is available (AGLU_REQUIRE_HEADLESSGL=1)', () => {
      expect.fail(`headlessgl is required here but ${glMissing}`);
    });
  });
} else {
  console.log(`conformance: the gpujs headlessgl pass was skipped — ${glMissing}`);
}
