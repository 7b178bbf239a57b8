/**
 * Benchmark 3: time to accuracy. The MLP 784-256-256-10 (ReLU, and AGLU) trained on the `mnist` package's digits
 * (aglu's data.mnist(): 8,000 train / 2,000 test, fixed split) with batch 128 (last partial batch dropped), SGD
 * momentum 0.9, lr 0.05, until the test accuracy reaches 90%. Both libraries start from the same weights and see
 * the same batches in the same order (one seeded permutation per epoch). The test set is evaluated every half
 * epoch; the reported wall time counts the training steps only (evaluation time is listed separately).
 */
import { mnist } from '../src/data/index.js';
import { CONFIG, type CaseResult, errorMessage, lcg, tick } from './common.js';
import { type Activation, LR, MOMENTUM, type Trainer, agluTrainer, initWeights, tfjsTrainer } from './mlp-model.js';
import { SIZES, BATCH } from './suite-mlp.js';
import { selectAglu } from './targets.js';
import { loadTf } from './tfjs.js';

export const TITLE = `Time to ${CONFIG.mnistTargetAccuracy * 100}% test accuracy on MNIST (mnist package, 8,000/2,000), MLP 784-256-256-10, batch ${BATCH}, SGD momentum ${MOMENTUM}, lr ${LR}`;
const ACTIVATIONS: Activation[] = ['relu', 'aglu'];

function permutation(n: number, seed: number): Int32Array {
  const r = lcg(seed), p = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

async function train(make: () => Trainer, impl: string, mode: string, key: string): Promise<CaseResult> {
  try {
    const { train: tr, test } = mnist();
    const nTrain = tr.y.length, nTest = test.y.length, f = tr.numFeatures;
    const testLabels = Int32Array.from(test.y);
    const t = make();
    const stepsPerEpoch = Math.floor(nTrain / BATCH), evalEvery = Math.floor(stepsPerEpoch / 2);
    const x = new Float32Array(BATCH * f), labels = new Int32Array(BATCH);
    let trainMs = 0, evalMs = 0, steps = 0, acc = 0, lastLoss = NaN;
    const curve: string[] = [];
    for (let epoch = 0; epoch < CONFIG.mnistMaxEpochs && acc < CONFIG.mnistTargetAccuracy; epoch++) {
      const order = permutation(nTrain, 1000 + epoch);
      for (let s = 0; s < stepsPerEpoch && acc < CONFIG.mnistTargetAccuracy; s++) {
        for (let i = 0; i < BATCH; i++) {
          const row = order[s * BATCH + i];
          x.set(tr.x.subarray(row * f, (row + 1) * f), i * f);
          labels[i] = tr.y[row];
        }
        const t0 = performance.now();
        lastLoss = t.step(x, labels);
        trainMs += performance.now() - t0;
        steps++;
        await tick();
        if (!Number.isFinite(lastLoss)) throw new Error(`loss became ${lastLoss} at step ${steps}`);
        if (steps % evalEvery === 0) {
          const t1 = performance.now();
          const pred = t.predict(test.x, nTest);
          let ok = 0;
          for (let i = 0; i < nTest; i++) if (pred[i] === testLabels[i]) ok++;
          acc = ok / nTest;
          evalMs += performance.now() - t1;
          curve.push(`${(steps / stepsPerEpoch).toFixed(1)}:${acc.toFixed(3)}`);
        }
      }
    }
    const stat = { median: trainMs, q1: trainMs, q3: trainMs, min: trainMs, max: trainMs, mean: trainMs, rme: 0, samples: 1, calls: steps };
    return {
      suite: 'mnist', impl, mode, key, stat,
      extra: { reached: acc >= CONFIG.mnistTargetAccuracy, epochs: steps / stepsPerEpoch, steps, testAccuracy: acc, evalMs, finalLoss: lastLoss, curve: curve.join(' ') },
    };
  } catch (e) {
    return { suite: 'mnist', impl, mode, key, skipped: errorMessage(e) };
  }
}

export async function run(target: string): Promise<CaseResult[]> {
  if (target.startsWith('aglu:')) {
    let mode: string;
    try {
      mode = selectAglu(target);
    } catch (e) {
      const why = errorMessage(e);
      return ACTIVATIONS.map((a) => ({ suite: 'mnist', impl: 'aglu', mode: target.slice(5).replace(':', ' '), key: a, skipped: why }));
    }
    const out: CaseResult[] = [];
    for (const a of ACTIVATIONS) out.push(await train(() => agluTrainer(initWeights(SIZES, a)), 'aglu', mode, a));
    return out;
  }
  if (target === 'tfjs:wasm' || target === 'tfjs:cpu') {
    const backend = target === 'tfjs:wasm' ? 'wasm' : 'cpu';
    const { tf } = await loadTf(backend);
    const out: CaseResult[] = [];
    for (const a of ACTIVATIONS) out.push(await train(() => tfjsTrainer(tf, initWeights(SIZES, a)), 'tfjs', `tfjs ${backend}`, a));
    return out;
  }
  throw new Error(`mnist: no target '${target}'`);
}

/** The aglu target is chosen by the runner (the fastest aglu mode of the MLP-step benchmark). */
export const TARGETS = ['aglu:js', 'tfjs:wasm'];
