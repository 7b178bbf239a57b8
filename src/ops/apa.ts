import type { Tensor } from '../tensor.js';
export interface ApaOptions { channelAxis?: number; lambdaParam?: 'clamp' | 'softplus' }
const todo = (): never => { throw new Error('not implemented yet'); };
export const apa = (_z: Tensor, _l: Tensor, _k: Tensor, _o: ApaOptions = {}): Tensor => todo();
export const aglu = (_z: Tensor, _l: Tensor, _k: Tensor, _o: ApaOptions = {}): Tensor => todo();
