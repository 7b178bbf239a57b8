/**
 * One training run as the CLI understands it: data, model, optimizer, schedule and loss built from a TrainConfig,
 * trained with the library's `fit`, evaluated, and packed into a TrainResult. Runs inside the training worker so
 * that the main thread stays free for the progress bar and for Ctrl-C (fit is synchronous).
 *
 * Interruption: `shouldStop` is polled after every step. A stop during an epoch abandons that epoch (the model is
 * rolled back to the snapshot of the last completed one); a stop during the epoch's evaluation finishes it.
 */
import {
  apaBinaryCrossEntropy, crossEntropy, data, decodeSafetensors, encodeSafetensors, evaluate, fit, gumbelBinaryCrossEntropy,
  isGradEnabled, manualSeed, nn, noGrad, optim, perClassAccuracy, predictedClasses, shotAccuracy, softmax, tensor, tidy,
  type Dataset, type LossFn, type Split, type Tensor,
} from '../index.js';
import { useBackend } from './backends.js';
import type {
  ActivationParams, DataSummary, DecisionGrid, EpochRecord, FinalMetrics, TrainConfig, TrainResult, WorkerEvent,
} from './train-types.js';

/** Thrown from the step callback to leave `fit` mid-epoch. */
class Interrupted extends Error {}

/** Defaults of the generated datasets, chosen so that an MLP has something to learn but can reach ~95–100%. */
const SYNTHETIC = {
  moons: { noise: 0.15 },
  circles: { noise: 0.08 },
  spirals: { noise: 0.04 },
  blobs: { noise: 2 },
} as const;

export interface LoadedData {
  split: Split;
  trainCounts: number[];
  testCounts: number[];
  longTailed: boolean;
}

/** Builds the train/test split a config asks for (standardised except MNIST, whose pixels are already in [0, 1]). */
export function loadData(c: TrainConfig, dataSeed = c.seed): LoadedData {
  let split: Split;
  if (c.dataset === 'mnist') {
    split = data.mnist();
    if (c.samples !== undefined && c.samples < data.size(split.train))
      // The package's train order interleaves the digits, so a prefix holds every class.
      split = { train: data.subset(split.train, Array.from({ length: c.samples }, (_, i) => i)), test: split.test };
  } else {
    let ds: Dataset;
    const n = c.samples ?? 1000;
    if (c.dataset === 'iris') ds = data.iris();
    else if (c.dataset === 'moons') ds = data.moons({ n, noise: c.noise ?? SYNTHETIC.moons.noise, seed: dataSeed });
    else if (c.dataset === 'circles') ds = data.circles({ n, noise: c.noise ?? SYNTHETIC.circles.noise, factor: 0.5, seed: dataSeed });
    else if (c.dataset === 'spirals') ds = data.spirals({ n, noise: c.noise ?? SYNTHETIC.spirals.noise, arms: 3, seed: dataSeed });
    else ds = data.blobs({ n, centers: 4, clusterStd: c.noise ?? SYNTHETIC.blobs.noise, seed: dataSeed });
    split = data.standardize(data.trainTestSplit(ds, { testSize: 0.25, stratify: true, seed: dataSeed }));
    split = { train: split.train, test: split.test };
  }
  if (c.imbalance !== undefined) {
    const lt = data.longTailed(split, { imbalanceRatio: c.imbalance, seed: dataSeed });
    return { split: { train: lt.train, test: lt.test }, trainCounts: lt.trainCounts, testCounts: lt.testCounts, longTailed: true };
  }
  return { split, trainCounts: data.classCounts(split.train), testCounts: data.classCounts(split.test), longTailed: false };
}

/** The MLP of a config: inputs → hidden widths (activation after each) → classes. */
export function buildModel(c: TrainConfig, numFeatures: number, numClasses: number): nn.Sequential {
  return nn.mlp([numFeatures, ...c.hidden, numClasses], {
    activation: c.act === 'leaky-relu' ? 'leaky_relu' : c.act,
    apa: { perChannel: c.actParams === 'channel' },
  });
}

/** Loss function and its learnable parameters (APA-BCE learns one λ, κ of the output link, starting at the logistic). */
function buildLoss(c: TrainConfig): { fn: LossFn; params: [string, Tensor][] } {
  if (c.loss === 'apa-bce') {
    const lam = tensor([1], { requiresGrad: true }), kap = tensor([1], { requiresGrad: true });
    return { fn: (o, y) => apaBinaryCrossEntropy(o, y, lam, kap), params: [['loss.lambda', lam], ['loss.kappa', kap]] };
  }
  if (c.loss === 'gumbel-bce') return { fn: (o, y) => gumbelBinaryCrossEntropy(o, y), params: [] };
  return { fn: (o, y) => crossEntropy(o, y), params: [] };
}

