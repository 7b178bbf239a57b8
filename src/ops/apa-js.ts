/**
 * The fused APA / AGLU kernels and the fused APA losses of the js backend, on flat row-major typed arrays. They are
 * the oracle the GPU.js kernels (kernels/apa.ts) are compared against, so every step follows docs/apa.md literally:
 *
 *   u = log λ − κz,  s = softplus(u),  σ = sigmoid(u),  log p = −s/λ,  p = exp(−s/λ)
 *   ∂log p/∂z = κσ/λ,  ∂log p/∂κ = zσ/λ,  ∂log p/∂λ = (s − σ)/λ²
 *
 * All arithmetic runs in float64 (JavaScript numbers) and is rounded once on store, so float32 results are the
 * correctly rounded float64 ones. Parameter gradients accumulate per channel in float64.
 */
import type { ApaKernelOptions, ApaLossKernelOptions, TypedArray } from '../backend/backend.js';
import type { Shape } from '../shape.js';

/** The logistic σ(u) = e^u / (1 + e^u), never overflowing. */
export function sigmoidStable(u: number): number {
  if (u >= 0) return 1 / (1 + Math.exp(-u));
  const e = Math.exp(u);
  return e / (1 + e);
}

/**
 * softplus(u) − σ(u) ≥ 0 without cancellation. For u < 0 both terms are ≈ e^u while their difference is ≈ e^{2u}/2,
 * so the difference is taken analytically: s = −log(1 − σ) = 2·atanh(r) with r = σ/(2 − σ) ≤ 1/3, hence
 * s − σ = σ²/(2 − σ) + 2·Σ_{k≥1} r^{2k+1}/(2k+1), a series of positive terms shrinking by r² ≤ 1/9 (docs/apa.md).
 */
export function softplusMinusSigmoid(u: number, s: number, sig: number): number {
  if (u >= 0) return s - sig; // here s ≥ log 2 and s − σ ≥ 0.19: at most a factor 3.6 of cancellation
  const r = sig / (2 - sig);
  const r2 = r * r;
  let power = 2 * r * r2;
  let sum = 0;
  for (let k = 1; k < 40; k++) {
    const term = power / (2 * k + 1);
    sum += term;
    if (term <= 1e-17 * sum) break;
    power *= r2;
  }
  return (sig * sig) / (2 - sig) + sum;
}

/** log(1 − e^{−x}) for x ≥ 0 (Mächler's log1mexp): expm1 near 0, log1p away from it. */
function log1mexp(x: number): number {
  return x <= Math.LN2 ? Math.log(-Math.expm1(-x)) : Math.log1p(-Math.exp(-x));
}

/** Below this u, s = softplus(u) may underflow: log s, σ/s and (s − σ)/s are taken from their series in e^u. */
const U_TINY = -30;
/** Below this x = −log p, log(1 − p) = log x − x/2 (+ x²/24, below rounding); avoids log(0) when x underflows. */
const X_TINY = 1e-8;

/** How flat index i maps to a channel: i = (outer·C + c)·inner + j. C = 1 when both parameters are scalars. */
export interface ApaLayout {
  channels: number;
  inner: number;
  outer: number;
}

/** The channel layout of z for λ, κ of nl and nk elements (shared with the gpujs kernels' callers). */
export function apaLayout(shape: Shape, axis: number, nl: number, nk: number): ApaLayout {
  let n = 1;
  for (const d of shape) n *= d;
  const channels = Math.max(nl, nk);
  if (channels === 1) return { channels: 1, inner: n, outer: 1 };
  let inner = 1;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i];
  return { channels, inner, outer: channels * inner === 0 ? 0 : n / (channels * inner) };
}

/** Per-channel λ (clamped at the floor), log λ, κ and whether λ's gradient flows (λ ≥ floor, as torch.clamp). */
function channelParams(l: TypedArray, k: TypedArray, channels: number, floor: number) {
  const lam = new Float64Array(channels);
  const logLam = new Float64Array(channels);
  const kap = new Float64Array(channels);
  const lamGrad = new Uint8Array(channels);
  for (let c = 0; c < channels; c++) {
    const raw = l[l.length === 1 ? 0 : c];
    lam[c] = raw < floor ? floor : raw;
    logLam[c] = Math.log(lam[c]);
    kap[c] = k[k.length === 1 ? 0 : c];
    lamGrad[c] = raw >= floor ? 1 : 0;
  }
  return { lam, logLam, kap, lamGrad };
}

/** Sums per-channel accumulators into a parameter's gradient: one entry per channel, or their total for [1]. */
function storeParamGrad(acc: Float64Array, out: TypedArray): void {
  if (out.length === acc.length) {
    out.set(acc);
    return;
  }
  let total = 0;
  for (let c = 0; c < acc.length; c++) total += acc[c];
  out[0] = total;
}

