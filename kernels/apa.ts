/**
 * GPU.js kernels of the fused APA / AGLU ops and the APA losses (the math: docs/apa.md; the float64 oracle:
 * src/ops/apa-js.ts). Plain functions compiled from their source text: no imports, no closures, sizes as arguments.
 *
 * Layout: z is flat, element i belongs to channel c = ⌊i / inner⌋ mod channels (channels = 1 when λ and κ are both
 * scalars). λ arrives pre-processed by `apaLambdaParams` as lp = [λ_eff (nl) | log λ_eff (nl) | mask (nl)], so the
 * per-element kernels never call log on λ. κ is read as is. A parameter of one element is read at index 0
 * (index = c·min(1, n − 1)).
 *
 * Why the APA kernels are written out long-hand and branch-free:
 * - GPU.js `webasm` runs Math.exp / Math.log as calls into JavaScript, ~25 ns each per element (4 of them made an
 *   APA forward on 1M elements cost ~125 ms here); helper functions are scalarised out of its SIMD path (~110 ms).
 *   So with `constants.polyExp = 1` (the backend sets it on webasm) exp is an inline polynomial: Cody–Waite
 *   reduction x = n·ln2 + r, a degree-7 Taylor polynomial on |r| ≤ ln2/2 (error 5e-9), and 2^{−n} built from
 *   seven binary factors selected by floor() arithmetic instead of branches, which keeps the kernel in webasm's SIMD
 *   path (~37 ms for the same forward); results below e^{−87} are flushed to 0. Arguments are ≤ 0 here. Elsewhere
 *   (`polyExp = 0`) Math.exp is native (GLSL) or plain JavaScript (cpu), and faster than the polynomial.
 * - log(1 + e) for e = e^{−|u|} ∈ (0, 1] is 2·atanh(t), t = e/(2 + e) ≤ 1/3: a polynomial in t², exact to float32
 *   rounding with 8 terms, accurate for tiny e (GLSL has no log1p, and log(1 + e) would lose e < 6e-8 entirely).
 *   The same polynomial gives s − σ without cancellation (docs/apa.md, "softplus − sigmoid").
 * - A blend w·a + (1 − w)·b with w ∈ {0, 1} from floor() replaces `u ≥ 0 ? a : b`; both sides are finite.
 * The per-element gradients of λ and κ are summed inside the kernel over blocks of `constants.block` elements of
 * one channel (webasm cannot write several outputs without falling back to cpu, and kernel maps would also
 * write two full-size arrays); the backend sums the [channels, blocks] partials.
 *
 * The loss kernels run on a classifier's [B, K] logits, where speed does not matter: they call Math.exp / Math.log
 * and small helper functions, with log1p / expm1-type quantities from series so that float32 keeps its digits.
 */

/** `this` inside a GPU.js kernel (types only; erased by tsc). */
interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

// ---- parameters ----------------------------------------------------------------------------------------------

/** lp = [max(λ, floor) | log max(λ, floor) | 1 if λ ≥ floor else 0], each of length nl. Output: [3·nl]. */
export function apaLambdaParams(this: KernelThis, lam: Float32Array, nl: number, floor: number): number {
  const i = this.thread.x;
  const j = i % nl;
  const part = (i - j) / nl;
  const raw = lam[j];
  const eff = Math.max(raw, floor);
  let out = 0.0;
  if (part < 0.5) {
    out = eff;
  } else if (part < 1.5) {
    out = Math.log(eff);
  } else if (raw >= floor) {
    out = 1.0;
  }
  return out;
}

// ---- APA / AGLU ----------------------------------------------------------------------------------------------

