/**
 * Turns benchmarks/results/*.json into the markdown tables of docs/benchmarks.md (between the GENERATED markers;
 * the prose around them is written by hand). Every figure is a median with its interquartile range, and a ratio to
 * tfjs-wasm measured in the same run (time ÷ tfjs-wasm time: below 1 is faster than tfjs-wasm).
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { CaseResult, ExtraRun, Stat, SuiteFile } from './common.js';

export const BEGIN = '<!-- BEGIN GENERATED: npm run bench writes everything down to the END marker -->';
export const END = '<!-- END GENERATED -->';

export const SUITE_ORDER = ['apa', 'mlp', 'mnist', 'matmul', 'firstcall'];

export function loadResults(dir: string): SuiteFile[] {
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== EXTRAS_FILE);
  const suites = files.map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as SuiteFile).filter((s) => Array.isArray(s.results));
  return suites.sort((a, b) => SUITE_ORDER.indexOf(a.suite) - SUITE_ORDER.indexOf(b.suite));
}

export const EXTRAS_FILE = 'extras.json';

export function loadExtras(dir: string): ExtraRun[] {
  const f = path.join(dir, EXTRAS_FILE);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as { extras: ExtraRun[] }).extras : [];
}

export function fmtMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms >= 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

const fmtNum = (x: number, digits = 2): string => (Number.isFinite(x) ? x.toFixed(digits) : String(x));
const fmtRatio = (r: number): string => (r >= 10 ? `${r.toFixed(0)}×` : r >= 1 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`);
const fmtErr = (e: unknown): string => (typeof e === 'number' ? e.toExponential(0) : '—');

function statCell(s: Stat): string {
  return s.samples > 1 ? `${fmtMs(s.median)} (${fmtMs(s.q1)}–${fmtMs(s.q3)})` : fmtMs(s.median);
}

/** Collects skip reasons as numbered footnotes. */
class Notes {
  readonly list: string[] = [];
  ref(reason: string): string {
    let i = this.list.indexOf(reason);
    if (i < 0) i = this.list.push(reason) - 1;
    return `n/a[^${i + 1}]`;
  }
  render(offset: number): string {
    return this.list.map((r, i) => `[^${offset + i + 1}]: ${r.replace(/\|/g, '\\|')}`).join('\n');
  }
}

interface Row {
  impl: string;
  mode: string;
  cells: Map<string, CaseResult>;
}

function rows(results: CaseResult[]): Row[] {
  const out: Row[] = [];
  for (const r of results) {
    let row = out.find((x) => x.impl === r.impl && x.mode === r.mode);
    if (row === undefined) out.push((row = { impl: r.impl, mode: r.mode, cells: new Map() }));
    row.cells.set(r.key, r);
  }
  return out;
}

function keys(results: CaseResult[]): string[] {
  return [...new Set(results.map((r) => r.key))];
}

const isWasm = (r: Row): boolean => r.mode === 'tfjs wasm';

function table(header: string[], body: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}

/** A time table: rows = implementations, columns = keys, cells = median (IQR) · ratio to tfjs-wasm. */
function timeTable(results: CaseResult[], notes: Notes, extraCol?: { title: string; cell: (row: Row) => string }): string {
  const ks = keys(results), rs = rows(results);
  const base = rs.find(isWasm);
  const body = rs.map((row) => {
    const cells = ks.map((k) => {
      const c = row.cells.get(k);
      if (c === undefined) return '';
      if (c.stat === undefined) return notes.ref(c.skipped ?? 'not run');
      const b = base?.cells.get(k)?.stat;
      const ratio = b === undefined || isWasm(row) ? '' : ` · **${fmtRatio(c.stat.median / b.median)}**`;
      return statCell(c.stat) + ratio;
    });
    return [row.impl, row.mode, ...cells, ...(extraCol ? [extraCol.cell(row)] : [])];
  });
  return table(['implementation', 'mode', ...ks, ...(extraCol ? [extraCol.title] : [])], body);
}

