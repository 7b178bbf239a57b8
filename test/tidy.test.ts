/**
 * tidy() and keep(): what a scope disposes and what survives it (returned tensors, kept tensors, gradients in
 * .grad, optimizer state, parameters updated with assign_), nesting, graphs that outlive their scope, errors; and
 * the training loop `fit`, whose live gpujs memory must stay exactly flat over many steps without yielding.
 * Lifetimes are checked on the js backend (isDisposed), memory counts on the gpujs backend (cpu and webasm).
 */
import { expect } from 'chai';
import { backend, memory, setBackend } from '../src/backend/current.js';
import type { JsBuf } from '../src/backend/js.js';
import { trainTestSplit } from '../src/data/split.js';
import { moons } from '../src/data/synthetic.js';
import { AutogradError, ValueError } from '../src/errors.js';
import { keep, nn, noGrad, optim, tidy } from '../src/index.js';
import { apaBinaryCrossEntropy } from '../src/ops/apa-loss.js';
import { aglu } from '../src/ops/apa.js';
import { crossEntropy } from '../src/ops/loss.js';
import { manualSeed } from '../src/random.js';
import { fit } from '../src/train/fit.js';
import { tensor, Tensor } from '../src/tensor.js';

const f64 = { dtype: 'float64' } as const;
const flat = (t: Tensor): number[] => Array.from(t.toTypedArray());

describe('tidy (js backend): what is disposed and what survives', () => {
  before(() => setBackend('js'));

  it('disposes every tensor created inside and returns fn’s value; tensors from outside are untouched', () => {
    const a = tensor([1, 2], f64);
    let b!: Tensor;
    const c = tidy(() => {
      b = a.mul(2);
      return b.add(1);
    });
    expect(b.isDisposed).to.equal(true);
    expect(c.isDisposed).to.equal(false);
    expect(a.isDisposed).to.equal(false);
    expect(flat(c)).to.deep.equal([3, 5]);
    expect(tidy(() => a.sum().item())).to.equal(3);
  });

  it('keeps tensors returned in arrays and plain objects, at any depth', () => {
    const x = tensor([1, -2, 3], f64);
    let mid!: Tensor;
    const out = tidy(() => {
      mid = x.abs();
      return { total: mid.sum(), parts: [mid.mul(2), { neg: x.neg() }], label: 'kept', n: 3 };
    });
    expect(mid.isDisposed).to.equal(true);
    expect(out.total.item()).to.equal(6);
    expect(flat(out.parts[0] as Tensor)).to.deep.equal([2, 4, 6]);
    expect(flat((out.parts[1] as { neg: Tensor }).neg)).to.deep.equal([-1, 2, -3]);
    expect(out.label).to.equal('kept');
  });

  it('keep(t) survives the scope and every enclosing one', () => {
    const x = tensor([2, 3], f64);
    let kept!: Tensor, tmp!: Tensor;
    tidy(() => {
      tidy(() => {
        tmp = x.add(1);
        kept = keep(tmp.square());
      });
    });
    expect(tmp.isDisposed).to.equal(true);
    expect(flat(kept)).to.deep.equal([9, 16]);
  });

  it('nests: what an inner scope returns belongs to the outer one, which disposes it unless it returns it too', () => {
    const x = tensor([1, 2], f64);
    let inner!: Tensor, passed!: Tensor;
    const outer = tidy(() => {
      inner = tidy(() => x.mul(10));
      expect(inner.isDisposed).to.equal(false);
      passed = tidy(() => x.add(5));
      return passed;
    });
    expect(inner.isDisposed).to.equal(true);
    expect(outer).to.equal(passed);
    expect(flat(outer)).to.deep.equal([6, 7]);
  });

  it('disposes the scope’s tensors when fn throws, and rethrows', () => {
    const x = tensor([1], f64);
    let t!: Tensor;
    expect(() =>
      tidy(() => {
        t = x.exp();
        throw new RangeError('boom');
      }),
    ).to.throw(RangeError, 'boom');
    expect(t.isDisposed).to.equal(true);
  });

  it('detach() and assign_() give each tensor its own buffer object on the same memory (js)', () => {
    const z = tensor([1, 2, 3], f64);
    const d = z.detach();
    expect(d.buf).to.not.equal(z.buf);
    expect((d.buf as JsBuf).data).to.equal((z.buf as JsBuf).data); // a view, no copy
    z.dispose();
    expect(flat(d)).to.deep.equal([1, 2, 3]);
    const p = tensor([0, 0, 0], f64);
    const v = tensor([4, 5, 6], f64);
    p.assign_(v);
    expect(p.buf).to.not.equal(v.buf);
    expect((p.buf as JsBuf).data).to.equal((v.buf as JsBuf).data);
    v.dispose();
    expect(flat(p)).to.deep.equal([4, 5, 6]);
  });

  it('refuses an async fn and anything that is not a function with a ValueError', () => {
    let t!: Tensor;
    const run = (): Promise<number> => {
      t = tensor([1]);
      return Promise.resolve(1);
    };
    expect(() => tidy(run)).to.throw(ValueError, /Promise/);
    expect(t.isDisposed).to.equal(true);
    expect(() => tidy(42 as unknown as () => void)).to.throw(ValueError, /function/);
  });
});

