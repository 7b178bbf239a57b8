/**
 * The training worker: runs one training (train-core) off the main thread, so that the main thread can draw the
 * progress bar and react to Ctrl-C while `fit` runs synchronously. The stop request arrives through shared memory
 * (a message would wait behind the synchronous loop).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runTraining } from './train-core.js';
import type { TrainConfig, WorkerEvent } from './train-types.js';
import { UsageError } from './usage.js';

const port = parentPort;
if (port === null) throw new Error('train-worker.js runs as a worker thread (started by aglu train)');
const { config, stop } = workerData as { config: TrainConfig; stop: SharedArrayBuffer };
const flag = new Int32Array(stop);
const emit = (e: WorkerEvent): void => port.postMessage(e);
try {
  const result = runTraining(config, emit, () => Atomics.load(flag, 0) !== 0);
  port.postMessage({ type: 'done', result } satisfies WorkerEvent);
} catch (e) {
  if (e instanceof UsageError) emit({ type: 'usage-error', message: e.message });
  else if (e instanceof Error) emit({ type: 'error', name: e.name, message: e.message, stack: e.stack });
  else emit({ type: 'error', name: 'Error', message: String(e) });
}