/**
 * APA(z) = exp(−softplus(log λ − κz)/λ), or AGLU(z) = z·APA(z) when `o.gated`, into `out`.
 * @example const out = new Float64Array(1); apaForwardJs(Float64Array.of(0), [1], Float64Array.of(1), Float64Array.of(1), { channelAxis: 0, gated: false, lambdaFloor: 1e-4 }, out); // out[0] = 0.5
 */
export function apaForwardJs(z: TypedArray, shape: Shape, l: TypedArray, k: TypedArray, o: ApaKernelOptions, out: TypedArray): void {
  const { channels, inner, outer } = apaLayout(shape, o.channelAxis, l.length, k.length);
  const { lam, logLam, kap } = channelParams(l, k, channels, o.lambdaFloor);
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const lc = lam[c], ll = logLam[c], kc = kap[c];
      const base = (b * channels + c) * inner;
      for (let j = base; j < base + inner; j++) {
        const zi = z[j];
        const u = ll - kc * zi;
        const s = u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
        const p = Math.exp(-s / lc);
        // p = 0 (underflow) gives 0 even for z = ±∞: the gate wins, as in the limit.
        out[j] = o.gated ? (p === 0 ? 0 : zi * p) : p;
      }
    }
  }
}

/**
 * One pass of the APA / AGLU backward: dz = g·∂y/∂z per element, and dλ, dκ summed over each channel
 * (over everything for [1] parameters). No gradient reaches λ where it sits below the floor.
 */
export function apaBackwardJs(
  z: TypedArray, shape: Shape, l: TypedArray, k: TypedArray, g: TypedArray, o: ApaKernelOptions,
  dz: TypedArray, dl: TypedArray, dk: TypedArray,
): void {
  const { channels, inner, outer } = apaLayout(shape, o.channelAxis, l.length, k.length);
  const { lam, logLam, kap, lamGrad } = channelParams(l, k, channels, o.lambdaFloor);
  const accL = new Float64Array(channels);
  const accK = new Float64Array(channels);
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const lc = lam[c], ll = logLam[c], kc = kap[c], inv = 1 / lc;
      let sumL = 0, sumK = 0;
      const base = (b * channels + c) * inner;
      for (let j = base; j < base + inner; j++) {
        const zi = z[j], gi = g[j];
        const u = ll - kc * zi;
        const e = Math.exp(-Math.abs(u)); // shared by softplus and sigmoid
        const s = (u > 0 ? u : 0) + Math.log1p(e);
        const p = Math.exp(-s * inv);
        if (p === 0) {
          // Every term carries the factor p; skipping them also keeps z = ±∞ from making 0·∞.
          dz[j] = 0;
          continue;
        }
        const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
        const a = sig * inv; // σ/λ
        const dLogL = softplusMinusSigmoid(u, s, sig) * inv * inv; // ∂log p/∂λ = (s − σ)/λ²
        if (o.gated) {
          const za = sig === 0 ? 0 : zi * a; // z·σ/λ, with 0 for σ = 0 whatever z is
          const gp = gi * p;
          dz[j] = gp * (1 + kc * za);
          sumK += gp * zi * za;
          sumL += gp * zi * dLogL;
        } else {
          const gp = gi * p;
          dz[j] = gp * kc * a;
          sumK += sig === 0 ? 0 : gp * zi * a;
          sumL += gp * dLogL;
        }
      }
      accL[c] += lamGrad[c] ? sumL : 0;
      accK[c] += sumK;
    }
  }
  storeParamGrad(accL, dl);
  storeParamGrad(accK, dk);
}

/**
 * The pieces of the fused loss at one element: x = −log p, log x, and the stable ratios σ/s and (s − σ)/s
 * (Gumbel: x = e^{−κz}, and σ/s, (s − σ)/s are not used).
 */
function lossPoint(zi: number, lc: number, ll: number, kc: number, gumbel: boolean) {
  if (gumbel) {
    const v = -kc * zi;
    return { x: Math.exp(v), logX: v, s: 0, sig: 0, u: 0 };
  }
  const u = ll - kc * zi;
  const s = u > 0 ? u + Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u));
  // log s = u + log1p(−e^u/2 + …) once s might underflow.
  const logS = u < U_TINY ? u - Math.exp(u) / 2 : Math.log(s);
  return { x: s / lc, logX: logS - ll, s, sig: sigmoidStable(u), u };
}

/** log(1 − p) from x = −log p (and log x for when x underflows). */
function log1mp(x: number, logX: number): number {
  return x < X_TINY ? logX - x / 2 : log1mexp(x);
}

