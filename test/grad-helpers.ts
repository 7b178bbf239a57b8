/** Helpers the APA/AGLU op and loss tests share: values and gradients at fresh leaves, scaled differences, finiteness. */
import { expect } from 'chai';
import type { Tensor } from '../src/tensor.js';

/** Values and gradients (w.r.t. every input) of fn at fresh leaf copies of `inputs`, for upstream gradient `up`. */
export function valueAndGrads(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], up?: Tensor): { value: Float64Array; grads: Float64Array[] } {
  const leaves = inputs.map((x) => x.detach().requiresGrad_());
  const y = fn(...leaves);
  y.backward(up);
  return { value: Float64Array.from(y.toTypedArray()), grads: leaves.map((l) => Float64Array.from(l.grad!.toTypedArray())) };
}

/** Largest |a − b| / (1 + |b|). */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).to.equal(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
  return worst;
}

export function expectAllFinite(what: string, xs: ArrayLike<number>): void {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i])) expect.fail(`${what}: element ${i} is ${xs[i]}`);
}
