/**
 * `npm run bench`: aglu against TensorFlow.js (cpu, wasm), js-pytorch and brain.js, in one run (issue 7).
 *
 *   node dist/benchmarks/run.js                 all suites → benchmarks/results/*.json + tables in docs/benchmarks.md
 *   node dist/benchmarks/run.js --only apa,mlp  some suites (the others' JSON files are kept and still reported)
 *   node dist/benchmarks/run.js --report        only regenerate docs/benchmarks.md from the JSON files
 *   AGLU_BENCH_QUICK=1 …                        quick development run → build-bench/bench-quick/ (docs untouched)
 *
 * Every implementation runs in its own child process (`--child <suite> <target>`): a fresh JIT and heap per library,
 * a crash or hang costs one row instead of the run, and the headless-GL mode can be started under xvfb-run.
 * The whole run is held under a time budget (AGLU_BENCH_BUDGET_S, default 840 s) so it ends within 15 minutes on
 * two cores including the build.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONFIG, type CaseResult, type ExtraRun, QUICK, type SuiteFile, errorMessage, machineInfo, sizeLabel, versions } from './common.js';
import { EXTRAS_FILE, SUITE_ORDER, loadExtras, loadResults, renderTables, writeDocs } from './report.js';
import { agluModeLabel, needsDisplay } from './targets.js';

interface SuiteModule {
  TITLE: string;
  TARGETS: string[];
  run(target: string): Promise<CaseResult[]>;
}

const SUITES: Record<string, () => Promise<SuiteModule>> = {
  apa: () => import('./suite-apa.js'),
  mlp: () => import('./suite-mlp.js'),
  mnist: () => import('./suite-mnist.js'),
  matmul: () => import('./suite-matmul.js'),
  firstcall: () => import('./suite-first-call.js'),
};

/** Seconds one child may take (full mode); the run-wide budget can shorten it. */
const CHILD_TIMEOUT_S: Record<string, number> = QUICK
  ? { apa: 90, mlp: 90, mnist: 150, matmul: 60, firstcall: 60 }
  : { apa: 150, mlp: 150, mnist: 300, matmul: 120, firstcall: 90 };

/** The order suites run in: mlp before mnist (which uses the fastest aglu mode of mlp). */
const RUN_ORDER = ['firstcall', 'apa', 'matmul', 'mlp', 'mnist'];

/**
 * The other benchmark scripts (benchmarks/ops.bench.ts: per-op throughput of the gpujs backend beside a
 * plain loop; benchmarks/apa.bench.ts: fused vs composite and the GPU.js forward kernel with Math.exp vs an inline
 * polynomial). They run after the suites, each only when the remaining budget covers its timeout; their console
 * output is stored as is in extras.json and shown in the docs.
 */
const EXTRAS: { name: string; script: string; title: string; env: Record<string, string>; timeoutS: number }[] = [
  {
    name: 'ops', script: 'ops.bench.js', title: 'Per-op throughput of the gpujs backend (benchmarks/ops.bench.ts)',
    env: { AGLU_BENCH_MAXTIME: QUICK ? '0.2' : '0.5' }, timeoutS: QUICK ? 90 : 180,
  },
  {
    name: 'apa-kernels', script: 'apa.bench.js', title: 'AGLU fused vs composite and the GPU.js forward kernel alone (benchmarks/apa.bench.ts)',
    env: { AGLU_BENCH_N: QUICK ? '100000' : String(1 << 20) }, timeoutS: QUICK ? 90 : 150,
  },
];

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SELF = fileURLToPath(import.meta.url);
const RESULT_TAG = '@@bench-result ';

// ---- child -----------------------------------------------------------------------------------------------------

async function child(suite: string, target: string): Promise<void> {
  const mod = await SUITES[suite]();
  const results = await mod.run(target);
  for (const r of results) process.stdout.write(RESULT_TAG + JSON.stringify(r) + '\n');
}

// ---- parent ----------------------------------------------------------------------------------------------------

