/**
 * `aglu bench`: a short benchmark on each backend that runs here — the fused AGLU forward and forward+backward on
 * `--size` elements, and one training step of a small AGLU MLP. Results are read back to the host inside the timed
 * region, so lazy backends cannot look faster than they are. For careful numbers use `npm run bench`.
 */
import { writeFileSync } from 'node:fs';
import Table from 'cli-table3';
import { aglu, crossEntropy, getBackend, manualSeed, nn, optim, randn, setBackend, tensor, type Tensor } from '../index.js';
import { probeBackends, useBackend } from './backends.js';
import type { CliIo } from './program.js';
import { EXIT, type BackendSpec } from './usage.js';

export interface BenchOptions {
  backend?: BackendSpec;
  size: number;
  time: number;
  json?: string;
}

export interface Timing {
  /** Median milliseconds per call. */
  ms: number;
  runs: number;
}

export interface BenchRow {
  backend: string;
  forward: Timing;
  forwardBackward: Timing;
  trainStep: Timing;
  size: number;
}

/** Calls fn until `budget` seconds are spent (at least 3 times, after one warm-up call); the median time. */
export function measure(fn: () => void, budget: number): Timing {
  fn();
  const times: number[] = [];
  const end = performance.now() + budget * 1000;
  while (times.length < 3 || (performance.now() < end && times.length < 10_000)) {
    const t = performance.now();
    fn();
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], runs: times.length };
}

function benchBackend(label: string, size: number, budget: number): BenchRow {
  manualSeed(0);
  const z = randn([size]);
  const lam = tensor([0.7]), kap = tensor([1.3]);
  const forward = measure(() => {
    aglu(z, lam, kap).toTypedArray();
  }, budget);
  const zg = randn([size], { requiresGrad: true });
  const lg = tensor([0.7], { requiresGrad: true }), kg = tensor([1.3], { requiresGrad: true });
  const forwardBackward = measure(() => {
    zg.grad = null; lg.grad = null; kg.grad = null;
    aglu(zg, lg, kg).sum().backward();
    (zg.grad as Tensor | null)?.toTypedArray();
  }, budget);
  const model = nn.mlp([2, 64, 64, 2], { activation: 'aglu' });
  const opt = new optim.AdamW(model, { lr: 1e-3 });
  const x = randn([256, 2]);
  const y = tensor(Array.from({ length: 256 }, (_, i) => i % 2));
  const trainStep = measure(() => {
    opt.zeroGrad();
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    loss.item();
  }, budget);
  return { backend: label, forward, forwardBackward, trainStep, size };
}

const ms = (t: Timing): string => (t.ms >= 10 ? t.ms.toFixed(1) : t.ms.toFixed(3));

/** Runs `aglu bench`. */
export async function runBench(o: BenchOptions, io: CliIo): Promise<number> {
  const specs = o.backend ? [o.backend.text] : probeBackends().filter((p) => p.available && p.spec !== 'gpujs').map((p) => p.spec);
  const before = getBackend();
  const rows: BenchRow[] = [];
  try {
    for (const spec of specs) {
      const [name, mode] = spec.split(':');
      const running = useBackend({ name: name as 'js' | 'gpujs', ...(mode ? { mode } : {}), text: spec }, 'bench');
      const label = running.name === 'js' ? 'js' : `${spec}${mode === 'auto' || mode === undefined ? ` (→ ${running.mode})` : ''}`;
      io.err(`benchmarking ${label}…\n`);
      rows.push(benchBackend(label, o.size, o.time));
    }
  } finally {
    setBackend(before.name as 'js' | 'gpujs', before.name === 'js' ? {} : { mode: before.mode });
  }
  const t = new Table({
    head: ['backend', `AGLU forward ms (${o.size.toLocaleString('en-US')} el.)`, 'forward+backward ms', 'M elements/s (fwd+bwd)', 'train step ms (MLP 2-64-64-2, batch 256)'],
    style: { head: [], border: [] },
  });
  for (const r of rows)
    t.push([r.backend, ms(r.forward), ms(r.forwardBackward), (r.size / r.forwardBackward.ms / 1000).toFixed(1), ms(r.trainStep)]);
  io.out(t.toString() + '\n');
  io.out('median of repeated runs, values read back to the host inside the timed region; float32.\n');
  if (o.json) writeFileSync(o.json, JSON.stringify({ size: o.size, budgetSeconds: o.time, rows }, null, 2) + '\n');
  return EXIT.ok;
}
