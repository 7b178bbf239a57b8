/**
 * tidy scopes: deterministic release of what a block of code allocated, after tf.tidy. The gpujs backend frees a
 * buffer at once on dispose() and otherwise only when the garbage collector has run a FinalizationRegistry
 * callback — which needs the event loop to turn, so a long synchronous loop (fit in a worker, a user's training
 * loop) would pile up device memory until it yields. A tidy scope records every Tensor (and every raw backend
 * buffer the ops make on the way) created while it runs and disposes them when it ends.
 *
 * What survives a scope:
 * - the tensors `fn` returns (a Tensor, or arrays / plain objects of them, nested): they move to the enclosing scope;
 * - tensors passed to `keep(t)`: never disposed by any scope;
 * - gradients stored in some tensor's `.grad` at the end: from then on that slot owns them, and they are disposed
 *   when the slot lets go (zeroGrad(), `p.grad = null`, the next backward accumulating into it, p.dispose());
 * - anything created outside the scope (parameters updated with assign_ inside it keep their new values: assign_
 *   gives the parameter its own handle on the new memory).
 *
 * A graph that outlives its scope: when a surviving tensor still carries an unconsumed tape graph (a loss
 * returned from tidy, backward() not yet called), the scope cannot tell which of its tensors the graph's backward
 * closures saved, so it hands all of them to that graph instead of disposing them: they are disposed when
 * backward() has run through every such surviving tensor (without retainGraph), or when those tensors are
 * disposed — otherwise, as before, when the garbage collector finds them unreachable.
 *
 * Only this module keeps scope state; tensor.ts reports creations (trackTensor) and adopted buffers (claimBuffer),
 * the gpujs backend reports raw buffers (trackBuffer) and their disposal (forgetBuffer).
 */
import type { Buf } from '../backend/backend.js';
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { onNodeRelease } from './tape.js';

/** What can release a raw backend buffer (a backend's internal context). */
export interface BufferOwner {
  dispose(buf: Buf): void;
}

interface Scope {
  /** Tensors created while the scope ran, and those returned to it by inner scopes. */
  tensors: Tensor[];
  /** Raw backend buffers made in the scope that no tensor has adopted (yet), with who releases them. */
  buffers: Map<Buf, BufferOwner>;
}

const scopes: Scope[] = [];

/** @internal Called by the Tensor constructor. */
export function trackTensor(t: Tensor): void {
  if (scopes.length > 0) scopes[scopes.length - 1].tensors.push(t);
}

/** @internal Called by a backend for every buffer it creates (views included). */
export function trackBuffer(buf: Buf, owner: BufferOwner): void {
  if (scopes.length > 0) scopes[scopes.length - 1].buffers.set(buf, owner);
}

/** @internal A buffer adopted by a tensor (the tensor's lifetime now decides) or released by its backend. */
export function claimBuffer(buf: Buf): void {
  for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i].buffers.delete(buf)) return;
}
export const forgetBuffer = claimBuffer;

/**
 * Marks `t` so that no tidy scope disposes it (like tf.keep) and returns it; outside a scope it does nothing else.
 * @example
 * let kept!: Tensor;
 * const total = tidy(() => { const h = x.relu(); kept = keep(h.exp()); return h.sum(); });
 * // h is disposed; kept and total are not
 */
export function keep<T extends Tensor>(t: T): T {
  t.kept = true;
  return t;
}

/**
 * Runs `fn` and disposes every tensor it created when it returns (or throws), except the tensors it returns (a
 * Tensor, or arrays and plain objects holding them), gradients left in `.grad`, and tensors passed to `keep`.
 * Scopes nest: what an inner scope returns belongs to the outer one. fn must be synchronous.
 * Call backward() inside the scope to release the graph with it; a returned loss whose graph was not consumed yet
 * keeps the scope's tensors alive until backward() runs through it (or it is disposed).
 * @example
 * for (let step = 0; step < 1000; step++) {
 *   const loss = tidy(() => {
 *     opt.zeroGrad();
 *     const l = crossEntropy(model.forward(x), y);
 *     l.backward();
 *     opt.step();
 *     return l.item();            // a number: every tensor of the step is released here
 *   });
 * }
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`tidy: expected a function, got ${typeof fn}`);
  const scope: Scope = { tensors: [], buffers: new Map() };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    endScope(scope, undefined);
    throw e;
  }
  scopes.pop();
  if (result instanceof Promise) {
    endScope(scope, undefined);
    throw new ValueError('tidy: fn returned a Promise; tidy scopes are synchronous (tensors created after an await would escape). Use tidy inside the async code, around each synchronous step');
  }
  endScope(scope, result);
  return result;
}

/** Collects the scope's tensors that `value` holds (Tensor, arrays, plain objects; cycles are fine). */
function collect(value: unknown, tracked: Set<unknown>, out: Set<Tensor>, seen: Set<unknown>): void {
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (tracked.has(value)) {
    out.add(value as Tensor);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, tracked, out, seen);
    return;
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto === Object.prototype || proto === null) for (const v of Object.values(value)) collect(v, tracked, out, seen);
}

function endScope(scope: Scope, result: unknown): void {
  const tracked = new Set<unknown>(scope.tensors);
  const returned = new Set<Tensor>();
  collect(result, tracked, returned, new Set());
  const parent = scopes.length > 0 ? scopes[scopes.length - 1] : null;
  if (parent !== null) for (const t of returned) parent.tensors.push(t);

  const candidates: Tensor[] = [];
  const anchors: Tensor[] = [];
  for (const t of new Set(scope.tensors)) {
    if (t.isDisposed) continue;
    const survives = returned.has(t) || t.kept;
    if (survives) {
      if (t.gradFn !== null && t.gradFn.backward !== null) anchors.push(t);
    } else candidates.push(t);
  }
  const raw = [...scope.buffers];

  if (anchors.length > 0) {
    // A live graph leaves the scope: its closures may use any of these, so they go when the graph goes.
    const held = candidates.filter((t) => t.gradSlots === 0);
    for (const t of candidates) if (t.gradSlots > 0) t.releaseWithGrad = true;
    let pending = anchors.length;
    const release = (): void => {
      if (--pending > 0) return;
      for (const t of held) t.dispose();
      for (const [buf, owner] of raw) owner.dispose(buf);
    };
    for (const a of anchors) onNodeRelease(a.gradFn!, release);
    return;
  }

  // Holders first: disposing a tensor drops its .grad, which may free a candidate held only there.
  let rest = candidates;
  for (;;) {
    const next = rest.filter((t) => t.gradSlots > 0);
    if (next.length === rest.length) break;
    for (const t of rest) if (t.gradSlots === 0) t.dispose();
    rest = next;
  }
  for (const t of rest) t.releaseWithGrad = true;
  for (const [buf, owner] of raw) owner.dispose(buf);
}
