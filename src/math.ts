/** Scalar special functions the JavaScript Math object lacks, accurate in float64 (the js backend is the oracle). */

const TWO_OVER_SQRT_PI = 1.1283791670955126;

/**
 * The error function. Below |x| = 3 the series erf(x) = 2/√π·e^{−x²}·Σ x(2x²)ⁿ/(2n+1)!!, whose terms are all
 * positive (the alternating Maclaurin series cancels down to ~4e-14 near 3; this one stays within ~1e-15);
 * above, erfc from its continued fraction (modified Lentz), which converges fast there.
 * @example erf(1); // 0.8427007929497149
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 3) {
    const x2 = ax * ax;
    let term = ax, sum = ax;
    for (let n = 1; n < 300; n++) {
      term *= (2 * x2) / (2 * n + 1);
      sum += term;
      if (term < 1e-17 * sum) break;
    }
    return Math.sign(x) * TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
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
