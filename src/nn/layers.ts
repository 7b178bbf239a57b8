/** Linear, Dropout and LayerNorm: the layers an MLP is built from. */
import { ShapeError, ValueError } from '../errors.js';
import { fmt } from '../shape.js';
import { random } from '../random.js';
import { Tensor, ones, zeros } from '../tensor.js';
import { kaimingUniform, uniform } from './init.js';
import { Module, type ParamOptions } from './module.js';

export interface LinearOptions extends ParamOptions {
  /** Learn an additive bias (default true). */
  bias?: boolean;
}

/**
 * y = x·Wᵀ + b with W of shape [outFeatures, inFeatures] (PyTorch's layout, so state dicts carry over).
 * Initialised as PyTorch does: W by kaiming_uniform(a = √5), i.e. U(−1/√in, 1/√in), then b ~ U(−1/√in, 1/√in).
 * @example const fc = new Linear(784, 128); fc.forward(x); // [B, 784] → [B, 128]
 */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null;

  constructor(readonly inFeatures: number, readonly outFeatures: number, options: LinearOptions = {}) {
    super();
    for (const [what, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const)
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`Linear: ${what} must be a positive integer, got ${v}`);
    const dtype = options.dtype ?? 'float32';
    this.weight = this.registerParameter('weight', kaimingUniform(zeros([outFeatures, inFeatures], { dtype }), { a: Math.sqrt(5) }));
    if (options.bias ?? true) {
      const bound = 1 / Math.sqrt(inFeatures);
      this.bias = this.registerParameter('bias', uniform(zeros([outFeatures], { dtype }), -bound, bound));
    } else this.bias = null;
  }

  forward(x: Tensor): Tensor {
    if (x.ndim === 0 || x.shape[x.ndim - 1] !== this.inFeatures)
      throw new ShapeError(`Linear(${this.inFeatures}, ${this.outFeatures}): input of shape ${fmt(x.shape)} must end in ${this.inFeatures} features`);
    const x2 = x.ndim === 1 ? x.unsqueeze(0) : x;
    let y = x2.matmul(this.weight.T);
    if (this.bias !== null) y = y.add(this.bias);
    return x.ndim === 1 ? y.squeeze(0) : y;
  }

  protected override extraRepr(): string {
    return `inFeatures=${this.inFeatures}, outFeatures=${this.outFeatures}, bias=${this.bias !== null}`;
  }
}

/**
 * In training mode zeroes each element with probability p and scales the rest by 1/(1 − p) (inverted dropout,
 * as PyTorch); the identity in eval mode. The mask comes from the seeded generator.
 * @example const drop = new Dropout(0.2); drop.eval(); drop.forward(x) === x;
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ValueError(`Dropout: p must be a probability in [0, 1], got ${p}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return x.mul(0);
    const scale = 1 / (1 - this.p);
    const mask = Float64Array.from({ length: x.size }, () => (random() < this.p ? 0 : scale));
    return x.mul(new Tensor(x.backend.fromTypedArray(mask, x.shape, x.dtype), x.backend));
  }

  protected override extraRepr(): string {
    return `p=${this.p}`;
  }
}

export interface LayerNormOptions extends ParamOptions {
  /** Added to the variance before the square root (default 1e-5, as PyTorch). */
  eps?: number;
  /** Learn a per-element scale (init 1) and shift (init 0); default true. */
  elementwiseAffine?: boolean;
  /** With elementwiseAffine, learn the shift too (default true). */
  bias?: boolean;
}

/**
 * Normalises over the last dimensions (normalizedShape) to zero mean and unit (biased) variance, then applies
 * a learned scale `weight` and shift `bias` (torch.nn.LayerNorm).
 * @example new LayerNorm(128).forward(x); // x: [B, 128]
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;

  constructor(normalizedShape: number | number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0 || this.normalizedShape.some((d) => !Number.isInteger(d) || d < 1))
      throw new ValueError(`LayerNorm: normalizedShape must be positive integers, got ${fmt(this.normalizedShape)}`);
    this.eps = options.eps ?? 1e-5;
    const dtype = options.dtype ?? 'float32';
    const affine = options.elementwiseAffine ?? true;
    this.weight = affine ? this.registerParameter('weight', ones(this.normalizedShape, { dtype })) : null;
    this.bias = affine && (options.bias ?? true) ? this.registerParameter('bias', zeros(this.normalizedShape, { dtype })) : null;
  }

  forward(x: Tensor): Tensor {
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.ndim - k);
    if (x.ndim < k || tail.some((d, i) => d !== this.normalizedShape[i]))
      throw new ShapeError(`LayerNorm(${fmt(this.normalizedShape)}): input of shape ${fmt(x.shape)} must end in ${fmt(this.normalizedShape)}`);
    const axes = Array.from({ length: k }, (_, i) => x.ndim - k + i);
    const mu = x.mean(axes, true);
    const centred = x.sub(mu);
    const v = centred.square().mean(axes, true);
    let y = centred.div(v.add(this.eps).sqrt());
    if (this.weight !== null) y = y.mul(this.weight);
    if (this.bias !== null) y = y.add(this.bias);
    return y;
  }

  protected override extraRepr(): string {
    return `${fmt(this.normalizedShape)}, eps=${this.eps}, elementwiseAffine=${this.weight !== null}`;
  }
}
