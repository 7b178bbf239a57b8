/**
 * Activation modules: thin wrappers over the functional ops, plus APA and AGLU with their learnable λ and κ.
 */
import { ValueError } from '../errors.js';
import { random } from '../random.js';
import { tensor, type Tensor } from '../tensor.js';
import * as act from '../ops/activations.js';
import { aglu, apa, LAMBDA_FLOOR, type ApaOptions } from '../ops/apa.js';
import { Module, type ParamOptions } from './module.js';

/** max(0, x). @example new ReLU().forward(x) */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return act.relu(x);
  }
}

/** x for x > 0, negativeSlope·x otherwise. @example new LeakyReLU(0.1) */
export class LeakyReLU extends Module {
  constructor(readonly negativeSlope = 0.01) {
    super();
  }
  forward(x: Tensor): Tensor {
    return act.leakyRelu(x, this.negativeSlope);
  }
  protected override extraRepr(): string {
    return `negativeSlope=${this.negativeSlope}`;
  }
}

/** x·Φ(x), exact (erf) or with the tanh approximation. @example new GELU({ approximate: 'tanh' }) */
export class GELU extends Module {
  constructor(readonly options: act.GeluOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return act.gelu(x, this.options);
  }
  protected override extraRepr(): string {
    return `approximate='${this.options.approximate ?? 'none'}'`;
  }
}

/** x·σ(x) (also called swish); equals AGLU with λ = κ = 1. @example new SiLU() */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return act.silu(x);
  }
}

/** 1 / (1 + e^(−x)). @example new Sigmoid() */
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return act.sigmoid(x);
  }
}

/** tanh(x). @example new Tanh() */
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return act.tanh(x);
  }
}

/** log(1 + e^(βx)) / β, linear above the threshold. @example new Softplus({ beta: 2 }) */
export class Softplus extends Module {
  constructor(readonly options: act.SoftplusOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    return act.softplus(x, this.options);
  }
  protected override extraRepr(): string {
    return `beta=${this.options.beta ?? 1}, threshold=${this.options.threshold ?? 20}`;
  }
}

/** Returns its input unchanged. @example new Identity() */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/**
 * How λ and κ start: 'aglu' — the paper's hidden-layer init, λ ~ U(0, 1), κ ~ U(0.8, 1.2); 'unified' — the
 * official seed's Unified module, both ~ U(0, 1); or fixed values ({ lambda: 1, kappa: 1 } starts as SiLU for
 * AGLU and as the sigmoid for APA).
 */
export type ApaInit = 'aglu' | 'unified' | { lambda: number; kappa: number };

export interface ApaModuleOptions extends ParamOptions {
  /** 1 (one λ, κ pair per layer, as the paper trains) or C (one pair per channel along channelAxis). Default 1. */
  numParameters?: number;
  /** The input axis that per-channel λ, κ run along; 1 by default (features of [B, F], channels of [N, C, …]). */
  channelAxis?: number;
  init?: ApaInit;
  /**
   * 'clamp' (default): the `lambda` parameter is λ itself, clamped at 1e-4 in the forward (the seed's rule).
   * 'softplus': the `lambda` parameter holds ρ and λ = softplus(ρ) + 1e-4, which cannot get stuck at the floor.
   */
  lambdaParam?: 'clamp' | 'softplus';
}

/** softplus(ρ) is kept at least this large when inverting it at init, so that ρ stays finite (λ ≈ 0 gives ρ ≈ −13.8). */
const SOFTPLUS_INIT_MIN = 1e-6;

/** λ and κ tensors of every APA/AGLU module ever built: lets optimizers recognise them even without names. */
const apaParameters = new WeakSet<Tensor>();

/** Whether a tensor is the λ or κ of an APA/AGLU module (optimizers exempt these from weight decay). */
export function isApaParameter(t: Tensor): boolean {
  return apaParameters.has(t);
}

/** Shared code of APA and AGLU: parameters `lambda` and `kappa` of shape [numParameters]. */
abstract class ApaBase extends Module {
  readonly lambda: Tensor;
  readonly kappa: Tensor;
  readonly numParameters: number;
  readonly channelAxis: number;
  readonly lambdaParam: 'clamp' | 'softplus';
  readonly init: ApaInit;