describe('tidy (js backend): gradients, parameters, optimizer state, graphs', () => {
  before(() => setBackend('js'));

  it('keeps gradients left in .grad; the slot then owns them and releases them when dropped', () => {
    const w = tensor([1, 2, 3], { ...f64, requiresGrad: true });
    const x = tensor([4, 5, 6], f64);
    let loss!: Tensor;
    tidy(() => {
      loss = w.mul(x).sum();
      loss.backward();
    });
    expect(loss.isDisposed).to.equal(true);
    const g = w.grad!;
    expect(flat(g)).to.deep.equal([4, 5, 6]); // d(w·x)/dw = x
    w.grad = null;
    expect(g.isDisposed).to.equal(true);

    // Accumulation over two scopes: the first gradient is replaced by the sum and released.
    tidy(() => w.mul(x).sum().backward());
    const g1 = w.grad!;
    tidy(() => w.square().sum().backward());
    expect(g1.isDisposed).to.equal(true);
    expect(flat(w.grad!)).to.deep.equal([4 + 2, 5 + 4, 6 + 6]); // x + 2w
  });

  it('leaves gradients computed outside any scope alone when they are dropped (the garbage collector’s)', () => {
    const w = tensor([1, 2], { ...f64, requiresGrad: true });
    w.square().sum().backward();
    const g = w.grad!;
    w.grad = null;
    expect(g.isDisposed).to.equal(false);
    expect(flat(g)).to.deep.equal([2, 4]);
  });

  it('parameters updated with assign_ keep their new values after the scope; the update’s temporaries go', () => {
    const p = tensor([1, 2], { ...f64, requiresGrad: true });
    let update!: Tensor;
    tidy(() => {
      p.square().sum().backward();
      noGrad(() => p.assign_((update = p.sub(p.grad!.mul(0.25)))));
    });
    expect(update.isDisposed).to.equal(true);
    expect(flat(p)).to.deep.equal([1 - 0.5, 2 - 1]);
  });

  for (const [name, make] of [
    ['SGD with Nesterov momentum', (m: nn.Module) => new optim.SGD(m, { lr: 0.05, momentum: 0.9, nesterov: true })],
    ['Adam with AMSGrad', (m: nn.Module) => new optim.Adam(m, { lr: 0.01, amsgrad: true })],
    ['AdamW', (m: nn.Module) => new optim.AdamW(m, { lr: 0.01, weightDecay: 0.1 })],
  ] as const) {
    it(`${name}: steps inside tidy give bit-for-bit the parameters of steps without it (state survives)`, () => {
      const train = (scoped: boolean): number[][] => {
        manualSeed(3);
        const model = nn.mlp([2, 5, 2], { activation: 'aglu', dtype: 'float64' });
        const opt = make(model);
        const x = tensor([[0.5, -1], [2, 0.3], [-0.7, 0.1]], f64);
        const y = tensor([1, 0, 1], f64);
        const step = (): void => {
          opt.zeroGrad();
          crossEntropy(model.forward(x), y).backward();
          opt.step();
        };
        for (let s = 0; s < 6; s++) if (scoped) tidy(step); else step();
        return model.parameters().map(flat);
      };
      const plain = train(false);
      expect(train(true)).to.deep.equal(plain);
      // and the run did move the parameters
      manualSeed(3);
      const init = nn.mlp([2, 5, 2], { activation: 'aglu', dtype: 'float64' }).parameters().map(flat);
      expect(plain).to.not.deep.equal(init);
    });
  }

  it('a graph built inside tidy and returned can be backpropagated outside: same gradients, and its tensors wait for it', () => {
    const w = tensor([[0.5, -1], [2, 0.25]], { ...f64, requiresGrad: true });
    const x = tensor([[1, 2], [3, -4]], f64);
    const lam = tensor([0.7], { ...f64, requiresGrad: true }), kap = tensor([1.3], { ...f64, requiresGrad: true });
    const forward = (): Tensor => aglu(x.matmul(w), lam, kap).max(1).mean();
    let h!: Tensor;
    const loss = tidy(() => {
      h = x.matmul(w);
      return aglu(h, lam, kap).max(1).mean();
    });
    expect(h.isDisposed).to.equal(false); // held for the graph's backward
    loss.backward();
    expect(h.isDisposed).to.equal(true); // released once backward has run through the returned loss
    const got = [flat(w.grad!), flat(lam.grad!), flat(kap.grad!)];
    [w, lam, kap].forEach((t) => (t.grad = null));
    forward().backward();
    expect(got).to.deep.equal([flat(w.grad!), flat(lam.grad!), flat(kap.grad!)]);
  });

  it('a returned graph releases its scope’s tensors when the returned tensor is disposed instead', () => {
    const w = tensor([1, 2], { ...f64, requiresGrad: true });
    let h!: Tensor;
    const loss = tidy(() => (h = w.exp()).sum());
    expect(h.isDisposed).to.equal(false);
    loss.dispose();
    expect(h.isDisposed).to.equal(true);
  });

  it('with retainGraph the held tensors stay until the last backward; a graph freed by backward says so', () => {
    const w = tensor([1, 2], { ...f64, requiresGrad: true });
    let h!: Tensor;
    const loss = tidy(() => (h = w.square()).sum());
    loss.backward(undefined, { retainGraph: true });
    expect(h.isDisposed).to.equal(false);
    loss.backward();
    expect(h.isDisposed).to.equal(true);
    expect(flat(w.grad!)).to.deep.equal([4, 8]); // 2·2w accumulated
    expect(() => loss.backward()).to.throw(AutogradError, /retainGraph/);
  });
});