/** APA(z) or, for gated = 1, AGLU(z) = z·APA(z). Output: [n]. */
export function apaForwardKernel(
  this: KernelThis, z: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gated: number,
): number {
  const i = this.thread.x;
  const c = ((i - (i % inner)) / inner) % channels;
  const li = c * Math.min(1.0, nl - 1.0);
  const lam = lp[li];
  const u = lp[nl + li] - kap[c * Math.min(1.0, nk - 1.0)] * z[i];
  // e = exp(−|u|), zero below e^{−87} (like p below)
  let e = 0.0;
  if (this.constants.polyExp > 0.5) {
    const ex = Math.max(-Math.abs(u), -87.0);
    const en = Math.floor(ex * 1.4426950408889634 + 0.5);
    const er = ex - en * 0.693145751953125 - en * 1.4286068203094172e-6;
    e = 1.0 + er * (1.0 + er * (0.5 + er * (0.16666666666666666 + er * (0.041666666666666664 + er * (0.008333333333333333 + er * (0.001388888888888889 + er * 0.0001984126984126984))))));
    let eq = -en;
    let eb = Math.floor(eq * 0.015625);
    e = e * (1.0 - eb + eb * 5.421010862427522e-20);
    eq = eq - 64.0 * eb;
    eb = Math.floor(eq * 0.03125);
    e = e * (1.0 - eb + eb * 2.3283064365386963e-10);
    eq = eq - 32.0 * eb;
    eb = Math.floor(eq * 0.0625);
    e = e * (1.0 - eb + eb * 0.0000152587890625);
    eq = eq - 16.0 * eb;
    eb = Math.floor(eq * 0.125);
    e = e * (1.0 - eb + eb * 0.00390625);
    eq = eq - 8.0 * eb;
    eb = Math.floor(eq * 0.25);
    e = e * (1.0 - eb + eb * 0.0625);
    eq = eq - 4.0 * eb;
    eb = Math.floor(eq * 0.5);
    e = e * (1.0 - eb + eb * 0.25);
    eq = eq - 2.0 * eb;
    e = e * (1.0 - 0.5 * eq) * Math.min(1.0, Math.max(0.0, Math.floor(88.0 - Math.abs(u))));
  } else {
    e = Math.exp(-Math.abs(u));
  }
  // s = max(u, 0) + log(1 + e) = max(u, 0) + 2t·(1 + t²·B(t²))
  const t = e / (2.0 + e);
  const t2 = t * t;
  const bs = 0.3333333333333333 + t2 * (0.2 + t2 * (0.14285714285714285 + t2 * (0.1111111111111111 + t2 * (0.09090909090909091 + t2 * (0.07692307692307693 + t2 * (0.06666666666666667 + t2 * 0.058823529411764705))))));
  const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
  // p = exp(−s/λ), zero below e^{−87}
  const px = -s / lam;
  let p = 0.0;
  if (this.constants.polyExp > 0.5) {
    const pxc = Math.max(px, -87.0);
    const pn = Math.floor(pxc * 1.4426950408889634 + 0.5);
    const pr = pxc - pn * 0.693145751953125 - pn * 1.4286068203094172e-6;
    p = 1.0 + pr * (1.0 + pr * (0.5 + pr * (0.16666666666666666 + pr * (0.041666666666666664 + pr * (0.008333333333333333 + pr * (0.001388888888888889 + pr * 0.0001984126984126984))))));
    let pq = -pn;
    let pb = Math.floor(pq * 0.015625);
    p = p * (1.0 - pb + pb * 5.421010862427522e-20);
    pq = pq - 64.0 * pb;
    pb = Math.floor(pq * 0.03125);
    p = p * (1.0 - pb + pb * 2.3283064365386963e-10);
    pq = pq - 32.0 * pb;
    pb = Math.floor(pq * 0.0625);
    p = p * (1.0 - pb + pb * 0.0000152587890625);
    pq = pq - 16.0 * pb;
    pb = Math.floor(pq * 0.125);
    p = p * (1.0 - pb + pb * 0.00390625);
    pq = pq - 8.0 * pb;
    pb = Math.floor(pq * 0.25);
    p = p * (1.0 - pb + pb * 0.0625);
    pq = pq - 4.0 * pb;
    pb = Math.floor(pq * 0.5);
    p = p * (1.0 - pb + pb * 0.25);
    pq = pq - 2.0 * pb;
    p = p * (1.0 - 0.5 * pq) * Math.min(1.0, Math.max(0.0, Math.floor(px + 88.0)));
  } else {
    p = Math.exp(px);
  }
  return p * (1.0 - gated + gated * z[i]);
}

