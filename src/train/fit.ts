/**
 * The training loop: `fit` runs epochs of shuffled mini-batches through a model, steps the optimizer (and
 * scheduler), evaluates on a test set, and records the metrics history and the trajectory of every APA/AGLU λ
 * and κ. The CLI drives it; callbacks see every step and epoch.
 *
 * Memory: each training step (forward, backward, clipping, optimizer step) and each evaluation batch runs inside
 * tidy(), and each batch's tensors are disposed after its step, so live backend memory stays flat over any number
 * of steps without the event loop having to turn (fit is synchronous; the CLI runs it in a worker thread).
 */
import { noGrad } from '../autograd/tape.js';
import { tidy } from '../autograd/tidy.js';
import type { DType } from '../backend/backend.js';
import { DataLoader } from '../data/loader.js';
import { batchTensors, size, type Dataset } from '../data/dataset.js';
import { ValueError } from '../errors.js';
import { predictedClasses } from '../metrics.js';
import { isApaModule } from '../nn/activations.js';
import type { Module } from '../nn/module.js';
import { crossEntropy } from '../ops/loss.js';
import { clipGradNorm } from '../optim/clip.js';
import type { BaseOptions, Optimizer } from '../optim/optimizer.js';
import type { LRScheduler } from '../optim/scheduler.js';
import type { Tensor } from '../tensor.js';

/** A loss from the model's output and the batch's targets to a one-element tensor. */
export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface StepInfo {
  /** 0-based epoch. */
  epoch: number;
  /** Batch index within the epoch. */
  batch: number;
  /** Optimizer steps taken so far, this one included. */
  step: number;
  loss: number;
  /** The first group's learning rate used for this step. */
  lr: number;
  /** Total gradient norm before clipping (only when clipGradNorm is set). */
  gradNorm?: number;
}

export interface EpochInfo {
  /** 0-based epoch. */
  epoch: number;
  /** Mean training loss over the epoch's samples. */
  loss: number;
  /** Accuracy on the training batches as they were seen during the epoch (training mode). */
  trainAccuracy: number;
  /** Test-set loss and accuracy in eval mode (when a test set was given). */
  testLoss?: number;
  testAccuracy?: number;
  /** The first group's learning rate during this epoch's last step. */
  lr: number;
  /** Current values of every APA/AGLU λ and κ (see History.trajectory). */
  apaParams: Record<string, number[]>;
}

export interface FitOptions {
  train: Dataset;
  /** Evaluated after every epoch (eval mode, no grad). */
  test?: Dataset;
  optimizer: Optimizer<BaseOptions>;
  epochs: number;
  /** Default crossEntropy (logits against class indices). */
  lossFn?: LossFn;
  /** Training batch size (default 32). */
  batchSize?: number;
  /** Batch size for evaluation (default 1024); it does not change the results. */
  evalBatchSize?: number;
  /** Seed of the shuffling; the model's init and dropout masks follow manualSeed. Default: drawn from manualSeed's stream. */
  seed?: number;
  /** Drop the last incomplete training batch (default false). */
  dropLast?: boolean;
  scheduler?: LRScheduler;
  /** When scheduler.step() runs: after each 'epoch' (default) or each optimizer 'step'. */
  schedulerInterval?: 'epoch' | 'step';
  /** Clip the total gradient norm to this value before each step. */
  clipGradNorm?: number;
  /** dtype of the batches; default the dtype of the model's first parameter. */
  dtype?: DType;
  callbacks?: {
    onStep?: (info: StepInfo) => void;
    /** Return false to stop training after this epoch (early stopping). */
    onEpoch?: (info: EpochInfo) => void | boolean;
  };
}

export interface History {
  /** Per epoch, index e = epoch e. */
  loss: number[];
  trainAccuracy: number[];
  testLoss: number[];
  testAccuracy: number[];
  lr: number[];
  /**
   * λ and κ of every APA/AGLU module by parameter name (`1.lambda`, `1.kappa`, …): entry 0 holds the values before
   * training, entry e + 1 those after epoch e. λ is the value the activation uses (softplus(ρ) in 'softplus' mode).
   */
  trajectory: Record<string, number[][]>;
  /** Epochs actually run (fewer than asked when a callback stopped training). */
  epochs: number;
}

/** Current λ and κ of every APA/AGLU module, keyed by dotted parameter name. */
export function apaParameterValues(model: Module): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const [name, m] of model.namedModules())
    if (isApaModule(m)) {
      const prefix = name === '' ? '' : `${name}.`;
      out[`${prefix}lambda`] = m.lambdaValue();
      out[`${prefix}kappa`] = m.kappaValue();
    }
  return out;
}

export interface EvaluateResult {
  loss: number;
  accuracy: number;
  /** Predicted class of every sample, in dataset order. */
  predictions: number[];
}

/**
 * Loss and accuracy of a model on a dataset, in eval mode without grad (the model's mode is restored after).
 * @example const { accuracy } = evaluate(model, test);
 */
