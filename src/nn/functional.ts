/**
 * The functional forms of the layers and losses, under the names a PyTorch user looks for in
 * torch.nn.functional: `nn.functional.crossEntropy(logits, y)`, `nn.functional.aglu(z, λ, κ)`, …
 */
export { relu, leakyRelu, sigmoid, tanh, softplus, gelu, silu } from '../ops/activations.js';
export { apa, aglu } from '../ops/apa.js';
export { softmax, logSoftmax } from '../ops/softmax.js';
export { crossEntropy, mse, binaryCrossEntropyWithLogits } from '../ops/loss.js';
export type { CrossEntropyOptions, BceWithLogitsOptions, Reduction } from '../ops/loss.js';
export { apaBinaryCrossEntropy, gumbelBinaryCrossEntropy } from '../ops/apa-loss.js';
