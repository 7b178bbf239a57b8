/**
 * Learning-rate schedules. Each is a closed form lr(t) of the step counter t, written into every parameter
 * group's `lr`; call `step()` once per epoch or once per batch, whichever t is meant to count.
 */
import { ValueError } from '../errors.js';
import type { BaseOptions, Optimizer } from './optimizer.js';

export abstract class LRScheduler {
  /** How many times step() was called. */
  lastEpoch = 0;
  /** Each group's lr when the scheduler was created. */
  readonly baseLrs: number[];

  constructor(readonly optimizer: Optimizer<BaseOptions>) {
    this.baseLrs = optimizer.paramGroups.map((g) => g.lr);
  }

  /** lr at step t for a group whose base lr is `base`. */
  protected abstract lrAt(base: number, t: number): number;

  /** Sets every group's lr for step t = lastEpoch (call from the subclass constructor for t = 0). */
  protected apply(): void {
    this.optimizer.paramGroups.forEach((g, i) => (g.lr = this.lrAt(this.baseLrs[i], this.lastEpoch)));
  }

  /** Advances the schedule by one. */
  step(): void {
    this.lastEpoch++;
    this.apply();
  }

  /** The learning rates in effect now, one per group. */
  getLastLr(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/**
 * Multiplies the lr by gamma every stepSize steps (torch.optim.lr_scheduler.StepLR): lr = base·γ^⌊t/stepSize⌋.
 * @example const sched = new StepLR(opt, { stepSize: 10, gamma: 0.5 }); // per epoch: sched.step()
 */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(optimizer: Optimizer<BaseOptions>, options: { stepSize: number; gamma?: number }) {
    super(optimizer);
    if (!Number.isInteger(options.stepSize) || options.stepSize < 1)
      throw new ValueError(`StepLR: stepSize must be a positive integer, got ${options.stepSize}`);
    this.stepSize = options.stepSize;
    this.gamma = options.gamma ?? 0.1;
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    return base * this.gamma ** Math.floor(t / this.stepSize);
  }
}

export interface CosineWarmupOptions {
  /** Length of the whole schedule in steps; after it the lr stays at minLr. */
  totalSteps: number;
  /** Linear warm-up steps from warmupStartFactor·base to base (default 0: no warm-up). */
  warmupSteps?: number;
  /** The factor of the base lr at t = 0 (default 0). */
  warmupStartFactor?: number;
  /** The floor the cosine decays to (default 0). */
  minLr?: number;
}

/**
 * Linear warm-up, then cosine decay: for t < W, lr = base·(s + (1 − s)·t/W); then
 * lr = minLr + (base − minLr)·(1 + cos(π·(t − W)/(T − W)))/2, and minLr from t = T on. With W = 0 it is
 * torch's CosineAnnealingLR (closed form).
 * @example const sched = new CosineWarmupLR(opt, { warmupSteps: 100, totalSteps: 2000 }); // sched.step() per batch
 */
export class CosineWarmupLR extends LRScheduler {
  readonly totalSteps: number;
  readonly warmupSteps: number;
  readonly warmupStartFactor: number;
  readonly minLr: number;
  constructor(optimizer: Optimizer<BaseOptions>, options: CosineWarmupOptions) {
    super(optimizer);
    const { totalSteps, warmupSteps = 0, warmupStartFactor = 0, minLr = 0 } = options;
    if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new ValueError(`CosineWarmupLR: totalSteps must be a positive integer, got ${totalSteps}`);
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps > totalSteps)
      throw new ValueError(`CosineWarmupLR: warmupSteps must be an integer in 0..totalSteps (${totalSteps}), got ${warmupSteps}`);
    if (!(warmupStartFactor >= 0 && warmupStartFactor <= 1))
      throw new ValueError(`CosineWarmupLR: warmupStartFactor must be in [0, 1], got ${warmupStartFactor}`);
    if (!(minLr >= 0)) throw new ValueError(`CosineWarmupLR: minLr must be ≥ 0, got ${minLr}`);
    this.totalSteps = totalSteps;
    this.warmupSteps = warmupSteps;
    this.warmupStartFactor = warmupStartFactor;
    this.minLr = minLr;
    this.apply();
  }
  protected lrAt(base: number, t: number): number {
    const W = this.warmupSteps, T = this.totalSteps;
    if (t < W) return base * (this.warmupStartFactor + ((1 - this.warmupStartFactor) * t) / W);
    if (t >= T) return this.minLr;
    return this.minLr + ((base - this.minLr) * (1 + Math.cos((Math.PI * (t - W)) / (T - W)))) / 2;
  }
}
