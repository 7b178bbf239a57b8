/**
 * aglu's `optim` namespace: SGD, Adam, AdamW with parameter groups, gradient clipping and LR schedules.
 * @example
 * import { nn, optim } from 'aglu';
 * const model = nn.mlp([2, 16, 2], { activation: 'aglu' });
 * const opt = new optim.AdamW(model, { lr: 1e-2, weightDecay: 1e-4 }); // λ, κ: no weight decay
 */
export { Optimizer, APA_PARAM_NAME } from './optimizer.js';
export type { BaseOptions, ParamsInput, ParamGroup, ParamGroupSpec } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SgdOptions } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { clipGradNorm } from './clip.js';
export type { ClipGradNormOptions } from './clip.js';
export { LRScheduler, StepLR, CosineWarmupLR } from './scheduler.js';
export type { CosineWarmupOptions } from './scheduler.js';
