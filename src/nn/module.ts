/**
 * Module: the PyTorch-style container of parameters and submodules. Parameters and submodules are registered
 * under names, and the dotted paths they give (`0.weight`, `1.lambda`) are what optimizers, state dicts and
 * checkpoints use.
 */
import { noGrad } from '../autograd/tape.js';
import { ShapeError, ValueError } from '../errors.js';
import { fmt, sameShape } from '../shape.js';
import { Tensor, type DType } from '../tensor.js';

/** Parameter name → tensor, in registration order (what `stateDict()` returns and `loadStateDict` takes). */
export type StateDict = Record<string, Tensor>;

export interface LoadStateDictOptions {
  /** true (default): every model parameter must be present and no other key may be; false: load the overlap. */
  strict?: boolean;
}

/** Options most layers take for their parameters. */
export interface ParamOptions {
  /** dtype of the parameters, 'float32' by default ('float64' on the js backend for gradcheck). */
  dtype?: DType;
}

/**
 * Base class of every layer. Subclasses register parameters in their constructor and implement `forward`.
 * @example
 * class Affine extends Module {
 *   w = this.registerParameter('weight', ones([3]));
 *   forward(x: Tensor) { return x.mul(this.w); }
 * }
 */
export abstract class Module {
  /** true in training mode (Dropout active), false after eval(). */
  training = true;
  readonly #params = new Map<string, Tensor>();
  readonly #modules = new Map<string, Module>();

  /** Computes the module's output. */
  abstract forward(x: Tensor): Tensor;

  /** Registers a parameter under `name` (marked requiresGrad) and returns it. */
  protected registerParameter(name: string, t: Tensor): Tensor {
    checkName(name, this.#params, this.#modules, 'registerParameter');
    if (t.gradFn !== null) throw new ValueError(`registerParameter('${name}'): a parameter must be a leaf tensor; pass x.detach()`);
    t.requiresGrad_(true);
    this.#params.set(name, t);
    return t;
  }

  /** Registers a submodule under `name` and returns it. */
  protected registerModule<M extends Module>(name: string, m: M): M {
    checkName(name, this.#params, this.#modules, 'registerModule');
    this.#modules.set(name, m);
    return m;
  }

  /** Direct submodules with their names. */
  namedChildren(): [string, Module][] {
    return [...this.#modules];
  }
  /** Direct submodules. */
  children(): Module[] {
    return [...this.#modules.values()];
  }

  /** This module and every submodule, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.#modules) out.push(...m.namedModules(prefix === '' ? name : `${prefix}.${name}`));
    return out;
  }
  /** This module and every submodule, depth first. */
  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Every parameter with its dotted path, own parameters first, then each submodule's in registration order.
   * @example mlp([2, 8, 3]).namedParameters().map(([n]) => n); // ['0.weight', '0.bias', '2.weight', '2.bias']
   */
  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    const seen = new Set<Tensor>();
    for (const [mname, m] of this.namedModules(prefix))
      for (const [pname, p] of m.#params) {
        if (seen.has(p)) continue; // a shared parameter is listed once, under its first name (as PyTorch)
        seen.add(p);
        out.push([mname === '' ? pname : `${mname}.${pname}`, p]);
      }
    return out;
  }
  /** Every parameter, in the order of namedParameters(). */
  parameters(): Tensor[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Sets training mode on this module and all submodules; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  /** Evaluation mode (Dropout off); same as train(false). */
  eval(): this {
    return this.train(false);
  }

  /**
   * Drops every parameter's gradient (PyTorch's set_to_none behaviour): the next backward starts from zero. A
   * gradient that a tidy scope kept because it sat in `.grad` is disposed here.
   */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /**
   * A snapshot of the parameters by dotted name. The tensors are detached and share memory with the parameters,
   * but since updates replace buffers instead of writing into them, the snapshot keeps the values it was taken at.
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [name, p] of this.namedParameters()) out[name] = p.detach();
    return out;
  }

  /**
   * Loads values by name. Everything is checked first — missing and unexpected keys (when strict), shapes — and
   * the model changes only when every check passes, so a failed load leaves it untouched. Values are converted
   * to each parameter's dtype and backend.
   */
  loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const params = this.namedParameters();
    const own = new Set(params.map(([n]) => n));
    const missing = params.map(([n]) => n).filter((n) => !(n in state));
    const unexpected = Object.keys(state).filter((k) => !own.has(k));
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts: string[] = [];
      if (missing.length > 0) parts.push(`missing keys: ${missing.join(', ')}`);
      if (unexpected.length > 0) parts.push(`unexpected keys: ${unexpected.join(', ')}`);
      throw new ValueError(`loadStateDict: the state dict does not match the model (${parts.join('; ')}); the model is unchanged`);
    }
    const planned: [Tensor, Tensor][] = [];
    for (const [name, p] of params) {
      const v = state[name];
      if (v === undefined) continue;
      if (!(v instanceof Tensor)) throw new ValueError(`loadStateDict: '${name}' is not a Tensor; the model is unchanged`);
      if (!sameShape(v.shape, p.shape))
        throw new ShapeError(
          `loadStateDict: '${name}' has shape ${fmt(v.shape)} in the state dict but ${fmt(p.shape)} in the model; the model is unchanged`,
        );
      const values = v.toTypedArray();
      planned.push([p, new Tensor(p.backend.fromTypedArray(values, p.shape, p.dtype), p.backend)]);
    }
    noGrad(() => {
      for (const [p, v] of planned) {
        p.assign_(v);
        v.dispose(); // p holds its own handle on the loaded values
      }
    });
  }

  /** Total number of scalar parameters. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** A one-line description of this module's own settings (what PyTorch's extra_repr gives). */
  protected extraRepr(): string {
    return '';
  }

  /** A PyTorch-style multi-line description of the module tree. */
  toString(): string {
    const head = `${this.constructor.name}(${this.extraRepr()}`;
    if (this.#modules.size === 0) return `${head})`;
    const lines = [...this.#modules].map(([n, m]) => `  (${n}): ${m.toString().split('\n').join('\n  ')}`);
    return `${head}\n${lines.join('\n')}\n)`;
  }
}

function checkName(name: string, params: Map<string, Tensor>, modules: Map<string, Module>, op: string): void {
  if (name === '' || name.includes('.'))
    throw new ValueError(`${op}: name '${name}' is invalid; names are non-empty and contain no '.'`);
  if (params.has(name) || modules.has(name)) throw new ValueError(`${op}: name '${name}' is already registered in this module`);
}
