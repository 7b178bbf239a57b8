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
export { tidy, keep } from './autograd/tidy.js';
export { gradcheck, GradcheckError } from './autograd/gradcheck.js';
export type { GradcheckOptions, GradcheckReport } from './autograd/gradcheck.js';
export { setBackend, getBackend, memory } from './backend/current.js';
export type { BackendName, BackendOptions } from './backend/current.js';
export * from './errors.js';
export { add, sub, mul, div, neg, pow, exp, log, log1p, sqrt, abs, square, maximum, minimum, clamp, eq, ne, lt, le, gt, ge, where } from './ops/elementwise.js';
export { relu, leakyRelu, sigmoid, tanh, softplus, gelu, silu } from './ops/activations.js';
export type { SoftplusOptions, GeluOptions } from './ops/activations.js';
export { sum, mean, max, min, logsumexp, variance, argmax } from './ops/reduce.js';
export { reshape, permute, transpose, expand, broadcastTo, squeeze, unsqueeze, concat, stack, slice, indexSelect, gather, oneHot } from './ops/shape.js';
export { matmul } from './ops/matmul.js';
export { softmax, logSoftmax } from './ops/softmax.js';
export { apa, aglu } from './ops/apa.js';
export type { ApaOptions } from './ops/apa.js';
export * as data from './data/index.js';
export type { Dataset, Split, Batch } from './data/index.js';
export { accuracy, perClassAccuracy, confusionMatrix, shotAccuracy, shotGroups, predictedClasses } from './metrics.js';
export type { Predictions, Labels, ShotThresholds, ShotOptions, ShotGroups, ShotAccuracy } from './metrics.js';
export { apaBinaryCrossEntropy, gumbelBinaryCrossEntropy } from './ops/apa-loss.js';
export type { ApaLossOptions, GumbelLossOptions, LossReduction } from './ops/apa-loss.js';
export { crossEntropy, mse, binaryCrossEntropyWithLogits } from './ops/loss.js';
export type { CrossEntropyOptions, BceWithLogitsOptions, Reduction } from './ops/loss.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export { fit, evaluate, apaParameterValues } from './train/index.js';
export type { FitOptions, History, EpochInfo, StepInfo, LossFn, EvaluateResult } from './train/index.js';
export { save, load, saveSync, loadSync, readMetadata, encodeSafetensors, decodeSafetensors, encodeJson, decodeJson, CheckpointError } from './checkpoint.js';
export type { CheckpointFormat, SaveOptions, LoadOptions, Checkpoint } from './checkpoint.js';