function machineBlock(files: SuiteFile[]): string {
  const f = files[0];
  const m = f.machine;
  const v = Object.entries(f.versions).map(([k, x]) => `${k} ${x}`).join(', ');
  const tfInfo = files.flatMap((s) => s.results).find((r) => r.mode === 'tfjs wasm' && r.extra?.wasmSimd !== undefined)?.extra;
  const wall = files.map((s) => `${s.suite} at ${s.startedAt.slice(11, 16)} UTC, ${s.wallSeconds.toFixed(0)} s${s.loadAverage ? ` (load ${s.loadAverage.start.toFixed(1)} → ${s.loadAverage.end.toFixed(1)})` : ''}`).join(', ');
  return [
    `- **Machine:** ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; load average at start ${m.loadAverageAtStart.join(' / ')}`,
    `- **Versions:** ${v}`,
    tfInfo ? `- **tfjs-wasm build:** SIMD ${String(tfInfo.wasmSimd)}, multithread support ${String(tfInfo.wasmThreads)}, threads used ${String(tfInfo.wasmThreadsCount)}` : '',
    `- **Run:** ${f.startedAt.slice(0, 10)}${f.quick ? ' — QUICK mode (AGLU_BENCH_QUICK=1): development numbers, not for comparison' : ''}; each suite's start, wall time and 1-minute load average at its start → end (the benchmark itself adds about 1, more means other work shared the ${m.cores} cores): ${wall}`,
  ].filter((x) => x !== '').join('\n');
}

/** Target checks of issues 3, 4 and 7, computed from the results. */
function targets(files: SuiteFile[]): string {
  const all = files.flatMap((f) => f.results);
  const getStat = (suite: string, impl: string, mode: string, key: string): Stat | undefined =>
    all.find((r) => r.suite === suite && r.impl === impl && r.mode === mode && r.key === key)?.stat;
  const get = (suite: string, impl: string, mode: string, key: string): number | undefined => getStat(suite, impl, mode, key)?.median;
  /** 'met' / 'missed', or a tie when the two interquartile ranges overlap (the run cannot tell them apart). */
  const versus = (a: Stat | undefined, b: Stat | undefined, ok: boolean): string => {
    if (a === undefined || b === undefined) return 'not measured';
    const overlap = a.q1 <= b.q3 && b.q1 <= a.q3;
    return overlap ? `tie: the IQRs overlap (${ok ? 'met' : '**missed**'} on the medians)` : ok ? 'met' : '**missed**';
  };
  const lines: string[][] = [];
  const verdict = (ok: boolean | undefined): string => (ok === undefined ? 'not measured' : ok ? 'met' : '**missed**');

  const apaBig = ['1M', '100k', '10k'].find((k) => all.some((r) => r.suite === 'apa' && r.key === k && r.stat));
  if (apaBig !== undefined) {
    const wasm = get('apa', 'tfjs composite', 'tfjs wasm', apaBig);
    const fused = all.filter((r) => r.suite === 'apa' && r.impl === 'aglu fused' && r.key === apaBig && r.stat);
    const best = fused.sort((a, b) => a.stat!.median - b.stat!.median)[0];
    const ratio = best && wasm ? best.stat!.median / wasm : undefined;
    lines.push([
      `Fused AGLU fwd+bwd at ${apaBig}, fastest mode, vs tfjs-wasm (issues 4, 7)`, '< 1.0× tfjs-wasm',
      best && ratio !== undefined ? `${fmtRatio(ratio)} (${best.mode}: ${fmtMs(best.stat!.median)} vs ${fmtMs(wasm!)})` : '—',
      ratio === undefined ? verdict(undefined) : versus(best?.stat, getStat('apa', 'tfjs composite', 'tfjs wasm', apaBig), ratio < 1),
    ]);
    for (const f of fused.sort((a, b) => a.mode.localeCompare(b.mode))) {
      const unf = get('apa', 'aglu unfused', f.mode, apaBig);
      const sp = unf === undefined ? undefined : unf / f.stat!.median;
      lines.push([
        `Fused vs unfused at ${apaBig} on ${f.mode} (issues 4, 7)`, '≥ 3× faster',
        sp === undefined ? '—' : `${sp.toFixed(1)}× (${fmtMs(unf!)} → ${fmtMs(f.stat!.median)})`, verdict(sp === undefined ? undefined : sp >= 3),
      ]);
    }
  }
  for (const act of ['relu', 'aglu']) {
    const mlp = all.filter((r) => r.suite === 'mlp' && r.impl === 'aglu' && r.key === act && r.stat);
    const best = mlp.sort((a, b) => a.stat!.median - b.stat!.median)[0];
    const wasm = get('mlp', 'tfjs', 'tfjs wasm', act);
    const r = best && wasm ? best.stat!.median / wasm : undefined;
    lines.push([
      `MLP step (${act}), fastest aglu mode vs tfjs-wasm (issue 7)`, '≤ 1.0×',
      best && r !== undefined ? `${fmtRatio(r)} (${best.mode}: ${fmtMs(best.stat!.median)} vs ${fmtMs(wasm!)})` : '—',
      r === undefined ? verdict(undefined) : versus(best?.stat, getStat('mlp', 'tfjs', 'tfjs wasm', act), r <= 1),
    ]);
    const autoRow = all.find((x) => x.suite === 'firstcall' && x.mode.startsWith('gpujs auto'));
    const defMode = autoRow ? `gpujs ${String(autoRow.extra?.resolvedMode)}` : undefined;
    const def = defMode ? get('mlp', 'aglu', defMode, act) : undefined;
    const cpu = get('mlp', 'tfjs', 'tfjs cpu', act);
    const r2 = def !== undefined && cpu !== undefined ? def / cpu : undefined;
    lines.push([
      `MLP step (${act}), default mode${defMode ? ` (${defMode})` : ''} vs tfjs-cpu (issue 7)`, '≤ 0.2×',
      r2 !== undefined ? `${fmtRatio(r2)} (${fmtMs(def!)} vs ${fmtMs(cpu!)})` : '—', verdict(r2 === undefined ? undefined : r2 <= 0.2),
    ]);
  }
  const mm = all.filter((r) => r.suite === 'matmul' && r.impl === 'aglu' && r.key === '256' && r.stat);
  const bestMm = mm.sort((a, b) => a.stat!.median - b.stat!.median)[0];
  const gf = bestMm?.extra?.gflops as number | undefined;
  lines.push(['Matmul 256³, best aglu mode (issue 3)', '≥ 5 GFLOP/s', gf !== undefined ? `${gf.toFixed(2)} GFLOP/s (${bestMm!.mode})` : '—', verdict(gf === undefined ? undefined : gf >= 5)]);
  const firsts = all.filter((r) => r.suite === 'firstcall' && r.impl === 'aglu' && r.key.includes(': first') && !r.key.startsWith('MLP') && r.stat);
  const worst = firsts.sort((a, b) => b.stat!.median - a.stat!.median)[0];
  lines.push([
    'First call of a new op on a new shape, every aglu mode (issue 3)', '< 1 s',
    worst ? `worst ${fmtMs(worst.stat!.median)} (${worst.mode}, ${worst.key.replace(': first', '')})` : '—', verdict(worst === undefined ? undefined : worst.stat!.median < 1000),
  ]);
  return table(['target', 'goal', 'measured', 'verdict'], lines);
}

