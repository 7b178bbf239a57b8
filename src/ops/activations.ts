/**
 * Activation functions, each forward beside its backward. Forwards run the backend's unary primitives without
 * taping the intermediate steps, so every activation is one node on the tape; backwards are written with the
 * elementwise ops. Every formula is arranged so that |x| up to 1e4 (and beyond) gives finite values and
 * gradients in float32 and float64: no exp of a large positive argument, no ∞·0.
 */
import { record } from '../autograd/tape.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { add, binaryRaw, mul, sub, unaryRaw, where } from './elementwise.js';

export interface SoftplusOptions {
  /** Scale of the input: softplus(x) = log(1 + e^{βx}) / β. Default 1; must be finite and non-zero. */
  beta?: number;
  /** Where βx > threshold the output is x itself (PyTorch's rule). Default 20. */
  threshold?: number;
}
export interface GeluOptions {
  /** 'none' (default): x·Φ(x) with the exact erf; 'tanh': PyTorch's tanh approximation. */
  approximate?: 'none' | 'tanh';
}

const SQRT1_2 = Math.SQRT1_2;
const INV_SQRT_2PI = 0.3989422804014327; // 1/√(2π)
const SQRT_2_OVER_PI = 0.7978845608028654; // √(2/π)
const GELU_TANH_C = 0.044715;

/** One tape node for `op`: `out` was computed from x; backward maps the output gradient to x's gradient. */
function unaryNode(op: string, x: Tensor, out: Tensor, backward: (g: Tensor) => Tensor): Tensor {
  return record(op, out, [x], (g) => [backward(g)]);
}

/**
 * max(x, 0). Its gradient at exactly 0 is 0 (PyTorch's choice).
 * @example relu(tensor([-1, 2])).toArray(); // [0, 2]
 */
export function relu(x: Tensor): Tensor {
  return unaryNode('relu', x, unaryRaw('relu', x), (g) => mul(g, unaryRaw('step', x)));
}

/**
 * x for x > 0, negativeSlope·x otherwise (gradient negativeSlope at 0, as PyTorch).
 * @example leakyRelu(tensor([-2, 3]), 0.1).toArray(); // [-0.2, 3]
 */
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  if (!Number.isFinite(negativeSlope))
    throw new ValueError(`leakyRelu: negativeSlope must be a finite number, got ${negativeSlope}`);
  const out = unaryRaw('leakyRelu', x, negativeSlope);
  return unaryNode('leakyRelu', x, out, (g) => {
    // slope + (1 − slope)·[x > 0]: 1 on the positive side, negativeSlope elsewhere.
    const d = unaryRaw('addScalar', unaryRaw('mulScalar', unaryRaw('step', x), 1 - negativeSlope), negativeSlope);
    return mul(g, d);
  });
}

/**
 * 1 / (1 + e^{−x}); the backend evaluates it without overflow on either side. d/dx = σ(1 − σ).
 * @example sigmoid(tensor([0])).item(); // 0.5
 */
export function sigmoid(x: Tensor): Tensor {
  const out = unaryRaw('sigmoid', x);
  return unaryNode('sigmoid', x, out, (g) => mul(g, mul(out, sub(1, out))));
}

/**
 * Hyperbolic tangent. d/dx = 1 − tanh².
 * @example tanh(tensor([0, 100])).toArray(); // [0, 1]
 */
export function tanh(x: Tensor): Tensor {
  const out = unaryRaw('tanh', x);
  return unaryNode('tanh', x, out, (g) => mul(g, sub(1, unaryRaw('square', out))));
}

/**
 * log(1 + e^{βx}) / β, and x itself where βx > threshold (exactly like torch.nn.functional.softplus).
 * The gradient is σ(βx), and 1 above the threshold.
 * @example softplus(tensor([0])).item(); // ln 2 ≈ 0.6931
 * @example softplus(x, { beta: 2, threshold: 10 });
 */