/** x/(e^x − 1) = x·p/(1 − p) for p = e^{−x}; → 1 as x → 0 and → 0 as x → ∞. */
function xOverExpm1(x: number): number {
  if (x === 0) return 1;
  // Past 50, e^x − 1 = e^x to rounding; x·e^{−x} also avoids ∞/∞ when Gumbel's x = e^{−κz} overflowed.
  if (x > 50) return x === Infinity ? 0 : x * Math.exp(-x);
  return x / Math.expm1(x);
}

/**
 * Elementwise loss −[t·log p + (1−t)·log(1−p)] with p = APA(z) (or the Gumbel limit), log p = −x and
 * log(1−p) = log1mexp(x) computed without cancellation.
 */
export function apaBceForwardJs(
  z: TypedArray, t: TypedArray, shape: Shape, l: TypedArray, k: TypedArray, o: ApaLossKernelOptions, out: TypedArray,
): void {
  const { channels, inner, outer } = apaLayout(shape, o.channelAxis, l.length, k.length);
  const { lam, logLam, kap } = channelParams(l, k, channels, o.lambdaFloor);
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const base = (b * channels + c) * inner;
      for (let j = base; j < base + inner; j++) {
        const { x, logX } = lossPoint(z[j], lam[c], logLam[c], kap[c], o.gumbel);
        const tj = t[j];
        // t = 0 or 1 must not multiply an infinite log (Gumbel's x = e^{−κz} may overflow): drop zero-weight terms.
        const pos = tj === 0 ? 0 : tj * x;
        const neg = tj === 1 ? 0 : (1 - tj) * log1mp(x, logX);
        out[j] = pos - neg;
      }
    }
  }
}

/**
 * Gradients of Σ g·loss w.r.t. z, λ, κ. The factor p/(1 − p) = 1/(e^x − 1) of the negative term is infinite at
 * p = 1; it is folded into the ratios σ/s and (s − σ)/s times x/(e^x − 1), all bounded, so p → 1 (x → 0) never
 * divides 0 by 0 (docs/apa.md, "Losses").
 */
export function apaBceBackwardJs(
  z: TypedArray, t: TypedArray, shape: Shape, l: TypedArray, k: TypedArray, g: TypedArray, o: ApaLossKernelOptions,
  dz: TypedArray, dl: TypedArray, dk: TypedArray,
): void {
  const { channels, inner, outer } = apaLayout(shape, o.channelAxis, l.length, k.length);
  const { lam, logLam, kap, lamGrad } = channelParams(l, k, channels, o.lambdaFloor);
  const accL = new Float64Array(channels);
  const accK = new Float64Array(channels);
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const lc = lam[c], ll = logLam[c], kc = kap[c];
      let sumL = 0, sumK = 0;
      const base = (b * channels + c) * inner;
      for (let j = base; j < base + inner; j++) {
        const zi = z[j], tj = t[j], gj = g[j];
        const { x, s, sig, u } = lossPoint(zi, lc, ll, kc, o.gumbel);
        const e = xOverExpm1(x);
        let a: number; // ∂loss/∂(κz) — then ∂/∂z = κ·a, ∂/∂κ = z·a
        let dLam = 0; // ∂loss/∂λ
        if (o.gumbel) {
          // log p = −x, x = e^{−κz}: ∂log p/∂(κz) = x;  p/(1−p)·x = x/(e^x − 1).
          a = (tj === 0 ? 0 : -tj * x) + (tj === 1 ? 0 : (1 - tj) * e);
        } else {
          const inv = 1 / lc;
          const rSig = u < U_TINY ? 1 - Math.exp(u) / 2 : sig / s; // σ/s
          const sMinusSig = softplusMinusSigmoid(u, s, sig);
          const rDiff = u < U_TINY ? Math.exp(u) / 2 : sMinusSig / s; // (s − σ)/s
          a = (tj === 0 ? 0 : -tj * sig * inv) + (tj === 1 ? 0 : (1 - tj) * rSig * e);
          dLam = (tj === 0 ? 0 : -tj * sMinusSig * inv * inv) + (tj === 1 ? 0 : (1 - tj) * rDiff * e * inv);
        }
        const ga = a === 0 ? 0 : gj * a;
        dz[j] = ga * kc;
        sumK += ga === 0 ? 0 : ga * zi;
        sumL += dLam === 0 ? 0 : gj * dLam;
      }
      accL[c] += lamGrad[c] && !o.gumbel ? sumL : 0;
      accK[c] += sumK;
    }
  }
  storeParamGrad(accL, dl);
  storeParamGrad(accK, dk);
}