function buildOptimizer(c: TrainConfig, params: [string, Tensor][]): optim.Optimizer<optim.BaseOptions> {
  const base = { lr: c.lr, weightDecay: c.weightDecay };
  if (c.optimizer === 'sgd') return new optim.SGD(params, { ...base, momentum: 0.9 });
  if (c.optimizer === 'adam') return new optim.Adam(params, base);
  return new optim.AdamW(params, base);
}

/** λ, κ of every APA/AGLU layer of the model. */
export function activationParams(model: nn.Module): ActivationParams[] {
  const out: ActivationParams[] = [];
  for (const [name, m] of model.namedModules())
    if (nn.isApaModule(m)) out.push({ layer: name, kind: m instanceof nn.AGLU ? 'aglu' : 'apa', lambda: m.lambdaValue(), kappa: m.kappaValue() });
  return out;
}

/** Predicted class and its softmax probability on a grid over the plane the 2-D points lie in. */
export function decisionGrid(model: nn.Module, split: Split, steps = 80): DecisionGrid {
  const all = [split.train.x, split.test.x];
  let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
  for (const xs of all)
    for (let i = 0; i < xs.length; i += 2) {
      x0 = Math.min(x0, xs[i]); x1 = Math.max(x1, xs[i]);
      y0 = Math.min(y0, xs[i + 1]); y1 = Math.max(y1, xs[i + 1]);
    }
  const padX = 0.08 * (x1 - x0) + 1e-6, padY = 0.08 * (y1 - y0) + 1e-6;
  const axis = (a: number, b: number): number[] => Array.from({ length: steps }, (_, i) => a + ((b - a) * i) / (steps - 1));
  const xs = axis(x0 - padX, x1 + padX), ys = axis(y0 - padY, y1 + padY);
  const flat: number[] = [];
  for (const y of ys) for (const x of xs) flat.push(x, y);
  const wasTraining = model.training;
  model.eval();
  const probs = noGrad(() => softmax(model.forward(tensor(flat).reshape([steps * steps, 2])), -1));
  model.train(wasTraining);
  const p = probs.toTypedArray(), k = probs.shape[1];
  const predicted: number[] = [], confidence: number[] = [];
  for (let i = 0; i < steps * steps; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
    predicted.push(best);
    confidence.push(p[i * k + best]);
  }
  const t = split.test;
  const points = Array.from({ length: t.y.length }, (_, i) => ({ x: t.x[2 * i], y: t.x[2 * i + 1], label: t.y[i] }));
  return { xs, ys, predicted, confidence, points };
}

const nullIfNaN = (v: number): number | null => (Number.isNaN(v) ? null : v);

/**
 * Trains as `c` says, reporting through `emit`; `shouldStop` is polled after every step.
 * @example runTraining(config, (e) => console.log(e.type), () => false).final.testAccuracy
 */
