/** Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (torch.optim.SGD). */
import { ValueError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { Optimizer, type BaseOptions, type ParamGroup, type ParamGroupSpec, type ParamsInput } from './optimizer.js';

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
    let g = wd !== 0 ? grad.add(p.mul(wd)) : grad;
    const mu = group.momentum ?? 0;
    if (mu !== 0) {
      const prev = state.momentumBuffer as Tensor | undefined;
      const buf = prev === undefined ? g.clone() : prev.mul(mu).add(g.mul(1 - (group.dampening ?? 0)));
      state.momentumBuffer = buf;
      g = group.nesterov === true ? g.add(buf.mul(mu)) : buf;
    }
    return group.maximize === true ? p.add(g.mul(group.lr)) : p.sub(g.mul(group.lr));
  }
}
