/**
 * The fused APA / AGLU kernels and the fused APA losses of the js backend, on flat row-major typed arrays. They are
 * the oracle the GPU.js kernels (kernels/apa.ts) are compared against, so every step follows docs/apa.md literally:
 *
 *   u = log λ − κz,  s = softplus(u),  σ = sigmoid(u),  log p = −s/λ,  p = exp(−s/λ)
 *   ∂log p/∂z = κσ/λ,  ∂log p/∂κ = zσ/λ,  ∂log p/∂λ = (s − σ)/λ²
 *
 * All arithmetic runs in float64 (JavaScript numbers) and parameter gradients accumulate per channel in float64.
 * float64 arrays take every exp/log from Math (the oracle). float32 arrays of the fused APA / AGLU take the GPU
 * kernels' formulas, evaluated in float64 inline (no per-element calls, ~2× faster): exp from a table of 2^{−k/32}
 * and a quartic (relative error ≤ 1.3e-12), log(1 + e) and s − σ from a minimax polynomial (≤ 3e-12). Values and dz
 * are still the float64 ones rounded: each is stored only where its whole error interval rounds to one float32, else
 * recomputed by the float64 formula (~0.1% of elements). dλ, dκ are float64 sums of terms within ~1e-11 of the
 * float64 path's, so they can differ from its rounded sums in the last float32 digit where the sum cancels heavily.
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

// ---- the float32 path: exp(−a) for a ≥ 0 as 2^{−j/32}·e^r, j = round(32a/ln 2), |r| ≤ ln2/64 (quartic) --------
/** 32/ln 2, and ln2/32 = HI + LO with HI of 37 bits (j·HI is exact for j < 2^16). */
const EXP_K = 46.16624130844683, EXP_HI = 0.021660849392446835, EXP_LO = 5.145536774442405e-14;
/** 2^{−k/32} (k = j mod 32) and 2^{−m} (m = ⌊j/32⌋; 0 past the float64 range: a is clamped at 746). */
const EXP_FRAC = Float64Array.from({ length: 32 }, (_, k) => 2 ** (-k / 32));
const EXP_SCALE = Float64Array.from({ length: 1080 }, (_, m) => 2 ** -m);
/**
 * B(x) ≈ Σ_{k≥1} x^{k−1}/(2k+1) on x ∈ [0, 1/9], a degree-5 minimax fit (kernels/apa.ts uses degree 4 in float32):
 * log(1 + e) = 2t(1 + t²B(t²)) to 2.8e-12 relative.
 */
const B0 = 0.3333333318184218, B1 = 0.2000002620804067, B2 = 0.14284210210225262, B3 = 0.11150529057783096, B4 = 0.08575748061900076, B5 = 0.10890606538781188;
/**
 * Relative error bound of the float32 path's intermediates against the float64 path's: the exp quartic's 1.3e-12 and
 * log(1 + e)'s 4.1e-12 (fit plus e's error; scaled by log(1 + e)/λ in p = e^{−s/λ}), with a margin for rounding.
 * Small enough that ~0.1% of elements need the float64 recomputation.
 */
const ERR = 6e-12;

/** One value of the float64 forward (`apaForwardJs`' loop body, the oracle's formula). */
function forwardPoint64(zi: number, ll: number, kc: number, lc: number, gated: boolean): number {
  const u = ll - kc * zi;
  const s = (u > 0 ? u : 0) + Math.log1p(Math.exp(-Math.abs(u)));
  const p = Math.exp(-s / lc);
  return gated ? (p === 0 ? 0 : zi * p) : p;
}

/** One dz of the float64 backward (the same operations as `apaBackwardJs`' loop). */
function dzPoint64(zi: number, gi: number, ll: number, kc: number, inv: number, gated: boolean): number {
  const u = ll - kc * zi;
  const e = Math.exp(-Math.abs(u));
  const s = (u > 0 ? u : 0) + Math.log1p(e);
  const p = Math.exp(-s * inv);
  if (p === 0) return 0;
  const sig = u >= 0 ? 1 / (1 + e) : e / (1 + e);
  const a = sig * inv;
  const gp = gi * p;
  if (gated) return gp * (1 + kc * (sig === 0 ? 0 : zi * a));
  return gp * kc * a;
}

