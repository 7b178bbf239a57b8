/**
 * GPU.js kernels of the fused APA / AGLU ops and the APA losses (the math: docs/apa.md; the float64 oracle:
 * src/ops/apa-js.ts). Plain functions compiled from their source text: no imports, no closures, sizes as arguments.
 *
 * Layout: z is flat, element i belongs to channel c = ⌊i / inner⌋ mod channels. λ arrives pre-processed by
 * `apaLambdaParams` as lp = [λ_eff (nl) | log λ_eff (nl) | mask (nl)], so the per-element kernels never call log on
 * λ. κ is read as is. With `constants.perChannel = 0` (λ and κ both of one element, the common case) the kernels read
 * lp[0], lp[1], lp[2] and kap[0] at constant indices: on webasm those are one scalar load for all four SIMD lanes
 * (a varying index costs four loads), and on GL a fetch whose texture coordinates fold to constants (a varying one
 * costs two integer divisions per fetch on llvmpipe). With `perChannel = 1` a parameter of one element is read at
 * index 0 (index = c·min(1, n − 1)).
 *
 * Why the APA kernels are written out long-hand and branch-free:
 * - GPU.js `webasm` runs Math.exp / Math.log as calls into JavaScript, ~25 ns each per element, and helper functions
 *   are scalarised out of its SIMD path. So with `constants.polyExp = 1` (webasm and cpu) exp(−a), a ∈ [0, 88], is
 *   inline: j = round(32a/ln 2), r = j·ln2/32 − a ∈ [−ln2/64, ln2/64] (Cody–Waite: ln2/32 = HI + LO with HI of 12
 *   bits, so j·HI is exact), exp(−a) = 2^{−j/32}·(1 + r + r²/2 + r³/6) with 2^{−j/32} from `constants.expTable`
 *   (`apaExpTable()`, 0 past e^{−87}: such values are flushed to 0). Relative error ≤ 6e-10 + the table's float32
 *   rounding. On GL (`polyExp = 2`) a table would be a texture fetch, and llvmpipe's native exp is off by up to 1.1e-6
 *   (measured): there exp(−a) = 2^{−n}·P₇(r), n = round(a/ln 2), |r| ≤ ln2/2, degree-7 Taylor (error 5e-9), 2^{−n}
 *   as Math.pow(2, −n) (exact for integer n): ≤ 1e-7 measured. `polyExp = 0` keeps Math.exp (benchmarks).
 * - log(1 + e) for e = e^{−|u|} ∈ (0, 1] is 2·atanh(t) = 2t·(1 + t²·B(t²)), t = e/(2 + e) ≤ 1/3, with B a degree-4
 *   minimax fit of Σ x^{k−1}/(2k+1) on x = t² ∈ [0, 1/9] (relative error of log(1 + e) ≤ 1.1e-10, of s − σ ≤ 2e-9),
 *   accurate for tiny e (GLSL has no log1p, and log(1 + e) would lose e < 6e-8 entirely).
 *   The same polynomial gives s − σ without cancellation (docs/apa.md, "softplus − sigmoid").
 * - A blend w·a + (1 − w)·b with w ∈ {0, 1} from floor() replaces `u ≥ 0 ? a : b`; both sides are finite.
 * Backward: one kernel writes dz, a second sums the per-element gradients of λ and κ together over blocks of
 * chunks·chunk elements of one channel, chunk by chunk (a two-level sum: float32 rounding grows with
 * chunk + chunks, not with their product). webasm cannot write two outputs without falling back to cpu, so there
 * (and on cpu) the partials kernel returns both sums as one Array(4) cell; on GL it is a kernel map (λ's sum as the
 * result, κ's through `apaKeepKappa`). The backend sums the [channels, blocks] partials.
 *
 * The loss kernels run on a classifier's [B, K] logits, where speed does not matter: they call Math.exp / Math.log
 * and small helper functions, with log1p / expm1-type quantities from series so that float32 keeps its digits.
 */

/** `this` inside a GPU.js kernel (types only; erased by tsc). */
interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: { polyExp: number; perChannel: number; expTable: Float32Array };
}

