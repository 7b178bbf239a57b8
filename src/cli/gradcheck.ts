/**
 * `aglu gradcheck`: the gradients of apa, aglu and the APA/Gumbel BCE losses against central differences, per op
 * and per input, on a grid that reaches the extreme region (|κz| up to 40, λ near its 1e-4 floor and large λ).
 * On js the check is torch.autograd.gradcheck's (float64, full Jacobian). On gpujs, whose kernels run in float32,
 * its gradients are compared with the js float64 ones, which the js check vouches for.
 */
import { writeFileSync } from 'node:fs';
import Table from 'cli-table3';
import {
  aglu, apa, apaBinaryCrossEntropy, getBackend, gradcheck, gumbelBinaryCrossEntropy, setBackend, tensor, type Tensor,
} from '../index.js';
import { useBackend } from './backends.js';
import type { CliIo } from './program.js';
import { EXIT, UsageError, type BackendSpec } from './usage.js';

export type OpName = 'apa' | 'aglu' | 'apa-bce' | 'gumbel-bce';
export const OPS: OpName[] = ['apa', 'aglu', 'apa-bce', 'gumbel-bce'];

export interface GradcheckCliOptions {
  op?: OpName | 'all';
  backend?: BackendSpec;
  json?: string;
}

/** One point set of the grid: the inputs as plain numbers, and the op applied to tensors made from them. */
export interface GradCase {
  name: string;
  /** Input names, in the order fn takes them. */
  inputs: string[];
  shapes: number[][];
  values: number[][];
  fn: (...t: Tensor[]) => Tensor;
}

export interface InputResult {
  op: OpName;
  input: string;
  /** Jacobian entries (js) or gradient elements (gpujs) compared. */
  compared: number;
  maxAbsError: number;
  maxRelError: number;
  /** The case holding the entry closest to (or furthest past) its tolerance. */
  worstCase: string;
  /** |a − n| / (atol + rtol·|n|) at that entry: below 1 passes; how close the op came to failing. */
  worstRatio: number;
  ok: boolean;
  message?: string;
}

const range = (n: number, f: (i: number) => number): number[] => Array.from({ length: n }, (_, i) => f(i));

/** Per-element λ and κ on a [1, N] row: every (z, λ, κ) triple of the grid is its own channel. */
function pointwise(name: string, triples: [number, number, number][], op: 'apa' | 'aglu'): GradCase {
  const n = triples.length;
  const f = op === 'apa' ? apa : aglu;
  return {
    name, inputs: ['z', 'λ', 'κ'], shapes: [[1, n], [n], [n]],
    values: [triples.map((t) => t[0]), triples.map((t) => t[1]), triples.map((t) => t[2])],
    fn: (z, l, k) => f(z, l, k, { channelAxis: 1 }),
  };
}

/** The grid of apa/aglu: moderate values, the extreme region, shared and per-channel λ, κ. */
export function apaCases(op: 'apa' | 'aglu'): GradCase[] {
  const moderate: [number, number, number][] = [];
  for (const z of range(13, (i) => -6 + i)) for (const l of [0.1, 0.5, 1, 2, 5]) for (const k of [0.5, 1, 2]) moderate.push([z, l, k]);
  // |κz| up to 40 (e^{40} ≈ 2e17, where a naive formula overflows in float32), λ a few steps above its floor
  // (exactly at the floor the clamp has a kink that central differences straddle) and λ far above 1.
  const extreme: [number, number, number][] = [];
  for (const kz of [-40, -20, -8, 8, 20, 40]) for (const k of [0.5, 4]) for (const l of [2e-4, 1e-3, 0.05, 10, 50]) extreme.push([kz / k, l, k]);
  const f = op === 'apa' ? apa : aglu;
  return [
    pointwise('grid z∈[−6,6], λ∈[0.1,5], κ∈[0.5,2]', moderate, op),
    pointwise('extreme |κz|≤40, λ∈{2e-4…50}', extreme, op),
    {
      name: 'shared λ, κ of shape [1] on [4,6]', inputs: ['z', 'λ', 'κ'], shapes: [[4, 6], [1], [1]],
      values: [range(24, (i) => -3 + (6 * i) / 23), [0.7], [1.3]], fn: (z, l, k) => f(z, l, k),
    },
    {
      name: 'per-channel λ, κ [3] on [2,3,4]', inputs: ['z', 'λ', 'κ'], shapes: [[2, 3, 4], [3], [3]],
      values: [range(24, (i) => Math.sin(i * 1.7) * 4), [0.3, 1, 3], [0.6, 1.2, 2.5]], fn: (z, l, k) => f(z, l, k, { channelAxis: 1 }),
    },
  ];
}

/** Logits [B, K] whose entries sweep `values`, targets cycling through the K classes. */
function logitGrid(values: number[], k: number): { rows: number; logits: number[]; targets: number[] } {
  const rows = Math.ceil(values.length / k);
  const logits = range(rows * k, (i) => values[i % values.length]);
  return { rows, logits, targets: range(rows, (i) => (i * 3 + 1) % k) };
}