describe('tidy (gpujs cpu): live buffers', () => {
  before(() => setBackend('gpujs', { mode: 'cpu' }));
  after(() => setBackend('js'));

  it('releases ops’ raw intermediates too (broadcast sums, APA loss targets, softplus λ): only the gradients remain', () => {
    const b = backend();
    const z = tensor([[0.5, -1, 2], [1, 0, -3]], { requiresGrad: true });
    const bias = tensor([0.1, 0.2, 0.3], { requiresGrad: true });
    const lam = tensor(0.6, { requiresGrad: true }), kap = tensor([1.2], { requiresGrad: true }); // 0-d λ: reshaped raw
    const start = b.memory().buffers;
    const loss = tidy(() => {
      const a = aglu(z.add(bias), lam, kap, { lambdaParam: 'softplus' });
      const l = apaBinaryCrossEntropy(a, tensor([2, 0]), lam.reshape([1]), kap);
      l.backward();
      return l.item();
    });
    expect(Number.isFinite(loss)).to.equal(true);
    expect(b.memory().buffers).to.equal(start + 4); // z, bias, λ, κ each got a .grad
    for (const t of [z, bias, lam, kap]) t.grad = null;
    expect(b.memory().buffers).to.equal(start);
  });

  it('a graph returned from tidy holds its buffers until backward, then only the loss and the gradient remain', () => {
    const b = backend();
    const w = tensor([[0.5, -1], [2, 0.25]], { requiresGrad: true });
    const x = tensor([[1, 2], [3, -4]]);
    const start = b.memory().buffers;
    const loss = tidy(() => x.matmul(w).relu().add(1).sum());
    expect(b.memory().buffers).to.be.greaterThan(start + 1);
    tidy(() => loss.backward()); // backward's own temporaries go with this scope, the held graph with the pass
    expect(b.memory().buffers).to.equal(start + 2);
    // x·w = [[4.5, -0.5], [-6.5, -4]]: relu passes only 4.5 (row 0, column 0), so d/dw = [[x00, 0], [x01, 0]].
    expect(flat(w.grad!)).to.deep.equal([1, 0, 2, 0]);
    expect(loss.item()).to.equal(4.5 + 0 + 0 + 0 + 4);
    loss.dispose();
    w.grad = null; // computed in a scope and kept there as a .grad: released when dropped
    expect(b.memory().buffers).to.equal(start);
  });
});