/** `apaForwardJs` for float32 output (see the file comment); the loop body inlines exp, log1p and the polynomial. */
function apaForward32(z: TypedArray, layout: ApaLayout, lam: Float64Array, logLam: Float64Array, kap: Float64Array, gated: boolean, out: Float32Array): void {
  const { channels, inner, outer } = layout;
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const ll = logLam[c], kc = kap[c], inv = 1 / lam[c];
      const base = (b * channels + c) * inner;
      for (let j = base, end = base + inner; j < end; j++) {
        const zi = z[j];
        const u = ll - kc * zi;
        const ea = Math.min(Math.abs(u), 746);
        const ej = Math.floor(ea * EXP_K + 0.5);
        const er = ej * EXP_HI - ea + ej * EXP_LO;
        const e = EXP_SCALE[ej >> 5] * EXP_FRAC[ej & 31] * (1 + er * (1 + er * (0.5 + er * (1 / 6 + er * (1 / 24)))));
        const t = e / (2 + e), t2 = t * t;
        const lg = 2 * t * (1 + t2 * (B0 + t2 * (B1 + t2 * (B2 + t2 * (B3 + t2 * (B4 + t2 * B5)))))); // log(1 + e)
        const q = ((u > 0 ? u : 0) + lg) * inv; // s/λ
        const pa = Math.min(q, 746);
        const pj = Math.floor(pa * EXP_K + 0.5);
        const pr = pj * EXP_HI - pa + pj * EXP_LO;
        const p = EXP_SCALE[pj >> 5] * EXP_FRAC[pj & 31] * (1 + pr * (1 + pr * (0.5 + pr * (1 / 6 + pr * (1 / 24)))));
        const y = gated ? (p === 0 ? 0 : zi * p) : p;
        // Stored only where every value within the error bound rounds to the same float32 — then it is the float64
        // oracle's value rounded; otherwise (a few % of elements) the oracle's own formula decides.
        const d = ERR * (1 + lg * inv) + 5e-16 * q;
        const lo = Math.fround(y - d * y);
        out[j] = lo === Math.fround(y + d * y) ? lo : forwardPoint64(zi, ll, kc, lam[c], gated);
      }
    }
  }
}

/** `apaBackwardJs` for float32 dz (see the file comment); sums in float64. */
function apaBackward32(
  z: TypedArray, g: TypedArray, layout: ApaLayout, lam: Float64Array, logLam: Float64Array, kap: Float64Array, gated: boolean,
  dz: Float32Array, accL: Float64Array, accK: Float64Array,
): void {
  const { channels, inner, outer } = layout;
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const ll = logLam[c], kc = kap[c], inv = 1 / lam[c], inv2 = inv * inv;
      let sumL = 0, sumK = 0;
      const base = (b * channels + c) * inner;
      for (let j = base, end = base + inner; j < end; j++) {
        const zi = z[j];
        const u = ll - kc * zi;
        const ea = Math.min(Math.abs(u), 746);
        const ej = Math.floor(ea * EXP_K + 0.5);
        const er = ej * EXP_HI - ea + ej * EXP_LO;
        const e = EXP_SCALE[ej >> 5] * EXP_FRAC[ej & 31] * (1 + er * (1 + er * (0.5 + er * (1 / 6 + er * (1 / 24)))));
        const t = e / (2 + e), t2 = t * t;
        const bt = B0 + t2 * (B1 + t2 * (B2 + t2 * (B3 + t2 * (B4 + t2 * B5))));
        const lg = 2 * t * (1 + t2 * bt); // log(1 + e)
        const s = (u > 0 ? u : 0) + lg;
        const q = s * inv;
        const pa = Math.min(q, 746);
        const pj = Math.floor(pa * EXP_K + 0.5);
        const pr = pj * EXP_HI - pa + pj * EXP_LO;
        const p = EXP_SCALE[pj >> 5] * EXP_FRAC[pj & 31] * (1 + pr * (1 + pr * (0.5 + pr * (1 / 6 + pr * (1 / 24)))));
        if (p === 0) {
          dz[j] = 0;
          continue;
        }
        // σ and s − σ: for u < 0 as 2t/(1 + t) and 2t²/(1 + t) + 2t³B(t²) (no cancellation)
        let sig: number, sms: number;
        if (u >= 0) {
          sig = 1 / (1 + e);
          sms = s - sig;
        } else {
          const r = 1 / (1 + t);
          sig = 2 * t * r;
          sms = 2 * t2 * r + 2 * t * t2 * bt;
        }
        const a = sig * inv;
        const gp = g[j] * p;
        // dz's bound: p's (as in the forward) plus σ's error, amplified where 1 + κzσ/λ cancels
        let v: number, d = ERR * (1 + lg * inv) + 5e-16 * q;
        if (gated) {
          const za = sig === 0 ? 0 : zi * a;
          const kza = kc * za;
          v = gp * (1 + kza);
          d += ERR * (Math.abs(kza) / Math.abs(1 + kza));
          sumK += gp * zi * za;
          sumL += gp * zi * (sms * inv2);
        } else {
          v = gp * kc * a;
          d += ERR;
          sumK += sig === 0 ? 0 : gp * zi * a;
          sumL += gp * (sms * inv2);
        }
        const lo = Math.fround(v - d * v);
        dz[j] = lo === Math.fround(v + d * v) ? lo : dzPoint64(zi, g[j], ll, kc, inv, gated);
      }
      accL[c] += sumL;
      accK[c] += sumK;
    }
  }
}