/** Entries of `apaExpTable`: j = 0 … round(88·32/ln 2). */
export const APA_EXP_TABLE_SIZE = 4064;

let expTable: Float32Array | null = null;

/**
 * 2^{−j/32} for j = 0 … 4063 in float32, and 0 where j·ln2/32 > 87 (exp(−a) for a > 87 is flushed to 0, below
 * float32's smallest normal number). The `constants.expTable` of the APA kernels when `polyExp = 1`. Built once and
 * shared: never write into it.
 * @example apaExpTable()[32]; // 0.5
 */
export function apaExpTable(): Float32Array {
  if (expTable === null) {
    expTable = new Float32Array(APA_EXP_TABLE_SIZE);
    for (let j = 0; j < expTable.length; j++) expTable[j] = (j * Math.LN2) / 32 > 87 ? 0 : 2 ** (-j / 32);
  }
  return expTable;
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
  let lam = lp[0];
  let logLam = lp[1];
  let k = kap[0];
  if (this.constants.perChannel > 0.5) {
    const c = ((i - (i % inner)) / inner) % channels;
    const li = c * Math.min(1.0, nl - 1.0);
    lam = lp[li];
    logLam = lp[nl + li];
    k = kap[c * Math.min(1.0, nk - 1.0)];
  }
  const inv = 1.0 / lam;
  const zi = z[i];
  const u = logLam - k * zi;
  // e = exp(−|u|)
  let e = 0.0;
  if (this.constants.polyExp > 1.5) {
    const ea = Math.abs(u);
    // past 88 the result is 0 (and the reduction would lose r); NaN takes the other branch and stays NaN
    if (ea > 88.0) {
      e = 0.0;
    } else {
      const en = Math.floor(ea * 1.4426950408889634 + 0.5);
      const er = en * 0.693145751953125 - ea + en * 1.4286068203094172e-6;
      e = (1.0 + er * (1.0 + er * (0.5 + er * (0.16666666666666666 + er * (0.041666666666666664 + er * (0.008333333333333333 + er * (0.001388888888888889 + er * 0.0001984126984126984))))))) * Math.pow(2.0, -en);
    }
  } else if (this.constants.polyExp > 0.5) {
    const ea = Math.min(Math.abs(u), 88.0);
    const ej = Math.floor(ea * 46.16624130844683 + 0.5);
    const er = ej * 0.02165985107421875 - ea + ej * 9.983182795401946e-7;
    e = this.constants.expTable[ej] * (1.0 + er * (1.0 + er * (0.5 + er * 0.16666666666666666)));
  } else {
    e = Math.exp(-Math.abs(u));
  }
  // s = max(u, 0) + log(1 + e) = max(u, 0) + 2t·(1 + t²·B(t²))
  const t = e / (2.0 + e);
  const t2 = t * t;
  const bs = 0.3333333774777651 + t2 * (0.19999444439149944 + t2 * (0.14308290004598123 + t2 * (0.10715472516859974 + t2 * 0.12144357788289553)));
  const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
  // p = exp(−s/λ)
  let p = 0.0;
  if (this.constants.polyExp > 1.5) {
    const pa = s * inv;
    if (pa > 88.0) {
      p = 0.0;
    } else {
      const pn = Math.floor(pa * 1.4426950408889634 + 0.5);
      const pr = pn * 0.693145751953125 - pa + pn * 1.4286068203094172e-6;
      p = (1.0 + pr * (1.0 + pr * (0.5 + pr * (0.16666666666666666 + pr * (0.041666666666666664 + pr * (0.008333333333333333 + pr * (0.001388888888888889 + pr * 0.0001984126984126984))))))) * Math.pow(2.0, -pn);
    }
  } else if (this.constants.polyExp > 0.5) {
    const pa = Math.min(s * inv, 88.0);
    const pj = Math.floor(pa * 46.16624130844683 + 0.5);
    const pr = pj * 0.02165985107421875 - pa + pj * 9.983182795401946e-7;
    p = this.constants.expTable[pj] * (1.0 + pr * (1.0 + pr * (0.5 + pr * 0.16666666666666666)));
  } else {
    p = Math.exp(-s * inv);
  }
  return p * (1.0 - gated + gated * zi);
}

