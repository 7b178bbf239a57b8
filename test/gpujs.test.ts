/**
 * The gpujs backend beyond op values (those are in conformance.test.ts): mode selection and its errors, device
 * residency, the kernel cache, disposal, and a 1,000-step training loop in tidy() whose live buffer count must stay
 * exactly flat without garbage collection or yields (and a shorter one without tidy, released by the GC).
 * Runs on cpu and webasm everywhere, and on headlessgl where it is available (else one line says why not).
 */
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { backend, getBackend, setBackend } from '../src/backend/current.js';
import { GpuBuf, gpujsBackend, gpujsKernelReports, gpujsTransfers, headlessglUnavailableReason, MAX_ELEMENTS } from '../src/backend/gpujs.js';
import { BackendError, DTypeError, ValueError } from '../src/errors.js';
import { add, matmul, mul, relu, tidy } from '../src/index.js';
import { noGrad } from '../src/autograd/tape.js';
import { crossEntropy } from '../src/ops/loss.js';
import { tensor, type Tensor } from '../src/tensor.js';

const glMissing = headlessglUnavailableReason();
const MODES = ['cpu', 'webasm', ...(glMissing === null ? ['headlessgl'] : [])] as const;
if (glMissing !== null) console.log(`gpujs tests: headlessgl cases skipped — ${glMissing}`);

const values = (n: number, phase = 0): number[] => Array.from({ length: n }, (_, i) => Math.sin(1.3 * i + phase));

describe('gpujs backend: modes', () => {
  after(() => setBackend('js'));

  for (const mode of ['cpu', 'webasm'] as const) {
    it(`setBackend('gpujs', { mode: '${mode}' }) runs that mode and says so`, () => {
      setBackend('gpujs', { mode });
      expect(getBackend()).to.deep.equal({ name: 'gpujs', mode });
      const y = tensor([1, 2, 3]).mul(2).add(1);
      expect(Array.from(y.toTypedArray())).to.deep.equal([3, 5, 7]);
      const reports = gpujsKernelReports(backend());
      expect(reports.length).to.be.greaterThan(0);
      expect(reports.every((r) => r.mode === mode && r.fallbackReason === null)).to.equal(true);
    });
  }

  it("mode 'auto' reports the mode GPU.js really picked (headlessgl when it works here, else webasm)", () => {
    setBackend('gpujs', { mode: 'auto' });
    expect(getBackend()).to.deep.equal({ name: 'gpujs', mode: glMissing === null ? 'headlessgl' : 'webasm' });
    expect(Array.from(tensor([[1, 2]]).matmul(tensor([[3], [4]])).toTypedArray())).to.deep.equal([11]);
  });

  it('headlessgl either runs or throws a BackendError that says what to install — never a silent fallback', () => {
    if (glMissing === null) {
      setBackend('gpujs', { mode: 'headlessgl' });
      expect(getBackend()).to.deep.equal({ name: 'gpujs', mode: 'headlessgl' });
    } else {
      setBackend('js');
      expect(() => setBackend('gpujs', { mode: 'headlessgl' })).to.throw(BackendError, /gl.*xvfb-run/s);
      expect(getBackend()).to.deep.equal({ name: 'js', mode: 'js' });
    }
  });

  it('an unknown mode is a BackendError listing the modes', () => {
    expect(() => setBackend('gpujs', { mode: 'webgl9' })).to.throw(BackendError, /auto, cpu, webasm, headlessgl/);
  });

  it('float64 is refused with a DTypeError (gpujs is single precision)', () => {
    setBackend('gpujs', { mode: 'cpu' });
    expect(() => tensor([1, 2], { dtype: 'float64' })).to.throw(DTypeError, /float64/);
  });

  it('refuses tensors beyond 2^24 elements (float32 index arithmetic) with a ValueError', () => {
    expect(() => gpujsBackend('cpu').fill([MAX_ELEMENTS + 1], 0, 'float32')).to.throw(ValueError, /2\^24/);
  });

  it('AGLU_BACKEND=gpujs:webasm selects the backend from the environment', () => {
    const current = fileURLToPath(new URL('../src/backend/current.js', import.meta.url));
    const script = `import(${JSON.stringify(current)}).then((m) => console.log(JSON.stringify(m.getBackend())))`;
    const out = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, AGLU_BACKEND: 'gpujs:webasm' }, encoding: 'utf8' });
    expect(JSON.parse(out.trim())).to.deep.equal({ name: 'gpujs', mode: 'webasm' });
  });
});

