/**
 * Classification and regression losses with torch.nn.functional's semantics: crossEntropy (log-softmax + NLL,
 * class weights, label smoothing, ignoreIndex), mse, and binaryCrossEntropyWithLogits (stable for any logit).
 */
import { record } from '../autograd/tape.js';
import { ShapeError, ValueError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { binaryRaw, mul, unaryRaw } from './elementwise.js';
import { sum } from './reduce.js';
import { gather, squeeze } from './shape.js';
import { logSoftmax } from './softmax.js';
import { checkCompatible } from './util.js';

export type Reduction = 'mean' | 'sum' | 'none';

/** A constant (no grad) with `like`'s dtype and backend. */
function constant(values: ArrayLike<number>, shape: number[], like: Tensor): Tensor {
  return new Tensor(like.backend.fromTypedArray(Float64Array.from(values), shape, like.dtype), like.backend);
}

function checkReduction(op: string, r: Reduction): void {
  if (r !== 'mean' && r !== 'sum' && r !== 'none') throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(r)}'`);
}

export interface CrossEntropyOptions {
  /** Per-class weights of shape [C]; a weighted mean divides by the summed weights of the targets (as torch). */
  weight?: Tensor;
  /** ε in [0, 1]: the target becomes (1 − ε)·one-hot + ε/C (torch's label_smoothing). */
  labelSmoothing?: number;
  reduction?: Reduction;
  /** Targets equal to this contribute nothing and are not counted in the mean (default −100, as torch). */
  ignoreIndex?: number;
}

/**
 * Cross-entropy between logits and class-index targets, exactly torch.nn.functional.cross_entropy: input [N, C]
 * (or [C], or [N, C, d1, …]), target [N] (or [], or [N, d1, …]) holding integers in 0..C−1. The log-softmax is
 * taken stably; gradients flow to the input.
 * @example crossEntropy(logits, tensor([2, 0, 1]), { labelSmoothing: 0.1 })
 */
export function crossEntropy(input: Tensor, target: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  const reduction = options.reduction ?? 'mean';
  checkReduction(op, reduction);
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const ignoreIndex = options.ignoreIndex ?? -100;
  if (input.ndim === 0) throw new ShapeError(`${op}: input must have a class axis (shape [C] or [N, C, …]), got a 0-d tensor`);
  const classAxis = input.ndim === 1 ? 0 : 1;
  const C = input.shape[classAxis];
  const targetShape = input.shape.filter((_, i) => i !== classAxis);
  if (!sameShape(target.shape, targetShape))
    throw new ShapeError(
      `${op}: target of shape ${fmt(target.shape)} for input of shape ${fmt(input.shape)}; class-index targets need shape ${fmt(targetShape)}`,
    );
  let w: Float64Array | null = null;
  if (options.weight !== undefined) {
    if (!sameShape(options.weight.shape, [C]))
      throw new ShapeError(`${op}: weight of shape ${fmt(options.weight.shape)}; it needs one weight per class, shape [${C}]`);
    w = Float64Array.from(options.weight.toTypedArray());
  }

  // Targets are read once on the host: to validate them and to build the gather index and per-sample weights.
  const t = target.toTypedArray();
  const idx = new Float64Array(t.length);
  const wy = new Float64Array(t.length);
  let ignored = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t[i];
    if (c === ignoreIndex) {
      ignored++;
      continue; // idx 0 and weight 0: gathered but counted nowhere
    }
    if (!Number.isInteger(c) || c < 0 || c >= C)
      throw new ValueError(`${op}: target ${c} at flat position ${i} is not a class index in 0..${C - 1} (nor ignoreIndex ${ignoreIndex})`);
    idx[i] = c;
    wy[i] = w === null ? 1 : w[c];
  }
  const plain = w === null && ignored === 0;

  const logp = logSoftmax(input, classAxis);
  const indexShape = [...input.shape];
  indexShape[classAxis] = 1;
  const picked = squeeze(gather(logp, classAxis, constant(idx, indexShape, input)), classAxis);
  const nll = plain ? picked.neg() : picked.mul(constant(wy, targetShape, input)).neg();
  const denom = wy.reduce((a, b) => a + b, 0); // count of kept targets, or their summed weights
  const reduce = (perSample: Tensor): Tensor =>
    reduction === 'none' ? perSample : reduction === 'sum' ? sum(perSample) : sum(perSample).div(denom);
  const nllLoss = reduce(nll);
  if (eps === 0) return nllLoss;

  let weighted = logp;
  if (w !== null) {
    const wShape = input.shape.map((d, i) => (i === classAxis ? d : 1));
    weighted = logp.mul(constant(w, wShape, input));
  }
  let smooth = sum(weighted, classAxis).neg();
  if (ignored > 0) smooth = smooth.mul(constant(Array.from(t, (c) => (c === ignoreIndex ? 0 : 1)), targetShape, input));
  // torch divides the smoothing term's mean by the same denominator as the NLL's (summed target weights or count).
  return nllLoss.mul(1 - eps).add(reduce(smooth).mul(eps / C));
}