/** dz = g·∂y/∂z. Output: [n]. */
export function apaBackwardDz(
  this: KernelThis, z: Float32Array, g: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gated: number,
): number {
  const i = this.thread.x;
  let lam = lp[0];
  let logLam = lp[1];
  let k = kap[0];
  if (this.constants.perChannel > 0.5) {
    const c = ((i - (i % inner)) / inner) % channels;
    const li = c * Math.min(1.0, nl - 1.0);
    lam = lp[li];
    logLam = lp[nl + li];
    k = kap[c * Math.min(1.0, nk - 1.0)];
  }
  const inv = 1.0 / lam;
  const zi = z[i];
  const u = logLam - k * zi;
  let e = 0.0;
  if (this.constants.polyExp > 1.5) {
    const ea = Math.abs(u);
    // past 88 the result is 0 (and the reduction would lose r); NaN takes the other branch and stays NaN
    if (ea > 88.0) {
      e = 0.0;
    } else {
      const en = Math.floor(ea * 1.4426950408889634 + 0.5);
      const er = en * 0.693145751953125 - ea + en * 1.4286068203094172e-6;
      e = (1.0 + er * (1.0 + er * (0.5 + er * (0.16666666666666666 + er * (0.041666666666666664 + er * (0.008333333333333333 + er * (0.001388888888888889 + er * 0.0001984126984126984))))))) * Math.pow(2.0, -en);
    }
  } else if (this.constants.polyExp > 0.5) {
    const ea = Math.min(Math.abs(u), 88.0);
    const ej = Math.floor(ea * 46.16624130844683 + 0.5);
    const er = ej * 0.02165985107421875 - ea + ej * 9.983182795401946e-7;
    e = this.constants.expTable[ej] * (1.0 + er * (1.0 + er * (0.5 + er * 0.16666666666666666)));
  } else {
    e = Math.exp(-Math.abs(u));
  }
  const t = e / (2.0 + e);
  const t2 = t * t;
  const bs = 0.3333333774777651 + t2 * (0.19999444439149944 + t2 * (0.14308290004598123 + t2 * (0.10715472516859974 + t2 * 0.12144357788289553)));
  const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
  let p = 0.0;
  if (this.constants.polyExp > 1.5) {
    const pa = s * inv;
    if (pa > 88.0) {
      p = 0.0;
    } else {
      const pn = Math.floor(pa * 1.4426950408889634 + 0.5);
      const pr = pn * 0.693145751953125 - pa + pn * 1.4286068203094172e-6;
      p = (1.0 + pr * (1.0 + pr * (0.5 + pr * (0.16666666666666666 + pr * (0.041666666666666664 + pr * (0.008333333333333333 + pr * (0.001388888888888889 + pr * 0.0001984126984126984))))))) * Math.pow(2.0, -pn);
    }
  } else if (this.constants.polyExp > 0.5) {
    const pa = Math.min(s * inv, 88.0);
    const pj = Math.floor(pa * 46.16624130844683 + 0.5);
    const pr = pj * 0.02165985107421875 - pa + pj * 9.983182795401946e-7;
    p = this.constants.expTable[pj] * (1.0 + pr * (1.0 + pr * (0.5 + pr * 0.16666666666666666)));
  } else {
    p = Math.exp(-s * inv);
  }
  // σ(u) = (u ≥ 0 ? 1 : e)/(1 + e)
  const w = Math.min(1.0, Math.max(0.0, Math.floor(u) + 1.0));
  const a = ((w + (1.0 - w) * e) / (1.0 + e)) * inv; // σ/λ
  const gp = g[i] * p;
  // APA: g·p·κσ/λ;  AGLU: g·p·(1 + zκσ/λ)
  return gp * (gated + k * a * (1.0 - gated + gated * zi));
}

/**
 * Partial sums of g·∂y/∂λ and g·∂y/∂κ over blocks of chunks·chunk elements of one channel (count = elements per
 * channel), as [dλ, dκ, 0, 0] per cell (webasm, cpu; exp through `expTable` = `apaExpTable()`). Output:
 * [channels·blocks] cells, channel-major. The table and perChannel are arguments, not constants: the backend runs
 * this kernel through its vec4 path, which takes no constants.
 */