/** Host↔device copies per call of an aglu gpujs row (the same for every column; taken from the first that has them). */
function copiesCell(row: Row): string {
  const c = [...row.cells.values()].find((x) => typeof x.extra?.uploadsPerCall === 'number');
  if (c?.extra === undefined) return '';
  const fb = c.extra.kernelsOnOtherMode;
  return `${String(c.extra.uploadsPerCall)} / ${String(c.extra.readbacksPerCall)}${typeof fb === 'string' && fb !== 'none' ? `; kernels on another mode: ${fb}` : ''}`;
}

function suiteSection(f: SuiteFile, notes: Notes): string {
  const parts = [`### ${f.title}`, ''];
  const res = f.results;
  if (f.suite === 'apa') {
    const largest = (row: Row): CaseResult | undefined => [...row.cells.values()].filter((c) => c.stat).pop();
    parts.push(timeTable(res, notes, {
      title: 'max rel. error y / dz / dλ / dκ (largest size); gpujs copies per call: uploads / readbacks',
      cell: (row) => {
        const c = largest(row);
        const err = c?.extra ? `${fmtErr(c.extra.errY)} / ${fmtErr(c.extra.errDz)} / ${fmtErr(c.extra.errDlambda)} / ${fmtErr(c.extra.errDkappa)}` : '—';
        const cp = copiesCell(row);
        return cp === '' ? err : `${err}; ${cp}`;
      },
    }));
    const ref = res.find((r) => r.impl === 'plain JS fused loop' && r.extra?.finiteDiffErrDlambda !== undefined);
    if (ref?.extra) {
      const e = ref.extra;
      parts.push('', `Errors are relative to the float64 plain-JS reference (max |error| ÷ max |value| for y and dz). The reference itself, checked at ${ref.key} in float64: ` +
        `dλ and dκ against central finite differences of Σ dy·y: ${fmtErr(e.finiteDiffErrDlambda)} and ${fmtErr(e.finiteDiffErrDkappa)}; ` +
        `against aglu's fused op on the js backend in float64: dz ${fmtErr(e.vsAgluFloat64ErrDz)}, dλ ${fmtErr(e.vsAgluFloat64ErrDlambda)}, dκ ${fmtErr(e.vsAgluFloat64ErrDkappa)}.`);
    }
  } else if (f.suite === 'mlp') {
    parts.push(timeTable(res, notes, { title: 'gpujs copies per step: uploads / readbacks', cell: copiesCell }));
  } else if (f.suite === 'matmul') {
    const ks = keys(res), rs = rows(res), base = rs.find(isWasm);
    parts.push(table(['implementation', 'mode', ...ks.map((k) => `${k}³`)], rs.map((row) => [row.impl, row.mode, ...ks.map((k) => {
      const c = row.cells.get(k);
      if (c === undefined) return '';
      if (c.stat === undefined) return notes.ref(c.skipped ?? 'not run');
      const b = base?.cells.get(k)?.stat;
      return `${fmtNum(c.extra?.gflops as number)} GFLOP/s, ${statCell(c.stat)}${b && !isWasm(row) ? ` · **${fmtRatio(c.stat.median / b.median)}**` : ''}`;
    })])));
  } else if (f.suite === 'mnist') {
    const base = (key: string): CaseResult | undefined => res.find((r) => r.mode === 'tfjs wasm' && r.key === key);
    parts.push(table(['implementation', 'mode', 'activation', 'reached', 'epochs', 'training time', 'ratio', 'test accuracy', 'evaluation time', 'accuracy by epoch'], res.map((r) => {
      if (r.stat === undefined) return [r.impl, r.mode, r.key, notes.ref(r.skipped ?? 'not run'), '', '', '', '', '', ''];
      const e = r.extra ?? {};
      const b = base(r.key)?.stat;
      return [
        r.impl, r.mode, r.key, e.reached ? 'yes' : '**no**', fmtNum(e.epochs as number, 1), fmtMs(r.stat.median),
        b && r.mode !== 'tfjs wasm' ? `**${fmtRatio(r.stat.median / b.median)}**` : '', fmtNum(e.testAccuracy as number, 3), fmtMs(e.evalMs as number), String(e.curve ?? ''),
      ];
    })));
  } else if (f.suite === 'firstcall') {
    const modes = [...new Set(res.map((r) => r.mode))];
    const ks = keys(res);
    parts.push(table(['call', ...modes], ks.map((k) => [k, ...modes.map((m) => {
      const c = res.find((r) => r.mode === m && r.key === k);
      if (c === undefined) return '';
      return c.stat === undefined ? notes.ref(c.skipped ?? 'not run') : statCell(c.stat);
    })])));
  }
  for (const n of f.notes) parts.push('', `> ${n}`);
  return parts.join('\n');
}

