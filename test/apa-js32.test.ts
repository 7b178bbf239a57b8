import { expect } from 'chai';
import type { ApaKernelOptions } from '../src/backend/backend.js';
import { apaBackwardJs, apaForwardJs } from '../src/ops/apa-js.js';

// The js backend's float32 APA / AGLU path (inline exp and log1p, src/ops/apa-js.ts) against its float64 path, the
// oracle: values and dz must be the float64 results rounded to float32, bit for bit (the fast path falls back to
// the float64 formula wherever its error interval straddles a float32 rounding boundary), and dλ, dκ within 1e-10
// of the summed magnitude of their terms.

/** Deterministic z spread over [lo, hi] and g over [−1, 1], as float32 values. */
function inputs(n: number, lo: number, hi: number, seed: number): { z: Float32Array; g: Float32Array } {
  let s = seed >>> 0;
  const next = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const z = new Float32Array(n), g = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    z[i] = lo + (hi - lo) * next();
    g[i] = 2 * next() - 1;
  }
  return { z, g };
}

/** Σ|terms| of dλ and dκ per channel, in float64 by the plain formulas (docs/apa.md). */
function termScales(z: Float32Array, g: Float32Array, lam: number[], kap: number[], inner: number, gated: boolean): { l: number[]; k: number[] } {
  const C = Math.max(lam.length, kap.length);
  const l = new Array<number>(lam.length).fill(0), k = new Array<number>(kap.length).fill(0);
  for (let i = 0; i < z.length; i++) {
    const c = C === 1 ? 0 : Math.floor(i / inner) % C;
    const lc = Math.max(lam[lam.length === 1 ? 0 : c], Math.fround(1e-4)), kc = kap[kap.length === 1 ? 0 : c];
    const u = Math.log(lc) - kc * z[i];
    const s = Math.max(u, 0) + Math.log1p(Math.exp(-Math.abs(u)));
    const sig = u >= 0 ? 1 / (1 + Math.exp(-u)) : Math.exp(u) / (1 + Math.exp(u));
    const p = Math.exp(-s / lc);
    const zf = gated ? Math.abs(z[i]) : 1;
    const tl = Math.abs(g[i] * p * zf * (s - sig)) / (lc * lc), tk = Math.abs(g[i] * p * zf * z[i] * sig) / lc;
    // p = 0 or σ = 0 at z = ±∞ make 0·∞ here; the kernels take such terms as 0
    if (Number.isFinite(tl)) l[lam.length === 1 ? 0 : c] += tl;
    if (Number.isFinite(tk)) k[kap.length === 1 ? 0 : c] += tk;
  }
  return { l, k };
}

function check(z: Float32Array, g: Float32Array, shape: number[], lam: number[], kap: number[], o: ApaKernelOptions, inner: number): void {
  const n = z.length;
  const l32 = Float32Array.from(lam), k32 = Float32Array.from(kap);
  const l64 = Float64Array.from(l32), k64 = Float64Array.from(k32);
  const y32 = new Float32Array(n), y64 = new Float64Array(n);
  apaForwardJs(z, shape, l32, k32, o, y32);
  apaForwardJs(Float64Array.from(z), shape, l64, k64, o, y64);
  const dz32 = new Float32Array(n), dz64 = new Float64Array(n);
  const dl32 = new Float32Array(lam.length), dl64 = new Float64Array(lam.length);
  const dk32 = new Float32Array(kap.length), dk64 = new Float64Array(kap.length);
  apaBackwardJs(z, shape, l32, k32, g, o, dz32, dl32, dk32);
  apaBackwardJs(Float64Array.from(z), shape, l64, k64, Float64Array.from(g), o, dz64, dl64, dk64);
  const what = `λ ${lam.join(',')} κ ${kap.join(',')} ${o.gated ? 'aglu' : 'apa'}`;
  // equal as numbers (a zero's sign is not compared), NaN where the oracle has NaN
  const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
  for (let i = 0; i < n; i++) {
    if (!same(y32[i], Math.fround(y64[i])))
      expect.fail(`${what}: value ${i} (z = ${z[i]}) is ${y32[i]}, the float64 one rounded is ${Math.fround(y64[i])}`);
    if (!same(dz32[i], Math.fround(dz64[i])))
      expect.fail(`${what}: dz ${i} (z = ${z[i]}) is ${dz32[i]}, the float64 one rounded is ${Math.fround(dz64[i])}`);
  }
  const scales = termScales(z, g, Array.from(l32), Array.from(k32), inner, o.gated);
  // float32 storage of the sums adds half an ulp of the sum itself
  const near = (got: Float32Array, want: Float64Array, scale: number[], name: string) =>
    got.forEach((v, c) => {
      // both NaN where the float64 path is (AGLU at z = +∞ sums ∞·0 into dλ, dκ)
      if (Number.isNaN(want[c])) expect(v, `${what}: ${name}[${c}]`).to.be.NaN;
      else expect(Math.abs(v - want[c])).to.be.at.most(1e-10 * scale[c] + 6e-8 * Math.abs(want[c]) + 1e-37, `${what}: ${name}[${c}]`);
    });
  near(dl32, dl64, scales.l, 'dλ');
  near(dk32, dk64, scales.k, 'dκ');
}

describe('apa / aglu on the js backend in float32: the float64 results rounded', () => {
  const floor = Math.fround(1e-4);
  for (const gated of [false, true]) {
    const o: ApaKernelOptions = { channelAxis: 0, gated, lambdaFloor: floor };
    it(`${gated ? 'aglu' : 'apa'}: 20 000 elements per (λ, κ) over λ ∈ [1e-4, 1e3], κ ∈ [−100, 100], z ∈ [−8, 8]`, () => {
      const { z, g } = inputs(20000, -8, 8, 5);
      for (const lam of [1e-4, 0.05, 0.7, 2.5, 1e3]) for (const kap of [-100, -0.8, 1.3, 100]) check(z, g, [z.length], [lam], [kap], o, z.length);
    });
    it(`${gated ? 'aglu' : 'apa'}: large |z| (up to 1e4), ±∞ and λ below the floor`, () => {
      const { z, g } = inputs(4000, -1e4, 1e4, 9);
      z.set([Infinity, -Infinity, 0, -0, 3e38, -3e38]);
      for (const [lam, kap] of [[1e-5, 1], [0.3, 2], [50, -3]]) check(z, g, [z.length], [lam], [kap], o, z.length);
    });
  }
  it('per channel on [4, 6, 50] (channelAxis 1), and λ [1] with κ [C]', () => {
    const { z, g } = inputs(4 * 6 * 50, -6, 6, 13);
    const o: ApaKernelOptions = { channelAxis: 1, gated: true, lambdaFloor: floor };
    check(z, g, [4, 6, 50], [0.01, 0.2, 0.7, 1, 3, 200], [1.3, -2, 0.5, 7, -0.1, 1], o, 50);
    check(z, g, [4, 6, 50], [0.4], [1.3, -2, 0.5, 7, -0.1, 1], o, 50);
  });
});
