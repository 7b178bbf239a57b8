import type { Tensor } from '../tensor.js';
export const matmul = (_a: Tensor, _b: Tensor): Tensor => { throw new Error('not implemented yet'); };