export function apaBackwardPartials(
  this: KernelThis, z: Float32Array, g: Float32Array, lp: Float32Array, kap: Float32Array, expTable: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gated: number,
  count: number, blocks: number, chunk: number, chunks: number, perChannel: number,
): number[] {
  const o = this.thread.x;
  const b = o % blocks;
  const c = (o - b) / blocks;
  let lam = lp[0];
  let logLam = lp[1];
  let mask = lp[2];
  let k = kap[0];
  if (perChannel > 0.5) {
    const li = c * Math.min(1.0, nl - 1.0);
    lam = lp[li];
    logLam = lp[nl + li];
    mask = lp[2.0 * nl + li];
    k = kap[c * Math.min(1.0, nk - 1.0)];
  }
  const inv = 1.0 / lam;
  let accL = 0.0;
  let accK = 0.0;
  for (let q = 0; q < chunks; q++) {
    let sumL = 0.0;
    let sumK = 0.0;
    for (let j = 0; j < chunk; j++) {
      const kk = (b * chunks + q) * chunk + j;
      const valid = Math.min(1.0, Math.max(0.0, count - kk));
      const kc = Math.min(kk, count - 1.0);
      let i = kc;
      if (perChannel > 0.5) {
        const jj = kc % inner;
        i = (((kc - jj) / inner) * channels + c) * inner + jj;
      }
      const zi = z[i];
      const u = logLam - k * zi;
      const ea = Math.min(Math.abs(u), 88.0);
      const ej = Math.floor(ea * 46.16624130844683 + 0.5);
      const er = ej * 0.02165985107421875 - ea + ej * 9.983182795401946e-7;
      const e = expTable[ej] * (1.0 + er * (1.0 + er * (0.5 + er * 0.16666666666666666)));
      const t = e / (2.0 + e);
      const t2 = t * t;
      const bs = 0.3333333774777651 + t2 * (0.19999444439149944 + t2 * (0.14308290004598123 + t2 * (0.10715472516859974 + t2 * 0.12144357788289553)));
      const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
      const pa = Math.min(s * inv, 88.0);
      const pj = Math.floor(pa * 46.16624130844683 + 0.5);
      const pr = pj * 0.02165985107421875 - pa + pj * 9.983182795401946e-7;
      const p = expTable[pj] * (1.0 + pr * (1.0 + pr * (0.5 + pr * 0.16666666666666666)));
      const w = Math.min(1.0, Math.max(0.0, Math.floor(u) + 1.0));
      const sig = (w + (1.0 - w) * e) / (1.0 + e);
      // s − σ: direct for u ≥ 0; for u < 0 (t = e/(2+e) there) 2t²/(1+t) + 2t³·B(t²), no cancellation
      const sms = w * (s - sig) + (1.0 - w) * (2.0 * t2 / (1.0 + t) + 2.0 * t * t2 * bs);
      const gpz = valid * g[i] * p * (1.0 - gated + gated * zi);
      // dλ: g·p·(z)·(s − σ)/λ² (masked below the floor);  dκ: g·p·(z)·z·σ/λ
      sumL += gpz * (sms * inv * inv);
      sumK += gpz * (zi * sig * inv);
    }
    accL += sumL;
    accK += sumK;
  }
  return [mask * accL, accK, 0.0, 0.0];
}

/** The kernel map's second output (GL): the block's dκ sum, passed through. */
export function apaKeepKappa(v: number): number {
  return v;
}

/**
 * `apaBackwardPartials` as a GL kernel map: returns the block's dλ sum and writes its dκ sum through
 * `apaKeepKappa`. Output: [channels·blocks], channel-major (GL only: exp as with polyExp = 2).
 */
