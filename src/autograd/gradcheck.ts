/**
 * gradcheck: compares the tape's gradients with float64 central differences, following torch.autograd.gradcheck.
 * The analytical Jacobian comes from one backward per output element with a one-hot upstream gradient; the
 * numerical one from (f(x + eps·e_j) − f(x − eps·e_j)) / (2·eps) per input element. An entry passes when
 * |a − n| ≤ atol + rtol·|n|. `fast` compares random projections uᵀJv instead of the full Jacobian.
 */
import { JsBuf } from '../backend/js.js';
import { AgluError, BackendError, DTypeError, ValueError } from '../errors.js';
import { fmt, sizeOf } from '../shape.js';
import { Tensor } from '../tensor.js';
import { noGrad } from './tape.js';

export interface GradcheckOptions {
  /** Step of the central differences (default 1e-6). */
  eps?: number;
  /** Absolute tolerance (default 1e-5). */
  atol?: number;
  /** Relative tolerance, relative to the numerical value (default 1e-3). */
  rtol?: number;
  /** Compare random projections uᵀJv instead of every Jacobian entry (torch's fast_mode), for large inputs. */
  fast?: boolean;
  /** How far two analytical Jacobians of the same point may differ (default 0: backward must be deterministic). */
  nondetTol?: number;
  /** Throw a GradcheckError on failure (default true); false returns the failing report instead. */
  raiseException?: boolean;
  /** Seed of the projection vectors in fast mode (default 0); gradcheck never touches manualSeed's stream. */
  seed?: number;
}

export interface GradcheckReport {
  ok: boolean;
  /** Largest |analytical − numerical| over all compared entries. */
  maxAbsError: number;
  /** Largest |analytical − numerical| / |numerical| over the entries whose numerical value is not 0. */
  maxRelError: number;
  /**
   * The entry closest to (or furthest past) its tolerance: `input` and `output` number the tensors (inputs in the
   * order given, outputs in the order fn returns them, 0 for a single tensor); `index` is the element of the input
   * and `outputIndex` the element of the output. In fast mode both indices are [] (the entry is uᵀJv).
   */
  worst: { input: number; index: number[]; output: number; outputIndex?: number[]; analytical: number; numerical: number } | null;
  /** Why it failed: a Jacobian entry out of tolerance, or two backward passes that disagree. null when ok. */
  failure?: 'jacobian' | 'nondeterministic' | null;
  /** Largest difference between the two analytical Jacobians (the nondeterminism check). */
  nondetMaxDiff?: number;
  message: string;
}

/** gradcheck found gradients that disagree with finite differences; `report` says where. */
export class GradcheckError extends AgluError {
  constructor(readonly report: GradcheckReport) {
    super(report.message);
  }
}

type Fn = (...inputs: Tensor[]) => Tensor | Tensor[];

/**
 * Checks fn's gradients w.r.t. every input with requiresGrad against central differences, in float64 on the js
 * backend. Throws a GradcheckError on failure (unless `raiseException: false`) and returns the report otherwise.
 * @example
 * setBackend('js');
 * const a = randn([3], { dtype: 'float64', requiresGrad: true }), b = randn([2, 3], { dtype: 'float64', requiresGrad: true });
 * gradcheck((x, y) => x.mul(y), [a, b]).ok; // true
 */
