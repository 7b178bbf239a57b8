/**
 * Which backend new tensors are created on. `setBackend` switches it; `getBackend` reports the mode that actually
 * runs. The environment variable AGLU_BACKEND (`js`, `gpujs`, `gpujs:<mode>`) chooses the starting backend;
 * without it aglu starts on gpujs in mode auto (docs/backends.md).
 */
import { BackendError } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';
import { gpujsBackend, GPUJS_MODES, type GpujsMode } from './gpujs.js';

export type BackendName = 'js' | 'gpujs';
export interface BackendOptions {
  /** gpujs only: 'auto' (GPU.js's own choice), 'cpu', 'webasm' or 'headlessgl'. */
  mode?: string;
}

let current: Backend | null = null;

/** Selects the backend for tensors created from now on. */
export function setBackend(name: BackendName, options: BackendOptions = {}): void {
  if (name === 'js') {
    if (options.mode !== undefined && options.mode !== 'js')
      throw new BackendError(`setBackend: the js backend has no mode '${options.mode}'; call setBackend('js')`);
    current = jsBackend;
    return;
  }
  if (name === 'gpujs') {
    const mode = options.mode ?? 'auto';
    if (!(GPUJS_MODES as readonly string[]).includes(mode))
      throw new BackendError(`setBackend: the gpujs backend has no mode '${mode}'; choose one of ${GPUJS_MODES.join(', ')}`);
    // Throws a BackendError saying what to install when the mode cannot run here; never falls back silently.
    current = gpujsBackend(mode as GpujsMode);
    return;
  }
  throw new BackendError(`setBackend: unknown backend '${String(name)}'; choose 'js' or 'gpujs'`);
}

/** The backend that runs now: its name and the mode actually in use (never a silent fallback). */
export function getBackend(): { name: string; mode: string } {
  const b = backend();
  return { name: b.name, mode: b.mode };
}

/**
 * What the current backend holds now: live storages (textures or arrays; views share one) and their bytes.
 * @example const before = memory().buffers; tidy(() => model.forward(x)); memory().buffers === before; // true
 */
export function memory(): { backend: string; mode: string; buffers: number; bytes: number } {
  const b = backend();
  return { backend: b.name, mode: b.mode, ...b.memory() };
}

/** @internal The backend object itself. */
export function backend(): Backend {
  if (current === null) {
    const env = typeof process === 'undefined' ? undefined : process.env.AGLU_BACKEND;
    if (env) {
      const [name, mode] = env.split(':');
      if (name !== 'js' && name !== 'gpujs')
        throw new BackendError(`AGLU_BACKEND='${env}' is not a backend; use js, gpujs or gpujs:<mode>`);
      setBackend(name, mode === undefined ? {} : { mode });
    } else {
      // The default: GPU.js-accelerated, in the mode GPU.js picks (headlessgl, else webasm, else cpu).
      current = gpujsBackend('auto');
    }
  }
  return current as Backend;
}