export function apaBackwardPartialsMap(
  this: KernelThis, z: Float32Array, g: Float32Array, lp: Float32Array, kap: Float32Array,
  nl: number, nk: number, inner: number, channels: number, gated: number,
  count: number, blocks: number, chunk: number, chunks: number,
): number {
  const o = this.thread.x;
  const b = o % blocks;
  const c = (o - b) / blocks;
  let lam = lp[0];
  let logLam = lp[1];
  let mask = lp[2];
  let k = kap[0];
  if (this.constants.perChannel > 0.5) {
    const li = c * Math.min(1.0, nl - 1.0);
    lam = lp[li];
    logLam = lp[nl + li];
    mask = lp[2.0 * nl + li];
    k = kap[c * Math.min(1.0, nk - 1.0)];
  }
  const inv = 1.0 / lam;
  let accL = 0.0;
  let accK = 0.0;
  for (let q = 0; q < chunks; q++) {
    let sumL = 0.0;
    let sumK = 0.0;
    for (let j = 0; j < chunk; j++) {
      const kk = (b * chunks + q) * chunk + j;
      const valid = Math.min(1.0, Math.max(0.0, count - kk));
      const kc = Math.min(kk, count - 1.0);
      let i = kc;
      if (this.constants.perChannel > 0.5) {
        const jj = kc % inner;
        i = (((kc - jj) / inner) * channels + c) * inner + jj;
      }
      const zi = z[i];
      const u = logLam - k * zi;
      const ea = Math.abs(u);
      let e = 0.0;
      if (ea > 88.0) {
        e = 0.0;
      } else {
        const en = Math.floor(ea * 1.4426950408889634 + 0.5);
        const er = en * 0.693145751953125 - ea + en * 1.4286068203094172e-6;
        e = (1.0 + er * (1.0 + er * (0.5 + er * (0.16666666666666666 + er * (0.041666666666666664 + er * (0.008333333333333333 + er * (0.001388888888888889 + er * 0.0001984126984126984))))))) * Math.pow(2.0, -en);
      }
      const t = e / (2.0 + e);
      const t2 = t * t;
      const bs = 0.3333333774777651 + t2 * (0.19999444439149944 + t2 * (0.14308290004598123 + t2 * (0.10715472516859974 + t2 * 0.12144357788289553)));
      const s = Math.max(u, 0.0) + 2.0 * t * (1.0 + t2 * bs);
      const pa = s * inv;
      let p = 0.0;
      if (pa > 88.0) {
        p = 0.0;
      } else {
        const pn = Math.floor(pa * 1.4426950408889634 + 0.5);
        const pr = pn * 0.693145751953125 - pa + pn * 1.4286068203094172e-6;
        p = (1.0 + pr * (1.0 + pr * (0.5 + pr * (0.16666666666666666 + pr * (0.041666666666666664 + pr * (0.008333333333333333 + pr * (0.001388888888888889 + pr * 0.0001984126984126984))))))) * Math.pow(2.0, -pn);
      }
      const w = Math.min(1.0, Math.max(0.0, Math.floor(u) + 1.0));
      const sig = (w + (1.0 - w) * e) / (1.0 + e);
      const sms = w * (s - sig) + (1.0 - w) * (2.0 * t2 / (1.0 + t) + 2.0 * t * t2 * bs);
      const gpz = valid * g[i] * p * (1.0 - gated + gated * zi);
      sumL += gpz * (sms * inv * inv);
      sumK += gpz * (zi * sig * inv);
    }
    accL += sumL;
    accK += sumK;
  }
  apaKeepKappa(accK);
  return mask * accL;
}

/**
 * Sums of `parts` viewed as [rows, len]: cell o = row·groups + gi sums entries gi·chunks·chunk … of its row, chunk
 * by chunk (a two-level sum, as in the partials kernels). Output: [rows·groups]. GL's final pass over the partials
 * (its generic sum reduction adds 256 values one after another, ~10× the rounding error on 1M elements).
 */
export function apaSumBlocks(this: KernelThis, parts: Float32Array, len: number, groups: number, chunk: number, chunks: number): number {
  const o = this.thread.x;
  const gi = o % groups;
  const row = (o - gi) / groups;
  let acc = 0.0;
  for (let q = 0; q < chunks; q++) {
    let sum = 0.0;
    for (let j = 0; j < chunk; j++) {
      const kk = (gi * chunks + q) * chunk + j;
      if (kk < len) {
        sum += parts[row * len + kk];
      }
    }
    acc += sum;
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
