/**
 * The Optimizer base: parameter groups with per-group options, and the rule that APA/AGLU λ and κ get no weight
 * decay unless asked (the authors' recipe). Updates run under noGrad and replace each parameter's values in
 * place with Tensor.assign_, so the model, the optimizer and any reference to a parameter stay in step. step()
 * may run inside tidy(): the state tensors it keeps (momenta, moments) are exempt, and the ones it replaces are
 * disposed at once.
 *
 * Each update is one fused backend primitive per parameter (Backend.sgdUpdate / adamUpdate: a float64 loop on js,
 * a few single-output kernels on gpujs, kernels/optim.ts) rather than a chain of elementwise ops.
 */
import { noGrad } from '../autograd/tape.js';
import { keep } from '../autograd/tidy.js';
import { DTypeError, ShapeError, ValueError, BackendError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import { isApaParameter } from '../nn/activations.js';
import { Module } from '../nn/module.js';
import { Tensor } from '../tensor.js';

/** Options every optimizer understands; each optimizer adds its own. */
export interface BaseOptions {
  lr: number;
  /** L2 penalty (SGD, Adam) or decoupled decay (AdamW) for ordinary parameters. */
  weightDecay?: number;
  /** Weight decay for APA/AGLU λ and κ; 0 by default, whatever weightDecay is. */
  apaWeightDecay?: number;
}

/** Parameters as an optimizer takes them: a model, named pairs, plain tensors. */
export type ParamsInput = Module | readonly (readonly [string, Tensor])[] | readonly Tensor[];

/** One group given by the user: its parameters and any option overriding the optimizer's defaults. */
export type ParamGroupSpec<O extends BaseOptions> = { params: ParamsInput } & Partial<O>;

/** A group as the optimizer keeps it: resolved options (lr may be changed, e.g. by a scheduler). */
export type ParamGroup<O extends BaseOptions> = O & {
  params: Tensor[];
  /** Each parameter's dotted name, or null where it was given without one. */
  names: (string | null)[];
  /**
   * Whether each parameter is an APA/AGLU λ or κ — an nn.APA/nn.AGLU module's parameter (recognised even in a
   * plain tensor list) or one whose name ends in lambda/kappa — so that apaWeightDecay applies instead of weightDecay.
   */
  isApa: boolean[];
};

/** A name ending in `lambda` or `kappa` (or the official seed's `lambda_param` / `kappa_param`). */
export const APA_PARAM_NAME = /(^|\.)(lambda|kappa)(_param)?$/;

function normalise(input: ParamsInput, op: string): { params: Tensor[]; names: (string | null)[] } {
  if (input instanceof Module) {
    const named = input.namedParameters();
    return { params: named.map(([, p]) => p), names: named.map(([n]) => n) };
  }
  if (!Array.isArray(input)) throw new ValueError(`${op}: parameters must be a Module, [name, tensor] pairs, or tensors`);
  const params: Tensor[] = [];
  const names: (string | null)[] = [];
  for (const item of input as readonly unknown[]) {
    if (item instanceof Tensor) {
      params.push(item);
      names.push(null);
    } else if (Array.isArray(item) && item.length === 2 && typeof item[0] === 'string' && item[1] instanceof Tensor) {
      params.push(item[1]);
      names.push(item[0]);
    } else throw new ValueError(`${op}: parameter ${params.length} is neither a Tensor nor a [name, Tensor] pair`);
  }
  return { params, names };
}

function stateTensors(st: Record<string, Tensor | number>): Set<Tensor> {
  return new Set(Object.values(st).filter((v): v is Tensor => v instanceof Tensor));
}

function isGroupSpec(x: unknown): x is { params: ParamsInput } {
  return typeof x === 'object' && x !== null && !(x instanceof Tensor) && !Array.isArray(x) && !(x instanceof Module) && 'params' in x;
}

function checkNonNegative(op: string, name: string, v: number | undefined): void {
  if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new ValueError(`${op}: ${name} must be a finite number ≥ 0, got ${v}`);
}

/** @internal A gradient a fused update can take: p's backend, dtype and shape, or a typed error naming the op. */
export function checkGrad(op: string, p: Tensor, grad: Tensor): void {
  if (grad.backend !== p.backend)
    throw new BackendError(`${op}: the gradient lives on the ${grad.backend.name} backend, the parameter on ${p.backend.name}; create both after the same setBackend call`);
  if (grad.dtype !== p.dtype)
    throw new DTypeError(`${op}: gradient of dtype ${grad.dtype} for a parameter of dtype ${p.dtype}; cast it with .to('${p.dtype}')`);
  if (!sameShape(grad.shape, p.shape))
    throw new ShapeError(`${op}: gradient of shape ${fmt(grad.shape)} for a parameter of shape ${fmt(p.shape)}; the shapes must be equal`);
}

export abstract class Optimizer<O extends BaseOptions> {
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state (momentum buffers, moments, step counts). */
  protected readonly state = new Map<Tensor, Record<string, Tensor | number>>();

  /**
   * @param params a Module (names known: λ/κ are exempt from weight decay), [name, tensor] pairs, tensors, or
   *   groups `[{ params, lr?, weightDecay?, … }, …]` whose options override `defaults`.
   */
  constructor(params: ParamsInput | readonly ParamGroupSpec<O>[], readonly defaults: O) {
    const op = new.target.name;
    this.validate(op, defaults);
    const specs: readonly { params: ParamsInput }[] =
      Array.isArray(params) && params.length > 0 && isGroupSpec(params[0])
        ? (params as readonly ParamGroupSpec<O>[])
        : [{ params: params as ParamsInput }];
    const seen = new Set<Tensor>();
    for (const spec of specs) {
      if (!isGroupSpec(spec)) throw new ValueError(`${op}: every parameter group must be an object with 'params'`);
      const { params: ps, names } = normalise(spec.params, op);
      for (const p of ps) {
        if (seen.has(p)) throw new ValueError(`${op}: a parameter appears in more than one group (or twice in one)`);
        seen.add(p);
        if (!p.requiresGrad) throw new ValueError(`${op}: a parameter of shape [${p.shape}] does not require grad`);
      }
      const { params: _drop, ...overrides } = spec as { params: ParamsInput } & Partial<O>;
      const group = { ...defaults, ...overrides } as O;
      this.validate(op, group);
      this.paramGroups.push({
        ...group,
        params: ps,
        names,
        isApa: ps.map((p, i) => isApaParameter(p) || (names[i] !== null && APA_PARAM_NAME.test(names[i] as string))),
      });
    }
    if (seen.size === 0) throw new ValueError(`${op}: got no parameters to optimise`);
  }

  /** Checks one set of options; subclasses extend it. */
  protected validate(op: string, o: O): void {
    checkNonNegative(op, 'lr', o.lr);
    checkNonNegative(op, 'weightDecay', o.weightDecay);
    checkNonNegative(op, 'apaWeightDecay', o.apaWeightDecay);
  }

  /** Every parameter of every group. */
  parameters(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Drops every parameter's gradient (set to null, as PyTorch's default set_to_none; one a tidy scope kept is disposed). */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** One update of every parameter that has a gradient; parameters without one are skipped (as PyTorch). */
  step(): void {
    noGrad(() => {
      for (const group of this.paramGroups)
        group.params.forEach((p, i) => {
          if (p.grad === null) return;
          const wd = group.isApa[i] ? (group.apaWeightDecay ?? 0) : (group.weightDecay ?? 0);
          let st = this.state.get(p);
          if (st === undefined) this.state.set(p, (st = {}));
          const before = stateTensors(st);
          const next = this.update(p, p.grad, group, wd, st);
          p.assign_(next);
          // The optimizer owns its state: new tensors outlive any tidy scope, replaced ones are released now. The
          // new values' own handle goes too (p has its own), so the parameter's memory does not wait for a GC.
          const after = stateTensors(st);
          for (const t of after) keep(t);
          for (const t of before) if (!after.has(t)) t.dispose();
          if (!after.has(next) && next !== p && next !== p.grad) next.dispose();
        });
    });
  }

  /**
   * The parameter's new values (runs under noGrad): a new tensor, which step() disposes once the parameter has
   * taken them over, unless it is also kept in `state`.
   */
  protected abstract update(p: Tensor, grad: Tensor, group: ParamGroup<O>, weightDecay: number, state: Record<string, Tensor | number>): Tensor;
}
