/** Sequential and the mlp builder. */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { AGLU, APA, GELU, Identity, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh, type ApaModuleOptions } from './activations.js';
import { Dropout, Linear } from './layers.js';
import { Module, type ParamOptions } from './module.js';

/**
 * Runs its modules in order; they are registered as '0', '1', … so parameter names read `0.weight`, `1.lambda`
 * exactly as in a PyTorch nn.Sequential.
 * @example const net = new Sequential(new Linear(2, 16), new AGLU(), new Linear(16, 2));
 */
export class Sequential extends Module {
  #layers: Module[] = [];

  constructor(...modules: Module[]) {
    super();
    for (const m of modules) this.append(m);
  }

  /** Adds a module at the end and returns this. */
  append(m: Module): this {
    if (!(m instanceof Module)) throw new ValueError(`Sequential: item ${this.#layers.length} is not a Module`);
    this.registerModule(String(this.#layers.length), m);
    this.#layers.push(m);
    return this;
  }

  /** The i-th module (negative i counts from the end). */
  at(i: number): Module {
    const m = this.#layers.at(i);
    if (m === undefined) throw new ValueError(`Sequential.at(${i}): there are ${this.#layers.length} modules`);
    return m;
  }

  get length(): number {
    return this.#layers.length;
  }

  forward(x: Tensor): Tensor {
    return this.#layers.reduce((h, m) => m.forward(h), x);
  }
}

export type ActivationName = 'relu' | 'leaky_relu' | 'gelu' | 'silu' | 'sigmoid' | 'tanh' | 'softplus' | 'apa' | 'aglu' | 'identity';

export interface MlpOptions extends ParamOptions {
  /** The hidden activation: a name, or a factory given the layer's width and its index among hidden layers. Default 'relu'. */
  activation?: ActivationName | ((width: number, index: number) => Module);
  /** For 'apa' / 'aglu': the module options; `perChannel: true` gives each hidden unit its own λ, κ. */
  apa?: Omit<ApaModuleOptions, 'numParameters' | 'dtype'> & { perChannel?: boolean };
  /** Dropout probability after each hidden activation (0, the default, adds no Dropout module). */
  dropout?: number;
  /** Linear layers with bias (default true). */
  bias?: boolean;
}

/** Builds an activation module by name. @example activationModule('aglu', 16) */
export function activationModule(name: ActivationName, width: number, options: MlpOptions = {}): Module {
  const apaOptions = (): ApaModuleOptions => {
    const { perChannel, ...rest } = options.apa ?? {};
    return { ...rest, numParameters: perChannel === true ? width : 1, dtype: options.dtype };
  };
  switch (name) {
    case 'relu': return new ReLU();
    case 'leaky_relu': return new LeakyReLU();
    case 'gelu': return new GELU();
    case 'silu': return new SiLU();
    case 'sigmoid': return new Sigmoid();
    case 'tanh': return new Tanh();
    case 'softplus': return new Softplus();
    case 'identity': return new Identity();
    case 'apa': return new APA(apaOptions());
    case 'aglu': return new AGLU(apaOptions());
    default:
      throw new ValueError(
        `mlp: unknown activation '${String(name)}'; use relu, leaky_relu, gelu, silu, sigmoid, tanh, softplus, apa, aglu or identity`,
      );
  }
}

/**
 * A multilayer perceptron: Linear layers between consecutive `sizes`, the activation after every hidden one
 * (none after the last, which gives logits). Module indices follow PyTorch's nn.Sequential: for [2, 16, 3] with
 * AGLU the parameters are `0.weight, 0.bias, 1.lambda, 1.kappa, 2.weight, 2.bias`.
 * @example const net = mlp([784, 128, 10], { activation: 'aglu' });
 */
export function mlp(sizes: number[], options: MlpOptions = {}): Sequential {
  if (!Array.isArray(sizes) || sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1))
    throw new ValueError(`mlp: sizes must list at least two positive integers (inputs, …, outputs), got [${String(sizes)}]`);
  const dropout = options.dropout ?? 0;
  const net = new Sequential();
  for (let i = 0; i + 1 < sizes.length; i++) {
    net.append(new Linear(sizes[i], sizes[i + 1], { bias: options.bias, dtype: options.dtype }));
    if (i + 2 === sizes.length) break;
    const a = options.activation ?? 'relu';
    net.append(typeof a === 'function' ? a(sizes[i + 1], i) : activationModule(a, sizes[i + 1], options));
    if (dropout > 0) net.append(new Dropout(dropout));
  }
  return net;
}
