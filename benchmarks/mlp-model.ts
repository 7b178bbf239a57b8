/**
 * One MLP, built identically in every library: the same initial weights (PyTorch's nn.Linear default,
 * U(−1/√fan_in, 1/√fan_in), drawn once from a fixed seed), the same hidden activation (ReLU, or AGLU with one λ, κ
 * pair per layer, λ ~ U(0, 1), κ ~ U(0.8, 1.2)), mean softmax cross-entropy, and SGD with momentum 0.9
 * (b ← μ·b + g; p ← p − lr·b, PyTorch's rule, which tfjs' momentum optimizer also follows).
 * A step takes a batch as a Float32Array plus integer labels, creates the library's tensors from it, and reads the
 * loss back as a number — what a training loop does.
 */
import { noGrad, tensor, tidy, type Tensor } from '../src/index.js';
import * as nn from '../src/nn/index.js';
import * as optim from '../src/optim/index.js';
import { argmax } from '../src/ops/reduce.js';
import { lcg } from './common.js';
import type { Tf } from './tfjs.js';

export type Activation = 'relu' | 'aglu';

export interface MlpWeights {
  sizes: number[];
  activation: Activation;
  /** Per layer, [out, in] row-major (PyTorch's layout). */
  w: Float32Array[];
  b: Float32Array[];
  /** Per hidden layer. */
  lambda: number[];
  kappa: number[];
}

export interface Trainer {
  /** One SGD-momentum step on a batch; returns the loss. */
  step(x: Float32Array, labels: Int32Array): number;
  /** Predicted classes of the rows of x. */
  predict(x: Float32Array, rows: number): Int32Array;
}

export const LR = 0.05;
export const MOMENTUM = 0.9;

export function initWeights(sizes: number[], activation: Activation, seed = 42): MlpWeights {
  const r = lcg(seed);
  const w: Float32Array[] = [], b: Float32Array[] = [], lambda: number[] = [], kappa: number[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    const fanIn = sizes[i], out = sizes[i + 1], bound = 1 / Math.sqrt(fanIn);
    w.push(Float32Array.from({ length: out * fanIn }, () => (2 * r() - 1) * bound));
    b.push(Float32Array.from({ length: out }, () => (2 * r() - 1) * bound));
    if (i + 2 < sizes.length) {
      lambda.push(r());
      kappa.push(0.8 + 0.4 * r());
    }
  }
  return { sizes, activation, w, b, lambda, kappa };
}

/** [out, in] → [in, out] (tfjs and js-pytorch compute x·W). */
function transpose(w: Float32Array, out: number, inp: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) t[i * out + o] = w[o * inp + i];
  return t;
}

function argmaxRows(logits: ArrayLike<number>, rows: number, cols: number): Int32Array {
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < cols; c++) if (logits[r * cols + c] > logits[r * cols + best]) best = c;
    out[r] = best;
  }
  return out;
}

// ---- aglu ------------------------------------------------------------------------------------------------------

/** The MLP in aglu (nn.mlp, nn.functional.crossEntropy, optim.SGD) on the backend selected before the call. */
export function agluTrainer(wt: MlpWeights): Trainer {
  const { sizes } = wt;
  const net = nn.mlp(sizes, { activation: wt.activation });
  const state: Record<string, Tensor> = {};
  const layers = sizes.length - 1;
  for (let i = 0; i < layers; i++) {
    state[`${2 * i}.weight`] = tensor(wt.w[i], { shape: [sizes[i + 1], sizes[i]] });
    state[`${2 * i}.bias`] = tensor(wt.b[i]);
    if (wt.activation === 'aglu' && i + 1 < layers) {
      state[`${2 * i + 1}.lambda`] = tensor([wt.lambda[i]]);
      state[`${2 * i + 1}.kappa`] = tensor([wt.kappa[i]]);
    }
  }
  net.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  const opt = new optim.SGD(net, { lr: LR, momentum: MOMENTUM });
  const inputs = sizes[0], classes = sizes[sizes.length - 1];
  return {
    // aglu's tidy (like tf.tidy in the tfjs trainer) releases every tensor of the step when it returns.
    step(x, labels) {
      return tidy(() => {
        const xs = tensor(x, { shape: [labels.length, inputs] }), ys = tensor(labels);
        const loss = nn.functional.crossEntropy(net.forward(xs), ys);
        loss.backward();
        opt.step();
        const v = loss.item();
        opt.zeroGrad();
        return v;
      });
    },
    predict(x, rows) {
      return tidy(() =>
        noGrad(() => {
          const xs = tensor(x.subarray(0, rows * inputs), { shape: [rows, inputs] });
          const out = Int32Array.from(argmax(net.forward(xs), 1).toTypedArray());
          if (out.length !== rows || classes < 2) throw new Error('predict: unexpected output');
          return out;
        }),
      );
    },
  };
}

// ---- tfjs ------------------------------------------------------------------------------------------------------

