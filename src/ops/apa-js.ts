import type { ApaKernelOptions, TypedArray } from '../backend/backend.js';
import type { Shape } from '../shape.js';
export function apaForwardJs(_z: TypedArray, _shape: Shape, _l: TypedArray, _k: TypedArray, _o: ApaKernelOptions, _out: TypedArray): void {
  throw new Error('not implemented yet');
}
export function apaBackwardJs(_z: TypedArray, _shape: Shape, _l: TypedArray, _k: TypedArray, _g: TypedArray, _o: ApaKernelOptions, _dz: TypedArray, _dl: TypedArray, _dk: TypedArray): void {
  throw new Error('not implemented yet');
}