/** The grid of the losses: per-class λ, κ [K]; reduction 'none' (per element) and 'mean'. */
export function lossCases(op: 'apa-bce' | 'gumbel-bce'): GradCase[] {
  const k = 4;
  const moderate = logitGrid(range(24, (i) => -6 + (12 * i) / 23), k);
  const extreme = logitGrid([-40, -25, -10, -3, 3, 10, 25, 40, -40, 40, -20, 20], k);
  const cases: { name: string; g: ReturnType<typeof logitGrid>; lam: number[]; kap: number[]; reduction: 'none' | 'mean' }[] = [
    { name: 'grid z∈[−6,6], λ∈[0.1,4], κ∈[0.5,2]', g: moderate, lam: [0.1, 0.5, 1, 4], kap: [0.5, 1, 1.5, 2], reduction: 'none' },
    { name: 'extreme |κz|≤40, λ∈{2e-4…20}', g: extreme, lam: [2e-4, 1e-3, 5, 20], kap: [1, 1, 0.5, 1], reduction: 'none' },
    { name: 'mean over [6,4]', g: moderate, lam: [0.3, 0.9, 2, 3], kap: [0.8, 1.1, 1.4, 0.6], reduction: 'mean' },
  ];
  return cases.map(({ name, g, lam, kap, reduction }): GradCase => {
    // Made at call time in the logits' dtype and on the current backend (the gpujs check runs in float32).
    const targets = (z: Tensor): Tensor => tensor(g.targets, { dtype: z.dtype });
    if (op === 'apa-bce')
      return {
        name, inputs: ['logits', 'λ', 'κ'], shapes: [[g.rows, k], [k], [k]], values: [g.logits, lam, kap],
        fn: (z, l, kk) => apaBinaryCrossEntropy(z, targets(z), l, kk, { reduction }),
      };
    return {
      name: name.replace(/, λ∈[^,]*(?=,|$)/, ''), inputs: ['logits', 'κ'], shapes: [[g.rows, k], [k]], values: [g.logits, kap],
      fn: (z, kk) => gumbelBinaryCrossEntropy(z, targets(z), { kappa: kk, reduction }),
    };
  });
}

export function casesOf(op: OpName): GradCase[] {
  return op === 'apa' || op === 'aglu' ? apaCases(op) : lossCases(op);
}

const make = (c: GradCase, dtype: 'float32' | 'float64', grad: number): Tensor[] =>
  c.values.map((v, i) => {
    const t = tensor(v, { dtype });
    // Reshape first, then mark: the input must be a leaf for its .grad to be kept.
    return (c.shapes[i].length === 1 && c.shapes[i][0] === v.length ? t : t.reshape(c.shapes[i])).requiresGrad_(i === grad);
  });

/** Checks one input of one case on js (float64 gradcheck); the report of that input alone. */
type CaseResult = { compared: number; maxAbs: number; maxRel: number; ratio: number; ok: boolean; message: string };

const ATOL = 1e-6, RTOL = 1e-4;
const F32_ATOL = 1e-5, F32_RTOL = 2e-3;

function checkJs(c: GradCase, input: number): CaseResult {
  const inputs = make(c, 'float64', input);
  // The extreme cases hold values of order e^{40}: absolute tolerance alone would be meaningless there.
  const r = gradcheck(c.fn, inputs, { raiseException: false, atol: ATOL, rtol: RTOL });
  const out = c.fn(...make(c, 'float64', -1));
  const w = r.worst;
  const ratio = w === null ? 0 : Math.abs(w.analytical - w.numerical) / (ATOL + RTOL * Math.abs(w.numerical));
  return { compared: out.size * inputs[input].size, maxAbs: r.maxAbsError, maxRel: r.maxRelError, ratio, ok: r.ok, message: r.ok ? '' : r.message };
}

/** Gradient of sum(fn · w) w.r.t. one input, w a fixed weighting so that no output's gradient hides another's. */
function gradientOf(c: GradCase, input: number, dtype: 'float32' | 'float64'): number[] {
  const inputs = make(c, dtype, input);
  const out = c.fn(...inputs);
  const w = tensor(range(out.size, (i) => 1 + 0.25 * Math.sin(i)), { dtype }).reshape(out.shape);
  out.mul(w).sum().backward();
  return Array.from((inputs[input].grad as Tensor).toTypedArray());
}