for (const mode of MODES) {
  describe(`gpujs backend (${mode}): residency, cache, disposal`, function () {
    this.timeout(120000);
    before(() => setBackend('gpujs', { mode }));
    after(() => setBackend('js'));

    it('keeps results on the device between ops and reads back only when values are asked for', () => {
      const b = backend();
      const x = tensor(values(12), { shape: [3, 4] });
      const w = tensor(values(8, 1), { shape: [4, 2] });
      const before = gpujsTransfers(b);
      const y = relu(add(matmul(x, w), 0.5)).sum(0).softmax(0);
      expect(gpujsTransfers(b)).to.deep.equal(before);
      if (mode === 'headlessgl') expect((y.buf as GpuBuf).store.data).to.not.be.instanceOf(Float32Array);
      const got = Array.from(y.toTypedArray());
      expect(gpujsTransfers(b).readbacks).to.equal(before.readbacks + 1);
      // Independent expectation in plain JS (float64).
      const X = values(12), Wv = values(8, 1);
      const h = [0, 1].map((j) => [0, 1, 2].reduce((s, i) => s + Math.max(0, X[i * 4] * Wv[j] + X[i * 4 + 1] * Wv[2 + j] + X[i * 4 + 2] * Wv[4 + j] + X[i * 4 + 3] * Wv[6 + j] + 0.5), 0));
      const e = h.map((v) => Math.exp(v - Math.max(...h)));
      const want = e.map((v) => v / (e[0] + e[1]));
      got.forEach((v, i) => expect(v).to.be.closeTo(want[i], 1e-6));
    });

    it('compiles each kernel once and reuses it for other sizes (no recompiling on new shapes)', () => {
      const b = backend();
      tensor(values(10)).exp();
      const n = gpujsKernelReports(b).length;
      for (const size of [3, 17, 1000, 4096]) tensor(values(size)).exp();
      expect(gpujsKernelReports(b).length).to.equal(n);
    });

    it('dispose() releases a buffer at once; views keep their storage alive; a disposed tensor cannot be read', () => {
      const b = backend();
      const x = tensor(values(6), { shape: [2, 3] });
      const start = b.memory().buffers;
      const t = x.transpose(); // a view: no new storage
      expect(b.memory().buffers).to.equal(start);
      const y = x.exp();
      expect(b.memory().buffers).to.equal(start + 1);
      y.dispose();
      expect(b.memory().buffers).to.equal(start);
      x.dispose();
      expect(b.memory().buffers).to.equal(start); // still held by the view t
      expect(Array.from(t.toTypedArray())).to.deep.equal(Array.from(Float32Array.from([0, 3, 1, 4, 2, 5].map((i) => values(6)[i]))));
      t.dispose();
      expect(b.memory().buffers).to.equal(start - 1);
      expect(() => t.toArray()).to.throw(ValueError, /disposed/);
    });

    it('detach() and assign_() give each tensor its own handle: disposing one never frees memory another uses', () => {
      const b = backend();
      const start = b.memory().buffers;
      const z = tensor([1, 2]);
      const alias = z.detach(); // same memory, its own view
      expect((alias.buf as GpuBuf).store).to.equal((z.buf as GpuBuf).store);
      expect(alias.buf).to.not.equal(z.buf);
      alias.dispose();
      expect(Array.from(z.toTypedArray())).to.deep.equal([1, 2]);
      const z2 = z.detach();
      z.dispose();
      expect(Array.from(z2.toTypedArray())).to.deep.equal([1, 2]);
      expect(b.memory().buffers).to.equal(start + 1);
      z2.dispose();
      expect(b.memory().buffers).to.equal(start);

      const p = tensor([1, 2, 3]);
      const snapshot = p.detach(); // keeps the values p has now
      const v = tensor([4, 5, 6]);
      expect(b.memory().buffers).to.equal(start + 2);
      p.assign_(v);
      expect(p.buf).to.not.equal(v.buf);
      v.dispose(); // p holds its own view of v's memory
      expect(Array.from(p.toTypedArray())).to.deep.equal([4, 5, 6]);
      expect(Array.from(snapshot.toTypedArray())).to.deep.equal([1, 2, 3]);
      snapshot.dispose(); // the last handle on p's old memory
      expect(b.memory().buffers).to.equal(start + 1);
      p.dispose();
      expect(b.memory().buffers).to.equal(start);
    });

    it('reports bytes of live buffers', () => {
      const b = backend();
      const before = b.memory();
      const t = tensor(values(1000));
      expect(b.memory()).to.deep.equal({ buffers: before.buffers + 1, bytes: before.bytes + 4000 });
      t.dispose();
      expect(b.memory()).to.deep.equal(before);
    });
  });
}

