/**
 * Which backend new tensors are created on. `setBackend` switches it; `getBackend` reports the mode that actually
 * runs. The environment variable AGLU_BACKEND (`js`, `gpujs`, `gpujs:<mode>`) chooses the starting backend.
 */
import { BackendError } from '../errors.js';
import type { Backend } from './backend.js';
import { jsBackend } from './js.js';

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
  if (name === 'gpujs') throw new BackendError(`setBackend: the gpujs backend is not built yet; use setBackend('js')`);
  throw new BackendError(`setBackend: unknown backend '${String(name)}'; choose 'js' or 'gpujs'`);
}

/** The backend that runs now: its name and the mode actually in use (never a silent fallback). */
export function getBackend(): { name: string; mode: string } {
  const b = backend();
  return { name: b.name, mode: b.mode };
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
    } else current = jsBackend;
  }
  return current as Backend;
}