/** dz = g·∂y/∂z. Output: [n]. */
export function apaBackwardDz(
  this: KernelThis, z: Float32Array, g: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gated: number,
): number {
  const i = this.thread.x;
  const c = ((i - (i % inner)) / inner) % channels;
  const li = c * Math.min(1.0, nl - 1.0);
  const lam = lp[li];
  const k = kap[c * Math.min(1.0, nk - 1.0)];
  const zi = z[i];
  const u = lp[nl + li] - k * zi;
  let e = 0.0;
  if (this.constants.polyExp > 0.5) {
    const ex = Math.max(-Math.abs(u), -87.0);
    const en = Math.floor(ex * 1.4426950408889634 + 0.5);
    const er = ex - en * 0.693145751953125 - en * 1.4286068203094172e-6;
    e = 1.0 + er * (1.0 + er * (0.5 + er * (0.16666666666666666 + er * (0.041666666666666664 + er * (0.008333333333333333 + er * (0.001388888888888889 + er * 0.0001984126984126984))))));
    let eq = -en;
    let eb = Math.floor(eq * 0.015625);
    e = e * (1.0 - eb + eb * 5.421010862427522e-20);
    eq = eq - 64.0 * eb;
    eb = Math.floor(eq * 0.03125);
    e = e * (1.0 - eb + eb * 2.3283064365386963e-10);
    eq = eq - 32.0 * eb;
    eb = Math.floor(eq * 0.0625);
    e = e * (1.0 - eb + eb * 0.0000152587890625);
    eq = eq - 16.0 * eb;
    eb = Math.floor(eq * 0.125);
    e = e * (1.0 - eb + eb * 0.00390625);
    eq = eq - 8.0 * eb;
    eb = Math.floor(eq * 0.25);
    e = e * (1.0 - eb + eb * 0.0625);
    eq = eq - 4.0 * eb;
    eb = Math.floor(eq * 0.5);
    e = e * (1.0 - eb + eb * 0.25);
    eq = eq - 2.0 * eb;
    e = e * (1.0 - 0.5 * eq) * Math.min(1.0, Math.max(0.0, Math.floor(88.0 - Math.abs(u))));
  } else {
    e = Math.exp(-Math.abs(u));
  }
  const t = e / (2.0 + e);
  const t2 = t * t;
  const bs = 0.3333333333333333 + t2 * (0.2 + t2 * (0.14285714285714285 + t2 * (0.1111111111111111 + t2 * (0.09090909090909091 + t2 * (0.07692307692307693 + t2 * (0.06666666666666667 + t2 * 0.058823529411764705))))));
  const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
  const px = -s / lam;
  let p = 0.0;
  if (this.constants.polyExp > 0.5) {
    const pxc = Math.max(px, -87.0);
    const pn = Math.floor(pxc * 1.4426950408889634 + 0.5);
    const pr = pxc - pn * 0.693145751953125 - pn * 1.4286068203094172e-6;
    p = 1.0 + pr * (1.0 + pr * (0.5 + pr * (0.16666666666666666 + pr * (0.041666666666666664 + pr * (0.008333333333333333 + pr * (0.001388888888888889 + pr * 0.0001984126984126984))))));
    let pq = -pn;
    let pb = Math.floor(pq * 0.015625);
    p = p * (1.0 - pb + pb * 5.421010862427522e-20);
    pq = pq - 64.0 * pb;
    pb = Math.floor(pq * 0.03125);
    p = p * (1.0 - pb + pb * 2.3283064365386963e-10);
    pq = pq - 32.0 * pb;
    pb = Math.floor(pq * 0.0625);
    p = p * (1.0 - pb + pb * 0.0000152587890625);
    pq = pq - 16.0 * pb;
    pb = Math.floor(pq * 0.125);
    p = p * (1.0 - pb + pb * 0.00390625);
    pq = pq - 8.0 * pb;
    pb = Math.floor(pq * 0.25);
    p = p * (1.0 - pb + pb * 0.0625);
    pq = pq - 4.0 * pb;
    pb = Math.floor(pq * 0.5);
    p = p * (1.0 - pb + pb * 0.25);
    pq = pq - 2.0 * pb;
    p = p * (1.0 - 0.5 * pq) * Math.min(1.0, Math.max(0.0, Math.floor(px + 88.0)));
  } else {
    p = Math.exp(px);
  }
  // σ(u) = (u ≥ 0 ? 1 : e)/(1 + e)
  const w = Math.min(1.0, Math.max(0.0, Math.floor(u) + 1.0));
  const a = (w + (1.0 - w) * e) / ((1.0 + e) * lam); // σ/λ
  const gp = g[i] * p;
  // APA: g·p·κσ/λ;  AGLU: g·p·(1 + zκσ/λ)
  return gp * (gated + k * a * (1.0 - gated + gated * zi));
}