/** Rows for a target whose child died, so the tables say so instead of silently missing it. */
function failedRows(suite: string, target: string, reason: string): CaseResult[] {
  const keys: Record<string, string[]> = {
    apa: CONFIG.apaSizes.map(sizeLabel),
    mlp: ['relu', 'aglu'],
    mnist: ['relu', 'aglu'],
    matmul: CONFIG.matmulSizes.map(String),
    firstcall: ['backend setup'],
  };
  const lib = target.split(':')[0];
  const mode = lib === 'aglu' ? agluModeLabel(target)
    : lib === 'tfjs' ? `tfjs ${target.split(':')[1]}`
    : lib === 'plain' ? 'js (1 thread)'
    : target === 'brain.js:gpu' ? 'brain.js gpu.js'
    : `${lib} cpu`;
  const impls = lib === 'aglu' ? (suite === 'apa' ? ['aglu fused', 'aglu unfused'] : ['aglu'])
    : lib === 'tfjs' ? [suite === 'apa' ? 'tfjs composite' : 'tfjs']
    : lib === 'plain' ? [suite === 'apa' ? 'plain JS fused loop' : 'plain JS loop']
    : lib === 'js-pytorch' ? [suite === 'apa' ? 'js-pytorch composite' : 'js-pytorch']
    : [target === 'brain.js:gpu' ? 'brain.js NeuralNetworkGPU' : 'brain.js NeuralNetwork'];
  return impls.flatMap((impl) => keys[suite].map((key) => ({ suite, impl, mode, key, skipped: reason })));
}

interface ChildOutcome {
  results: CaseResult[];
  ms: number;
}

function runChild(suite: string, target: string, timeoutS: number): Promise<ChildOutcome> {
  const t0 = performance.now();
  const nodeArgs = ['--max-old-space-size=6144', SELF, '--child', suite, target];
  const wrap = needsDisplay(target) && !process.env.DISPLAY && existsSync('/usr/bin/xvfb-run');
  const [cmd, args] = wrap ? ['xvfb-run', ['-a', process.execPath, ...nodeArgs]] : [process.execPath, nodeArgs];
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: process.env, detached: true });
    const results: CaseResult[] = [];
    let buf = '', errTail = '', killed = false;
    p.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith(RESULT_TAG)) {
          const r = JSON.parse(line.slice(RESULT_TAG.length)) as CaseResult;
          results.push(r);
          console.log(`  ${progressLine(r)}`);
        } else if (process.env.AGLU_BENCH_VERBOSE === '1') console.log(`  [${target}] ${line}`);
      }
    });
    p.stderr.on('data', (d: Buffer) => {
      errTail = (errTail + d.toString()).slice(-4000);
      if (process.env.AGLU_BENCH_VERBOSE === '1') process.stderr.write(d);
    });
    const timer = killGroupAfter(p, timeoutS, () => void (killed = true));
    p.on('close', (code) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      if (killed) {
        const why = `stopped after ${timeoutS} s (time budget of this target)`;
        const have = new Set(results.map((r) => `${r.impl}|${r.mode}|${r.key}`));
        results.push(...failedRows(suite, target, why).filter((r) => !have.has(`${r.impl}|${r.mode}|${r.key}`)));
      } else if (code !== 0 && results.length === 0) {
        const last = errTail.trim().split('\n').filter((l) => /Error|error/.test(l)).pop() ?? errTail.trim().split('\n').pop() ?? '';
        results.push(...failedRows(suite, target, `the benchmark process failed (exit ${code}): ${last.slice(0, 240)}`));
      }
      resolve({ results, ms });
    });
  });
}

/**
 * Kills the child's whole process group (xvfb-run starts Xvfb beside node) after `timeoutS`, calling onKill first.
 * Returns the timer, to be cleared when the child ends in time.
 */
function killGroupAfter(p: ChildProcess, timeoutS: number, onKill: () => void): NodeJS.Timeout {
  return setTimeout(() => {
    onKill();
    try {
      if (p.pid !== undefined) process.kill(-p.pid, 'SIGKILL');
    } catch {
      p.kill('SIGKILL');
    }
  }, timeoutS * 1000);
}

