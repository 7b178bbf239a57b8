/**
 * Seeds for the data module. Datasets and loaders take their own seed and run their own `Rng` stream (src/random.ts)
 * so that building a dataset never advances (or resets) the global generator behind rand/randn/inits; without a
 * seed they draw one from the global generator, so `manualSeed(s)` alone still makes a whole script reproducible.
 */
import { randomInt, Rng } from '../random.js';
import { ValueError } from '../errors.js';

export { Rng };

/** The given seed, or (when undefined) one drawn from the global generator so that manualSeed governs it. */
export function resolveSeed(seed: number | undefined, op: string): number {
  if (seed === undefined) return randomInt(4294967296);
  if (!Number.isFinite(seed)) throw new ValueError(`${op}: seed must be a finite number, got ${seed}`);
  return Math.floor(seed) >>> 0;
}

/** A 32-bit seed derived from (seed, stream), so e.g. every epoch of a loader gets its own independent stream. */
export function deriveSeed(seed: number, stream: number): number {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((stream >>> 0) + 0x7f4a7c15, 0x85ebca6b)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}
