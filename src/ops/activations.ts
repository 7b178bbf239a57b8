import type { Tensor } from '../tensor.js';
export interface SoftplusOptions { beta?: number; threshold?: number }
export interface GeluOptions { approximate?: 'none' | 'tanh' }
const todo = (): never => { throw new Error('not implemented yet'); };
export const relu = (_x: Tensor): Tensor => todo();
export const leakyRelu = (_x: Tensor, _negativeSlope = 0.01): Tensor => todo();
export const sigmoid = (_x: Tensor): Tensor => todo();
export const tanh = (_x: Tensor): Tensor => todo();
export const softplus = (_x: Tensor, _o: SoftplusOptions = {}): Tensor => todo();
export const gelu = (_x: Tensor, _o: GeluOptions = {}): Tensor => todo();
export const silu = (_x: Tensor): Tensor => todo();
