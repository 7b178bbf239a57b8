/**
 * Benchmark 2: one training step of the MLP 784-256-256-10 on a batch of 128 (forward, mean softmax cross-entropy,
 * backward, SGD momentum update, loss read back), with ReLU and with AGLU hidden activations. The same batch and the
 * same initial weights everywhere (benchmarks/mlp-model.ts). brain.js is measured where it can express the network.
 */
import { type CaseResult, errorMessage, lcg, measure, samplingFor, tick, timeOnceAndTick, uniformArray } from './common.js';
import { type Activation, MOMENTUM, type Trainer, agluTrainer, initWeights, jsPytorchTrainer, tfjsTrainer } from './mlp-model.js';
import { kernelFallbacks, selectAglu, transfersOf } from './targets.js';
import { loadTf, type TfBackend } from './tfjs.js';

export const TITLE = 'MLP 784-256-256-10 training step, batch 128, softmax cross-entropy, SGD momentum 0.9';
export const SIZES = [784, 256, 256, 10];
export const BATCH = 128;
const ACTIVATIONS: Activation[] = ['relu', 'aglu'];

let sink = 0;

function batch(): { x: Float32Array; labels: Int32Array } {
  const r = lcg(7);
  return { x: uniformArray(BATCH * SIZES[0], 0, 1, 3), labels: Int32Array.from({ length: BATCH }, () => Math.floor(r() * 10)) };
}

async function timeTrainer(make: () => Trainer, impl: string, mode: string, key: string, diagnose = false): Promise<CaseResult> {
  try {
    const t = make();
    const { x, labels } = batch();
    const first = t.step(x, labels);
    if (!Number.isFinite(first)) throw new Error(`loss is ${first}`);
    await tick();
    const copies = diagnose ? transfersOf(() => void (sink += t.step(x, labels))) : {};
    await tick();
    const warm = await timeOnceAndTick(() => (sink += t.step(x, labels)));
    const stat = await measure(`${impl} ${mode} ${key}`, () => (sink += t.step(x, labels)), samplingFor(warm));
    return { suite: 'mlp', impl, mode, key, stat, extra: { initialLoss: first, ...copies, ...(diagnose ? kernelFallbacks() : {}) } };
  } catch (e) {
    return { suite: 'mlp', impl, mode, key, skipped: errorMessage(e) };
  }
}

async function runBrain(): Promise<CaseResult[]> {
  const mode = 'brain.js cpu';
  const impl = 'brain.js NeuralNetwork';
  const { NeuralNetwork } = await import('brain.js');
  const out: CaseResult[] = [];
  try {
    const { x, labels } = batch();
    const data = Array.from({ length: BATCH }, (_, i) => {
      const output = new Float32Array(10);
      output[labels[i]] = 1;
      return { input: x.slice(i * 784, (i + 1) * 784), output };
    });
    const net = new NeuralNetwork<Float32Array, Float32Array>({ hiddenLayers: [256, 256], activation: 'relu', learningRate: 0.01, momentum: MOMENTUM });
    net.train(data, { iterations: 1, errorThresh: 1e-9 }); // sizes the network from the data
    const prepared = net.formatData(data);
    const warm = await timeOnceAndTick(() => net.trainPatterns(prepared));
    const stat = await measure('brain.js relu', () => net.trainPatterns(prepared), samplingFor(warm));
    out.push({
      suite: 'mlp', impl, mode, key: 'relu', stat,
      extra: { note: '128 per-sample updates (brain.js has no mini-batch gradient), ReLU also on the output layer, squared-error deltas (no softmax cross-entropy)' },
    });
  } catch (e) {
    out.push({ suite: 'mlp', impl, mode, key: 'relu', skipped: errorMessage(e) });
  }
  out.push({ suite: 'mlp', impl, mode, key: 'aglu', skipped: 'brain.js cannot express AGLU (fixed activation set: sigmoid, relu, leaky-relu, tanh)' });
  return out;
}

/**
 * brain.js' NeuralNetworkGPU: the same network on gpu.js (its own choice of mode). Its trainPatterns needs state
 * that only train() sets up, so the timed unit is train(data, { iterations: 1 }) — one pass of 128 per-sample
 * updates plus brain.js' per-call data preparation (a copy of the 128 inputs).
 */