/**
 * Partial sums of g·∂y/∂λ (which = 0) or g·∂y/∂κ (which = 1) over blocks of `constants.block` elements of one
 * channel. Output: [channels·blocks], channel-major. perChannel = elements per channel (n / channels).
 */
export function apaBackwardParamPartials(
  this: KernelThis, z: Float32Array, g: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gated: number, perChannel: number, blocks: number, which: number,
): number {
  const o = this.thread.x;
  const b = o % blocks;
  const c = (o - b) / blocks;
  const li = c * Math.min(1.0, nl - 1.0);
  const lam = lp[li];
  const logLam = lp[nl + li];
  const mask = lp[2.0 * nl + li];
  const k = kap[c * Math.min(1.0, nk - 1.0)];
  const inv = 1.0 / lam;
  let acc = 0.0;
  for (let j = 0; j < this.constants.block; j++) {
    const kk = b * this.constants.block + j;
    const valid = Math.min(1.0, Math.max(0.0, perChannel - kk));
    const kc = Math.min(kk, perChannel - 1.0);
    const jj = kc % inner;
    const i = (((kc - jj) / inner) * channels + c) * inner + jj;
    const zi = z[i];
    const u = logLam - k * zi;
    let e = 0.0;
    if (this.constants.polyExp > 0.5) {
      const ex = Math.max(-Math.abs(u), -87.0);
      const en = Math.floor(ex * 1.4426950408889634 + 0.5);
      const er = ex - en * 0.693145751953125 - en * 1.4286068203094172e-6;
      e = 1.0 + er * (1.0 + er * (0.5 + er * (0.16666666666666666 + er * (0.041666666666666664 + er * (0.008333333333333333 + er * (0.001388888888888889 + er * 0.0001984126984126984))))));
      let eq = -en;
      let eb = Math.floor(eq * 0.015625);
      e = e * (1.0 - eb + eb * 5.421010862427522e-20);
      eq = eq - 64.0 * eb;
      eb = Math.floor(eq * 0.03125);
      e = e * (1.0 - eb + eb * 2.3283064365386963e-10);
      eq = eq - 32.0 * eb;
      eb = Math.floor(eq * 0.0625);
      e = e * (1.0 - eb + eb * 0.0000152587890625);
      eq = eq - 16.0 * eb;
      eb = Math.floor(eq * 0.125);
      e = e * (1.0 - eb + eb * 0.00390625);
      eq = eq - 8.0 * eb;
      eb = Math.floor(eq * 0.25);
      e = e * (1.0 - eb + eb * 0.0625);
      eq = eq - 4.0 * eb;
      eb = Math.floor(eq * 0.5);
      e = e * (1.0 - eb + eb * 0.25);
      eq = eq - 2.0 * eb;
      e = e * (1.0 - 0.5 * eq) * Math.min(1.0, Math.max(0.0, Math.floor(88.0 - Math.abs(u))));
    } else {
      e = Math.exp(-Math.abs(u));
    }
    const t = e / (2.0 + e);
    const t2 = t * t;
    const bs = 0.3333333333333333 + t2 * (0.2 + t2 * (0.14285714285714285 + t2 * (0.1111111111111111 + t2 * (0.09090909090909091 + t2 * (0.07692307692307693 + t2 * (0.06666666666666667 + t2 * 0.058823529411764705))))));
    const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
    const px = -s * inv;
    let p = 0.0;
    if (this.constants.polyExp > 0.5) {
      const pxc = Math.max(px, -87.0);
      const pn = Math.floor(pxc * 1.4426950408889634 + 0.5);
      const pr = pxc - pn * 0.693145751953125 - pn * 1.4286068203094172e-6;
      p = 1.0 + pr * (1.0 + pr * (0.5 + pr * (0.16666666666666666 + pr * (0.041666666666666664 + pr * (0.008333333333333333 + pr * (0.001388888888888889 + pr * 0.0001984126984126984))))));
      let pq = -pn;
      let pb = Math.floor(pq * 0.015625);
      p = p * (1.0 - pb + pb * 5.421010862427522e-20);
      pq = pq - 64.0 * pb;
      pb = Math.floor(pq * 0.03125);
      p = p * (1.0 - pb + pb * 2.3283064365386963e-10);
      pq = pq - 32.0 * pb;
      pb = Math.floor(pq * 0.0625);
      p = p * (1.0 - pb + pb * 0.0000152587890625);
      pq = pq - 16.0 * pb;
      pb = Math.floor(pq * 0.125);
      p = p * (1.0 - pb + pb * 0.00390625);
      pq = pq - 8.0 * pb;
      pb = Math.floor(pq * 0.25);
      p = p * (1.0 - pb + pb * 0.0625);
      pq = pq - 4.0 * pb;
      pb = Math.floor(pq * 0.5);
      p = p * (1.0 - pb + pb * 0.25);
      pq = pq - 2.0 * pb;
      p = p * (1.0 - 0.5 * pq) * Math.min(1.0, Math.max(0.0, Math.floor(px + 88.0)));
    } else {
      p = Math.exp(px);
    }
    const w = Math.min(1.0, Math.max(0.0, Math.floor(u) + 1.0));
    const sig = (w + (1.0 - w) * e) / (1.0 + e);
    // s − σ: direct for u ≥ 0; for u < 0 (t = e/(2+e) there) 2t²/(1+t) + 2t³·B(t²), no cancellation
    const sms = w * (s - sig) + (1.0 - w) * (2.0 * t2 / (1.0 + t) + 2.0 * t * t2 * bs);
    const gpz = valid * g[i] * p * (1.0 - gated + gated * zi);
    // which = 0: g·p·(z)·(s − σ)/λ² (masked below the floor); which = 1: g·p·(z)·z·σ/λ
    acc += (1.0 - which) * mask * gpz * (sms * inv * inv) + which * gpz * (zi * sig * inv);
  }
  return acc;
}

