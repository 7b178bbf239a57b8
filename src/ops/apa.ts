/**
 * APA and AGLU as fused ops (docs/apa.md):
 *
 *   APA(z, λ, κ) = (λ·e^{−κz} + 1)^{−1/λ} = exp(−softplus(log λ − κz)/λ),   AGLU(z, λ, κ) = z·APA(z, λ, κ)
 *
 * Forward is one backend pass (`apaForward`), backward one more (`apaBackward`) that returns dz and dλ, dκ already
 * summed to the parameters' shapes. `apaComposite` is the same math written with the engine's elementwise ops: the
 * reference the fused path is tested against and the baseline its benchmark beats.
 */
import type { Backend, Buf } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import { ShapeError, ValueError } from '../errors.js';
import { fmt, normAxis } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { abs, add, clamp, div, exp, log, log1p, maximum, mul, neg, sub } from './elementwise.js';
import { checkCompatible, wrap } from './util.js';

/** λ is clamped at this floor (the reference implementation's 1e-4); below it no gradient reaches λ. */
export const LAMBDA_FLOOR = 1e-4;

/** Above this the softplus of λ's reparameterisation is linear to float64 rounding (e^{−40} ≈ 4e-18). */
const SOFTPLUS_THRESHOLD = 40;

export interface ApaOptions {
  /**
   * Axis of z that per-channel λ, κ (shape [C]) run along; default 1 (features of [B, F], channels of [N, C, H, W]),
   * or 0 for a 1-D z. Negative values count from the end. Ignored when λ and κ both have one element.
   */
  channelAxis?: number;
  /**
   * How the λ tensor is read. 'clamp' (default): λ itself, clamped at 1e-4 with no gradient below (torch.clamp).
   * 'softplus': the tensor is ρ and λ = softplus(ρ) + 1e-4, which stays above the floor and always has a gradient.
   */
  lambdaParam?: 'clamp' | 'softplus';
}

/** @internal λ, κ resolved for a fused kernel: [1]- or [C]-shaped buffers, the channel axis, and how to map gradients back. */
export interface ResolvedParams {
  axis: number;
  /** λ as the kernel reads it (softplus(ρ) + floor for lambdaParam 'softplus'). */
  lambda: Buf;
  kappa: Buf;
  /** The floor in z's dtype, so λ = 1e-4 stored in float32 counts as at the floor (torch.clamp compares in the dtype). */
  floor: number;
  /** Turns the kernel's dλ (shape [n]) into the gradient of the λ tensor the user passed (ρ for 'softplus'). */
  lambdaGrad(d: Buf): Buf;
  kappaGrad(d: Buf): Buf;
}

const NAMES = ['λ (lambda)', 'κ (kappa)'];

/** @internal Checks λ and κ against z and prepares them for the fused kernels. */
export function resolveParams(op: string, z: Tensor, lambda: Tensor, kappa: Tensor, o: ApaOptions): ResolvedParams {
  checkCompatible(op, z, lambda, kappa);
  const lambdaParam = o.lambdaParam ?? 'clamp';
  if (lambdaParam !== 'clamp' && lambdaParam !== 'softplus')
    throw new ValueError(`${op}: lambdaParam must be 'clamp' or 'softplus', got '${String(lambdaParam)}'`);
  [lambda, kappa].forEach((p, i) => {
    if (p.ndim > 1)
      throw new ShapeError(
        `${op}: ${NAMES[i]} has shape ${fmt(p.shape)}; it must have shape [1] (one per layer) or [C] (one per channel) — reshape it with .reshape([${p.size}])`,
      );
  });
  const perChannel = lambda.size !== 1 || kappa.size !== 1;
  let axis = 0;
  if (perChannel || o.channelAxis !== undefined) {
    if (z.ndim === 0 && perChannel)
      throw new ShapeError(`${op}: z is a scalar (shape []), so λ and κ must have one element; got shapes ${fmt(lambda.shape)} and ${fmt(kappa.shape)}`);
    axis = o.channelAxis === undefined ? (z.ndim >= 2 ? 1 : 0) : normAxis(op, o.channelAxis, z.ndim);
    const channels = z.ndim === 0 ? 1 : z.shape[axis];
    [lambda, kappa].forEach((p, i) => {
      if (p.size !== 1 && p.size !== channels)
        throw new ShapeError(
          `${op}: ${NAMES[i]} of shape ${fmt(p.shape)} does not fit z of shape ${fmt(z.shape)}: along channelAxis ${axis} z has ` +
            `${channels} channels, so ${NAMES[i]} must have shape [1] or [${channels}] (or pass another channelAxis)`,
        );
    });
  }
  const b = z.backend;
  const floor = z.dtype === 'float32' ? Math.fround(LAMBDA_FLOOR) : LAMBDA_FLOOR;
  const flat = (p: Tensor): Buf => (p.ndim === 1 ? p.buf : b.reshape(p.buf, [1]));
  const back = (p: Tensor) => (d: Buf): Buf => (p.ndim === 1 ? d : b.reshape(d, p.shape));
  const lamFlat = flat(lambda);
  if (lambdaParam === 'clamp') return { axis, lambda: lamFlat, kappa: flat(kappa), floor, lambdaGrad: back(lambda), kappaGrad: back(kappa) };
  const sp = b.unary('softplus', lamFlat, 1, SOFTPLUS_THRESHOLD);
  const lam = b.unary('addScalar', sp, LAMBDA_FLOOR);
  b.dispose(sp);
  return {
    axis,
    lambda: lam,
    kappa: flat(kappa),
    floor,
    // dρ = dλ·softplus'(ρ) = dλ·σ(ρ)
    lambdaGrad: (d) => {
      const sig = b.unary('sigmoid', lamFlat);
      const out = b.binary('mul', d, sig);
      b.dispose(sig);
      return back(lambda)(out);
    },
    kappaGrad: back(kappa),
  };
}

