/** Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD). */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { wrap } from '../ops/util.js';
import { checkGrad, Optimizer, type BaseOptions, type ParamGroup, type ParamGroupSpec, type ParamsInput } from './optimizer.js';

export interface SgdOptions extends BaseOptions {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  /** Ascend instead of descend. */
  maximize?: boolean;
}

/**
 * torch.optim.SGD: g ← ∇ + wd·p; with momentum b ← μ·b + (1 − dampening)·g (b ← g on the first step), then
 * g ← g + μ·b (Nesterov) or g ← b; finally p ← p − lr·g.
 * @example const opt = new SGD(model, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 5e-4 });
 */
export class SGD extends Optimizer<SgdOptions> {
  constructor(params: ParamsInput | readonly ParamGroupSpec<SgdOptions>[], options: SgdOptions) {
    super(params, { momentum: 0, dampening: 0, nesterov: false, maximize: false, weightDecay: 0, apaWeightDecay: 0, ...options });
  }

  protected override validate(op: string, o: SgdOptions): void {
    super.validate(op, o);
    const m = o.momentum ?? 0;
    if (!(Number.isFinite(m) && m >= 0)) throw new ValueError(`${op}: momentum must be a finite number ≥ 0, got ${m}`);
    if (o.nesterov === true && (m <= 0 || (o.dampening ?? 0) !== 0))
      throw new ValueError(`${op}: Nesterov momentum needs momentum > 0 and dampening 0 (got momentum ${m}, dampening ${o.dampening ?? 0})`);
  }

  protected update(p: Tensor, grad: Tensor, group: ParamGroup<SgdOptions>, wd: number, state: Record<string, Tensor | number>): Tensor {
    checkGrad('SGD.step', p, grad);
    const mu = group.momentum ?? 0;
    const prev = state.momentumBuffer as Tensor | undefined;
    // One fused backend call (a loop on js, two kernels on gpujs) in place of the op chain of the doc comment.
    const out = p.backend.sgdUpdate(p.buf, grad.buf, mu !== 0 && prev !== undefined ? prev.buf : null, {
      lr: group.lr,
      momentum: mu,
      dampening: group.dampening ?? 0,
      nesterov: group.nesterov === true,
      weightDecay: wd,
      maximize: group.maximize === true,
    });
    if (out.momentumBuf !== null) state.momentumBuffer = wrap(out.momentumBuf, p);
    return wrap(out.param, p);
  }
}