async function runBrainGpu(): Promise<CaseResult[]> {
  const impl = 'brain.js NeuralNetworkGPU';
  const { NeuralNetworkGPU } = await import('brain.js');
  const out: CaseResult[] = [];
  let mode = 'brain.js gpu.js';
  const warn = console.warn, log = console.log;
  let fallbacks = 0;
  // gpu.js prints one "Falling back to CPU" line per kernel; count them instead.
  console.warn = console.log = (...a: unknown[]) => void (String(a[0]).includes('Falling back') ? fallbacks++ : warn(...a));
  try {
    const { x, labels } = batch();
    const data = Array.from({ length: BATCH }, (_, i) => {
      const output = new Float32Array(10);
      output[labels[i]] = 1;
      return { input: x.slice(i * 784, (i + 1) * 784), output };
    });
    const net = new NeuralNetworkGPU<Float32Array, Float32Array>({ hiddenLayers: [256, 256] });
    const pass = (): void => void net.train(data, { iterations: 1, errorThresh: 1e-9, activation: 'relu', learningRate: 0.01, momentum: MOMENTUM });
    const warm = await timeOnceAndTick(pass);
    mode = `brain.js gpu.js ${String((net as unknown as { gpu?: { mode?: string } }).gpu?.mode ?? '?')}`;
    const stat = await measure('brain.js gpu relu', pass, samplingFor(warm));
    out.push({ suite: 'mlp', impl, mode, key: 'relu', stat, extra: { kernelsFallingBackToCpu: fallbacks, note: 'as brain.js NeuralNetwork, on gpu.js; timed unit train(iterations: 1)' } });
  } catch (e) {
    out.push({ suite: 'mlp', impl, mode, key: 'relu', skipped: errorMessage(e) });
  } finally {
    console.warn = warn;
    console.log = log;
  }
  out.push({ suite: 'mlp', impl, mode, key: 'aglu', skipped: 'brain.js cannot express AGLU (fixed activation set: sigmoid, relu, leaky-relu, tanh)' });
  return out;
}

/** Runs the cases one after another (never two timings at once). */
async function seq<T>(items: T[], fn: (item: T) => Promise<CaseResult>): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (const it of items) out.push(await fn(it));
  return out;
}

export async function run(target: string): Promise<CaseResult[]> {
  if (target.startsWith('aglu:')) {
    let mode: string;
    try {
      mode = selectAglu(target);
    } catch (e) {
      const why = errorMessage(e);
      return ACTIVATIONS.map((a) => ({ suite: 'mlp', impl: 'aglu', mode: target.slice(5).replace(':', ' '), key: a, skipped: why }));
    }
    return seq(ACTIVATIONS, (a) => timeTrainer(() => agluTrainer(initWeights(SIZES, a)), 'aglu', mode, a, true));
  }
  if (target === 'tfjs:cpu' || target === 'tfjs:wasm') {
    const backend = target.slice(5) as TfBackend;
    const { tf } = await loadTf(backend);
    return seq(ACTIVATIONS, (a) => timeTrainer(() => tfjsTrainer(tf, initWeights(SIZES, a)), 'tfjs', `tfjs ${backend}`, a));
  }
  if (target === 'js-pytorch') {
    const { torch } = await import('js-pytorch');
    return seq(ACTIVATIONS, (a) => timeTrainer(() => jsPytorchTrainer(torch, initWeights(SIZES, a)), 'js-pytorch', 'js-pytorch cpu', a));
  }
  if (target === 'brain.js') return runBrain();
  if (target === 'brain.js:gpu') return runBrainGpu();
  throw new Error(`mlp: no target '${target}'`);
}

export const TARGETS = ['aglu:js', 'aglu:gpujs:cpu', 'aglu:gpujs:webasm', 'aglu:gpujs:headlessgl', 'tfjs:cpu', 'tfjs:wasm', 'js-pytorch', 'brain.js', 'brain.js:gpu'];
export const sinkValue = (): number => sink;
