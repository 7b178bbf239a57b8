/**
 * Typed errors. Every message names the op, the shapes or dtypes involved, and what to do about it,
 * so a user can fix the call without reading aglu's source.
 */
export class AgluError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}
/** Shapes that cannot be broadcast, multiplied, concatenated or reshaped as asked. */
export class ShapeError extends AgluError {}
/** Mixed dtypes, or a dtype the current backend cannot hold. */
export class DTypeError extends AgluError {}
/** An axis outside a tensor's rank, or the same axis twice. */
export class AxisError extends AgluError {}
/** Misuse of the tape: backward on a non-scalar without a gradient, backward through a freed graph, … */
export class AutogradError extends AgluError {}
/** NaN or Inf met while anomaly detection is on; names the op that produced it. */
export class AnomalyError extends AutogradError {}
/** A value out of its allowed range (a negative size, a non-integer class index, …). */
export class ValueError extends AgluError {}
/** A backend or backend mode that does not exist or is not available on this machine. */
export class BackendError extends AgluError {}
