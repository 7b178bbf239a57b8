/**
 * Starts a training worker and turns its events into a promise, with `stop()` (finish or abandon the current step,
 * keep the last completed epoch) and `kill()` (terminate at once).
 */
import { Worker } from 'node:worker_threads';
import type { TrainConfig, TrainResult, WorkerEvent } from './train-types.js';
import { UsageError } from './usage.js';

export interface TrainingHandle {
  result: Promise<TrainResult>;
  /** Asks the worker to stop after the current step. */
  stop(): void;
  /** Ends the worker now; `result` rejects. */
  kill(): Promise<void>;
}

/** An error the library raised inside the worker, with its name and message kept. */
export class WorkerError extends Error {
  constructor(name: string, message: string, readonly workerStack?: string) {
    super(message);
    this.name = name;
  }
}

/**
 * Runs `config` in a worker; `onEvent` sees every start/step/epoch event.
 * @example const h = startTraining(cfg, (e) => draw(e)); process.on('SIGINT', () => h.stop()); await h.result;
 */
export function startTraining(config: TrainConfig, onEvent: (e: WorkerEvent) => void, command = 'train'): TrainingHandle {
  const stop = new SharedArrayBuffer(4);
  const worker = new Worker(new URL('./train-worker.js', import.meta.url), { workerData: { config, stop } });
  let settled = false;
  const result = new Promise<TrainResult>((resolve, reject) => {
    worker.on('message', (e: WorkerEvent) => {
      if (e.type === 'done') {
        settled = true;
        resolve(e.result);
      } else if (e.type === 'usage-error') {
        settled = true;
        reject(new UsageError(e.message, command));
      } else if (e.type === 'error') {
        settled = true;
        reject(new WorkerError(e.name, e.message, e.stack));
      } else onEvent(e);
    });
    worker.on('error', (e) => {
      settled = true;
      reject(e);
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the training worker stopped (exit code ${code}) before it finished`));
    });
  });
  return {
    result,
    stop: () => Atomics.store(new Int32Array(stop), 0, 1),
    kill: async () => {
      await worker.terminate();
    },
  };
}