function extraSection(x: ExtraRun): string {
  const status = x.exitCode === 0 ? '' : ` — **exited with ${String(x.exitCode)}**`;
  return [`### ${x.title}`, '', `\`${x.command}\`, ${x.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${x.wallSeconds.toFixed(0)} s${status}. Its own output, unchanged:`, '', '```text', x.output.trimEnd(), '```'].join('\n');
}

/** The generated markdown: machine, targets, one table per suite, the output of ops.bench and apa.bench, footnotes. */
export function renderTables(files: SuiteFile[], extras: ExtraRun[] = []): string {
  if (files.length === 0) return '_No results yet: run `npm run bench`._';
  const notes = new Notes();
  const sections = [...files.map((f) => suiteSection(f, notes)), ...extras.map(extraSection)];
  return [
    machineBlock(files),
    '',
    '### Targets (issues 3, 4, 7)',
    '',
    targets(files),
    '',
    ...sections.flatMap((s) => [s, '']),
    notes.render(0),
  ].join('\n');
}

/** Replaces the generated block of the doc (or appends one). */
export function writeDocs(docPath: string, generated: string): void {
  const block = `${BEGIN}\n\n${generated}\n\n${END}`;
  const old = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Benchmarks\n';
  const a = old.indexOf(BEGIN), b = old.indexOf(END);
  const next = a >= 0 && b > a ? old.slice(0, a) + block + old.slice(b + END.length) : `${old.trimEnd()}\n\n${block}\n`;
  writeFileSync(docPath, next);
}
