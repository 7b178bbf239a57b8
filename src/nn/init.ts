/**
 * Weight initialisations with PyTorch's formulas (torch.nn.init), drawing from aglu's seeded generator so that
 * `manualSeed(s)` fixes every initial weight. Each fills its tensor in place and returns it.
 */
import { noGrad } from '../autograd/tape.js';
import { ShapeError, ValueError } from '../errors.js';
import { fmt } from '../shape.js';
import { random, randomNormal } from '../random.js';
import { Tensor } from '../tensor.js';

export type Nonlinearity = 'linear' | 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';

/**
 * The recommended gain for a nonlinearity (torch.nn.init.calculate_gain); `param` is leaky_relu's negative slope.
 * @example calculateGain('relu'); // √2
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new ValueError(`calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/** fan_in and fan_out of a weight of shape [out, in, ...receptive field] (torch's rule). */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2)
    throw new ShapeError(`init: fan in and fan out need a tensor of at least 2 dimensions, got shape ${fmt(shape)}`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

/** Replaces t's values with `draw()` per element, in t's dtype and on t's backend. */
function fill(t: Tensor, draw: () => number): Tensor {
  const values = Float64Array.from({ length: t.size }, draw);
  const fresh = new Tensor(t.backend.fromTypedArray(values, t.shape, t.dtype), t.backend);
  noGrad(() => t.assign_(fresh));
  fresh.dispose(); // t holds its own handle; this one would keep the memory until a GC once t is updated
  return t;
}

/** U(a, b) in place. @example uniform(zeros([3]), -1, 1) */
export function uniform(t: Tensor, a = 0, b = 1): Tensor {
  return fill(t, () => a + (b - a) * random());
}

/** N(mean, std²) in place. @example normal(zeros([3]), 0, 0.02) */
export function normal(t: Tensor, mean = 0, std = 1): Tensor {
  return fill(t, () => mean + std * randomNormal());
}

/** Every element set to `value`, in place. @example constant(zeros([3]), 0.5) */
export function constant(t: Tensor, value: number): Tensor {
  return fill(t, () => value);
}

export interface KaimingOptions {
  /** Negative slope of the leaky_relu that follows (torch's `a`), 0 by default. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

function kaimingStd(t: Tensor, o: KaimingOptions): number {
  const { fanIn, fanOut } = fans(t.shape);
  const fan = (o.mode ?? 'fan_in') === 'fan_in' ? fanIn : fanOut;
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/**
 * He uniform: U(−b, b) with b = gain·√(3 / fan) (torch.nn.init.kaiming_uniform_).
 * @example kaimingUniform(w, { a: Math.sqrt(5) }); // PyTorch's nn.Linear default
 */
export function kaimingUniform(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd(t, options);
  return uniform(t, -bound, bound);
}

/** He normal: N(0, (gain / √fan)²) (torch.nn.init.kaiming_normal_). @example kaimingNormal(w, { nonlinearity: 'relu' }) */
export function kaimingNormal(t: Tensor, options: KaimingOptions = {}): Tensor {
  return normal(t, 0, kaimingStd(t, options));
}

/** Glorot uniform: U(−a, a) with a = gain·√(6 / (fan_in + fan_out)). @example xavierUniform(w) */
export function xavierUniform(t: Tensor, options: { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  const a = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return uniform(t, -a, a);
}

/** Glorot normal: N(0, gain²·2 / (fan_in + fan_out)). @example xavierNormal(w, { gain: calculateGain('tanh') }) */
export function xavierNormal(t: Tensor, options: { gain?: number } = {}): Tensor {
  const { fanIn, fanOut } = fans(t.shape);
  return normal(t, 0, (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut)));
}