export function gradcheck(fn: Fn, inputs: Tensor[], options: GradcheckOptions = {}): GradcheckReport {
  const eps = options.eps ?? 1e-6;
  const atol = options.atol ?? 1e-5;
  const rtol = options.rtol ?? 1e-3;
  const nondetTol = options.nondetTol ?? 0;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new ValueError(`gradcheck: eps must be a positive finite number, got ${eps}`);
  if (!(atol >= 0) || !(rtol >= 0) || !(nondetTol >= 0))
    throw new ValueError(`gradcheck: atol, rtol and nondetTol must be ≥ 0 (got ${atol}, ${rtol}, ${nondetTol})`);
  const checked = validateInputs(inputs);

  // Fresh leaves on the same memory, each through its own view (expand to the same shape: same data, strides and
  // offset): the user's .grad stays untouched, non-leaf inputs become leaves, and no two tensors share a buffer.
  const args = inputs.map((t) => (t.requiresGrad ? new Tensor(t.backend.expand(t.buf, t.shape), t.backend, true) : t));
  const run = (): Tensor[] => {
    const out = fn(...args);
    const outs = Array.isArray(out) ? out : [out];
    outs.forEach((o, k) => {
      if (!(o instanceof Tensor)) throw new ValueError(`gradcheck: fn returned ${typeof o} as output ${k}; it must return a Tensor or an array of Tensors`);
    });
    return outs;
  };
  const evalFlat = (): Float64Array[] => noGrad(() => run().map((o) => Float64Array.from(o.toTypedArray())));
  // Output shapes name the elements in the report; sizes fix the Jacobian's rows.
  const outShapesNd = noGrad(() => run().map((o) => [...o.shape]));
  const outShapes = outShapesNd.map((s) => sizeOf(s));

  const cmp = new Comparison(rtol);
  let nondetMaxDiff = 0;
  if (options.fast) {
    const rng = mulberry32(options.seed ?? 0);
    const us = outShapes.map((n) => unitVector(n, rng));
    const vs = checked.map((i) => unitVector(args[i].size, rng));
    const analytic = (): number[][] => projectedAnalytical(run, args, checked, us, vs);
    const a1 = analytic();
    const a2 = analytic();
    const numeric = checked.map((i, c) => directionalDerivative(evalFlat, args[i], vs[c], eps).map((jv, k) => dot(us[k], jv)));
    checked.forEach((i, c) => {
      outShapes.forEach((_, k) => {
        nondetMaxDiff = Math.max(nondetMaxDiff, Math.abs(a1[c][k] - a2[c][k]));
        // Each entry of E (all atol) contributes |u_r|·|v_j| to uᵀEv, so atol scales by Σ|u|·Σ|v| (torch's _adjusted_atol).
        const scaledAtol = atol * sumAbs(us[k]) * sumAbs(vs[c]);
        cmp.add(a1[c][k], numeric[c][k], scaledAtol, { input: i, index: [], output: k, outputIndex: [] });
      });
    });
  } else {
    const j1 = analyticalJacobian(run, args, checked, outShapes);
    const j2 = analyticalJacobian(run, args, checked, outShapes);
    checked.forEach((i, c) => {
      const n = args[i].size;
      for (let e = 0; e < n; e++) {
        const columns = numericalColumn(evalFlat, args[i], e, eps);
        columns.forEach((col, k) => {
          for (let r = 0; r < col.length; r++) {
            const a = j1[c][k][r * n + e];
            nondetMaxDiff = Math.max(nondetMaxDiff, Math.abs(a - j2[c][k][r * n + e]));
            cmp.add(a, col[r], atol, { input: i, index: unravel(e, args[i].shape), output: k, outputIndex: unravel(r, outShapesNd[k]) });
          }
        });
      }
    });
  }

  const nondet = nondetMaxDiff > nondetTol;
  const ok = cmp.ok && !nondet;
  const report: GradcheckReport = {
    ok,
    maxAbsError: cmp.maxAbs,
    maxRelError: cmp.maxRel,
    worst: cmp.worst,
    failure: ok ? null : nondet ? 'nondeterministic' : 'jacobian',
    nondetMaxDiff,
    message: '',
  };
  report.message = describe(report, inputs, options.fast === true, atol, rtol, nondetTol, checked.length, cmp.count);
  if (!ok && (options.raiseException ?? true)) throw new GradcheckError(report);
  return report;
}

/** The indices of the inputs to check, after refusing what finite differences cannot handle. */
function validateInputs(inputs: Tensor[]): number[] {
  if (!Array.isArray(inputs)) throw new ValueError('gradcheck: inputs must be an array of tensors');
  const checked: number[] = [];
  inputs.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new ValueError(`gradcheck: input ${i} is not a Tensor`);
    if (t.backend.name !== 'js' || !(t.buf instanceof JsBuf))
      throw new BackendError(
        `gradcheck: input ${i} (shape ${fmt(t.shape)}) lives on the ${t.backend.name} backend; gradcheck runs on the js backend in float64 — call setBackend('js') before creating the inputs`,
      );
    if (!t.requiresGrad) return;
    if (t.dtype !== 'float64')
      throw new DTypeError(
        `gradcheck: input ${i} (shape ${fmt(t.shape)}) has dtype ${t.dtype}; finite differences need float64 — create it with { dtype: 'float64' } or call .to('float64')`,
      );
    const buf = t.buf as JsBuf;
    const axis = buf.shape.findIndex((d, a) => d > 1 && buf.strides[a] === 0);
    if (axis >= 0)
      throw new ValueError(
        `gradcheck: input ${i} of shape ${fmt(t.shape)} is an expanded (broadcast) view — stride 0 on axis ${axis}, so one memory cell stands for ${t.shape[axis]} elements and cannot be perturbed alone; pass the unexpanded tensor, or a copy (.clone())`,
      );
    checked.push(i);
  });
  if (checked.length === 0)
    throw new ValueError('gradcheck: no input requires grad; create the inputs to check with { requiresGrad: true }');
  return checked;
}