/** Runs one of those scripts (under xvfb-run when there is no display, so headlessgl is measured). */
function runExtra(x: (typeof EXTRAS)[number], timeoutS: number): Promise<ExtraRun> {
  const script = path.join(path.dirname(SELF), x.script);
  const startedAt = new Date().toISOString(), t0 = performance.now();
  const wrap = !process.env.DISPLAY && existsSync('/usr/bin/xvfb-run');
  const [cmd, args] = wrap ? ['xvfb-run', ['-a', process.execPath, script]] : [process.execPath, [script]];
  const command = `${Object.entries(x.env).map(([k, v]) => `${k}=${v} `).join('')}${wrap ? 'xvfb-run -a ' : ''}node ${path.relative(ROOT, script)}`;
  return new Promise((resolve) => {
    if (!existsSync(script)) {
      resolve({ name: x.name, title: x.title, command, startedAt, wallSeconds: 0, exitCode: null, output: `not run: ${path.relative(ROOT, script)} is not built` });
      return;
    }
    const p = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...x.env }, detached: true });
    let out = '', err = '', killed = false;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      process.stdout.write(d.toString().replace(/^/gm, '  '));
    });
    p.stderr.on('data', (d: Buffer) => void (err = (err + d.toString()).slice(-2000)));
    const timer = killGroupAfter(p, timeoutS, () => void (killed = true));
    p.on('close', (code) => {
      clearTimeout(timer);
      const tail = killed ? `\n[stopped after ${timeoutS} s: the run's time budget]` : code !== 0 ? `\n[stderr]\n${err.trim()}` : '';
      resolve({ name: x.name, title: x.title, command, startedAt, wallSeconds: (performance.now() - t0) / 1000, exitCode: code, output: out + tail });
    });
  });
}

function progressLine(r: CaseResult): string {
  const what = `${r.suite} | ${r.impl} | ${r.mode} | ${r.key}`;
  if (r.stat === undefined) return `${what}: skipped — ${r.skipped}`;
  const gf = typeof r.extra?.gflops === 'number' ? `, ${r.extra.gflops.toFixed(2)} GFLOP/s` : '';
  return `${what}: ${r.stat.median.toFixed(3)} ms (IQR ${r.stat.q1.toFixed(3)}–${r.stat.q3.toFixed(3)}, n=${r.stat.samples})${gf}`;
}

/** The fastest aglu mode of the MLP-step suite (ReLU), as a target; js when nothing was measured. */
function fastestAgluTarget(results: CaseResult[]): string {
  const best = results
    .filter((r) => r.suite === 'mlp' && r.impl === 'aglu' && r.key === 'relu' && r.stat !== undefined)
    .sort((a, b) => a.stat!.median - b.stat!.median)[0];
  if (best === undefined) return 'aglu:js';
  return best.mode === 'js' ? 'aglu:js' : `aglu:${best.mode.replace(' ', ':')}`;
}

