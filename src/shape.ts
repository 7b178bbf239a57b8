import { AxisError, ShapeError } from './errors.js';

export type Shape = readonly number[];

export const fmt = (s: Shape): string => `[${s.join(', ')}]`;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Row-major (C order) strides of a contiguous array of this shape. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** NumPy broadcasting of any number of shapes; `op` names the caller in the error. */
export function broadcastShapes(op: string, ...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out = new Array<number>(rank).fill(1);
  for (const s of shapes) {
    for (let i = 0; i < s.length; i++) {
      const o = rank - s.length + i;
      const d = s[i];
      if (d === out[o] || d === 1) continue;
      if (out[o] === 1) out[o] = d;
      else
        throw new ShapeError(
          `${op}: shapes ${shapes.map(fmt).join(' and ')} cannot be broadcast ` +
            `(dimension ${o} from the right-aligned shapes is ${out[o]} vs ${d}); ` +
            `sizes must match or be 1 — reshape or unsqueeze one input`,
        );
    }
  }
  return out;
}

/** Normalises one axis (negative counts from the end) and checks it. */
export function normAxis(op: string, axis: number, rank: number): number {
  // A 0-d tensor accepts axis 0 and -1, as in PyTorch.
  const r = Math.max(rank, 1);
  if (!Number.isInteger(axis) || axis < -r || axis >= r)
    throw new AxisError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank} (valid: ${-r}..${r - 1})`);
  return axis < 0 ? axis + r : axis;
}

/** Normalises a list of axes (undefined = all), sorted, without repeats. */
export function normAxes(op: string, axes: number | readonly number[] | undefined, rank: number): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = (typeof axes === 'number' ? [axes] : [...axes]).map((a) => normAxis(op, a, rank));
  const uniq = new Set(list);
  if (uniq.size !== list.length) throw new AxisError(`${op}: axis repeated in [${axes}]; give each axis once`);
  return [...uniq].sort((a, b) => a - b);
}

/** The shape after reducing `axes` (kept as size 1 when keepdim). */
export function reducedShape(shape: Shape, axes: readonly number[], keepdim: boolean): number[] {
  const out: number[] = [];
  shape.forEach((d, i) => {
    if (!axes.includes(i)) out.push(d);
    else if (keepdim) out.push(1);
  });
  return out;
}

/** Resolves one -1 in a reshape target and checks the element count. */
export function resolveReshape(op: string, from: Shape, to: readonly number[]): number[] {
  const n = sizeOf(from);
  const unknown = to.filter((d) => d === -1).length;
  if (unknown > 1) throw new ShapeError(`${op}: only one dimension may be -1, got ${fmt(to)}`);
  for (const d of to)
    if (!(Number.isInteger(d) && (d >= 0 || d === -1)))
      throw new ShapeError(`${op}: invalid dimension ${d} in ${fmt(to)}; dimensions are non-negative integers or one -1`);
  const known = to.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = to.map((d) => (d === -1 ? (known === 0 ? 0 : n / known) : d));
  if (sizeOf(out) !== n || (unknown === 1 && known !== 0 && n % known !== 0))
    throw new ShapeError(`${op}: cannot reshape ${fmt(from)} (${n} elements) to ${fmt(to)}; the element count must stay ${n}`);
  return out;
}
