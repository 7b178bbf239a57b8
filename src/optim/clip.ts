/** Gradient clipping by global norm (torch.nn.utils.clip_grad_norm_). */
import { noGrad } from '../autograd/tape.js';
import { ValueError } from '../errors.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor.js';
import type { ParamsInput } from './optimizer.js';

export interface ClipGradNormOptions {
  /** p of the p-norm (default 2); Infinity for the largest absolute value. */
  normType?: number;
  /** Throw when the total norm is NaN or infinite instead of scaling by it (default false, as PyTorch). */
  errorIfNonfinite?: boolean;
}

function tensorsOf(params: ParamsInput): Tensor[] {
  if (params instanceof Module) return params.parameters();
  return (params as readonly unknown[]).map((x) => (x instanceof Tensor ? x : (x as [string, Tensor])[1]));
}

/**
 * Scales all gradients together so that their joint norm is at most maxNorm: each grad is multiplied by
 * maxNorm / (norm + 1e-6) when that is below 1. Returns the total norm before clipping.
 * @example loss.backward(); clipGradNorm(model, 1.0); opt.step();
 */
export function clipGradNorm(params: ParamsInput, maxNorm: number, options: ClipGradNormOptions = {}): number {
  const p = options.normType ?? 2;
  if (!(p > 0)) throw new ValueError(`clipGradNorm: normType must be positive (or Infinity), got ${p}`);
  if (!(maxNorm >= 0)) throw new ValueError(`clipGradNorm: maxNorm must be ≥ 0, got ${maxNorm}`);
  const withGrad = tensorsOf(params).filter((t) => t.grad !== null);
  if (withGrad.length === 0) return 0;
  return noGrad(() => {
    let total: number;
    if (p === Infinity) total = Math.max(...withGrad.map((t) => (t.grad as Tensor).abs().max().item()));
    else {
      const parts = withGrad.map((t) => (p === 2 ? (t.grad as Tensor).square() : (t.grad as Tensor).abs().pow(p)).sum().item());
      total = parts.reduce((a, b) => a + b, 0) ** (1 / p);
    }
    if (!Number.isFinite(total) && options.errorIfNonfinite === true)
      throw new ValueError(`clipGradNorm: the total gradient norm is ${total}; the gradients hold NaN or Inf`);
    const coef = maxNorm / (total + 1e-6);
    if (coef < 1) for (const t of withGrad) t.grad = (t.grad as Tensor).mul(coef);
    return total;
  });
}