// ---- memory: 1,000 training steps ----------------------------------------------------------------------------

/** A 2-layer MLP on 16 points, 4 features, 3 classes, trained by hand-written SGD: one step is forward, backward, update. */
function mlpProblem(): { step: () => number; params: Tensor[] } {
  const x = tensor(values(64), { shape: [16, 4] });
  const labels = tensor(Array.from({ length: 16 }, (_, i) => (i * 7) % 3));
  const params: Tensor[] = [
    tensor(values(32, 1).map((v) => 0.5 * v), { shape: [4, 8], requiresGrad: true }),
    tensor(new Array<number>(8).fill(0), { requiresGrad: true }),
    tensor(values(24, 2).map((v) => 0.5 * v), { shape: [8, 3], requiresGrad: true }),
    tensor(new Array<number>(3).fill(0), { requiresGrad: true }),
  ];
  const [w1, b1, w2, b2] = params;
  const step = (): number => {
    const logits = add(matmul(relu(add(matmul(x, w1), b1)), w2), b2);
    const loss = crossEntropy(logits, labels);
    loss.backward();
    noGrad(() => {
      for (const p of params) {
        p.assign_(p.sub(mul(p.grad!, 0.1)));
        p.grad = null;
      }
    });
    return loss.item();
  };
  return { step, params };
}

/**
 * For the garbage-collection path only: a full collection (v8's --expose-gc, switched on at run time) followed by
 * a turn of the event loop, so that FinalizationRegistry callbacks — the backend's release of unreachable
 * buffers — have run. The tidy test uses neither.
 */
v8.setFlagsFromString('--expose-gc');
const collect = vm.runInNewContext('gc') as () => void;
const settle = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) {
    collect();
    await new Promise((resolve) => setImmediate(resolve));
  }
};

for (const mode of MODES) {
  describe(`gpujs backend (${mode}): 1,000 forward+backward+update steps`, function () {
    this.timeout(300000);
    after(() => setBackend('js'));

    it('in tidy(), with no garbage collection and no yield, keep the live buffers exactly flat after every step', () => {
      setBackend('gpujs', { mode });
      const b = backend();
      const { step, params } = mlpProblem();
      const first = tidy(step);
      const warm = b.memory();
      let last = first;
      let maxBuffers = 0, maxBytes = 0;
      for (let i = 0; i < 1000; i++) {
        last = tidy(step);
        const m = b.memory();
        maxBuffers = Math.max(maxBuffers, m.buffers);
        maxBytes = Math.max(maxBytes, m.bytes);
      }
      expect(maxBuffers, `most live buffers over 1,000 steps (${mode})`).to.equal(warm.buffers);
      expect(maxBytes).to.equal(warm.bytes);
      expect(b.memory()).to.deep.equal(warm);
      expect(last).to.be.lessThan(first); // it did train
      params.forEach((p) => p.dispose());
    });

    it('without tidy, release dropped intermediates through the garbage collector once the event loop turns', async () => {
      setBackend('gpujs', { mode });
      const b = backend();
      const { step } = mlpProblem();
      for (let i = 0; i < 20; i++) step();
      await settle();
      const warm = b.memory();
      for (let i = 0; i < 300; i++) {
        step();
        // A training loop that yields to the event loop now and then, as an async or browser loop does.
        if (i % 50 === 49) await new Promise((resolve) => setImmediate(resolve));
      }
      await settle();
      const end = b.memory();
      expect(end.buffers, `live buffers after 300 steps (${mode})`).to.be.at.most(warm.buffers);
      expect(end.bytes).to.be.at.most(warm.bytes);
    });
  });
}

describe('gpujs kernels (kernels/*.ts)', () => {
  it('compile to plain functions: no TypeScript helpers, no imports, no closures over module state', async () => {
    const files = ['elementwise', 'reduce', 'matmul', 'gather'];
    for (const file of files) {
      const mod = (await import(`../kernels/${file}.js`)) as Record<string, unknown>;
      const fns = Object.entries(mod).flatMap(([name, v]): [string, unknown][] =>
        typeof v === 'function' ? [[name, v]] : Object.entries(v as Record<string, unknown>).map(([k, f]): [string, unknown] => [`${name}.${k}`, f]),
      );
      expect(fns.length, file).to.be.greaterThan(0);
      for (const [name, fn] of fns) {
        const src = String(fn);
        expect(src, `${file}:${name}`).to.match(/^function /);
        expect(src, `${file}:${name}`).to.not.match(/__\w+|require\(|import\(|\?\.|\?\?/);
      }
    }
  });
});
