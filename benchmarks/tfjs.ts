/**
 * Loads TensorFlow.js (tfjs-core with gradients, plus the cpu or wasm backend) entirely offline: the wasm backend's
 * .wasm files are read from node_modules. Node has no cross-origin isolation, so tfjs-wasm runs its SIMD build on one
 * thread here; `tfjsInfo` reports what it actually uses.
 */
import * as tf from '@tensorflow/tfjs-core';
import { register } from 'node:module';
import { createRequire } from 'node:module';
import path from 'node:path';

export type TfBackend = 'cpu' | 'wasm';
export type Tf = typeof tf;

let gradientsLoaded = false;

/**
 * tfjs-core ready on `backend`, with every gradient registered. Returns the tf namespace and the backend's setup
 * time — without the ~1 s that loading the gradients' few hundred ES modules through the hook takes here (a cost
 * of this workaround, not of tfjs in a bundle), which `info.gradientModulesLoadMs` reports.
 */
export async function loadTf(backend: TfBackend): Promise<{ tf: Tf; setupMs: number; info: Record<string, string> }> {
  const info: Record<string, string> = {};
  if (!gradientsLoaded) {
    const g0 = performance.now();
    register('./tfjs-hook.js', import.meta.url);
    await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
    gradientsLoaded = true;
    info.gradientModulesLoadMs = (performance.now() - g0).toFixed(0);
  }
  const t0 = performance.now();
  // PROD only silences tfjs' console advice ("install tfjs-node") and skips debug-only checks.
  tf.env().set('PROD', true);
  if (backend === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
  } else {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const require = createRequire(import.meta.url);
    wasm.setWasmPaths(path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep);
    info.wasmSimd = String(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
    info.wasmThreads = String(await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'));
  }
  const ok = await tf.setBackend(backend);
  await tf.ready();
  if (!ok || tf.getBackend() !== backend) throw new Error(`tfjs: backend '${backend}' did not initialise (got '${tf.getBackend()}')`);
  if (backend === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    info.wasmThreadsCount = String(wasm.getThreadsCount());
  }
  return { tf, setupMs: performance.now() - t0, info };
}
