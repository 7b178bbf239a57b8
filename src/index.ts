/**
 * aglu — reverse-mode autodiff on GPU.js with the Adaptive Parametric Activation as a first-class fused op.
 * @example
 * import { tensor, aglu } from 'aglu';
 * const z = tensor([[0.5, -1]], { requiresGrad: true });
 * aglu(z, tensor([0.7]), tensor([1.3])).sum().backward();
 */
export { Tensor, tensor, zeros, ones, full, arange, linspace, rand, randn } from './tensor.js';
export type { TensorOptions, NestedArray, DType } from './tensor.js';
export { manualSeed } from './random.js';
export { noGrad, setAnomalyDetection, isGradEnabled } from './autograd/tape.js';
export { setBackend, getBackend } from './backend/current.js';
export type { BackendName, BackendOptions } from './backend/current.js';
export * from './errors.js';
export { add, sub, mul, div, neg, pow, exp, log, log1p, sqrt, abs, square, maximum, minimum, clamp, eq, ne, lt, le, gt, ge, where } from './ops/elementwise.js';
export { relu, leakyRelu, sigmoid, tanh, softplus, gelu, silu } from './ops/activations.js';
export type { SoftplusOptions, GeluOptions } from './ops/activations.js';
export { sum, mean, max, min, logsumexp, variance, argmax } from './ops/reduce.js';
export { reshape, permute, transpose, expand, squeeze, unsqueeze, concat, stack, slice, indexSelect, gather, oneHot } from './ops/shape.js';
export { matmul } from './ops/matmul.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { apa, aglu } from './ops/apa.js';
export type { ApaOptions } from './ops/apa.js';
