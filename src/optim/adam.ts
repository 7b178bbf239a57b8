/** Adam and AdamW with torch.optim's semantics, bias correction and optional AMSGrad. */
import { ValueError } from '../errors.js';
import type { Buf } from '../backend/backend.js';
import { Tensor } from '../tensor.js';
import { wrap } from '../ops/util.js';
import { checkGrad, Optimizer, type BaseOptions, type ParamGroup, type ParamGroupSpec, type ParamsInput } from './optimizer.js';

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
    checkGrad(`${this.constructor.name}.step`, p, grad);
    const [beta1, beta2] = group.betas ?? [0.9, 0.999];
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const amsgrad = group.amsgrad === true;
    const bufOf = (key: string): Buf | null => (state[key] instanceof Tensor ? (state[key] as Tensor).buf : null);
    // One fused backend call (a loop on js, three or four kernels on gpujs). m and v start at zero (torch), which
    // the backend knows from the null moments of the first step.
    const out = p.backend.adamUpdate(p.buf, grad.buf, bufOf('expAvg'), bufOf('expAvgSq'), amsgrad ? bufOf('maxExpAvgSq') : null, {
      lr: group.lr,
      beta1,
      beta2,
      eps: group.eps ?? 1e-8,
      weightDecay: wd,
      decoupled: this.decoupled,
      amsgrad,
      maximize: group.maximize === true,
      step,
    });
    state.expAvg = wrap(out.m, p);
    state.expAvgSq = wrap(out.v, p);
    if (out.vmax !== null) state.maxExpAvgSq = wrap(out.vmax, p);
    return wrap(out.param, p);
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
