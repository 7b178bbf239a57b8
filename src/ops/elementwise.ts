/**
 * Elementwise ops with NumPy broadcasting. Each op's backward sits beside its forward; gradients of broadcast
 * inputs are summed back to the input's shape (sumTo). Comparisons and `where`'s mask carry no gradient.
 */
import type { BinaryOp, UnaryOp } from '../backend/backend.js';
import { record } from '../autograd/tape.js';
import { ValueError } from '../errors.js';
import { broadcastShapes } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { asTensor, checkCompatible, sumTo, wrap } from './util.js';

/** Runs a broadcasting binary primitive (after checking shapes, dtypes and backends) without recording it. */
export function binaryRaw(op: BinaryOp, a: Tensor, b: Tensor | number): Tensor {
  const bt = asTensor(op, b, a);
  broadcastShapes(op, a.shape, bt.shape);
  return wrap(a.backend.binary(op, a.buf, bt.buf), a);
}

/** Runs a unary primitive without recording it. */
export function unaryRaw(op: UnaryOp, x: Tensor, p0?: number, p1?: number): Tensor {
  return wrap(x.backend.unary(op, x.buf, p0, p1), x);
}

function binary(
  op: BinaryOp,
  a: Tensor | number,
  b: Tensor | number,
  backward: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor | null, Tensor | null],
): Tensor {
  if (typeof a === 'number' && typeof b === 'number')
    throw new ValueError(`${op}: both operands are numbers (${a}, ${b}); at least one must be a Tensor`);
  const at = typeof a === 'number' ? asTensor(op, a, b as Tensor) : a;
  const bt = asTensor(op, b, at);
  const out = binaryRaw(op, at, bt);
  return record(op, out, [at, bt], (g) => {
    const [ga, gb] = backward(g, at, bt, out);
    return [ga && at.requiresGrad ? sumTo(ga, at.shape) : null, gb && bt.requiresGrad ? sumTo(gb, bt.shape) : null];
  });
}

/** a + b, broadcasting. */
export const add = (a: Tensor | number, b: Tensor | number): Tensor => binary('add', a, b, (g) => [g, g]);
/** a − b, broadcasting. */
export const sub = (a: Tensor | number, b: Tensor | number): Tensor => binary('sub', a, b, (g) => [g, neg(g)]);
/** a · b, broadcasting. */
export const mul = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary('mul', a, b, (g, x, y) => [mul(g, y), mul(g, x)]);
/** a / b, broadcasting. */
export const div = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary('div', a, b, (g, x, y, out) => [div(g, y), neg(mul(g, div(out, y)))]);

/** a ** b for a tensor or number exponent. d/db = a^b·ln a, taken as 0 where a = 0 (as PyTorch does). */
export function pow(a: Tensor, b: Tensor | number): Tensor {
  if (typeof b === 'number') {
    const out = unaryRaw('powScalar', a, b);
    return record('pow', out, [a], (g) => [b === 0 ? mul(g, 0) : mul(g, mul(unaryRaw('powScalar', a, b - 1), b))]);
  }
  return binary('pow', a, b, (g, x, y, out) => [
    mul(g, mul(y, binaryRaw('pow', x, sub(y, 1)))),
    mul(g, where(eq(x, 0), 0, mul(out, log(x)))),
  ]);
}

/**
 * Elementwise max. At ties the gradient is split half and half between a and b (torch.maximum's rule).
 */
export const maximum = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary('maximum', a, b, (g, x, y) => tieSplit(g, x, y, 'gt'));
/** Elementwise min; ties split the gradient like maximum. */
export const minimum = (a: Tensor | number, b: Tensor | number): Tensor =>
  binary('minimum', a, b, (g, x, y) => tieSplit(g, x, y, 'lt'));

function tieSplit(g: Tensor, x: Tensor, y: Tensor, wins: 'gt' | 'lt'): [Tensor, Tensor] {
  const half = mul(binaryRaw('eq', x, y), 0.5);
  const toX = add(binaryRaw(wins, x, y), half);
  const toY = add(binaryRaw(wins, y, x), half);
  return [mul(g, toX), mul(g, toY)];
}

function unary(op: UnaryOp, x: Tensor, backward: (g: Tensor, out: Tensor) => Tensor, p0?: number, p1?: number): Tensor {
  const out = unaryRaw(op, x, p0, p1);
  return record(op, out, [x], (g) => [backward(g, out)]);
}

export const neg = (x: Tensor): Tensor => unary('neg', x, (g) => unaryRaw('neg', g));
export const exp = (x: Tensor): Tensor => unary('exp', x, (g, out) => mul(g, out));
export const log = (x: Tensor): Tensor => unary('log', x, (g) => div(g, x));
export const log1p = (x: Tensor): Tensor => unary('log1p', x, (g) => div(g, add(x, 1)));
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x, (g, out) => div(g, mul(out, 2)));
/** |x|; its gradient at 0 is 0 (sign(0) = 0, as PyTorch). */
export const abs = (x: Tensor): Tensor => unary('abs', x, (g) => mul(g, unaryRaw('sign', x)));
export const square = (x: Tensor): Tensor => unary('square', x, (g) => mul(g, mul(x, 2)));

/** Clamps into [min, max] (either bound may be omitted); gradient 1 inside the closed interval, 0 outside. */
export function clamp(x: Tensor, min = -Infinity, max = Infinity): Tensor {
  return unary('clamp', x, (g) => mul(g, mul(binaryRaw('ge', x, min), binaryRaw('le', x, max))), min, max);
}

// Comparisons: 1 where true, 0 where false, in the inputs' dtype; never on the tape.
const compare = (op: BinaryOp) => (a: Tensor, b: Tensor | number): Tensor => {
  checkCompatible(op, a, asTensor(op, b, a));
  return binaryRaw(op, a, b);
};
export const eq = compare('eq');
export const ne = compare('ne');
export const lt = compare('lt');
export const le = compare('le');
export const gt = compare('gt');
export const ge = compare('ge');

/** cond ≠ 0 ? a : b with broadcasting of all three; gradients flow to a and b, none through cond. */
export function where(cond: Tensor, a: Tensor | number, b: Tensor | number): Tensor {
  const at = asTensor('where', a, cond);
  const bt = asTensor('where', b, cond);
  broadcastShapes('where', cond.shape, at.shape, bt.shape);
  const out = wrap(cond.backend.where(cond.buf, at.buf, bt.buf), cond);
  return record('where', out, [at, bt], (g) => {
    const zero = asTensor('where', 0, g);
    return [
      at.requiresGrad ? sumTo(wrap(g.backend.where(cond.buf, g.buf, zero.buf), g), at.shape) : null,
      bt.requiresGrad ? sumTo(wrap(g.backend.where(cond.buf, zero.buf, g.buf), g), bt.shape) : null,
    ];
  });
}
