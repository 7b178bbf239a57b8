/**
 * What travels between the CLI's main thread (progress, signals, files) and the training worker (the library's
 * `fit`): the run's configuration, the events while it trains and the result. All plain data (structured clone).
 */
import type { ActivationCliName, ActParams, BackendSpec, DatasetName, LossName, OptimizerName, ScheduleName } from './usage.js';

export interface TrainConfig {
  dataset: DatasetName;
  /** Samples of the 2-D datasets; for mnist, a cap on the training digits (undefined: all). */
  samples?: number;
  noise?: number;
  imbalance?: number;
  act: ActivationCliName;
  actParams: ActParams;
  hidden: number[];
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  weightDecay: number;
  schedule: ScheduleName;
  loss: LossName;
  seed: number;
  /** Seed of the data (generation, split, long-tail subsampling); default `seed`. compare keeps it fixed across seeds. */
  dataSeed?: number;
  /** The backend to run on; undefined: the library default (AGLU_BACKEND or its own). */
  backend?: BackendSpec;
}

export interface DataSummary {
  name: string;
  numFeatures: number;
  numClasses: number;
  classNames?: string[];
  trainSize: number;
  testSize: number;
  trainCounts: number[];
  testCounts: number[];
}

export interface EpochRecord {
  /** 1-based, as printed. */
  epoch: number;
  loss: number;
  trainAccuracy: number;
  testLoss: number;
  testAccuracy: number;
  lr: number;
  /** Seconds this epoch took (training and evaluation). */
  seconds: number;
  steps: number;
}

/** A learned APA/AGLU layer: its parameter name prefix and the final λ, κ (one per channel or one). */
export interface ActivationParams {
  layer: string;
  kind: 'apa' | 'aglu';
  lambda: number[];
  kappa: number[];
}

/** Class predictions of the model on a grid over the 2-D input plane (for the decision-boundary plot). */
export interface DecisionGrid {
  /** Grid coordinates in the standardised feature space the model sees. */
  xs: number[];
  ys: number[];
  /** Predicted class and its probability at (xs[i], ys[j]), row-major over j then i. */
  predicted: number[];
  confidence: number[];
  /** Test points (standardised) and their labels. */
  points: { x: number; y: number; label: number }[];
}

export interface FinalMetrics {
  testAccuracy: number;
  testLoss: number;
  trainAccuracy: number;
  perClassAccuracy: number[];
  /** Long-tailed runs: mean per-class accuracy over many/medium/few-shot classes (NaN → null when a group is empty). */
  shot?: { many: number | null; medium: number | null; few: number | null; thresholds: { many: number; few: number } };
}

export interface TrainResult {
  status: 'completed' | 'interrupted';
  /** Epochs finished (the checkpoint holds the model after the last of them). */
  epochsCompleted: number;
  backend: { name: string; mode: string };
  data: DataSummary;
  parameterCount: number;
  history: EpochRecord[];
  /** λ/κ trajectories by parameter name: entry 0 before training, entry e after epoch e. */
  trajectory: Record<string, number[][]>;
  activations: ActivationParams[];
  final: FinalMetrics;
  decisionGrid?: DecisionGrid;
  /** model.safetensors bytes of the last completed epoch. */
  checkpoint: Uint8Array;
  seconds: number;
}

export type WorkerEvent =
  | { type: 'start'; data: DataSummary; backend: { name: string; mode: string }; stepsPerEpoch: number; parameterCount: number }
  | { type: 'step'; epoch: number; batch: number; loss: number; accuracy: number }
  | { type: 'epoch'; record: EpochRecord; apaParams: Record<string, number[]> }
  | { type: 'done'; result: TrainResult }
  | { type: 'usage-error'; message: string }
  | { type: 'error'; name: string; message: string; stack?: string };