/** Memory position of flat element e of a strided js buffer. */
function position(buf: JsBuf, e: number): number {
  let pos = buf.offset;
  for (let d = buf.shape.length - 1; d >= 0; d--) {
    const i = e % buf.shape[d];
    e = (e - i) / buf.shape[d];
    pos += i * buf.strides[d];
  }
  return pos;
}

function unravel(e: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = e % shape[d];
    e = (e - idx[d]) / shape[d];
  }
  return idx;
}

/** One column of the numerical Jacobian per output: ∂out/∂x[e] by central differences. */
function numericalColumn(evalFlat: () => Float64Array[], x: Tensor, e: number, eps: number): Float64Array[] {
  const buf = x.buf as JsBuf;
  const pos = position(buf, e);
  const orig = buf.data[pos];
  try {
    buf.data[pos] = orig + eps;
    const plus = evalFlat();
    buf.data[pos] = orig - eps;
    const minus = evalFlat();
    return plus.map((p, k) => p.map((v, r) => (v - minus[k][r]) / (2 * eps)));
  } finally {
    buf.data[pos] = orig;
  }
}

/** J·v per output by central differences along direction v. */
function directionalDerivative(evalFlat: () => Float64Array[], x: Tensor, v: Float64Array, eps: number): Float64Array[] {
  const buf = x.buf as JsBuf;
  const pos = Array.from({ length: x.size }, (_, e) => position(buf, e));
  const orig = pos.map((p) => buf.data[p]);
  try {
    pos.forEach((p, e) => (buf.data[p] = orig[e] + eps * v[e]));
    const plus = evalFlat();
    pos.forEach((p, e) => (buf.data[p] = orig[e] - eps * v[e]));
    const minus = evalFlat();
    return plus.map((pl, k) => pl.map((val, r) => (val - minus[k][r]) / (2 * eps)));
  } finally {
    pos.forEach((p, e) => (buf.data[p] = orig[e]));
  }
}

/** Reads and clears the leaves' accumulated gradients (zeros where nothing flowed). */
function takeGrads(args: Tensor[], checked: number[]): Float64Array[] {
  return checked.map((i) => {
    const g = args[i].grad;
    args[i].grad = null;
    return g === null ? new Float64Array(args[i].size) : Float64Array.from(g.toTypedArray());
  });
}

/** jac[c][k] is the Jacobian of output k w.r.t. checked input c, row-major [outSize × inSize]. */
function analyticalJacobian(run: () => Tensor[], args: Tensor[], checked: number[], outSizes: number[]): Float64Array[][] {
  const jac = checked.map((i) => outSizes.map((m) => new Float64Array(m * args[i].size)));
  checked.forEach((i) => (args[i].grad = null));
  const outs = run();
  outs.forEach((out, k) => {
    if (!out.requiresGrad) return; // no checked input reaches this output: its rows stay 0
    const onehot = new Float64Array(out.size);
    for (let r = 0; r < out.size; r++) {
      onehot[r] = 1;
      out.backward(new Tensor(out.backend.fromTypedArray(onehot, out.shape, out.dtype), out.backend), { retainGraph: true });
      onehot[r] = 0;
      takeGrads(args, checked).forEach((row, c) => jac[c][k].set(row, r * row.length));
    }
  });
  return jac;
}

