/**
 * One-vs-all binary cross-entropy with APA probabilities, for the classification layer (docs/apa.md, "Losses"):
 *
 *   loss = −[t·log p + (1 − t)·log(1 − p)],   p = APA(z, λ, κ)   (apaBinaryCrossEntropy)
 *                                              p = exp(−e^{−κz})  (gumbelBinaryCrossEntropy, the λ → 0 limit)
 *
 * Fused: log p = −softplus(log λ − κz)/λ and log(1 − p) = log(1 − e^{log p}) are computed in one backend pass
 * without forming p, so neither side cancels; the backward is one more pass with hand-derived gradients.
 */
import type { Backend, Buf, TypedArray } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import { ShapeError, ValueError } from '../errors.js';
import { fmt, normAxis, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { resolveParams, type ApaOptions } from './apa.js';
import { checkCompatible, wrap } from './util.js';

export type LossReduction = 'mean' | 'sum' | 'none';

export interface ApaLossOptions extends ApaOptions {
  /** 'mean' (default, over every element like torch's BCEWithLogitsLoss), 'sum', or 'none' (the loss per element). */
  reduction?: LossReduction;
}

export interface GumbelLossOptions {
  reduction?: LossReduction;
  /** A learnable scale κ of shape [1] or [C]: p = exp(−e^{−κz}). Default: κ = 1 (the authors' Gumbel loss). */
  kappa?: Tensor;
  /** Class axis of the logits, for per-class κ and for class-index targets; default 1 (0 for 1-D logits). */
  channelAxis?: number;
}

/**
 * Targets as a buffer of the logits' shape: the tensor itself when it has that shape (a {0,1} or soft-label
 * matrix), or a one-hot expansion of class indices whose shape is the logits' shape without the class axis.
 */
function targetBuffer(op: string, logits: Tensor, targets: Tensor, channelAxis: number | undefined): Buf {
  if (sameShape(targets.shape, logits.shape)) {
    checkCompatible(op, logits, targets);
    return targets.buf;
  }
  const axis = channelAxis === undefined ? (logits.ndim >= 2 ? 1 : 0) : normAxis(op, channelAxis, logits.ndim);
  const want = logits.shape.filter((_, i) => i !== axis);
  if (logits.ndim === 0 || !sameShape(targets.shape, want))
    throw new ShapeError(
      `${op}: targets of shape ${fmt(targets.shape)} fit neither the logits' shape ${fmt(logits.shape)} (a 0/1 matrix) nor ` +
        `${logits.ndim === 0 ? 'class indices (the logits have no class axis)' : `class indices of shape ${fmt(want)} (the logits without class axis ${axis})`}`,
    );
  const classes = logits.shape[axis];
  const inner = logits.shape.slice(axis + 1).reduce((a, d) => a * d, 1);
  const idx = targets.toTypedArray();
  const hot: TypedArray = logits.dtype === 'float64' ? new Float64Array(logits.size) : new Float32Array(logits.size);
  for (let i = 0; i < idx.length; i++) {
    const c = idx[i];
    if (!Number.isInteger(c) || c < 0 || c >= classes)
      throw new ValueError(`${op}: class index ${c} at position ${i} of the targets is not an integer in 0..${classes - 1}`);
    const outer = Math.floor(i / inner), j = i % inner;
    hot[(outer * classes + c) * inner + j] = 1;
  }
  return logits.backend.fromTypedArray(hot, logits.shape, logits.dtype);
}

/** Reduces the elementwise loss and says how an upstream gradient of the result spreads back over the elements. */
function reduce(op: string, b: Backend, elem: Buf, reduction: LossReduction): { out: Buf; spread: (g: Buf) => Buf } {
  const shape = elem.shape;
  if (reduction === 'none') return { out: elem, spread: (g) => g };
  if (reduction !== 'mean' && reduction !== 'sum')
    throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  const axes = shape.map((_, i) => i);
  const total = b.reduce('sum', elem, axes, false);
  b.dispose(elem);
  if (reduction === 'sum') return { out: total, spread: (g) => b.expand(g, shape) };
  const n = shape.reduce((a, d) => a * d, 1);
  const out = b.unary('mulScalar', total, 1 / n);
  b.dispose(total);
  return { out, spread: (g) => b.expand(b.unary('mulScalar', g, 1 / n), shape) };
}

/**
 * One-vs-all binary cross-entropy with probabilities p = APA(z, λ, κ), fused and stable. Targets: a tensor of the
 * logits' shape (0/1 labels, or soft labels in [0, 1]) or class indices of shape [B] for logits [B, K] (any shape
 * equal to the logits' without the class axis). Gradients flow to logits, λ and κ; none to the targets.
 * @example
 * const z = tensor([[2, -1, 0.5]], { requiresGrad: true });
 * apaBinaryCrossEntropy(z, tensor([0]), tensor([1]), tensor([1])).item(); // λ = κ = 1: BCE-with-logits ≈ 0.4714
 */
export function apaBinaryCrossEntropy(
  logits: Tensor, targets: Tensor, lambda: Tensor, kappa: Tensor, options: ApaLossOptions = {},
): Tensor {
  const op = 'apaBinaryCrossEntropy';
  const r = resolveParams(op, logits, lambda, kappa, options);
  const t = targetBuffer(op, logits, targets, options.channelAxis);
  const b = logits.backend;
  const kopts = { channelAxis: r.axis, lambdaFloor: r.floor, gumbel: false };
  const { out, spread } = reduce(op, b, b.apaBceForward(logits.buf, t, r.lambda, r.kappa, kopts), options.reduction ?? 'mean');
  return record(op, wrap(out, logits), [logits, lambda, kappa], (g) => {
    const d = b.apaBceBackward(logits.buf, t, r.lambda, r.kappa, spread(g.buf), kopts);
    return [
      logits.requiresGrad ? wrap(d.dz, logits) : null,
      lambda.requiresGrad ? wrap(r.lambdaGrad(d.dlambda), logits) : null,
      kappa.requiresGrad ? wrap(r.kappaGrad(d.dkappa), logits) : null,
    ];
  });
}

/**
 * The Gumbel binary cross-entropy (the λ → 0 limit of apaBinaryCrossEntropy, p = exp(−e^{−κz})), fused and
 * stable. The loss of a positive, e^{−κz}, is returned exactly, so it overflows to Infinity only when e^{−κz}
 * itself exceeds the dtype's range (κz below about −88 in float32, −709 in float64). The authors clamp z to
 * [−4, 10] before this loss; do that yourself (`clamp`) if you want their behaviour.
 * @example gumbelBinaryCrossEntropy(tensor([[0]]), tensor([[1]])).item(); // −log(e^{−1}) = 1
 */
export function gumbelBinaryCrossEntropy(logits: Tensor, targets: Tensor, options: GumbelLossOptions = {}): Tensor {
  const op = 'gumbelBinaryCrossEntropy';
  const b = logits.backend;
  const kappa = options.kappa ?? null;
  const kappaT = kappa ?? wrap(b.fill([1], 1, logits.dtype), logits);
  const unit = wrap(b.fill([1], 1, logits.dtype), logits);
  const r = resolveParams(op, logits, unit, kappaT, { channelAxis: options.channelAxis });
  const t = targetBuffer(op, logits, targets, options.channelAxis);
  const kopts = { channelAxis: r.axis, lambdaFloor: r.floor, gumbel: true };
  const { out, spread } = reduce(op, b, b.apaBceForward(logits.buf, t, r.lambda, r.kappa, kopts), options.reduction ?? 'mean');
  const inputs = kappa === null ? [logits] : [logits, kappa];
  return record(op, wrap(out, logits), inputs, (g) => {
    const d = b.apaBceBackward(logits.buf, t, r.lambda, r.kappa, spread(g.buf), kopts);
    return [
      logits.requiresGrad ? wrap(d.dz, logits) : null,
      kappa !== null && kappa.requiresGrad ? wrap(r.kappaGrad(d.dkappa), logits) : null,
    ];
  });
}