/**
 * APA(z) = exp(−softplus(log λ − κz)/λ), or AGLU(z) = z·APA(z) when `o.gated`, into `out`.
 * @example const out = new Float64Array(1); apaForwardJs(Float64Array.of(0), [1], Float64Array.of(1), Float64Array.of(1), { channelAxis: 0, gated: false, lambdaFloor: 1e-4 }, out); // out[0] = 0.5
 */
export function apaForwardJs(z: TypedArray, shape: Shape, l: TypedArray, k: TypedArray, o: ApaKernelOptions, out: TypedArray): void {
  const layout = apaLayout(shape, o.channelAxis, l.length, k.length);
  const { channels, inner, outer } = layout;
  const { lam, logLam, kap } = channelParams(l, k, channels, o.lambdaFloor);
  const gated = o.gated;
  if (out instanceof Float32Array) return apaForward32(z, layout, lam, logLam, kap, gated, out);
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const lc = lam[c], ll = logLam[c], kc = kap[c];
      const base = (b * channels + c) * inner;
      // p = 0 (underflow) gives 0 even for z = ±∞: the gate wins, as in the limit.
      for (let j = base, end = base + inner; j < end; j++) out[j] = forwardPoint64(z[j], ll, kc, lc, gated);
    }
  }
}

/**
 * One pass of the APA / AGLU backward: dz = g·∂y/∂z per element, and dλ, dκ summed over each channel
 * (over everything for [1] parameters). No gradient reaches λ where it sits below the floor.
 * One tight loop: e = e^{−|u|} is shared by softplus, sigmoid and s − σ (as `softplusMinusSigmoid`, inlined).
 */
export function apaBackwardJs(
  z: TypedArray, shape: Shape, l: TypedArray, k: TypedArray, g: TypedArray, o: ApaKernelOptions,
  dz: TypedArray, dl: TypedArray, dk: TypedArray,
): void {
  const layout = apaLayout(shape, o.channelAxis, l.length, k.length);
  const { channels, inner, outer } = layout;
  const { lam, logLam, kap, lamGrad } = channelParams(l, k, channels, o.lambdaFloor);
  const gated = o.gated;
  const accL = new Float64Array(channels);
  const accK = new Float64Array(channels);
  if (dz instanceof Float32Array) {
    apaBackward32(z, g, layout, lam, logLam, kap, gated, dz, accL, accK);
    for (let c = 0; c < channels; c++) if (!lamGrad[c]) accL[c] = 0;
    storeParamGrad(accL, dl);
    storeParamGrad(accK, dk);
    return;
  }
  for (let b = 0; b < outer; b++) {
    for (let c = 0; c < channels; c++) {
      const lc = lam[c], ll = logLam[c], kc = kap[c], inv = 1 / lc, inv2 = inv * inv;
      let sumL = 0, sumK = 0;
      const base = (b * channels + c) * inner;
      for (let j = base, end = base + inner; j < end; j++) {
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
        // s − σ ≥ 0 (softplusMinusSigmoid): directly for u ≥ −1 (cancellation at most a factor 14 there); below,
        // where both are ≈ e^u, as 2t²/(1 + t) + 2·Σ_{k≥1} t^{2k+1}/(2k+1), t = e/(2 + e) = σ/(2 − σ) ≤ 0.156
        // (ten terms: the next is below 1e-18 of the sum).
        let sms: number;
        if (u >= -1) sms = s - sig;
        else {
          const t = e / (2 + e), t2 = t * t;
          sms = (2 * t2) / (1 + t) + 2 * t * t2 * (1 / 3 + t2 * (1 / 5 + t2 * (1 / 7 + t2 * (1 / 9 + t2 * (1 / 11 + t2 * (1 / 13 + t2 * (1 / 15 + t2 * (1 / 17 + t2 * (1 / 19 + t2 / 21)))))))));
        }
        const a = sig * inv; // σ/λ
        const dLogL = sms * inv2; // ∂log p/∂λ = (s − σ)/λ²
        const gp = gi * p;
        if (gated) {
          const za = sig === 0 ? 0 : zi * a; // z·σ/λ, with 0 for σ = 0 whatever z is
          dz[j] = gp * (1 + kc * za);
          sumK += gp * zi * za;
          sumL += gp * zi * dLogL;
        } else {
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
