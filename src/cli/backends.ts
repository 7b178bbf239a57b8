/**
 * Choosing and probing backends for the CLI. A backend the user names must run a tiny op before any work starts,
 * so that "not available here" is one clear line at the start and never a failure in the middle of a training.
 */
import { getBackend, setBackend, type BackendName } from '../backend/current.js';
import { tensor } from '../tensor.js';
import { GPUJS_MODES, UsageError, type BackendSpec } from './usage.js';

export interface ProbeResult {
  /** `js`, `gpujs:cpu`, … as a user would type it. */
  spec: string;
  available: boolean;
  /** The mode that actually ran (for gpujs:auto, the one GPU.js picked). */
  mode?: string;
  /** Why it is not available (first line of the error). */
  reason?: string;
}

/** Sets the backend and runs exp on two numbers with it; throws what setBackend or the op threw. */
function trySet(name: BackendName, mode?: string): { name: string; mode: string } {
  setBackend(name, mode === undefined ? {} : { mode });
  const y = tensor([0, 1]).exp().toTypedArray();
  if (Math.abs(y[1] - Math.E) > 1e-5) throw new Error(`exp(1) came back as ${y[1]}`);
  return getBackend();
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message : String(e)).split('\n')[0];

/** Tries every backend and mode; restores the current backend afterwards. */
export function probeBackends(): ProbeResult[] {
  const before = getBackend();
  const specs: [BackendName, string | undefined][] = [['js', undefined], ...GPUJS_MODES.map((m): [BackendName, string] => ['gpujs', m])];
  const results = specs.map(([name, mode]): ProbeResult => {
    const spec = mode === undefined ? name : `${name}:${mode}`;
    try {
      return { spec, available: true, mode: trySet(name, mode).mode };
    } catch (e) {
      return { spec, available: false, reason: firstLine(e) };
    }
  });
  restore(before);
  return results;
}

function restore(b: { name: string; mode: string }): void {
  try {
    if (b.name === 'js') setBackend('js');
    else setBackend(b.name as BackendName, { mode: b.mode });
  } catch {
    setBackend('js');
  }
}

/**
 * Switches to the backend the user asked for (or keeps the default when none was named) and checks that it runs.
 * A backend that cannot run here is a usage error naming the ones that can.
 * @example useBackend(backendSpec('gpujs:cpu'), 'train') // { name: 'gpujs', mode: 'cpu' }
 */
export function useBackend(spec: BackendSpec | undefined, command: string): { name: string; mode: string } {
  try {
    if (spec === undefined) return getBackend();
    return trySet(spec.name, spec.mode);
  } catch (e) {
    const what = spec === undefined ? `the default backend (AGLU_BACKEND=${process.env.AGLU_BACKEND ?? ''})` : `--backend ${spec.text}`;
    let available = '';
    try {
      available = probeBackends().filter((p) => p.available).map((p) => p.spec).join(', ');
      setBackend('js');
    } catch {
      available = 'js';
    }
    throw new UsageError(`${what} cannot run here: ${firstLine(e)}; available here: ${available || 'none'}`, command);
  }
}