/** Compares a float32 backend's gradient with js float64: |a − b| ≤ atol + rtol·|b| per element. */
function checkAgainstJs(c: GradCase, input: number, backend: { name: 'js' | 'gpujs'; mode?: string }): CaseResult {
  setBackend('js');
  const ref = gradientOf(c, input, 'float64');
  setBackend(backend.name, backend.mode === undefined ? {} : { mode: backend.mode });
  const got = gradientOf(c, input, 'float32');
  let maxAbs = 0, maxRel = 0, ratio = 0, ok = true, message = '';
  ref.forEach((b, i) => {
    const a = got[i], d = Math.abs(a - b);
    maxAbs = Math.max(maxAbs, d);
    if (b !== 0) maxRel = Math.max(maxRel, d / Math.abs(b));
    // float32 carries ~7 digits; the fused kernels add a few roundings on top.
    const tol = F32_ATOL + F32_RTOL * Math.abs(b);
    ratio = Math.max(ratio, Number.isNaN(d) ? Infinity : d / tol);
    if (!(d <= tol) && ok) {
      ok = false;
      message = `element ${i}: ${a} on ${backend.name} vs ${b} on js float64`;
    }
  });
  return { compared: ref.length, maxAbs, maxRel, ratio, ok, message };
}

/** Runs every case of `ops` and folds the results per op and input. */
export function runChecks(ops: OpName[], backend: { name: 'js' | 'gpujs'; mode?: string }, cases: (op: OpName) => GradCase[] = casesOf): InputResult[] {
  const results: InputResult[] = [];
  for (const op of ops) {
    const opCases = cases(op);
    for (let i = 0; i < opCases[0].inputs.length; i++) {
      const acc: InputResult = { op, input: opCases[0].inputs[i], compared: 0, maxAbsError: 0, maxRelError: 0, worstCase: '', worstRatio: 0, ok: true };
      for (const c of opCases) {
        const r = backend.name === 'js' ? (setBackend('js'), checkJs(c, i)) : checkAgainstJs(c, i, backend);
        acc.compared += r.compared;
        acc.maxAbsError = Math.max(acc.maxAbsError, r.maxAbs);
        acc.maxRelError = Math.max(acc.maxRelError, r.maxRel);
        if (r.ratio >= acc.worstRatio || acc.worstCase === '') {
          acc.worstRatio = r.ratio;
          acc.worstCase = c.name;
        }
        if (!r.ok && acc.ok) {
          acc.ok = false;
          acc.message = `${c.name}: ${r.message.split('\n')[0]}`;
        }
      }
      results.push(acc);
    }
  }
  return results;
}

const sci = (v: number): string => (v === 0 ? '0' : v.toExponential(1));

/** Runs `aglu gradcheck`. */
export async function runGradcheck(opts: GradcheckCliOptions, io: CliIo): Promise<number> {
  const ops = opts.op === undefined || opts.op === 'all' ? OPS : [opts.op];
  const spec = opts.backend ?? { name: 'js' as const, text: 'js' };
  const running = useBackend(spec, 'gradcheck');
  if (opts.json !== undefined && opts.json.trim() === '') throw new UsageError('--json needs a file name', 'gradcheck');
  const backend = spec.name === 'js' ? { name: 'js' as const } : { name: 'gpujs' as const, mode: running.mode };
  const before = getBackend();
  let results: InputResult[];
  try {
    results = runChecks(ops, backend);
  } finally {
    setBackend(before.name as 'js' | 'gpujs', before.name === 'js' ? {} : { mode: before.mode });
  }
  const how = backend.name === 'js'
    ? `js float64 analytical vs central differences (eps 1e-6), pass when |a−n| ≤ ${sci(ATOL)} + ${sci(RTOL)}·|n|`
    : `gpujs:${running.mode} float32 vs js float64, pass when |a−b| ≤ ${sci(F32_ATOL)} + ${sci(F32_RTOL)}·|b|`;
  io.out(`gradcheck — ${how}\n`);
  const table = new Table({ head: ['op', 'input', 'entries', 'max abs err', 'max rel err', 'worst / tol', 'worst case', 'result'], style: { head: [], border: [] } });
  for (const r of results)
    table.push([r.op, r.input, String(r.compared), sci(r.maxAbsError), sci(r.maxRelError), r.worstRatio === 0 ? '0' : r.worstRatio.toPrecision(2), r.worstCase, r.ok ? 'ok' : 'FAIL']);
  io.out(table.toString() + '\n');
  io.out('worst / tol: the entry nearest its tolerance (≥ 1 fails). Large relative errors come from entries whose value\n' +
    'is ~0 (float noise or underflow), where the absolute tolerance decides.\n');
  const failed = results.filter((r) => !r.ok);
  for (const f of failed) io.err(`FAIL ${f.op} ∂/∂${f.input}: ${f.message}\n`);
  if (opts.json !== undefined)
    writeFileSync(opts.json, JSON.stringify({ backend: backend.name === 'js' ? 'js' : `gpujs:${running.mode}`, method: how, results }, null, 2) + '\n');
  io.out(failed.length === 0 ? `all ${results.length} gradients match\n` : `${failed.length} of ${results.length} gradients FAILED\n`);
  return failed.length === 0 ? EXIT.ok : EXIT.failure;
}