  constructor(defaultInit: ApaInit, options: ApaModuleOptions) {
    super();
    const n = options.numParameters ?? 1;
    if (!Number.isInteger(n) || n < 1)
      throw new ValueError(`${new.target.name}: numParameters must be a positive integer (1 or the channel count), got ${n}`);
    const lp = options.lambdaParam ?? 'clamp';
    if (lp !== 'clamp' && lp !== 'softplus')
      throw new ValueError(`${new.target.name}: lambdaParam must be 'clamp' or 'softplus', got '${String(lp)}'`);
    this.numParameters = n;
    this.channelAxis = options.channelAxis ?? 1;
    this.lambdaParam = lp;
    this.init = options.init ?? defaultInit;
    const [lam, kap] = drawInit(this.init, n, new.target.name);
    // In 'softplus' mode the op reads λ = softplus(ρ) + 1e-4, so the stored ρ = softplus⁻¹(λ − 1e-4), where
    // softplus⁻¹(v) = v + log(1 − e^(−v)) is the form that stays accurate for small and large v.
    const stored = lp === 'softplus' ? lam.map((l) => { const v = Math.max(l - LAMBDA_FLOOR, SOFTPLUS_INIT_MIN); return v + Math.log(-Math.expm1(-v)); }) : lam;
    const dtype = options.dtype ?? 'float32';
    this.lambda = this.registerParameter('lambda', fromValues(stored, dtype));
    this.kappa = this.registerParameter('kappa', fromValues(kap, dtype));
    apaParameters.add(this.lambda).add(this.kappa);
  }

  /** The op's options; a single λ, κ pair broadcasts over inputs of any rank, so no channel axis is passed then. */
  protected opOptions(): ApaOptions {
    return this.numParameters > 1 ? { channelAxis: this.channelAxis, lambdaParam: this.lambdaParam } : { lambdaParam: this.lambdaParam };
  }

  /**
   * λ as the activation uses it, for logs and plots: softplus(ρ) + 1e-4 in 'softplus' mode, max(λ, 1e-4) in 'clamp'
   * mode (the stored parameter may drift below the floor, where it no longer changes the function or gets gradient).
   */
  lambdaValue(): number[] {
    const raw = Array.from(this.lambda.toTypedArray());
    return this.lambdaParam === 'softplus'
      ? raw.map((r) => (r > 40 ? r : Math.log1p(Math.exp(r))) + LAMBDA_FLOOR)
      : raw.map((r) => Math.max(r, LAMBDA_FLOOR));
  }
  /** κ's values, without gradient. */
  kappaValue(): number[] {
    return Array.from(this.kappa.toTypedArray());
  }

  protected override extraRepr(): string {
    const init = typeof this.init === 'string' ? `'${this.init}'` : `{ lambda: ${this.init.lambda}, kappa: ${this.init.kappa} }`;
    return `numParameters=${this.numParameters}, init=${init}, lambdaParam='${this.lambdaParam}'`;
  }
}

function fromValues(values: number[], dtype: ParamOptions['dtype']): Tensor {
  return tensor(values, { dtype });
}

function drawInit(init: ApaInit, n: number, who: string): [number[], number[]] {
  if (init === 'aglu' || init === 'unified') {
    const lam = Array.from({ length: n }, random);
    const kap = init === 'aglu' ? Array.from({ length: n }, () => 0.8 + 0.4 * random()) : Array.from({ length: n }, random);
    return [lam, kap];
  }
  if (typeof init === 'object' && init !== null && Number.isFinite(init.lambda) && Number.isFinite(init.kappa)) {
    if (init.lambda <= 0) throw new ValueError(`${who}: init.lambda must be positive, got ${init.lambda}`);
    return [new Array<number>(n).fill(init.lambda), new Array<number>(n).fill(init.kappa)];
  }
  throw new ValueError(`${who}: init must be 'aglu', 'unified' or { lambda, kappa } with finite numbers, got ${JSON.stringify(init)}`);
}

/**
 * The Adaptive Parametric Activation APA(z) = (λ·e^(−κz) + 1)^(−1/λ), a learnable gate in (0, 1) (see docs/apa.md).
 * Default init 'unified' (the seed's Unified module).
 * @example const act = new APA({ numParameters: 16 }); act.forward(randn([4, 16]));
 */
export class APA extends ApaBase {
  constructor(options: ApaModuleOptions = {}) {
    super('unified', options);
  }
  forward(x: Tensor): Tensor {
    return apa(x, this.lambda, this.kappa, this.opOptions());
  }
}

/**
 * The Adaptive Gated Linear Unit AGLU(z) = z·APA(z); with λ = κ = 1 it is SiLU. Default init 'aglu' (the paper's
 * hidden-layer init).
 * @example const act = new AGLU(); act.forward(randn([4, 16])); act.namedParameters(); // lambda, kappa
 */
export class AGLU extends ApaBase {
  constructor(options: ApaModuleOptions = {}) {
    super('aglu', options);
  }
  forward(x: Tensor): Tensor {
    return aglu(x, this.lambda, this.kappa, this.opOptions());
  }
}

/** Whether a module is an APA or AGLU layer (whose λ, κ fit records and optimizers exempt from weight decay). */
export function isApaModule(m: Module): m is APA | AGLU {
  return m instanceof ApaBase;
}
