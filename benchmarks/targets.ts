/**
 * The implementations the runner can start in a child process, and how an aglu target selects its backend.
 * Target strings: 'plain', 'aglu:js', 'aglu:gpujs:<mode>', 'tfjs:cpu', 'tfjs:wasm', 'js-pytorch', 'brain.js'.
 */
import { backend } from '../src/backend/current.js';
import { gpujsKernelReports, gpujsTransfers } from '../src/backend/gpujs.js';
import { getBackend, setBackend } from '../src/index.js';

export const AGLU_TARGETS = ['aglu:js', 'aglu:gpujs:cpu', 'aglu:gpujs:webasm', 'aglu:gpujs:headlessgl'] as const;
export const TFJS_TARGETS = ['tfjs:cpu', 'tfjs:wasm'] as const;

/** Column label of an aglu target: 'js', 'gpujs cpu', … */
export function agluModeLabel(target: string): string {
  const [, name, mode] = target.split(':');
  return mode === undefined ? name : `${name} ${mode}`;
}

/**
 * Switches aglu to the target's backend. Throws (with aglu's own message) when the mode is not available here, or
 * when the backend reports a different mode than the one asked for — a silent fallback would mislabel the numbers.
 */
export function selectAglu(target: string): string {
  const [, name, mode] = target.split(':');
  if (name !== 'js' && name !== 'gpujs') throw new Error(`not an aglu target: ${target}`);
  setBackend(name, mode === undefined ? {} : { mode });
  const got = getBackend();
  if (mode !== undefined && got.mode !== mode) throw new Error(`asked for gpujs mode '${mode}', the backend reports '${got.mode}'`);
  return agluModeLabel(target);
}

/** Whether this target needs an X display (headless GL); the runner starts such children under xvfb-run. */
export const needsDisplay = (target: string): boolean => target.endsWith(':headlessgl');

/**
 * What aglu's gpujs backend did during `fn` (one call): host→device uploads and device→host readbacks — the copies
 * a call costs. Empty for the js backend.
 */
export function transfersOf(fn: () => void): Record<string, number> {
  const b = backend();
  if (b.name !== 'gpujs') {
    fn();
    return {};
  }
  const t0 = gpujsTransfers(b);
  fn();
  const t1 = gpujsTransfers(b);
  return { uploadsPerCall: t1.uploads - t0.uploads, readbacksPerCall: t1.readbacks - t0.readbacks };
}

/** The cached kernels that GPU.js runs on another mode than the backend's (e.g. kernel maps on webasm → cpu). */
export function kernelFallbacks(): Record<string, string | number> {
  const b = backend();
  if (b.name !== 'gpujs') return {};
  const reports = gpujsKernelReports(b);
  const other = reports.filter((r) => r.mode !== b.mode);
  return {
    kernels: reports.length,
    kernelsOnOtherMode: other.length === 0 ? 'none' : other.map((r) => `${r.key} → ${r.mode}`).join(', '),
  };
}
