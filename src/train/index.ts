/** The training loop helper and evaluation. */
export { fit, evaluate, apaParameterValues } from './fit.js';
export type { FitOptions, History, EpochInfo, StepInfo, LossFn, EvaluateResult } from './fit.js';