/** proj[c][k] = u_kᵀ J_{k,c} v_c from one backward per output with upstream u_k. */
function projectedAnalytical(run: () => Tensor[], args: Tensor[], checked: number[], us: Float64Array[], vs: Float64Array[]): number[][] {
  const proj = checked.map(() => us.map(() => 0));
  checked.forEach((i) => (args[i].grad = null));
  run().forEach((out, k) => {
    if (!out.requiresGrad) return;
    out.backward(new Tensor(out.backend.fromTypedArray(us[k], out.shape, out.dtype), out.backend), { retainGraph: true });
    takeGrads(args, checked).forEach((g, c) => (proj[c][k] = dot(g, vs[c])));
  });
  return proj;
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

function sumAbs(a: Float64Array): number {
  return a.reduce((s, v) => s + Math.abs(v), 0);
}

/** A small local generator so that fast mode is reproducible without consuming manualSeed's stream. */
function mulberry32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Signed entries (unlike torch's rand) so that sign errors cannot cancel out; unit norm like torch. */
function unitVector(n: number, rng: () => number): Float64Array {
  const v = Float64Array.from({ length: n }, () => 2 * rng() - 1);
  const norm = Math.sqrt(dot(v, v));
  return norm > 0 ? v.map((x) => x / norm) : v;
}

type Where = { input: number; index: number[]; output: number; outputIndex: number[] };

/** Running comparison: max errors and the entry with the largest error-to-tolerance ratio. */
class Comparison {
  ok = true;
  maxAbs = 0;
  maxRel = 0;
  count = 0;
  worst: GradcheckReport['worst'] = null;
  worstRatio = -1;

  constructor(readonly rtol: number) {}

  add(a: number, n: number, atol: number, where: Where): void {
    this.count++;
    const err = Math.abs(a - n);
    const tol = atol + this.rtol * Math.abs(n);
    // NaN on either side is a failure, never a pass by a false comparison.
    const pass = err <= tol;
    if (!pass) this.ok = false;
    const errOrInf = Number.isNaN(err) ? Infinity : err;
    this.maxAbs = Math.max(this.maxAbs, errOrInf);
    if (n !== 0) this.maxRel = Math.max(this.maxRel, errOrInf / Math.abs(n));
    const ratio = tol > 0 ? errOrInf / tol : errOrInf > 0 ? Infinity : 0;
    if (ratio > this.worstRatio) {
      this.worstRatio = ratio;
      this.worst = { ...where, analytical: a, numerical: n };
    }
  }
}

const g6 = (x: number): string => (Number.isFinite(x) ? Number(x.toPrecision(6)).toString() : String(x));

function describe(
  r: GradcheckReport,
  inputs: Tensor[],
  fast: boolean,
  atol: number,
  rtol: number,
  nondetTol: number,
  nChecked: number,
  count: number,
): string {
  const errs = `max abs error ${g6(r.maxAbsError)}, max rel error ${g6(r.maxRelError)}`;
  const w = r.worst;
  const entry =
    w === null
      ? ''
      : fast
        ? `the projection uᵀJv of output ${w.output} on input ${w.input} (shape ${fmt(inputs[w.input].shape)})`
        : `output ${w.output} element ${fmt(w.outputIndex ?? [])} w.r.t. input ${w.input} element ${fmt(w.index)} (input shape ${fmt(inputs[w.input].shape)})`;
  const values = w === null ? '' : `analytical ${g6(w.analytical)} vs numerical ${g6(w.numerical)}`;
  const what = fast ? `${count} random projections` : `${count} Jacobian entries`;
  if (r.ok)
    return `gradcheck passed: ${what} over ${nChecked} input(s) within atol ${atol} + rtol ${rtol}·|numerical|; ${errs}` +
      (w === null ? '' : `; closest to its tolerance: ${entry}, ${values}`);
  if (r.failure === 'nondeterministic')
    return `gradcheck failed: backward is nondeterministic — two analytical Jacobians of the same point differ by up to ${g6(r.nondetMaxDiff ?? NaN)} (nondetTol ${nondetTol}); ` +
      `a backward must not depend on randomness or state (raise nondetTol only for ops that are nondeterministic on purpose). Jacobian comparison: ${errs}`;
  return `gradcheck failed: Jacobian mismatch at ${entry}: ${values} — |a−n| = ${g6(Math.abs((w?.analytical ?? NaN) - (w?.numerical ?? NaN)))} > atol ${atol}${fast ? ' (scaled by Σ|u|·Σ|v|)' : ''} + rtol ${rtol}·|n|; ${errs}` +
    (fast ? '. Rerun without { fast: true } to find the element at fault' : '');
}
