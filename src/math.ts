/** Scalar special functions the JavaScript Math object lacks, accurate in float64 (the js backend is the oracle). */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function. Below |x| = 3 the Maclaurin series (its alternating terms stay below 1e3, so the sum keeps
 * ~13 significant digits); above, erfc from its continued fraction (modified Lentz), which converges fast there.
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = x * x;
    let term = x, sum = x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return TWO_OVER_SQRT_PI * sum;
  }
  if (ax > 6) return Math.sign(x); // erfc(6) ≈ 2e-17: below float64 resolution of 1
  return Math.sign(x) * (1 - erfcContinuedFraction(ax));
}

/** erfc(x) for x ≥ 3: e^{−x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))). */
function erfcContinuedFraction(x: number): number {
  const tiny = 1e-300;
  let f = x, c = x, d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = Math.abs(d) < tiny ? tiny : d;
    c = x + a / c;
    c = Math.abs(c) < tiny ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}