export function runTraining(c: TrainConfig, emit: (e: WorkerEvent) => void, shouldStop: () => boolean): TrainResult {
  const t0 = performance.now();
  const backend = useBackend(c.backend, 'train');
  const loaded = loadData(c, c.dataSeed ?? c.seed);
  const { train, test } = loaded.split;
  const summary: DataSummary = {
    name: c.dataset + (c.imbalance === undefined ? '' : ` (long-tailed, ρ = ${c.imbalance})`), numFeatures: train.numFeatures, numClasses: train.numClasses, classNames: train.classNames,
    trainSize: data.size(train), testSize: data.size(test), trainCounts: loaded.trainCounts, testCounts: loaded.testCounts,
  };
  manualSeed(c.seed);
  const model = buildModel(c, train.numFeatures, train.numClasses);
  const loss = buildLoss(c);
  const params: [string, Tensor][] = [...model.namedParameters(), ...loss.params];
  const optimizer = buildOptimizer(c, params);
  const stepsPerEpoch = Math.ceil(data.size(train) / c.batchSize);
  const scheduler = c.schedule === 'cosine'
    ? new optim.CosineWarmupLR(optimizer, { totalSteps: c.epochs * stepsPerEpoch, minLr: c.lr * 0.01 })
    : c.schedule === 'step' ? new optim.StepLR(optimizer, { stepSize: Math.max(1, Math.round(c.epochs / 3)), gamma: 0.3 }) : undefined;
  const parameterCount = params.reduce((n, [, p]) => n + p.size, 0);
  emit({ type: 'start', data: summary, backend, stepsPerEpoch, parameterCount });

  const stateOf = (): Record<string, Tensor> => Object.fromEntries(params.map(([n, p]) => [n, p.detach()]));
  const metadata = { format: 'aglu', config: JSON.stringify(c) };
  let snapshot = encodeSafetensors(stateOf(), { ...metadata, epochs: '0' });
  const history: EpochRecord[] = [];
  const trajectory: Record<string, number[][]> = {};
  const track = (values: Record<string, number[]>): void => {
    for (const [k, v] of Object.entries(values)) (trajectory[k] ??= []).push(v);
  };
  track(Object.fromEntries(activationParams(model).flatMap((a) => [[`${a.layer}.lambda`, a.lambda], [`${a.layer}.kappa`, a.kappa]])));
  if (loss.params.length > 0) track(Object.fromEntries(loss.params.map(([n, p]) => [n, Array.from(p.toTypedArray())])));

  // Live training accuracy: the loss sees every training batch's logits (grad enabled; evaluation runs without).
  let correct = 0, seen = 0, lossSum = 0, lastBatch = 0, lastEmit = 0, epochStart = performance.now(), stepsThisEpoch = 0;
  const lossFn: LossFn = (out, y) => {
    if (isGradEnabled()) {
      const labels = y.toTypedArray();
      predictedClasses(out.detach()).forEach((p, i) => { if (p === labels[i]) correct++; });
      seen += labels.length;
      lastBatch = labels.length;
    }
    return loss.fn(out, y);
  };
  let status: 'completed' | 'interrupted' = 'completed';
  try {
    fit(model, {
      train, test, optimizer, epochs: c.epochs, lossFn, batchSize: c.batchSize, seed: c.seed, scheduler,
      schedulerInterval: c.schedule === 'cosine' ? 'step' : 'epoch',
      callbacks: {
        onStep: (s) => {
          // The running mean over the epoch, so the live number ends where the epoch's mean loss does.
          lossSum += s.loss * lastBatch;
          stepsThisEpoch++;
          const now = performance.now();
          if (now - lastEmit > 80) {
            lastEmit = now;
            emit({ type: 'step', epoch: s.epoch + 1, batch: s.batch + 1, loss: seen === 0 ? s.loss : lossSum / seen, accuracy: seen === 0 ? 0 : correct / seen });
          }
          if (shouldStop()) throw new Interrupted();
        },
        onEpoch: (e) => {
          const now = performance.now();
          const record: EpochRecord = {
            epoch: e.epoch + 1, loss: e.loss, trainAccuracy: e.trainAccuracy, testLoss: e.testLoss ?? NaN,
            testAccuracy: e.testAccuracy ?? NaN, lr: e.lr, seconds: (now - epochStart) / 1000, steps: stepsThisEpoch,
          };
          history.push(record);
          const apa: Record<string, number[]> = { ...e.apaParams };
          for (const [n, p] of loss.params) apa[n] = Array.from(p.toTypedArray());
          track(apa);
          // tidy: the detached views would otherwise hold each epoch's parameter memory until a GC (fit is synchronous).
          snapshot = tidy(() => encodeSafetensors(stateOf(), { ...metadata, epochs: String(record.epoch) }));
          emit({ type: 'epoch', record, apaParams: apa });
          correct = 0; seen = 0; lossSum = 0; stepsThisEpoch = 0; epochStart = performance.now();
          if (shouldStop()) {
            status = record.epoch < c.epochs ? 'interrupted' : 'completed';
            return false;
          }
          return undefined;
        },
      },
    });
  } catch (e) {
    if (!(e instanceof Interrupted)) throw e;
    status = 'interrupted';
  }
  if (status === 'interrupted') {
    // Back to the last completed epoch: what the checkpoint, the metrics and the plots describe.
    const saved = decodeSafetensors(snapshot).tensors;
    model.loadStateDict(Object.fromEntries(model.namedParameters().map(([n]) => [n, saved[n]])));
    noGrad(() => {
      for (const [n, p] of loss.params) p.assign_(tensor(Array.from(saved[n].toTypedArray()), { dtype: p.dtype }));
    });
  }
  const evTest = evaluate(model, test, { lossFn });
  const evTrain = evaluate(model, train, { lossFn });
  const final: FinalMetrics = {
    testAccuracy: evTest.accuracy, testLoss: evTest.loss, trainAccuracy: evTrain.accuracy,
    perClassAccuracy: perClassAccuracy(evTest.predictions, test.y, test.numClasses),
  };
  if (loaded.longTailed) {
    const s = shotAccuracy(evTest.predictions, test.y, loaded.trainCounts, { thresholds: 'scaled' });
    final.shot = { many: nullIfNaN(s.many), medium: nullIfNaN(s.medium), few: nullIfNaN(s.few), thresholds: s.groups.thresholds };
  }
  return {
    status, epochsCompleted: history.length, backend, data: summary, parameterCount, history, trajectory,
    activations: activationParams(model), final,
    decisionGrid: train.numFeatures === 2 ? decisionGrid(model, loaded.split) : undefined,
    checkpoint: snapshot, seconds: (performance.now() - t0) / 1000,
  };
}
