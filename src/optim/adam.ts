/** Adam and AdamW with torch.optim's semantics, bias correction and optional AMSGrad. */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type BaseOptions, type ParamGroup, type ParamGroupSpec, type ParamsInput } from './optimizer.js';

export interface AdamOptions extends BaseOptions {
  /** (β1, β2), default (0.9, 0.999). */
  betas?: [number, number];
  /** Added to the denominator, default 1e-8. */
  eps?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

abstract class AdamBase extends Optimizer<AdamOptions> {
  protected abstract readonly decoupled: boolean;

  protected override validate(op: string, o: AdamOptions): void {
    super.validate(op, o);
    const [b1, b2] = o.betas ?? [0.9, 0.999];
    for (const [name, b] of [['betas[0]', b1], ['betas[1]', b2]] as const)
      if (!(b >= 0 && b < 1)) throw new ValueError(`${op}: ${name} must be in [0, 1), got ${b}`);
    const eps = o.eps ?? 1e-8;
    if (!(Number.isFinite(eps) && eps >= 0)) throw new ValueError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<AdamOptions>, wd: number, state: Record<string, Tensor | number>): Tensor {
    const [b1, b2] = group.betas ?? [0.9, 0.999];
    const eps = group.eps ?? 1e-8;
    const lr = group.lr;
    let g = group.maximize === true ? grad.neg() : grad;
    let param = p;
    if (wd !== 0) {
      if (this.decoupled) param = p.mul(1 - lr * wd);
      else g = g.add(p.mul(wd));
    }
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const m0 = state.expAvg as Tensor | undefined;
    const v0 = state.expAvgSq as Tensor | undefined;
    // torch: exp_avg.lerp_(grad, 1 − β1); exp_avg_sq.mul_(β2).addcmul_(grad, grad, 1 − β2); zero-initialised.
    const m = m0 === undefined ? g.mul(1 - b1) : m0.add(g.sub(m0).mul(1 - b1));
    const v = v0 === undefined ? g.square().mul(1 - b2) : v0.mul(b2).add(g.square().mul(1 - b2));
    state.expAvg = m;
    state.expAvgSq = v;
    let second = v;
    if (group.amsgrad === true) {
      const prevMax = state.maxExpAvgSq as Tensor | undefined;
      second = prevMax === undefined ? v : prevMax.maximum(v);
      state.maxExpAvgSq = second;
    }
    const bc1 = 1 - b1 ** step;
    const bc2Sqrt = Math.sqrt(1 - b2 ** step);
    const denom = second.sqrt().div(bc2Sqrt).add(eps);
    return param.sub(m.div(denom).mul(lr / bc1));
  }
}

/**
 * torch.optim.Adam: weight decay is an L2 term added to the gradient.
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε).
 * @example const opt = new Adam(model, { lr: 1e-3 });
 */
export class Adam extends AdamBase {
  protected readonly decoupled = false;
  constructor(params: ParamsInput | readonly ParamGroupSpec<AdamOptions>[], options: AdamOptions) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, amsgrad: false, maximize: false, weightDecay: 0, apaWeightDecay: 0, ...options });
  }
}

/**
 * torch.optim.AdamW: decoupled weight decay p ← p·(1 − lr·wd) before the Adam step; weightDecay defaults to
 * 0.01 as in PyTorch, and APA/AGLU λ, κ get apaWeightDecay (default 0) instead.
 * @example const opt = new AdamW(model, { lr: 1e-3, weightDecay: 0.05 }); // λ, κ not decayed
 */
export class AdamW extends AdamBase {
  protected readonly decoupled = true;
  constructor(params: ParamsInput | readonly ParamGroupSpec<AdamOptions>[], options: AdamOptions) {
    super(params, { betas: [0.9, 0.999], eps: 1e-8, amsgrad: false, maximize: false, weightDecay: 0.01, apaWeightDecay: 0, ...options });
  }
}
