/**
 * aglu's `nn` namespace: modules, the mlp builder, inits and the functional forms.
 * @example
 * import { nn } from 'aglu';
 * const net = nn.mlp([2, 16, 2], { activation: 'aglu' });
 * const loss = nn.functional.crossEntropy(net.forward(x), y);
 */
export { Module } from './module.js';
export type { StateDict, LoadStateDictOptions, ParamOptions } from './module.js';
export { Linear, Dropout, LayerNorm } from './layers.js';
export type { LinearOptions, LayerNormOptions } from './layers.js';
export { ReLU, LeakyReLU, GELU, SiLU, Sigmoid, Tanh, Softplus, Identity, APA, AGLU, isApaModule, isApaParameter } from './activations.js';
export type { ApaInit, ApaModuleOptions } from './activations.js';
export { Sequential, mlp, activationModule } from './sequential.js';
export type { ActivationName, MlpOptions } from './sequential.js';
export * as init from './init.js';
export * as functional from './functional.js';