function reduceLoss(loss: Tensor, reduction: Reduction): Tensor {
  return reduction === 'none' ? loss : reduction === 'sum' ? loss.sum() : loss.mean();
}

/**
 * Mean squared error (torch.nn.functional.mse_loss); input and target must have the same shape.
 * @example mse(pred, tensor([1, 2, 3])) // mean of (pred − target)²
 */
export function mse(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const reduction = options.reduction ?? 'mean';
  checkReduction('mse', reduction);
  checkCompatible('mse', input, target);
  if (!sameShape(input.shape, target.shape))
    throw new ShapeError(`mse: input of shape ${fmt(input.shape)} and target of shape ${fmt(target.shape)}; they must be equal`);
  return reduceLoss(input.sub(target).square(), reduction);
}

export interface BceWithLogitsOptions {
  /** Rescales each element's loss (broadcast against the input). */
  weight?: Tensor;
  /** Weight of the positive term per class (broadcast along the last axis), as torch's pos_weight. */
  posWeight?: Tensor;
  reduction?: Reduction;
}

/**
 * Binary cross-entropy on logits (torch.nn.functional.binary_cross_entropy_with_logits): targets in [0, 1] of
 * the input's shape. Computed as (1 − y)·x + w_p·(log(1 + e^(−|x|)) + max(−x, 0)) with w_p = 1 + (posWeight − 1)·y,
 * which is finite for every finite logit; the gradient is the exact σ(x) − y form (also at x = 0).
 * @example binaryCrossEntropyWithLogits(tensor([1000, -1000]), tensor([1, 0])) // 0
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  const reduction = options.reduction ?? 'mean';
  checkReduction(op, reduction);
  checkCompatible(op, input, target);
  if (!sameShape(input.shape, target.shape))
    throw new ShapeError(`${op}: input of shape ${fmt(input.shape)} and target of shape ${fmt(target.shape)}; they must be equal`);
  const x = input, y = target;
  // softplus(−x) = log1p(e^(−|x|)) + max(−x, 0): never exponentiates a positive number.
  const spNeg = binaryRaw('add', unaryRaw('log1p', unaryRaw('exp', unaryRaw('neg', unaryRaw('abs', x)))), unaryRaw('relu', unaryRaw('neg', x)));
  const oneMinusY = unaryRaw('addScalar', unaryRaw('neg', y), 1);
  let lw: Tensor | null = null;
  if (options.posWeight !== undefined) {
    checkCompatible(op, x, options.posWeight);
    lw = binaryRaw('add', binaryRaw('mul', unaryRaw('addScalar', options.posWeight.detach(), -1), y), 1);
  }
  const loss = binaryRaw('add', binaryRaw('mul', oneMinusY, x), lw === null ? spNeg : binaryRaw('mul', lw, spNeg));
  const taped = record(op, loss, [x, y], (g) => {
    // ∂/∂x = (1 − y) − w_p·σ(−x);  ∂/∂y = −x + (posWeight − 1)·softplus(−x)
    const sigNeg = unaryRaw('sigmoid', unaryRaw('neg', x));
    const dx = binaryRaw('sub', oneMinusY, lw === null ? sigNeg : binaryRaw('mul', lw, sigNeg));
    const dy = options.posWeight === undefined
      ? unaryRaw('neg', x)
      : binaryRaw('add', unaryRaw('neg', x), binaryRaw('mul', unaryRaw('addScalar', options.posWeight.detach(), -1), spNeg));
    return [x.requiresGrad ? mul(g, dx) : null, y.requiresGrad ? mul(g, dy) : null];
  });
  return reduceLoss(options.weight === undefined ? taped : taped.mul(options.weight), reduction);
}
