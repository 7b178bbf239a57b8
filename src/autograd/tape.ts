/**
 * The define-by-run tape. An op that has an input requiring grad records one GradNode on its output: the op's
 * name, its inputs and a closure mapping the output's gradient to one gradient per input. `backward` walks the
 * nodes in reverse topological order — found iteratively, so a chain of 100,000 ops needs no deep stack.
 */
import { AnomalyError, AutogradError, ShapeError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import type { Tensor } from '../tensor.js';

export type BackwardFn = (grad: Tensor) => readonly (Tensor | null)[];

export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Dropped after backward (freeing what the closure saved) unless retainGraph. */
  backward: BackwardFn | null;
  /** Creation order, to name the first op in anomaly reports. */
  readonly seq: number;
  /** Set in anomaly mode when the forward produced NaN or Inf. */
  forwardNonFinite: boolean;
  /** Run once when the node is freed by backward (after the whole pass) or its tensor is disposed (see tidy). */
  onRelease?: (() => void)[];
}

let gradEnabled = true;
let anomaly = false;
let seq = 0;

export const isGradEnabled = (): boolean => gradEnabled;

/** Runs fn without recording anything on the tape (like `with torch.no_grad():`). */
export function noGrad<T>(fn: () => T): T {
  const before = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = before;
  }
}

/** When on, forwards are checked for NaN/Inf and backward throws an AnomalyError naming the first op at fault. */
export function setAnomalyDetection(on: boolean): void {
  anomaly = on;
}
export const isAnomalyDetectionEnabled = (): boolean => anomaly;

function hasNonFinite(t: Tensor): boolean {
  return t.toTypedArray().some((v) => !Number.isFinite(v));
}

/**
 * Records `out = op(inputs)` when grad mode is on and some input requires grad; `backward` returns one gradient
 * per input (null where that input needs none). Returns `out` for chaining.
 */
export function record(op: string, out: Tensor, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!gradEnabled || !inputs.some((t) => t.requiresGrad)) return out;
  const node: GradNode = { op, inputs, backward, seq: seq++, forwardNonFinite: anomaly && hasNonFinite(out) };
  out.gradFn = node;
  out.requiresGrad = true;
  return out;
}

/** @internal Runs `fn` once when `node` is released: freed by a backward pass, or its tensor disposed. */
export function onNodeRelease(node: GradNode, fn: () => void): void {
  (node.onRelease ??= []).push(fn);
}

/** @internal Runs and clears the node's release hooks. */
export function releaseNode(node: GradNode): void {
  const hooks = node.onRelease;
  if (hooks === undefined) return;
  node.onRelease = undefined;
  for (const h of hooks) h();
}

/** Every tensor reachable from root through recorded nodes, inputs before outputs (iterative post-order DFS). */
function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  const stack: { t: Tensor; next: number }[] = [{ t: root, next: 0 }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const inputs = top.t.gradFn?.inputs ?? [];
    if (top.next < inputs.length) {
      const child = inputs[top.next++];
      if (child.requiresGrad && !visited.has(child)) {
        visited.add(child);
        stack.push({ t: child, next: 0 });
      }
    } else {
      order.push(top.t);
      stack.pop();
    }
  }
  return order;
}

export function runBackward(root: Tensor, grad: Tensor, retainGraph: boolean): void {
  // Nodes freed in this pass release what a tidy scope handed to them only after the pass: deeper closures still
  // run after a node is freed and may use the same tensors.
  const freed: GradNode[] = [];
  try {
    backwardPass(root, grad, retainGraph, freed);
  } finally {
    for (const node of freed) releaseNode(node);
  }
}

function backwardPass(root: Tensor, grad: Tensor, retainGraph: boolean, freed: GradNode[]): void {
  const order = topoOrder(root);
  if (anomaly) {
    const bad = order.map((t) => t.gradFn).filter((n): n is GradNode => n !== null && n.forwardNonFinite);
    if (bad.length > 0) {
      const first = bad.reduce((a, b) => (a.seq < b.seq ? a : b));
      throw new AnomalyError(`anomaly detection: the forward of '${first.op}' (op #${first.seq}) produced NaN or Inf`);
    }
  }
  const grads = new Map<Tensor, Tensor>([[root, grad]]);
  for (let i = order.length - 1; i >= 0; i--) {
    const t = order[i];
    const g = grads.get(t);
    if (g === undefined) continue;
    const node = t.gradFn;
    if (node === null) {
      // detach: g may be the very Tensor handed to another leaf (add passes g through), and two leaves must not
      // share one .grad object that an in-place update (assign_) would change for both.
      t.grad = t.grad === null ? g.detach() : t.grad.add(g);
      continue;
    }
    grads.delete(t);
    if (node.backward === null)
      throw new AutogradError(
        `backward: the graph through '${node.op}' was already freed by an earlier backward(); ` +
          `pass { retainGraph: true } to the first backward() to run backward twice`,
      );
    const inputGrads = node.backward(g);
    if (!retainGraph) {
      node.backward = null;
      if (node.onRelease !== undefined) freed.push(node);
    }
    node.inputs.forEach((input, k) => {
      const ig = inputGrads[k];
      if (!input.requiresGrad || ig === null || ig === undefined) return;
      if (!sameShape(ig.shape, input.shape))
        throw new ShapeError(`backward of '${node.op}': gradient of shape ${fmt(ig.shape)} for input ${k} of shape ${fmt(input.shape)} (an aglu bug — please report it)`);
      if (anomaly && hasNonFinite(ig))
        throw new AnomalyError(`anomaly detection: the backward of '${node.op}' (op #${node.seq}) produced NaN or Inf in the gradient of input ${k}`);
      const prev = grads.get(input);
      grads.set(input, prev === undefined ? ig : prev.add(ig));
    });
  }
}
