/** `aglu info`: version, the backends and modes that run here, and which one 'auto' picks and why. */
import Table from 'cli-table3';
import { getBackend } from '../backend/current.js';
import { probeBackends, type ProbeResult } from './backends.js';
import type { CliIo } from './program.js';
import { EXIT, UsageError } from './usage.js';
import { versions } from './versions.js';

export interface InfoOptions {
  json?: boolean;
}

export interface InfoReport {
  versions: Record<string, string | null>;
  platform: string;
  backends: ProbeResult[];
  /** What runs when no --backend is given (AGLU_BACKEND or the library default). */
  default: { name: string; mode: string; source: string };
  auto: { picks: string | null; why: string };
}

/** Why GPU.js's auto mode lands where it does, from what the probes saw. */
function explainAuto(results: ProbeResult[]): { picks: string | null; why: string } {
  const auto = results.find((r) => r.spec === 'gpujs:auto');
  const gl = results.find((r) => r.spec === 'gpujs:headlessgl');
  if (!auto?.available) return { picks: null, why: `the gpujs backend does not run here (${auto?.reason ?? 'unknown'}); use --backend js` };
  const picks = auto.mode ?? null;
  if (picks === 'headlessgl')
    return { picks, why: 'GPU.js found the `gl` module and an OpenGL context (headless GL), its first choice in Node: kernels run as GLSL' };
  // The probe's reason is a whole paragraph (with the fix); its first clause says why.
  const short = (gl?.reason ?? 'no gl module').replace(/^.*?not available\s*[—:-]\s*/, '').split(/;\s/)[0];
  const glWhy = gl?.available ? 'headlessgl runs when asked for, but GPU.js did not pick it' : `headlessgl is unavailable (${short})`;
  return { picks, why: `${glWhy}, so GPU.js falls back to ${picks ?? 'another mode'}${picks === 'webasm' ? ' (kernels compiled to WebAssembly, run on the CPU)' : ''}` };
}

/** Gathers the report (also used by bench to list the backends). */
export function infoReport(): InfoReport {
  let def: { name: string; mode: string; source: string };
  const source = process.env.AGLU_BACKEND ? `AGLU_BACKEND=${process.env.AGLU_BACKEND}` : 'library default';
  try {
    def = { ...getBackend(), source };
  } catch (e) {
    throw new UsageError(`${source} is not usable: ${e instanceof Error ? e.message : String(e)}`, 'info');
  }
  const backends = probeBackends();
  return { versions: versions(), platform: `${process.platform} ${process.arch}`, backends, default: def, auto: explainAuto(backends) };
}

/** Runs `aglu info`. */
export async function runInfo(opts: InfoOptions, io: CliIo): Promise<number> {
  const r = infoReport();
  if (opts.json) {
    io.out(JSON.stringify(r, null, 2) + '\n');
    return EXIT.ok;
  }
  const v = r.versions;
  io.out(`aglu ${v.aglu}  (node ${v.node}, gpu.js ${v['gpu.js'] ?? 'not installed'}, ${r.platform})\n\n`);
  const table = new Table({ head: ['backend', 'runs here', 'mode that runs / why not'], style: { head: [], border: [] }, colWidths: [18, 11, 64], wordWrap: true });
  for (const b of r.backends) table.push([b.spec, b.available ? 'yes' : 'no', b.available ? (b.mode ?? '') : (b.reason ?? '')]);
  io.out(table.toString() + '\n\n');
  io.out(`default (no --backend): ${r.default.name}${r.default.name === 'js' ? '' : ':' + r.default.mode}  [${r.default.source}]\n`);
  io.out(`auto picks: ${r.auto.picks ?? '—'} — ${r.auto.why}\n`);
  io.out(`choose with --backend js|gpujs|gpujs:<mode> or AGLU_BACKEND; 'aglu bench' measures them here\n`);
  return EXIT.ok;
}
