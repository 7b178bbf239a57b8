import type { Tensor } from '../tensor.js';
const todo = (): never => { throw new Error('not implemented yet'); };
export const softmax = (_x: Tensor, _axis = -1): Tensor => todo();
export const logSoftmax = (_x: Tensor, _axis = -1): Tensor => todo();