// ---- losses --------------------------------------------------------------------------------------------------

/** log(1 + y) for y ∈ [−1/2, 1]: 2·atanh(t), t = y/(2 + y) ∈ [−1/3, 1/3]. */
export function apaLog1pSmall(y: number): number {
  const t = y / (2.0 + y);
  const t2 = t * t;
  return 2.0 * t * (1.0 + t2 * (0.3333333333333333 + t2 * (0.2 + t2 * (0.14285714285714285 + t2 * (0.1111111111111111 + t2 * (0.09090909090909091 + t2 * (0.07692307692307693 + t2 * (0.06666666666666667 + t2 * 0.058823529411764705))))))));
}

/** (1 − e^{−x})/x − 1 for 0 ≤ x ≤ ln 2, by its Taylor series (no cancellation). */
export function apaOneMinusExpOverXm1(x: number): number {
  return x * (-0.5 + x * (0.16666666666666666 + x * (-0.041666666666666664 + x * (0.008333333333333333 + x * (-0.001388888888888889 + x * (0.0001984126984126984 + x * (-0.0000248015873015873 + x * 0.0000027557319223985893)))))));
}

/** log(1 − e^{−x}) for x ≥ 0, given log x (used when x is tiny or underflowed). */
export function apaLog1mexp(x: number, logX: number): number {
  let out = 0.0;
  if (x > 0.6931471805599453) {
    out = apaLog1pSmall(-Math.exp(-x));
  } else {
    out = logX + apaLog1pSmall(apaOneMinusExpOverXm1(x));
  }
  return out;
}

/** x/(e^x − 1), → 1 at 0 and → 0 for large x (also for x = ∞). */
export function apaXOverExpm1(x: number): number {
  let out = 0.0;
  if (x > 0.6931471805599453) {
    const xc = Math.min(x, 100.0);
    const q = Math.exp(-xc);
    out = (xc * q) / (1.0 - q);
  } else {
    // x/(e^x − 1) = 1/(1 + x/2 + x²/6 + …)
    out = 1.0 / (1.0 + x * (0.5 + x * (0.16666666666666666 + x * (0.041666666666666664 + x * (0.008333333333333333 + x * (0.001388888888888889 + x * (0.0001984126984126984 + x * 0.0000248015873015873)))))));
  }
  return out;
}

/**
 * Elementwise −[t·log p + (1 − t)·log(1 − p)], p = APA(z) (gumbel = 0) or exp(−e^{−κz}) (gumbel = 1). Output: [n].
 */