async function parent(only: string[] | null): Promise<void> {
  const t0 = performance.now();
  const budgetS = Number(process.env.AGLU_BENCH_BUDGET_S ?? (QUICK ? 300 : 840));
  const outDir = path.resolve(ROOT, process.env.AGLU_BENCH_OUT ?? (QUICK ? 'build-bench/bench-quick' : 'benchmarks/results'));
  mkdirSync(outDir, { recursive: true });
  const machine = machineInfo(), vers = versions();
  console.log(`aglu benchmarks${QUICK ? ' (QUICK)' : ''}: ${machine.cpuModel}, ${machine.cores} cores, Node ${machine.node}, load ${machine.loadAverageAtStart.join('/')}`);
  console.log(`results → ${path.relative(ROOT, outDir)}/; budget ${budgetS} s`);
  const order = RUN_ORDER.filter((s) => only === null || only.includes(s));
  let mlpResults: CaseResult[] = [];
  for (const suite of order) {
    const mod = await SUITES[suite]();
    const targets = suite === 'mnist' ? [fastestAgluTarget(mlpResults.length ? mlpResults : loadResults(outDir).flatMap((f) => f.results)), 'tfjs:wasm'] : mod.TARGETS;
    console.log(`\n== ${suite}: ${mod.TITLE}`);
    const started = new Date().toISOString(), s0 = performance.now(), load0 = os.loadavg()[0];
    const results: CaseResult[] = [];
    for (const target of targets) {
      const left = budgetS - (performance.now() - t0) / 1000;
      if (left < 15) {
        results.push(...failedRows(suite, target, `not run: the run's time budget (${budgetS} s) was used up`));
        continue;
      }
      const out = await runChild(suite, target, Math.max(10, Math.min(CHILD_TIMEOUT_S[suite], left - 5)));
      console.log(`  [${target}: ${(out.ms / 1000).toFixed(1)} s]`);
      results.push(...out.results);
    }
    if (suite === 'mlp') mlpResults = results;
    const file: SuiteFile = {
      suite, title: mod.TITLE, quick: QUICK, startedAt: started, wallSeconds: (performance.now() - s0) / 1000,
      loadAverage: { start: load0, end: os.loadavg()[0] },
      machine, versions: vers, notes: [], results,
    };
    writeFileSync(path.join(outDir, `${suite}.json`), JSON.stringify(file, null, 1) + '\n');
  }
  if (only === null || only.includes('extras')) {
    const extras: ExtraRun[] = [];
    for (const x of EXTRAS) {
      const left = budgetS - (performance.now() - t0) / 1000;
      if (left < x.timeoutS + 10) {
        console.log(`\n== ${x.name}: skipped, ${left.toFixed(0)} s of the budget left (needs ${x.timeoutS} s)`);
        continue;
      }
      console.log(`\n== ${x.name}: ${x.title}`);
      extras.push(await runExtra(x, x.timeoutS));
    }
    writeFileSync(path.join(outDir, EXTRAS_FILE), JSON.stringify({ extras }, null, 1) + '\n');
  }
  const tables = renderTables(loadResults(outDir), loadExtras(outDir));
  if (QUICK || process.env.AGLU_BENCH_OUT !== undefined) {
    writeFileSync(path.join(outDir, 'tables.md'), tables + '\n');
    console.log(`\ntables → ${path.relative(ROOT, path.join(outDir, 'tables.md'))} (docs/benchmarks.md untouched)`);
  } else {
    writeDocs(path.join(ROOT, 'docs', 'benchmarks.md'), tables);
    console.log('\ntables → docs/benchmarks.md');
  }
  console.log(`done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') return child(argv[1], argv[2]);
  if (argv[0] === '--report') {
    const dir = path.resolve(ROOT, process.env.AGLU_BENCH_OUT ?? 'benchmarks/results');
    const tables = renderTables(loadResults(dir), loadExtras(dir));
    if (process.env.AGLU_BENCH_OUT !== undefined) {
      writeFileSync(path.join(dir, 'tables.md'), tables + '\n');
      console.log(`tables → ${path.relative(ROOT, path.join(dir, 'tables.md'))} (docs/benchmarks.md untouched)`);
    } else {
      writeDocs(path.join(ROOT, 'docs', 'benchmarks.md'), tables);
      console.log('docs/benchmarks.md regenerated from', path.relative(ROOT, dir));
    }
    return;
  }
  const i = argv.indexOf('--only');
  const only = i >= 0 ? (argv[i + 1] ?? '').split(',').filter((s) => s !== '') : null;
  if (only !== null) {
    const bad = only.filter((s) => !SUITE_ORDER.includes(s) && s !== 'extras');
    if (bad.length > 0) throw new Error(`--only: unknown suite(s) ${bad.join(', ')}; choose from ${[...SUITE_ORDER, 'extras'].join(', ')}`);
  }
  await parent(only);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`bench: ${errorMessage(e)}`);
    process.exit(1);
  },
);