/** The MLP in tfjs-core ops with tf.train.momentum and tf.losses.softmaxCrossEntropy; AGLU as the stable composite. */
export function tfjsTrainer(tf: Tf, wt: MlpWeights): Trainer {
  const { sizes } = wt;
  const layers = sizes.length - 1;
  const W = wt.w.map((w, i) => tf.variable(tf.tensor2d(transpose(w, sizes[i + 1], sizes[i]), [sizes[i], sizes[i + 1]])));
  const B = wt.b.map((b) => tf.variable(tf.tensor1d(b)));
  const L = wt.lambda.map((l) => tf.variable(tf.tensor1d([l])));
  const K = wt.kappa.map((k) => tf.variable(tf.tensor1d([k])));
  const vars = wt.activation === 'aglu' ? [...W, ...B, ...L, ...K] : [...W, ...B];
  const opt = tf.train.momentum(LR, MOMENTUM);
  const forward = (x: ReturnType<Tf['tensor2d']>) => {
    let h: ReturnType<Tf['tensor2d']> = x;
    for (let i = 0; i < layers; i++) {
      h = tf.add(tf.matMul(h, W[i]), B[i]);
      if (i + 1 < layers) {
        if (wt.activation === 'relu') h = tf.relu(h);
        else {
          const l = tf.maximum(L[i], 1e-4);
          h = tf.mul(h, tf.exp(tf.neg(tf.div(tf.softplus(tf.sub(tf.log(l), tf.mul(K[i], h))), l))));
        }
      }
    }
    return h;
  };
  const classes = sizes[layers];
  return {
    step(x, labels) {
      return tf.tidy(() => {
        const xs = tf.tensor2d(x, [labels.length, sizes[0]]);
        const ys = tf.oneHot(tf.tensor1d(labels, 'int32'), classes);
        const loss = opt.minimize(() => tf.losses.softmaxCrossEntropy(ys, forward(xs)), true, vars);
        if (loss === null) throw new Error('tfjs: minimize returned no loss');
        return loss.dataSync()[0];
      });
    },
    predict(x, rows) {
      // dataSync outside tf.tidy: tidy walks whatever its callback returns, element by element for a typed array.
      const out = tf.tidy(() => forward(tf.tensor2d(x.subarray(0, rows * sizes[0]), [rows, sizes[0]])));
      const logits = out.dataSync();
      out.dispose();
      return argmaxRows(logits, rows, classes);
    },
  };
}

// ---- js-pytorch ------------------------------------------------------------------------------------------------

type Torch = (typeof import('js-pytorch'))['torch'];
type JTensor = InstanceType<Torch['Tensor']>;

const nested = (a: Float32Array, rows: number, cols: number): number[][] =>
  Array.from({ length: rows }, (_, r) => Array.from(a.subarray(r * cols, (r + 1) * cols)));

/**
 * The MLP in js-pytorch: its nn.Linear, nn.ReLU (which lets 0.001·z through for z < 0) and nn.CrossEntropyLoss; SGD
 * with momentum written with its tensor ops (it ships only Adam). It broadcasts a parameter only along a whole
 * trailing axis, so AGLU's λ, κ are [256]-vectors holding the layer's one value (same arithmetic per element).
 */
export function jsPytorchTrainer(torch: Torch, wt: MlpWeights): Trainer {
  const { sizes } = wt;
  const layers = sizes.length - 1;
  const lin = wt.w.map((w, i) => {
    const l = new torch.nn.Linear(sizes[i], sizes[i + 1]);
    l.W._data = nested(transpose(w, sizes[i + 1], sizes[i]), sizes[i], sizes[i + 1]);
    l.b._data = Array.from(wt.b[i]);
    return l;
  });
  const relu = new torch.nn.ReLU();
  const lam = wt.lambda.map((v, i) => torch.tensor(new Array<number>(sizes[i + 1]).fill(v), true));
  const kap = wt.kappa.map((v, i) => torch.tensor(new Array<number>(sizes[i + 1]).fill(v), true));
  const params: JTensor[] = [...lin.flatMap((l) => [l.W, l.b]), ...(wt.activation === 'aglu' ? [...lam, ...kap] : [])];
  const velocity = new Map<JTensor, JTensor>();
  const ce = new torch.nn.CrossEntropyLoss();
  const forward = (x: JTensor): JTensor => {
    let h = x;
    for (let i = 0; i < layers; i++) {
      h = lin[i].forward(h);
      if (i + 1 < layers)
        h = wt.activation === 'relu' ? relu.forward(h) : h.mul(lam[i].mul(kap[i].mul(h).neg().exp()).add(1).log().div(lam[i]).neg().exp());
    }
    return h;
  };
  return {
    step(x, labels) {
      const xs = torch.tensor(nested(x, labels.length, sizes[0]));
      const loss = ce.forward(forward(xs), torch.tensor(Array.from(labels)));
      loss.backward();
      for (const p of params) {
        const g = new torch.Tensor(p._grad._data);
        const prev = velocity.get(p);
        const v = prev === undefined ? g : prev.mul(MOMENTUM).add(g);
        velocity.set(p, v);
        p._data = p.sub(v.mul(LR))._data;
      }
      const value = (loss._data as number[])[0];
      loss.zero_grad_graph();
      return value;
    },
    predict(x, rows) {
      const out = forward(torch.tensor(nested(x, rows, sizes[0])));
      return argmaxRows((out._data as number[][]).flat(), rows, sizes[layers]);
    },
  };
}