function fused(op: 'apa' | 'aglu', z: Tensor, lambda: Tensor, kappa: Tensor, o: ApaOptions): Tensor {
  const r = resolveParams(op, z, lambda, kappa, o);
  const b: Backend = z.backend;
  const kopts = { channelAxis: r.axis, gated: op === 'aglu', lambdaFloor: r.floor };
  const out = wrap(b.apaForward(z.buf, r.lambda, r.kappa, kopts), z);
  return record(op, out, [z, lambda, kappa], (g) => {
    const d = b.apaBackward(z.buf, r.lambda, r.kappa, g.buf, kopts);
    return [
      z.requiresGrad ? wrap(d.dz, z) : null,
      lambda.requiresGrad ? wrap(r.lambdaGrad(d.dlambda), z) : null,
      kappa.requiresGrad ? wrap(r.kappaGrad(d.dkappa), z) : null,
    ];
  });
}

/**
 * The Adaptive Parametric Activation APA(z, λ, κ) = (λ·e^{−κz} + 1)^{−1/λ}, fused and stable for every finite z,
 * λ ∈ [1e-4, 1e3] and κ (docs/apa.md). λ, κ: shape [1], or [C] along `channelAxis`.
 * @example apa(tensor([0, 2]), tensor([1]), tensor([1])).toArray(); // sigmoid: [0.5, 0.8808]
 */
export const apa = (z: Tensor, lambda: Tensor, kappa: Tensor, options: ApaOptions = {}): Tensor =>
  fused('apa', z, lambda, kappa, options);

/**
 * The Adaptive Gated Linear Unit AGLU(z, λ, κ) = z·APA(z, λ, κ); λ = κ = 1 is SiLU.
 * @example aglu(tensor([[1, -1]]), tensor([1]), tensor([1])).toArray(); // SiLU: [[0.7311, -0.2689]]
 */
export const aglu = (z: Tensor, lambda: Tensor, kappa: Tensor, options: ApaOptions = {}): Tensor =>
  fused('aglu', z, lambda, kappa, options);

/** A recorded reshape (kept local so the composite needs nothing but elementwise ops). */
function reshapeRecorded(x: Tensor, shape: number[]): Tensor {
  const out = wrap(x.backend.reshape(x.buf, shape), x);
  return record('reshape', out, [x], (g) => [wrap(g.backend.reshape(g.buf, x.shape), g)]);
}

/**
 * APA / AGLU composed from the engine's elementwise ops (log, exp, log1p, abs, maximum, …) — the same stable math
 * as the fused kernels but one op (and one stored intermediate) per step, with the tape deriving the backward.
 * For tests (fused equals unfused) and benchmarks (fused vs composed); use `apa` / `aglu` otherwise.
 * @example apaComposite(tensor([0]), tensor([1]), tensor([1]), { gated: true }).item(); // 0
 */
export function apaComposite(z: Tensor, lambda: Tensor, kappa: Tensor, options: ApaOptions & { gated?: boolean } = {}): Tensor {
  const op = options.gated ? 'aglu' : 'apa';
  const r = resolveParams(op, z, lambda, kappa, options);
  const view = (p: Tensor): Tensor =>
    p.size === 1 || r.axis === z.ndim - 1 ? p : reshapeRecorded(p, [p.size, ...new Array<number>(z.ndim - r.axis - 1).fill(1)]);
  const softplus = (u: Tensor): Tensor => add(maximum(u, 0), log1p(exp(neg(abs(u)))));
  const lam = options.lambdaParam === 'softplus' ? add(softplus(lambda), LAMBDA_FLOOR) : clamp(lambda, r.floor);
  const l = view(lam);
  const u = sub(log(l), mul(view(kappa), z));
  const p = exp(neg(div(softplus(u), l)));
  return options.gated ? mul(z, p) : p;
}