export function softplus(x: Tensor, options: SoftplusOptions = {}): Tensor {
  const { beta = 1, threshold = 20 } = options;
  if (!Number.isFinite(beta) || beta === 0)
    throw new ValueError(`softplus: beta must be a finite non-zero number, got ${beta}`);
  if (Number.isNaN(threshold)) throw new ValueError('softplus: threshold is NaN; pass a number (default 20)');
  const out = unaryRaw('softplus', x, beta, threshold);
  return unaryNode('softplus', x, out, (g) => {
    const bx = unaryRaw('mulScalar', x, beta);
    return mul(g, where(binaryRaw('gt', bx, threshold), 1, unaryRaw('sigmoid', bx)));
  });
}

/**
 * Gaussian error linear unit: x·Φ(x) = 0.5·x·(1 + erf(x/√2)), or with `approximate: 'tanh'`
 * 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))) as in PyTorch.
 * @example gelu(tensor([1], { dtype: 'float64' })).item(); // 0.8413447460685429
 */
export function gelu(x: Tensor, options: GeluOptions = {}): Tensor {
  const { approximate = 'none' } = options;
  if (approximate === 'tanh') return geluTanh(x);
  if (approximate !== 'none')
    throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got '${String(approximate)}'`);
  // Φ(x) = 0.5·(1 + erf(x/√2)); for x → −∞ erf → −1 exactly, so Φ → 0 and x·Φ → 0 (not ∞·0).
  const cdf = unaryRaw('mulScalar', unaryRaw('addScalar', unaryRaw('erf', unaryRaw('mulScalar', x, SQRT1_2)), 1), 0.5);
  const out = binaryRaw('mul', x, cdf);
  return unaryNode('gelu', x, out, (g) => {
    // d/dx x·Φ(x) = Φ(x) + x·φ(x); φ = e^{−x²/2}/√(2π) underflows to 0 for large |x|, and x·0 = 0.
    const pdf = unaryRaw('mulScalar', unaryRaw('exp', unaryRaw('mulScalar', unaryRaw('square', x), -0.5)), INV_SQRT_2PI);
    return mul(g, add(cdf, mul(x, pdf)));
  });
}

function geluTanh(x: Tensor): Tensor {
  const x2 = unaryRaw('square', x);
  // inner = √(2/π)·x·(1 + c·x²)
  const inner = binaryRaw('mul', unaryRaw('mulScalar', x, SQRT_2_OVER_PI), unaryRaw('addScalar', unaryRaw('mulScalar', x2, GELU_TANH_C), 1));
  const t = unaryRaw('tanh', inner);
  const half1pt = unaryRaw('mulScalar', unaryRaw('addScalar', t, 1), 0.5);
  const out = binaryRaw('mul', x, half1pt);
  return unaryNode('gelu', x, out, (g) => {
    // d/dx = ½(1 + t) + ½x·(1 − t²)·√(2/π)(1 + 3c·x²). (1 − t)(1 + t) keeps its precision where t ≈ ±1 and is
    // exactly 0 once tanh saturates; it multiplies (1 + 3c·x²) first, which is finite in float32 up to |x| ≈ 1e19.
    const sech2 = mul(sub(1, t), add(t, 1));
    const dInner = unaryRaw('mulScalar', unaryRaw('addScalar', unaryRaw('mulScalar', x2, 3 * GELU_TANH_C), 1), SQRT_2_OVER_PI);
    return mul(g, add(half1pt, mul(mul(x, 0.5), mul(sech2, dInner))));
  });
}

/**
 * x·σ(x) (also called swish). d/dx = σ(x)·(1 + x·(1 − σ(x))): once σ underflows to 0 for very negative x both
 * the value and the gradient are 0, never ∞·0.
 * @example silu(tensor([0, 1], { dtype: 'float64' })).toArray(); // [0, 0.7310585786300049]
 */
export function silu(x: Tensor): Tensor {
  const s = unaryRaw('sigmoid', x);
  const out = binaryRaw('mul', x, s);
  return unaryNode('silu', x, out, (g) => mul(g, mul(s, add(mul(x, sub(1, s)), 1))));
}