export function evaluate(
  model: Module,
  dataset: Dataset,
  options: { lossFn?: LossFn; batchSize?: number; dtype?: DType } = {},
): EvaluateResult {
  const lossFn = options.lossFn ?? ((o: Tensor, y: Tensor) => crossEntropy(o, y));
  const batchSize = options.batchSize ?? 1024;
  const dtype = options.dtype ?? model.parameters()[0]?.dtype ?? 'float32';
  const n = size(dataset);
  if (n === 0) throw new ValueError(`evaluate: dataset '${dataset.name}' is empty`);
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => {
      let lossSum = 0, correct = 0;
      const predictions: number[] = [];
      for (let s = 0; s < n; s += batchSize) {
        const idx = Array.from({ length: Math.min(batchSize, n - s) }, (_, k) => s + k);
        const { loss, pred } = tidy(() => {
          const { x, y } = batchTensors(dataset, idx, { dtype });
          const out = model.forward(x);
          return { loss: lossFn(out, y).item(), pred: predictedClasses(out, 'evaluate') };
        });
        lossSum += loss * idx.length;
        pred.forEach((p, k) => {
          predictions.push(p);
          if (p === dataset.y[idx[k]]) correct++;
        });
      }
      return { loss: lossSum / n, accuracy: correct / n, predictions };
    });
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Trains `model` for `epochs` epochs and returns the history. With manualSeed(s) before building the model and a
 * fixed `seed`, two runs on the same backend give bitwise identical histories.
 * @example
 * manualSeed(0);
 * const model = nn.mlp([2, 16, 2], { activation: 'aglu' });
 * const history = fit(model, { train, test, optimizer: new optim.Adam(model, { lr: 0.01 }), epochs: 20, seed: 0 });
 * history.testAccuracy.at(-1); history.trajectory['1.lambda'];
 */
export function fit(model: Module, options: FitOptions): History {
  const { train, test, optimizer, epochs, scheduler } = options;
  if (!Number.isInteger(epochs) || epochs < 0) throw new ValueError(`fit: epochs must be an integer ≥ 0, got ${epochs}`);
  if (size(train) === 0) throw new ValueError(`fit: the training set '${train.name}' is empty`);
  const interval = options.schedulerInterval ?? 'epoch';
  if (interval !== 'epoch' && interval !== 'step') throw new ValueError(`fit: schedulerInterval must be 'epoch' or 'step', got '${String(interval)}'`);
  const lossFn = options.lossFn ?? ((o: Tensor, y: Tensor) => crossEntropy(o, y));
  const dtype = options.dtype ?? model.parameters()[0]?.dtype ?? 'float32';
  const loader = new DataLoader(train, {
    batchSize: options.batchSize ?? 32,
    shuffle: true,
    seed: options.seed,
    dropLast: options.dropLast ?? false,
    dtype,
  });
  if (loader.length === 0) throw new ValueError(`fit: dropLast with batch size ${loader.batchSize} leaves no batch of the ${size(train)} samples`);

  const history: History = { loss: [], trainAccuracy: [], testLoss: [], testAccuracy: [], lr: [], trajectory: {}, epochs: 0 };
  const record = (values: Record<string, number[]>): void => {
    for (const [k, v] of Object.entries(values)) (history.trajectory[k] ??= []).push(v);
  };
  record(apaParameterValues(model));

  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    model.train();
    let lossSum = 0, seen = 0, correct = 0, lr = optimizer.paramGroups[0].lr;
    let batch = 0;
    for (const { x, y } of loader) {
      // Everything the step creates is released when it ends; gradients stay in .grad until the next zeroGrad().
      let r: { lossValue: number; gradNorm: number | undefined; hits: number };
      try {
        r = tidy(() => {
          optimizer.zeroGrad();
          const out = model.forward(x);
          const loss = lossFn(out, y);
          loss.backward();
          const gradNorm = options.clipGradNorm === undefined ? undefined : clipGradNorm(optimizer.parameters(), options.clipGradNorm);
          lr = optimizer.paramGroups[0].lr;
          optimizer.step();
          const labels = y.toTypedArray();
          let hits = 0;
          predictedClasses(out.detach(), 'fit').forEach((p, k) => {
            if (p === labels[k]) hits++;
          });
          return { lossValue: loss.item(), gradNorm, hits };
        });
      } finally {
        x.dispose();
        y.dispose();
      }
      const { lossValue, gradNorm } = r;
      step++;
      const b = y.size;
      lossSum += lossValue * b;
      seen += b;
      correct += r.hits;
      options.callbacks?.onStep?.({ epoch, batch, step, loss: lossValue, lr, ...(gradNorm === undefined ? {} : { gradNorm }) });
      if (scheduler !== undefined && interval === 'step') scheduler.step();
      batch++;
    }
    if (scheduler !== undefined && interval === 'epoch') scheduler.step();
    const info: EpochInfo = { epoch, loss: lossSum / seen, trainAccuracy: correct / seen, lr, apaParams: apaParameterValues(model) };
    if (test !== undefined) {
      const ev = evaluate(model, test, { lossFn, batchSize: options.evalBatchSize, dtype });
      info.testLoss = ev.loss;
      info.testAccuracy = ev.accuracy;
      history.testLoss.push(ev.loss);
      history.testAccuracy.push(ev.accuracy);
    }
    history.loss.push(info.loss);
    history.trainAccuracy.push(info.trainAccuracy);
    history.lr.push(lr);
    record(info.apaParams);
    history.epochs = epoch + 1;
    if (options.callbacks?.onEpoch?.(info) === false) break;
  }
  model.train();
  return history;
}