describe('fit on gpujs (webasm): live memory stays flat over many steps without yielding', function () {
  this.timeout(120000);
  before(() => setBackend('gpujs', { mode: 'webasm' }));
  after(() => setBackend('js'));

  it('120 steps of an AGLU MLP with Adam, clipping and a test set: the same live buffers and bytes after every step and epoch', () => {
    const b = backend();
    manualSeed(0);
    const split = trainTestSplit(moons({ n: 400, noise: 0.1, seed: 1 }), { testSize: 0.25, seed: 1 });
    const model = nn.mlp([2, 16, 16, 2], { activation: 'aglu' });
    const optimizer = new optim.Adam(model, { lr: 0.02 });
    const afterStep: { buffers: number; bytes: number }[] = [];
    const afterEpoch: { buffers: number; bytes: number }[] = [];
    const before = b.memory();
    const history = fit(model, {
      ...split, optimizer, epochs: 8, batchSize: 20, seed: 0, clipGradNorm: 5, evalBatchSize: 40,
      callbacks: { onStep: () => void afterStep.push(b.memory()), onEpoch: () => void afterEpoch.push(b.memory()) },
    });
    expect(afterStep.length).to.equal(8 * 15);
    // After every step and every epoch's evaluation, beyond what existed before fit: each parameter's gradient and
    // its two Adam moments (float32, the parameter's size) — nothing else.
    const params = model.parameters();
    const paramBytes = params.reduce((s, p) => s + 4 * p.size, 0);
    const want = { buffers: before.buffers + 3 * params.length, bytes: before.bytes + 3 * paramBytes };
    afterStep.forEach((m, i) => expect(m, `after step ${i + 1}`).to.deep.equal(want));
    afterEpoch.forEach((m, i) => expect(m, `after epoch ${i + 1}`).to.deep.equal(want));
    expect(b.memory()).to.deep.equal(want);
    expect(history.testAccuracy.at(-1)).to.be.greaterThan(0.8); // it did train
    model.zeroGrad(); // the gradients fit kept in .grad are released when dropped
    expect(b.memory()).to.deep.equal({ buffers: before.buffers + 2 * params.length, bytes: before.bytes + 2 * paramBytes });
  });
});

describe('memory() reports the current backend’s live storages', () => {
  after(() => setBackend('js'));

  it('counts a new tensor’s storage on gpujs and drops it on dispose; a view shares it', () => {
    setBackend('gpujs', { mode: 'cpu' });
    const before = memory();
    expect(before).to.include({ backend: 'gpujs', mode: 'cpu' });
    const t = tensor([1, 2, 3, 4]);
    const view = t.reshape([2, 2]);
    expect(memory().buffers).to.equal(before.buffers + 1);
    expect(memory().bytes).to.equal(before.bytes + 4 * 4);
    t.dispose();
    expect(memory().buffers).to.equal(before.buffers + 1); // the view still holds the storage
    view.dispose();
    expect(memory()).to.deep.equal(before);
  });
});