export function apaBceForwardKernel(
  this: KernelThis, z: Float32Array, tg: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gumbel: number,
): number {
  const i = this.thread.x;
  const c = ((i - (i % inner)) / inner) % channels;
  const li = c * Math.min(1.0, nl - 1.0);
  const k = kap[c * Math.min(1.0, nk - 1.0)];
  const tt = tg[i];
  let x = 0.0;
  let logX = 0.0;
  if (gumbel > 0.5) {
    logX = -k * z[i];
    x = Math.exp(Math.min(logX, 88.0));
  } else {
    const lam = lp[li];
    const logLam = lp[nl + li];
    const u = logLam - k * z[i];
    const e = Math.exp(-Math.abs(u));
    if (u >= 0.0) {
      const s = u + apaLog1pSmall(e);
      x = s / lam;
      logX = Math.log(s) - logLam;
    } else {
      // s = log(1 + e^u) = 2t(1 + t²B), t = e/(2 + e): log s = u − log(1 + e/2) + log(1 + t²B), no underflow for u ≪ 0
      const t = e / (2.0 + e);
      const t2 = t * t;
      const bs = 0.3333333333333333 + t2 * (0.2 + t2 * (0.14285714285714285 + t2 * (0.1111111111111111 + t2 * (0.09090909090909091 + t2 * (0.07692307692307693 + t2 * (0.06666666666666667 + t2 * 0.058823529411764705))))));
      x = (2.0 * t * (1.0 + t2 * bs)) / lam;
      logX = u - apaLog1pSmall(0.5 * e) + apaLog1pSmall(t2 * bs) - logLam;
    }
  }
  let pos = 0.0;
  let neg = 0.0;
  if (tt !== 0.0) pos = tt * x;
  if (tt !== 1.0) neg = (1.0 - tt) * apaLog1mexp(x, logX);
  return pos - neg;
}

/**
 * The loss gradients: which = 0 → dz, 1 → per-element dλ contribution, 2 → per-element dκ contribution. Output: [n].
 */
export function apaBceBackwardKernel(
  this: KernelThis, z: Float32Array, tg: Float32Array, g: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gumbel: number, which: number,
): number {
  const i = this.thread.x;
  const c = ((i - (i % inner)) / inner) % channels;
  const li = c * Math.min(1.0, nl - 1.0);
  const k = kap[c * Math.min(1.0, nk - 1.0)];
  const tt = tg[i];
  const zi = z[i];
  let a = 0.0; // ∂loss/∂(κz)
  let dl = 0.0; // ∂loss/∂λ
  if (gumbel > 0.5) {
    const x = Math.exp(Math.min(-k * zi, 88.0));
    if (tt !== 0.0) a = -tt * x;
    if (tt !== 1.0) a = a + (1.0 - tt) * apaXOverExpm1(x);
  } else {
    const lam = lp[li];
    const inv = 1.0 / lam;
    const u = lp[nl + li] - k * zi;
    const e = Math.exp(-Math.abs(u));
    const t = e / (2.0 + e);
    const t2 = t * t;
    let s = 0.0;
    let sig = 0.0;
    let sms = 0.0;
    let rSig = 0.0;
    let rDiff = 0.0;
    if (u >= 0.0) {
      s = u + apaLog1pSmall(e);
      sig = 1.0 / (1.0 + e);
      sms = s - sig;
      rSig = sig / s;
      rDiff = sms / s;
    } else {
      s = apaLog1pSmall(e);
      sig = e / (1.0 + e);
      const bs = 0.3333333333333333 + t2 * (0.2 + t2 * (0.14285714285714285 + t2 * (0.1111111111111111 + t2 * (0.09090909090909091 + t2 * (0.07692307692307693 + t2 * (0.06666666666666667 + t2 * 0.058823529411764705))))));
      sms = (2.0 * t2) / (1.0 + t) + 2.0 * t * t2 * bs;
      // σ/s and (s − σ)/s via t, so that s → 0 never divides 0 by 0: s = 2t(1 + t²B), σ = 2t/(1 + t)
      rSig = 1.0 / ((1.0 + t) * (1.0 + t2 * bs));
      rDiff = (t / (1.0 + t) + t2 * bs) / (1.0 + t2 * bs);
    }
    const ex = apaXOverExpm1(s * inv);
    if (tt !== 0.0) {
      a = -tt * sig * inv;
      dl = -tt * sms * inv * inv;
    }
    if (tt !== 1.0) {
      a = a + (1.0 - tt) * rSig * ex;
      dl = dl + (1.0 - tt) * rDiff * ex * inv;
    }
    dl = dl * lp[2.0 * nl + li];
  }
  const gi = g[i];
  if (which < 0.5) return gi * a * k;
  if (which < 1.5) return gi * dl;
  return gi * a * zi;
}
