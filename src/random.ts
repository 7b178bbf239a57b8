/**
 * The one seeded generator behind rand, randn, shuffling and inits. xoshiro128** (32-bit state words, exact
 * in JS integers) so the same seed gives the same stream on every machine and every backend.
 */
let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
let spareNormal: number | null = null;

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Seeds aglu's generator: the same seed on the same backend gives bitwise identical runs. */
export function manualSeed(seed: number): void {
  const next = splitmix32(Math.floor(seed));
  s0 = next(); s1 = next(); s2 = next(); s3 = next();
  spareNormal = null;
}

function nextUint32(): number {
  const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
  const t = (s1 << 9) >>> 0;
  s2 = (s2 ^ s0) >>> 0;
  s3 = (s3 ^ s1) >>> 0;
  s1 = (s1 ^ s2) >>> 0;
  s0 = (s0 ^ s3) >>> 0;
  s2 = (s2 ^ t) >>> 0;
  s3 = rotl(s3, 11);
  return result;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** Uniform in [0, 1) with 53 random bits. */
export function random(): number {
  const hi = nextUint32() >>> 5, lo = nextUint32() >>> 6;
  return (hi * 67108864 + lo) / 9007199254740992;
}

/** Standard normal (Box–Muller, keeping the second value). */
export function randomNormal(): number {
  if (spareNormal !== null) {
    const v = spareNormal;
    spareNormal = null;
    return v;
  }
  let u = 0;
  while (u === 0) u = random();
  const v = random();
  const r = Math.sqrt(-2 * Math.log(u));
  spareNormal = r * Math.sin(2 * Math.PI * v);
  return r * Math.cos(2 * Math.PI * v);
}

/** Integer in [0, n). */
export function randomInt(n: number): number {
  return Math.floor(random() * n);
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
export function randomPermutation(n: number): number[] {
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

manualSeed(0);
