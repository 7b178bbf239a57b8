/**
 * The gpujs backend: every primitive of the Backend interface as a GPU.js kernel from kernels/*, in one of the
 * modes `cpu` (GPU.js's JavaScript backend), `webasm` (WebAssembly + SIMD), `headlessgl` (GLSL through the `gl`
 * module; needs a display, e.g. `xvfb-run -a`), or `auto` (GPU.js's own choice: headlessgl when it works, else
 * webasm, else cpu). float32 only, single precision on every mode (docs/backends.md).
 *
 * Storage. A GpuBuf is a strided view (shape, strides, offset) on a reference-counted Storage that holds the
 * device memory: a GPU.js Texture on headlessgl (pipeline kernels, so results stay on the GPU between ops), a
 * Float32Array on cpu/webasm (there the typed array *is* the device memory). Values come back to the host only in
 * `read`. reshape/permute/expand/slice are views; kernels read operands through offsets and strides, and a
 * strided copy materialises a view only where a kernel needs contiguous input.
 *
 * Kernels. Each kernel is built once per (op, layout) and cached on the backend; output sizes are dynamic and
 * every argument keeps its type (device arrays always arrays/textures, sizes always numbers), so GPU.js never
 * recompiles on a type switch. Loops bounded by arguments run under loopMaxIterations = LOOP_MAX, above any
 * tensor size this backend accepts (GPU.js's default of 1000 would silently truncate long reductions and matmuls).
 *
 * Memory. Storage is released (texture.delete() on GL) when its last view is disposed: by an explicit
 * `dispose()`, at the end of a tidy() scope (every view made here is reported to the scope, so raw intermediates
 * no tensor adopts are released too), or by the garbage collector (a FinalizationRegistry on the views) once
 * nothing references the tensor — which runs only when the JavaScript event loop turns; see docs/backends.md.
 * Temporaries the backend makes internally are released at once. `memory()` counts live storages and their bytes.
 *
 * For fused kernels (kernels/apa.ts): inside `createGpujsBackend`, `ctx.run(key, fn, shape, args)` builds/caches
 * and runs a one-output kernel, `ctx.runMap(…)` a kernel map with several outputs (see those methods).
 */
import { createRequire } from 'node:module';
import { GPU } from 'gpu.js';
import type { AdamUpdateOptions, ApaKernelOptions, ApaLossKernelOptions, Backend, BinaryOp, Buf, DType, MemoryInfo, ReduceOp, SgdUpdateOptions, TypedArray, UnaryOp } from './backend.js';
import { BackendError, ValueError } from '../errors.js';
import { contiguousStrides, fmt, sizeOf, type Shape } from '../shape.js';
import * as EW from '../../kernels/elementwise.js';
import * as RED from '../../kernels/reduce.js';
import * as MM from '../../kernels/matmul.js';
import * as GA from '../../kernels/gather.js';
import * as APA from '../../kernels/apa.js';
import * as OPT from '../../kernels/optim.js';
import { apaLayout } from '../ops/apa-js.js';
import { forgetBuffer, trackBuffer } from '../autograd/tidy.js';

export const GPUJS_MODES = ['auto', 'cpu', 'webasm', 'headlessgl'] as const;
export type GpujsMode = (typeof GPUJS_MODES)[number];

/** Above every tensor size this backend accepts: loops bounded by an argument are never cut short. */
const LOOP_MAX = 1 << 24;
/** Index arithmetic runs in float32 inside kernels (GLSL floats, wasm f32): exact below 2^24. */
export const MAX_ELEMENTS = 1 << 24;
/** Elements per stage of a sum/max/min reduction. */
const REDUCE_BLOCK = 256;
/** Largest side of a 2-D output on GL (textures are 2-D; 1-D outputs are folded into squares by GPU.js). */
const GL_MAX_2D = 4096;
/** Rank the strided kernels take after adjacent axes are merged; beyond, offsets are precomputed on the host. */
const MAX_KERNEL_RANK = 6;

// ---- GPU.js surface (only what this file uses, typed without `any`) ------------------------------------------

/** A GPU.js pipeline texture (headlessgl). */
interface GpuTexture {
  toArray(): unknown;
  clone(): GpuTexture;
  delete(): void;
  readonly output: number[];
}
type DeviceData = Float32Array | GpuTexture;
type KernelArg = DeviceData | number;
/** A plain GPU.js kernel function (kernels/*); `this` is GPU.js's kernel context. */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type KernelFn = Function;

interface KernelShortcut {
  (...args: KernelArg[]): unknown;
  setOutput(output: number[]): unknown;
  kernel: {
    constructor: { mode: string; name: string };
    fallbackReason?: string | null;
    kernelArguments?: { prevArg?: GpuTexture | null }[];
  };
}

interface GpuInstance {
  Kernel: { mode: string; name: string } | null;
  context: { finish?: () => void } | null;
  createKernel(fn: KernelFn, settings: object): KernelShortcut;
  createKernelMap(sub: Record<string, KernelFn>, fn: KernelFn, settings: object): KernelShortcut;
}

/** Options of a cached kernel. */
export interface KernelOptions {
  /** Extra functions the kernel calls (linked by name, e.g. `unaryOp`). */
  functions?: KernelFn[];
  /** Compile-time constants (`this.constants.x`); they are part of the compiled code (arrays: lookup tables). */
  constants?: Record<string, number | Float32Array>;
  /** 2-D output [shape[last], rest] (webasm SIMD needs the row in thread.y); default 1-D. */
  rows?: boolean;
}

/** Where one cached kernel really runs — GPU.js degrades some kernels to cpu (kernel maps on webasm). */
export interface KernelReport {
  key: string;
  mode: string;
  fallbackReason: string | null;
}

// ---- storage and views ---------------------------------------------------------------------------------------

class Storage {
  refs = 0;
  constructor(
    public data: DeviceData | null,
    readonly length: number,
    readonly owner: Ctx,
  ) {}
}

/** A strided view on device storage; shape [] for scalars. */
export class GpuBuf implements Buf {
  readonly dtype: DType = 'float32';
  disposed = false;
  constructor(
    readonly store: Storage,
    readonly shape: number[],
    readonly strides: number[],
    readonly offset: number,
  ) {}

  get size(): number {
    return sizeOf(this.shape);
  }

  /** Row-major contiguous from the start of its storage. */
  isDense(): boolean {
    if (this.offset !== 0 || this.store.length !== this.size) return false;
    return this.isContiguous();
  }

  isContiguous(): boolean {
    const want = contiguousStrides(this.shape);
    return this.shape.every((d, i) => d === 1 || this.strides[i] === want[i]);
  }
}

const released = new FinalizationRegistry<Storage>((store) => store.owner.release(store));

// ---- layout helpers ------------------------------------------------------------------------------------------

/** x's strides when broadcast to `shape` (NumPy rules): 0 along new and stretched axes. */
function broadcastStrides(x: GpuBuf, shape: Shape): number[] {
  const lead = shape.length - x.shape.length;
  return shape.map((d, i) => {
    if (i < lead) return 0;
    return x.shape[i - lead] === 1 && d !== 1 ? 0 : x.strides[i - lead];
  });
}

/**
 * Drops size-1 axes and merges adjacent axes that every operand walks contiguously, so [N, H] + [N, H] becomes one
 * flat axis and [N, H] + [H] two. Returns the merged sizes and each operand's merged strides.
 */
function mergeAxes(shape: Shape, strides: number[][]): { sizes: number[]; strides: number[][] } {
  const keep = shape.map((_, i) => i).filter((i) => shape[i] !== 1);
  const sizes: number[] = [];
  const out: number[][] = strides.map(() => []);
  for (const i of keep) {
    const last = sizes.length - 1;
    if (last >= 0 && strides.every((s, k) => out[k][last] === s[i] * shape[i])) {
      sizes[last] *= shape[i];
      strides.forEach((s, k) => (out[k][last] = s[i]));
    } else {
      sizes.push(shape[i]);
      strides.forEach((s, k) => out[k].push(s[i]));
    }
  }
  return { sizes, strides: out };
}

function broadcastShape(...shapes: Shape[]): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  return Array.from({ length: rank }, (_, i) =>
    Math.max(...shapes.map((s) => (i - rank + s.length >= 0 ? s[i - rank + s.length] : 1))),
  );
}

function checkIndex(op: string, v: number, size: number): void {
  if (!Number.isInteger(v) || v < 0 || v >= size)
    throw new ValueError(`${op}: index ${v} is out of range for an axis of size ${size}; indices must be integers in 0..${size - 1}`);
}

// ---- mode resolution -----------------------------------------------------------------------------------------

/** GPU.js kernel classes by the mode they implement (all GL kernels report the static mode 'gpu'). */
const KERNEL_MODES: Record<string, string> = {
  HeadlessGLKernel: 'headlessgl', WebGL2Kernel: 'webgl2', WebGLKernel: 'webgl',
  WebAssemblyKernel: 'webasm', CPUKernel: 'cpu', WebGPUKernel: 'webgpu',
};

/** The mode a GPU.js kernel class really runs. */
export function kernelClassMode(k: { name: string; mode: string }): string {
  return KERNEL_MODES[k.name] ?? k.mode;
}

/** Why headlessgl cannot run here, or null when it can. */
export function headlessglUnavailableReason(): string | null {
  if (GPU.isHeadlessGLSupported) return null;
  let loads = false;
  try {
    createRequire(import.meta.url)('gl');
    loads = true;
  } catch {
    loads = false;
  }
  if (loads) return 'the gl module loads but cannot create a WebGL context: there is no display; run under `xvfb-run -a` or on a desktop (docs/backends.md)';
  return (
    'the gl module is not installed or did not build: install libxi-dev libx11-dev libxext-dev libgl1-mesa-dev ' +
    'pkg-config xvfb, approve its install script (npm install-scripts approve gl), run npm ci, and run under a ' +
    'display, e.g. xvfb-run -a (docs/backends.md)'
  );
}

function createGpu(mode: GpujsMode): GpuInstance {
  if (mode === 'headlessgl') {
    const why = headlessglUnavailableReason();
    if (why !== null) throw new BackendError(`setBackend('gpujs', { mode: 'headlessgl' }): not available — ${why}`);
  }
  if (mode === 'webasm' && !GPU.isWebAssemblySupported)
    throw new BackendError(`setBackend('gpujs', { mode: 'webasm' }): WebAssembly is not available in this runtime; use mode 'cpu'`);
  const settings = mode === 'auto' ? {} : { mode };
  return new GPU(settings) as unknown as GpuInstance;
}

// ---- the per-mode context ------------------------------------------------------------------------------------

/** @internal State of one gpujs backend: its GPU.js instance, kernel cache and memory accounting. */
class Ctx {
  readonly gpu: GpuInstance;
  readonly mode: string;
  readonly gl: boolean;
  readonly live = { buffers: 0, bytes: 0 };
  /** Host↔device traffic: arrays uploaded (tensor creation) and buffers read back (read, index checks). */
  readonly transfers = { uploads: 0, readbacks: 0 };
  readonly kernels = new Map<string, { k: KernelShortcut; output: string; checked: boolean }>();
  readonly reports = new Map<string, KernelReport>();

  constructor(requested: GpujsMode) {
    this.gpu = createGpu(requested);
    this.mode = this.gpu.Kernel ? kernelClassMode(this.gpu.Kernel) : 'cpu';
    this.gl = this.mode === 'headlessgl' || this.mode === 'webgl' || this.mode === 'webgl2';
  }

  // -- storage --
  adopt(data: DeviceData, length: number): Storage {
    const store = new Storage(data, length, this);
    this.live.buffers++;
    this.live.bytes += length * 4;
    return store;
  }

  view(store: Storage, shape: Shape, strides: readonly number[] = contiguousStrides(shape), offset = 0): GpuBuf {
    const buf = new GpuBuf(store, [...shape], [...strides], offset);
    store.refs++;
    released.register(buf, store, buf);
    // Inside tidy(), a buffer no tensor adopts (an op's raw intermediate) is released when the scope ends.
    trackBuffer(buf, this);
    return buf;
  }

  release(store: Storage): void {
    if (--store.refs > 0 || store.data === null) return;
    if (!(store.data instanceof Float32Array)) store.data.delete();
    store.data = null;
    this.live.buffers--;
    this.live.bytes -= store.length * 4;
  }

  dispose(buf: GpuBuf): void {
    if (buf.disposed) return;
    buf.disposed = true;
    released.unregister(buf);
    forgetBuffer(buf);
    this.release(buf.store);
  }

  /** Releases a temporary unless it is `keep` (the buffer it may have been returned unchanged as). */
  drop(tmp: GpuBuf, ...keep: GpuBuf[]): void {
    if (!keep.includes(tmp)) this.dispose(tmp);
  }

  device(buf: GpuBuf): DeviceData {
    if (buf.disposed || buf.store.data === null)
      throw new ValueError(`a tensor of shape ${fmt(buf.shape)} was disposed (or shares its memory with one that was); its values are gone`);
    return buf.store.data;
  }

  checkSize(n: number, op: string): void {
    if (n > MAX_ELEMENTS)
      throw new ValueError(`${op}: ${n} elements exceed the gpujs backend's limit of ${MAX_ELEMENTS} (2^24, float32 indexing); split the tensor or use setBackend('js')`);
  }

  /** A dense buffer holding `data` (uploaded once on GL); `fromHost` false for values made here (fills). */
  upload(data: Float32Array, shape: Shape, fromHost = true): GpuBuf {
    const n = data.length;
    if (fromHost) this.transfers.uploads++;
    if (n === 0 || !this.gl) return this.view(this.adopt(data, n), shape);
    return this.run('upload', EW.upload, shape, [data]);
  }

  empty(shape: Shape): GpuBuf {
    return this.view(this.adopt(new Float32Array(0), 0), shape);
  }


  // -- kernels --
  /**
   * Builds (first call) and runs a cached single-output kernel over an output of `shape` (1-D of size(shape), or
   * 2-D rows with `opts.rows`); GpuBuf arguments are passed as their device data, so callers pass dense buffers
   * (see `dense`) unless the kernel reads strides itself. Returns a dense buffer of `shape`.
   * @example ctx.run('apa:fwd', APA.forward, z.shape, [ctx.dense(z), lambda, kappa, post, C])
   */
  run(key: string, fn: KernelFn, shape: Shape, args: readonly (GpuBuf | Float32Array | number)[], opts: KernelOptions = {}): GpuBuf {
    const n = sizeOf(shape);
    if (n === 0) return this.empty(shape);
    this.checkSize(n, key);
    const output = opts.rows ? [shape[shape.length - 1], n / shape[shape.length - 1]] : [n];
    const k = this.kernel(key, fn, opts, output);
    const raw = k(...args.map((a) => (a instanceof GpuBuf ? this.device(a) : a)));
    this.afterRun(key, k);
    return this.view(this.adopt(this.toDevice(raw, n), n), shape);
  }

  /**
   * Like `run` for a kernel returning a vec4 (Array(4)) over a 2-D output [w, h]: returns a dense buffer of shape
   * [h, w, 4] — a flat array of 4-tuples on cpu/webasm, an RGBA texture (read as c[y][x]) on GL.
   */
  runVec4(key: string, fn: KernelFn, output: [number, number], args: readonly (GpuBuf | number)[]): GpuBuf {
    const [w, h] = output;
    const n = w * h * 4;
    this.checkSize(n, key);
    const k = this.kernel(key, fn, {}, output);
    const raw = k(...args.map((a) => (a instanceof GpuBuf ? this.device(a) : a)));
    this.afterRun(key, k);
    let data: DeviceData;
    if (Array.isArray(raw)) {
      const rows = raw as Float32Array[][];
      const first = rows[0][0];
      const last = rows[h - 1][w - 1];
      if (first.buffer === last.buffer && last.byteOffset + 16 - first.byteOffset === n * 4) data = new Float32Array(first.buffer, first.byteOffset, n);
      else {
        const flat = new Float32Array(n);
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) flat.set(rows[y][x], (y * w + x) * 4);
        data = flat;
      }
    } else data = raw as GpuTexture;
    return this.view(this.adopt(data, n), [h, w, 4]);
  }

  /**
   * Builds and runs a cached GPU.js kernel map: `main` returns the `result` output and calls the functions of
   * `sub` (each stores its return value as the output of that name). All outputs have `shape`. On webasm GPU.js
   * runs kernel maps on its cpu backend (reported by `reports`); separate `run` kernels avoid that.
   * @example const { result, dx } = ctx.runMap('apa:bwd', { dx: APA.dzPart }, APA.backward, z.shape, [z, g])
   */
  runMap(key: string, sub: Record<string, KernelFn>, main: KernelFn, shape: Shape, args: readonly (GpuBuf | Float32Array | number)[], opts: KernelOptions = {}): Record<string, GpuBuf> {
    const n = sizeOf(shape);
    const names = ['result', ...Object.keys(sub)];
    if (n === 0) return Object.fromEntries(names.map((name) => [name, this.empty(shape)]));
    this.checkSize(n, key);
    const k = this.kernel(key, main, opts, [n], sub);
    const raw = k(...args.map((a) => (a instanceof GpuBuf ? this.device(a) : a))) as Record<string, unknown>;
    this.afterRun(key, k);
    return Object.fromEntries(names.map((name) => [name, this.view(this.adopt(this.toDevice(raw[name], n), n), shape)]));
  }

  private kernel(key: string, fn: KernelFn, opts: KernelOptions, output: number[], sub?: Record<string, KernelFn>): KernelShortcut {
    let entry = this.kernels.get(key);
    if (entry === undefined) {
      const settings = {
        output,
        pipeline: true,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        optimizeFloatMemory: false,
        dynamicOutput: true,
        dynamicArguments: true,
        loopMaxIterations: LOOP_MAX,
        ...(opts.functions ? { functions: opts.functions } : {}),
        ...(opts.constants ? { constants: opts.constants } : {}),
      };
      const k = sub ? this.gpu.createKernelMap(sub, fn, settings) : this.gpu.createKernel(fn, settings);
      entry = { k, output: output.join('x'), checked: false };
      this.kernels.set(key, entry);
    } else if (entry.output !== output.join('x')) {
      entry.k.setOutput(output);
      entry.output = output.join('x');
    }
    return entry.k;
  }

  /**
   * After every run. On GL: drops the argument clone GPU.js keeps when an argument is the kernel's own previous
   * output (`prevArg`); GPU.js later swaps that texture in as the output, which renders into a texture of the wrong
   * size once dynamicOutput has resized the kernel (seen as wrong values after a large reduction). After the first
   * run: records the mode the kernel really runs on (GPU.js may have degraded it).
   */
  private afterRun(key: string, k: KernelShortcut): void {
    if (this.gl) {
      for (const value of k.kernel.kernelArguments ?? []) {
        if (value.prevArg) {
          value.prevArg.delete();
          value.prevArg = null;
        }
      }
    }
    const entry = this.kernels.get(key);
    if (entry === undefined || entry.checked) return;
    entry.checked = true;
    const inner = entry.k.kernel;
    this.reports.set(key, { key, mode: kernelClassMode(inner.constructor), fallbackReason: inner.fallbackReason ?? null });
  }

  /** A kernel result as device data: a texture (GL), or one flat Float32Array (2-D results come as rows). */
  private toDevice(raw: unknown, n: number): DeviceData {
    if (raw instanceof Float32Array) return raw.length === n ? raw : raw.slice(0, n);
    if (Array.isArray(raw)) {
      const rows = raw as Float32Array[];
      const first = rows[0];
      const last = rows[rows.length - 1];
      if (first.buffer === last.buffer && last.byteOffset + last.byteLength - first.byteOffset === n * 4)
        return new Float32Array(first.buffer, first.byteOffset, n);
      const flat = new Float32Array(n);
      let at = 0;
      for (const row of rows) {
        flat.set(row, at);
        at += row.length;
      }
      return flat;
    }
    return raw as GpuTexture;
  }

  /** Values of a dense buffer on the host (a copy). */
  hostValues(buf: GpuBuf): Float32Array {
    const data = this.device(buf);
    this.transfers.readbacks++;
    if (data instanceof Float32Array) return data.slice(0, buf.size);
    const arr = data.toArray();
    if (arr instanceof Float32Array) return arr.length === buf.size ? arr : arr.slice(0, buf.size);
    return Float32Array.from((arr as ArrayLike<number>[]).flatMap((row) => Array.from(row)));
  }

  // -- layout --
  /** A dense (row-major, offset 0, exact length) buffer with x's values: x itself when it already is one. */
  dense(x: GpuBuf): GpuBuf {
    this.device(x);
    if (x.isDense()) return x;
    return this.elementwise('unary:copy', EW.UNARY_FNS.copy, 'unary', x.shape, [x], [0, 0]);
  }

  /**
   * Runs a layout kernel over `outShape`: operands are read through their (broadcast) strides, merged into at most
   * MAX_KERNEL_RANK axes; beyond that each operand is first gathered to a dense copy by precomputed offsets.
   */
  elementwise(key: string, opFn: KernelFn | null, kind: 'unary' | 'binary' | 'where', outShape: Shape, xs: GpuBuf[], scalars: number[]): GpuBuf {
    const n = sizeOf(outShape);
    for (const x of xs) this.device(x);
    if (n === 0) return this.empty(outShape);
    const merged = mergeAxes(outShape, xs.map((x) => broadcastStrides(x, outShape)));
    const rank = merged.sizes.length;
    if (rank > MAX_KERNEL_RANK) {
      const dense = xs.map((x) => this.gatherByOffsets(x, outShape));
      const out = this.elementwise(key, opFn, kind, outShape, dense, scalars);
      dense.forEach((d) => this.drop(d));
      return out;
    }
    const layout = rank <= 1 ? 1 : rank === 2 ? 2 : 6;
    const pad = layout - Math.max(rank, 1);
    const sizes = [...new Array<number>(pad).fill(1), ...(rank === 0 ? [1] : merged.sizes)];
    const strides = merged.strides.map((s) => [...new Array<number>(pad).fill(0), ...(rank === 0 ? [0] : s)]);
    const data = xs.map((x) => this.device(x));
    const fns = opFn ? { functions: [opFn] } : {};
    const opArgs = xs.map((x, k) => [x.offset, ...strides[k]]);
    let fn: KernelFn;
    let args: KernelArg[];
    const tail = sizes.slice(1);
    if (kind === 'unary') {
      fn = layout === 1 ? EW.unaryR1 : layout === 2 ? EW.unaryR2 : EW.unaryR6;
      args = [data[0], ...scalars, ...opArgs[0], ...tail];
    } else if (kind === 'binary') {
      fn = layout === 1 ? EW.binaryR1 : layout === 2 ? EW.binaryR2 : EW.binaryR6;
      args = [data[0], data[1], ...opArgs[0], ...opArgs[1], ...tail];
    } else {
      fn = layout === 1 ? EW.whereR1 : EW.whereR6;
      if (layout === 2) {
        // where has no R2 kernel: widen to R6.
        return this.elementwiseWhere6(outShape, xs, sizes, strides);
      }
      args = [data[0], data[1], data[2], ...opArgs[0], ...opArgs[1], ...opArgs[2], ...tail];
    }
    this.checkSize(n, key);
    const k = this.kernel(`${key}:R${layout}`, fn, fns, [n]);
    const raw = k(...args);
    this.afterRun(`${key}:R${layout}`, k);
    return this.view(this.adopt(this.toDevice(raw, n), n), outShape);
  }

  private elementwiseWhere6(outShape: Shape, xs: GpuBuf[], sizes: number[], strides: number[][]): GpuBuf {
    const n = sizeOf(outShape);
    const s6 = [...new Array<number>(6 - sizes.length).fill(1), ...sizes];
    const st6 = strides.map((s) => [...new Array<number>(6 - s.length).fill(0), ...s]);
    const args = xs.flatMap((x, k) => [x.offset, ...st6[k]]);
    const k = this.kernel('where:R6', EW.whereR6, {}, [n]);
    const raw = k(...xs.map((x) => this.device(x)), ...args, ...s6.slice(1));
    this.afterRun('where:R6', k);
    return this.view(this.adopt(this.toDevice(raw, n), n), outShape);
  }

  /** A dense copy of x broadcast to `shape`, by offsets computed on the host (any rank). */
  private gatherByOffsets(x: GpuBuf, shape: Shape): GpuBuf {
    const strides = broadcastStrides(x, shape);
    const n = sizeOf(shape);
    const offsets = new Float32Array(n);
    const idx = new Array<number>(shape.length).fill(0);
    let off = x.offset;
    for (let i = 0; i < n; i++) {
      offsets[i] = off;
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++idx[d] < shape[d]) {
          off += strides[d];
          break;
        }
        off -= strides[d] * (shape[d] - 1);
        idx[d] = 0;
      }
    }
    const table = this.upload(offsets, [n]);
    const out = this.run('gatherOffsets', EW.gatherOffsets, shape, [x, table]);
    this.drop(table);
    return out;
  }
}

// ---- reductions, matmul, softmax, gather (written against Ctx) -----------------------------------------------

/** [outer, inner, post] sizes of a run of axes [a0, a1] of `shape`. */
function split3(shape: Shape, a0: number, a1: number): [number, number, number] {
  return [sizeOf(shape.slice(0, a0)), sizeOf(shape.slice(a0, a1 + 1)), sizeOf(shape.slice(a1 + 1))];
}

const STAGE: Record<ReduceOp, KernelFn> = { sum: RED.sumStage, max: RED.maxStage, min: RED.minStage };
const EMPTY_REDUCTION: Record<ReduceOp, number> = { sum: 0, max: -Infinity, min: Infinity };

function reduceRun(ctx: Ctx, op: ReduceOp, x: GpuBuf, a0: number, a1: number): GpuBuf {
  const [outer, inner0, post] = split3(x.shape, a0, a1);
  const outShape = [...x.shape.slice(0, a0), 1, ...x.shape.slice(a1 + 1)];
  let cur = x;
  let inner = inner0;
  while (inner > 1) {
    const blocks = Math.ceil(inner / REDUCE_BLOCK);
    const next = ctx.run(`reduce:${op}`, STAGE[op], [outer, blocks, post], [cur, inner, post, blocks], { constants: { block: REDUCE_BLOCK } });
    ctx.drop(cur, x);
    cur = next;
    inner = blocks;
  }
  const out = ctx.view(cur.store, outShape);
  ctx.drop(cur, x);
  return out;
}

function matmulOperand(ctx: Ctx, x: GpuBuf, batch: number[], rows: number, cols: number): { buf: GpuBuf; batchStride: number; owned: boolean } {
  const full = [...batch, rows, cols];
  const strides = broadcastStrides(x, full);
  const bs = strides.slice(0, batch.length);
  // The batch axes must collapse to one stride (or all be broadcast) to be read in place.
  const dims = batch.map((d, i) => ({ d, s: bs[i] })).filter((e) => e.d !== 1);
  const uniform = dims.every((e, i) => i === dims.length - 1 || e.s === dims[i + 1].s * dims[i + 1].d);
  if (uniform) {
    return { buf: x, batchStride: dims.length === 0 ? 0 : dims[dims.length - 1].s, owned: false };
  }
  const expanded = ctx.view(x.store, full, strides, x.offset);
  const dense = ctx.dense(expanded);
  ctx.drop(expanded, dense);
  return { buf: dense, batchStride: rows * cols, owned: true };
}

// ---- the backend ---------------------------------------------------------------------------------------------

const contexts = new Map<GpujsMode, { ctx: Ctx; backend: Backend<GpuBuf> }>();

function ctxOf(b: Backend): Ctx | null {
  for (const { ctx, backend } of contexts.values()) if (backend === b) return ctx;
  return null;
}

/** Where each cached kernel of this backend really runs (for tests and benchmarks); [] for other backends. */
export function gpujsKernelReports(b: Backend): KernelReport[] {
  const ctx = ctxOf(b);
  return ctx === null ? [] : [...ctx.reports.values()];
}

/** Waits until the device has finished all queued work (GL; a no-op elsewhere) — for benchmarks. */
export function gpujsFinish(b: Backend): void {
  ctxOf(b)?.gpu.context?.finish?.();
}

/** Host↔device transfers so far on this gpujs backend: uploads (tensor creation) and readbacks (values read). */
export function gpujsTransfers(b: Backend): { uploads: number; readbacks: number } {
  const ctx = ctxOf(b);
  return ctx === null ? { uploads: 0, readbacks: 0 } : { ...ctx.transfers };
}

/**
 * The gpujs backend for `mode` (one per mode and process, so tensors of one mode share one kernel cache).
 * Throws a BackendError naming what to install when the mode cannot run here — never a silent fallback.
 * @example const b = gpujsBackend('webasm'); b.mode; // 'webasm'
 */
export function gpujsBackend(mode: GpujsMode = 'auto'): Backend<GpuBuf> {
  if (!(GPUJS_MODES as readonly string[]).includes(mode))
    throw new BackendError(`setBackend('gpujs'): unknown mode '${String(mode)}'; choose one of ${GPUJS_MODES.join(', ')}`);
  let entry = contexts.get(mode);
  if (entry === undefined) {
    const ctx = new Ctx(mode);
    entry = { ctx, backend: createGpujsBackend(ctx) };
    contexts.set(mode, entry);
  }
  return entry.backend;
}

function createGpujsBackend(ctx: Ctx) {
  const self = {
    name: 'gpujs',
    mode: ctx.mode,
    supportsDType: (dtype: DType) => dtype === 'float32',

    fromTypedArray(data: TypedArray, shape: Shape, _dtype: DType): GpuBuf {
      ctx.checkSize(data.length, 'tensor');
      return ctx.upload(Float32Array.from(data), shape);
    },
    fill(shape: Shape, value: number, _dtype: DType): GpuBuf {
      const n = sizeOf(shape);
      ctx.checkSize(n, 'fill');
      if (!ctx.gl || n === 0 || !Number.isFinite(value)) return ctx.upload(new Float32Array(n).fill(value), shape, false);
      return ctx.run('fill', EW.fillValue, shape, [value]);
    },
    read(x: GpuBuf): Float32Array {
      const data = ctx.device(x);
      if (data instanceof Float32Array && x.isContiguous()) {
        ctx.transfers.readbacks++;
        return data.slice(x.offset, x.offset + x.size);
      }
      const d = ctx.dense(x);
      const out = ctx.hostValues(d);
      ctx.drop(d, x);
      return out;
    },
    cast(x: GpuBuf, _dtype: DType): GpuBuf {
      const d = ctx.dense(x);
      if (d !== x) return d;
      return ctx.elementwise('unary:copy', EW.UNARY_FNS.copy, 'unary', x.shape, [x], [0, 0]);
    },
    dispose(x: GpuBuf): void {
      ctx.dispose(x);
    },
    memory(): MemoryInfo {
      return { ...ctx.live };
    },

    reshape(x: GpuBuf, shape: Shape): GpuBuf {
      ctx.device(x);
      if (x.isContiguous()) return ctx.view(x.store, shape, contiguousStrides(shape), x.offset);
      const d = ctx.dense(x);
      const out = ctx.view(d.store, shape);
      ctx.drop(d);
      return out;
    },
    permute(x: GpuBuf, axes: readonly number[]): GpuBuf {
      ctx.device(x);
      return ctx.view(x.store, axes.map((a) => x.shape[a]), axes.map((a) => x.strides[a]), x.offset);
    },
    expand(x: GpuBuf, shape: Shape): GpuBuf {
      ctx.device(x);
      return ctx.view(x.store, shape, broadcastStrides(x, shape), x.offset);
    },
    slice(x: GpuBuf, begin: readonly number[], end: readonly number[]): GpuBuf {
      ctx.device(x);
      const offset = begin.reduce((o, b, i) => o + b * x.strides[i], x.offset);
      return ctx.view(x.store, end.map((e, i) => e - begin[i]), x.strides, offset);
    },
    concat(xs: readonly GpuBuf[], axis: number): GpuBuf {
      const shape = [...xs[0].shape];
      shape[axis] = xs.reduce((s, x) => s + x.shape[axis], 0);
      const parts = xs.filter((x) => x.size > 0);
      if (parts.length === 0) return ctx.empty(shape);
      const post = sizeOf(shape.slice(axis + 1));
      let acc = ctx.dense(parts[0]);
      let na = parts[0].shape[axis];
      for (const part of parts.slice(1)) {
        const b = ctx.dense(part);
        const nb = part.shape[axis];
        const joined = [...shape.slice(0, axis), na + nb, ...shape.slice(axis + 1)];
        const next = ctx.run('concat', GA.concatAxis, joined, [acc, b, na, nb, post]);
        ctx.drop(b, part);
        ctx.drop(acc, parts[0]);
        acc = next;
        na += nb;
      }
      if (acc === parts[0]) return ctx.elementwise('unary:copy', EW.UNARY_FNS.copy, 'unary', shape, [acc], [0, 0]);
      const out = ctx.view(acc.store, shape);
      ctx.drop(acc);
      return out;
    },

    unary(op: UnaryOp, x: GpuBuf, p0 = 0, p1 = 0): GpuBuf {
      return ctx.elementwise(`unary:${op}`, EW.UNARY_FNS[op], 'unary', x.shape, [x], [p0, p1]);
    },
    binary(op: BinaryOp, a: GpuBuf, b: GpuBuf): GpuBuf {
      return ctx.elementwise(`binary:${op}`, EW.BINARY_FNS[op], 'binary', broadcastShape(a.shape, b.shape), [a, b], []);
    },
    where(cond: GpuBuf, a: GpuBuf, b: GpuBuf): GpuBuf {
      return ctx.elementwise('where', null, 'where', broadcastShape(cond.shape, a.shape, b.shape), [cond, a, b], []);
    },

    reduce(op: ReduceOp, x: GpuBuf, axes: readonly number[], keepdim: boolean): GpuBuf {
      const outShape = x.shape.flatMap((d, i) => (axes.includes(i) ? (keepdim ? [1] : []) : [d]));
      if (sizeOf(outShape) === 0) return ctx.empty(outShape);
      if (axes.some((a) => x.shape[a] === 0)) return self.fill(outShape, EMPTY_REDUCTION[op], 'float32');
      let cur = ctx.dense(x);
      // Runs of adjacent reduced axes, last run first so earlier axis numbers stay valid.
      const runs: [number, number][] = [];
      for (const a of [...axes].sort((p, q) => p - q)) {
        const last = runs[runs.length - 1];
        if (last !== undefined && last[1] === a - 1) last[1] = a;
        else runs.push([a, a]);
      }
      for (const [a0, a1] of runs.reverse()) {
        const next = reduceRun(ctx, op, cur, a0, a1);
        ctx.drop(cur, x);
        cur = next;
      }
      const out = ctx.view(cur.store, outShape, contiguousStrides(outShape), cur.offset);
      ctx.drop(cur, x);
      if (out.store === x.store) {
        // Nothing was reduced (every reduced axis had size 1): the result must still be a new buffer.
        const copy = ctx.elementwise('unary:copy', EW.UNARY_FNS.copy, 'unary', outShape, [out], [0, 0]);
        ctx.drop(out);
        return copy;
      }
      return out;
    },
    argmax(x: GpuBuf, axis: number): GpuBuf {
      const outShape = x.shape.filter((_, i) => i !== axis);
      const [, inner, post] = split3(x.shape, axis, axis);
      if (sizeOf(outShape) === 0) return ctx.empty(outShape);
      if (inner === 0) return self.fill(outShape, 0, 'float32');
      const d = ctx.dense(x);
      const out = ctx.run('argmax', RED.argmaxAxis, outShape, [d, inner, post]);
      ctx.drop(d, x);
      return out;
    },
    matmul(a: GpuBuf, b: GpuBuf): GpuBuf {
      const [m, k] = a.shape.slice(-2);
      const n = b.shape[b.shape.length - 1];
      const batch = broadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
      const outShape = [...batch, m, n];
      if (sizeOf(outShape) === 0) return ctx.empty(outShape);
      if (k === 0) return self.fill(outShape, 0, 'float32');
      const A = matmulOperand(ctx, a, batch, m, k);
      const B = matmulOperand(ctx, b, batch, k, n);
      const ar = a.shape.length, br = b.shape.length;
      const aRow = A.owned ? k : a.strides[ar - 2], aCol = A.owned ? 1 : a.strides[ar - 1];
      const bRow = B.owned ? n : b.strides[br - 2], bCol = B.owned ? 1 : b.strides[br - 1];
      const args = [A.buf, B.buf, m, n, k, A.buf.offset, A.batchStride, aRow, aCol, B.buf.offset, B.batchStride, bRow, bCol];
      const nb = sizeOf(batch);
      const mb4 = Math.ceil(m / 4);
      let out: GpuBuf;
      if (!ctx.gl || (n <= GL_MAX_2D && nb * mb4 <= GL_MAX_2D)) {
        // Four rows per thread (a vec4 result), then laid out row-major: see kernels/matmul.ts.
        const packed = ctx.runVec4('matmul:block4', MM.matmulBlock4, [n, nb * mb4], [...args, mb4]);
        out = ctx.gl
          ? ctx.run('matmul:unpackTexture', MM.matmulUnpackTexture, outShape, [packed, m, n, mb4])
          : ctx.run('matmul:unpackFlat', MM.matmulUnpackFlat, outShape, [packed, m, n, mb4]);
        ctx.drop(packed);
      } else {
        out = ctx.run('matmul', MM.matmulFlat, outShape, args);
      }
      if (A.owned) ctx.drop(A.buf);
      if (B.owned) ctx.drop(B.buf);
      return out;
    },
    softmax(x: GpuBuf, axis: number, log: boolean): GpuBuf {
      if (x.size === 0) return ctx.empty(x.shape);
      const [outer, inner, post] = split3(x.shape, axis, axis);
      const d = ctx.dense(x);
      const lse = ctx.run('logsumexp', RED.logSumExpAxis, [outer, post], [d, inner, post]);
      const spread = ctx.view(lse.store, [outer, inner, post], [post, 0, 1], 0);
      const op = log ? 'sub' : 'expSub';
      const flat = ctx.view(d.store, [outer, inner, post], contiguousStrides([outer, inner, post]), 0);
      const out3 = ctx.elementwise(`binary:${op}`, EW.BINARY_FNS[op], 'binary', [outer, inner, post], [flat, spread], []);
      const out = ctx.view(out3.store, x.shape);
      [out3, flat, spread, lse].forEach((t) => ctx.drop(t));
      ctx.drop(d, x);
      return out;
    },
    gather(x: GpuBuf, axis: number, index: GpuBuf): GpuBuf {
      if (index.size === 0) return ctx.empty(index.shape);
      const n = x.shape[axis];
      const idx = self.read(index);
      for (const v of idx) checkIndex('gather', v, n);
      // torch.gather allows an index smaller than x along the other axes: read x's matching corner.
      const src = index.shape.every((d, i) => i === axis || d === x.shape[i])
        ? x
        : self.slice(x, x.shape.map(() => 0), x.shape.map((d, i) => (i === axis ? d : index.shape[i])));
      const xd = ctx.dense(src);
      const id = ctx.dense(index);
      const [, kk, post] = split3(index.shape, axis, axis);
      const out = ctx.run('gather', GA.gatherAxis, index.shape, [xd, id, n, kk, post]);
      ctx.drop(xd, x);
      if (src !== x) ctx.drop(src);
      ctx.drop(id, index);
      return out;
    },
    scatterAdd(shape: Shape, axis: number, index: GpuBuf, src: GpuBuf): GpuBuf {
      const n = shape[axis];
      if (sizeOf(shape) === 0) return ctx.empty(shape);
      if (index.size === 0) return self.fill(shape, 0, 'float32');
      const idx = self.read(index);
      for (const v of idx) checkIndex('scatterAdd', v, n);
      const id = ctx.dense(index);
      const sd = ctx.dense(src);
      // Scatter over the index's extent, then pad with zeros where the index is smaller than `shape`.
      const inner = index.shape.map((d, i) => (i === axis ? n : d));
      const [, kk, post] = split3(index.shape, axis, axis);
      let out = ctx.run('scatterAdd', GA.scatterAddAxis, inner, [id, sd, n, kk, post]);
      ctx.drop(id, index);
      ctx.drop(sd, src);
      for (let d = 0; d < shape.length; d++) {
        if (out.shape[d] === shape[d]) continue;
        const padShape = out.shape.map((s, i) => (i === d ? shape[d] - s : s));
        const zeros = self.fill(padShape, 0, 'float32');
        const next = self.concat([out, zeros], d);
        ctx.drop(zeros);
        ctx.drop(out);
        out = next;
      }
      return out;
    },

    // ---- fused APA / AGLU: kernels/apa.ts (written by the APA work; keep these bodies self-contained) ----
    apaForward(z: GpuBuf, lambda: GpuBuf, kappa: GpuBuf, opts: ApaKernelOptions): GpuBuf {
      const nl = lambda.size, nk = kappa.size;
      const { channels, inner } = apaLayout(z.shape, opts.channelAxis, nl, nk);
      const zd = ctx.dense(z), kd = ctx.dense(kappa), ld = ctx.dense(lambda);
      // [λ_eff | log λ_eff | mask]: the per-element kernels never take a log of λ
      const lp = ctx.run('apa:lambda', APA.apaLambdaParams, [3 * nl], [ld, nl, opts.lambdaFloor]);
      // One λ, κ (perChannel 0): read at constant indices. webasm calls Math.exp through JavaScript (~25 ns each) and
      // GPU.js cpu runs it slower than a table: both use kernels/apa.ts' table exp (polyExp 1); GL an accurate
      // polynomial (polyExp 2: llvmpipe's native exp is off by 1e-6).
      const perChannel = channels > 1 ? 1 : 0;
      const key = perChannel ? 'apa:forward:channels' : 'apa:forward';
      const polyExp = ctx.gl ? 2 : 1;
      const constants: KernelOptions = ctx.kernels.has(key) ? {} : { constants: { polyExp, perChannel, expTable: polyExp === 1 ? APA.apaExpTable() : Float32Array.of(0) } };
      const out = ctx.run(key, APA.apaForwardKernel, z.shape, [zd, lp, kd, nl, nk, Math.max(inner, 1), channels, opts.gated ? 1 : 0], constants);
      ctx.drop(lp);
      ctx.drop(zd, z);
      ctx.drop(kd, kappa);
      ctx.drop(ld, lambda);
      return out;
    },
    apaBackward(z: GpuBuf, lambda: GpuBuf, kappa: GpuBuf, grad: GpuBuf, opts: ApaKernelOptions): { dz: GpuBuf; dlambda: GpuBuf; dkappa: GpuBuf } {
      // Two passes: dz, and one kernel that sums both λ's and κ's terms over blocks of each channel (kernels/apa.ts); the
      // block sums are added up here in float64 on cpu and webasm (their device memory is host memory), by kernel on GL.
      // No intermediate readback. (A kernel map doing it all in one pass would run on cpu on webasm, and on GPU.js cpu
      // it measured slower than these two passes.)
      const nl = lambda.size, nk = kappa.size;
      const { channels, inner } = apaLayout(z.shape, opts.channelAxis, nl, nk);
      const zd = ctx.dense(z), gd = ctx.dense(grad), kd = ctx.dense(kappa), ld = ctx.dense(lambda);
      const lp = ctx.run('apa:lambda', APA.apaLambdaParams, [3 * nl], [ld, nl, opts.lambdaFloor]);
      const gated = opts.gated ? 1 : 0;
      const perChannel = channels > 1 ? 1 : 0;
      const polyExp = ctx.gl ? 2 : 1;
      const suffix = perChannel ? ':channels' : '';
      const table = polyExp === 1 ? APA.apaExpTable() : Float32Array.of(0);
      const inn = Math.max(inner, 1);
      const args = [zd, gd, lp, kd, nl, nk, inn, channels, gated];
      const kopts = (key: string): KernelOptions => (ctx.kernels.has(key) ? {} : { constants: { polyExp, perChannel, expTable: table } });
      /** Per-channel float64 sums → a [size] buffer (their total when the parameter has one element). */
      const store = (acc: Float64Array, size: number): GpuBuf => {
        const out = new Float32Array(size);
        if (size === 1) out[0] = acc.reduce((sum, v) => sum + v, 0);
        else out.set(acc);
        return ctx.upload(out, [size], false);
      };
      let dz: GpuBuf, dlambda: GpuBuf, dkappa: GpuBuf;
      if (z.size === 0) {
        dz = ctx.empty(z.shape);
        dlambda = self.fill([nl], 0, 'float32');
        dkappa = self.fill([nk], 0, 'float32');
      } else {
        const dzKey = `apa:dz${suffix}`;
        dz = ctx.run(dzKey, APA.apaBackwardDz, z.shape, args, kopts(dzKey));
        // Blocks of chunks·chunk elements, summed chunk by chunk. GL: 64-element blocks, so that the partials texture
        // spans several of llvmpipe's 64×64 tiles (its threads split work by tile); cpu, webasm up to 1024 (fewer cells).
        const count = z.size / channels;
        const chunk = ctx.gl ? 8 : 32;
        const chunks = Math.max(1, Math.min(chunk, Math.ceil(count / chunk)));
        const blocks = Math.ceil(count / (chunk * chunks));
        if (ctx.gl) {
          const key = `apa:partials${suffix}`;
          const m = ctx.runMap(key, { dkappa: APA.apaKeepKappa }, APA.apaBackwardPartialsMap, [channels, blocks], [...args, count, blocks, chunk, chunks], kopts(key));
          // [channels, blocks] → [size]: passes of ≤ 128 entries per cell (16384 partials: two passes)
          const sum = (parts: GpuBuf, size: number): GpuBuf => {
            const rows = size === 1 ? 1 : channels;
            let len = parts.size / rows;
            let cur = parts;
            while (len > 1) {
              const cChunks = Math.min(8, Math.ceil(len / 16));
              const groups = Math.ceil(len / (16 * cChunks));
              const next = ctx.run('apa:sum', APA.apaSumBlocks, [rows * groups], [cur, len, groups, 16, cChunks]);
              ctx.drop(cur);
              cur = next;
              len = groups;
            }
            const out = self.reshape(cur, [size]);
            ctx.drop(cur, out);
            return out;
          };
          dlambda = sum(m.result, nl);
          dkappa = sum(m.dkappa, nk);
        } else {
          // [dλ, dκ, 0, 0] per block through the vec4 path (it takes no constants: the table is an argument)
          const tab = ctx.upload(table, [table.length], false);
          const parts = ctx.runVec4(`apa:partials${suffix}`, APA.apaBackwardPartials, [channels * blocks, 1], [zd, gd, lp, kd, tab, nl, nk, inn, channels, gated, count, blocks, chunk, chunks, perChannel]);
          ctx.drop(tab);
          const flat = ctx.device(parts) as Float32Array;
          const accL = new Float64Array(channels), accK = new Float64Array(channels);
          for (let c = 0; c < channels; c++) {
            let sl = 0, sk = 0;
            for (let at = c * blocks * 4, end = at + blocks * 4; at < end; at += 4) {
              sl += flat[at];
              sk += flat[at + 1];
            }
            accL[c] = sl;
            accK[c] = sk;
          }
          ctx.drop(parts);
          dlambda = store(accL, nl);
          dkappa = store(accK, nk);
        }
      }
      ctx.drop(lp);
      ctx.drop(zd, z);
      ctx.drop(gd, grad);
      ctx.drop(kd, kappa);
      ctx.drop(ld, lambda);
      return { dz, dlambda, dkappa };
    },
    apaBceForward(z: GpuBuf, target: GpuBuf, lambda: GpuBuf, kappa: GpuBuf, opts: ApaLossKernelOptions): GpuBuf {
      const nl = lambda.size, nk = kappa.size;
      const { channels, inner } = apaLayout(z.shape, opts.channelAxis, nl, nk);
      const zd = ctx.dense(z), td = ctx.dense(target), kd = ctx.dense(kappa), ld = ctx.dense(lambda);
      const lp = ctx.run('apa:lambda', APA.apaLambdaParams, [3 * nl], [ld, nl, opts.lambdaFloor]);
      const functions = [APA.apaLog1pSmall, APA.apaOneMinusExpOverXm1, APA.apaLog1mexp, APA.apaXOverExpm1];
      const out = ctx.run('apa:bce', APA.apaBceForwardKernel, z.shape, [zd, td, lp, kd, nl, nk, Math.max(inner, 1), channels, opts.gumbel ? 1 : 0], { functions });
      ctx.drop(lp);
      ctx.drop(zd, z);
      ctx.drop(td, target);
      ctx.drop(kd, kappa);
      ctx.drop(ld, lambda);
      return out;
    },
    apaBceBackward(z: GpuBuf, target: GpuBuf, lambda: GpuBuf, kappa: GpuBuf, grad: GpuBuf, opts: ApaLossKernelOptions): { dz: GpuBuf; dlambda: GpuBuf; dkappa: GpuBuf } {
      // Losses see a classifier's [B, K] logits: per-element contributions, then a reduction to [C] or [1].
      const nl = lambda.size, nk = kappa.size;
      const { channels, inner, outer } = apaLayout(z.shape, opts.channelAxis, nl, nk);
      const zd = ctx.dense(z), td = ctx.dense(target), gd = ctx.dense(grad), kd = ctx.dense(kappa), ld = ctx.dense(lambda);
      const lp = ctx.run('apa:lambda', APA.apaLambdaParams, [3 * nl], [ld, nl, opts.lambdaFloor]);
      const functions = [APA.apaLog1pSmall, APA.apaOneMinusExpOverXm1, APA.apaLog1mexp, APA.apaXOverExpm1];
      const args = [zd, td, gd, lp, kd, nl, nk, Math.max(inner, 1), channels, opts.gumbel ? 1 : 0];
      const dz = ctx.run('apa:bce:backward', APA.apaBceBackwardKernel, z.shape, [...args, 0], { functions });
      const param = (which: number, size: number): GpuBuf => {
        const parts = ctx.run('apa:bce:backward', APA.apaBceBackwardKernel, [outer, channels, Math.max(inner, 1)], [...args, which], { functions });
        const summed = self.reduce('sum', parts, size === 1 ? [0, 1, 2] : [0, 2], false);
        ctx.drop(parts);
        const out = self.reshape(summed, [size]);
        ctx.drop(summed, out);
        return out;
      };
      const dlambda = param(1, nl);
      const dkappa = param(2, nk);
      ctx.drop(lp);
      ctx.drop(zd, z);
      ctx.drop(td, target);
      ctx.drop(gd, grad);
      ctx.drop(kd, kappa);
      ctx.drop(ld, lambda);
      return { dz, dlambda, dkappa };
    },

    // ---- fused optimizer updates: kernels/optim.ts, one single-output kernel per new tensor ----
    sgdUpdate(param: GpuBuf, grad: GpuBuf, momentumBuf: GpuBuf | null, o: SgdUpdateOptions): { param: GpuBuf; momentumBuf: GpuBuf | null } {
      const pd = ctx.dense(param);
      const gd = ctx.dense(grad);
      const useWd = o.weightDecay !== 0 ? 1 : 0;
      let buf: GpuBuf | null = null;
      if (o.momentum !== 0) {
        const bd = momentumBuf === null ? pd : ctx.dense(momentumBuf);
        buf = ctx.run('optim:sgd:momentum', OPT.sgdMomentumKernel, param.shape, [pd, gd, bd, momentumBuf === null ? 0 : 1, useWd, o.weightDecay, o.momentum, 1 - o.dampening]);
        if (momentumBuf !== null) ctx.drop(bd, momentumBuf);
      }
      const out = ctx.run('optim:sgd:param', OPT.sgdParamKernel, param.shape, [pd, gd, buf ?? pd, buf === null ? 0 : 1, useWd, o.weightDecay, o.nesterov ? 1 : 0, o.momentum, o.lr, o.maximize ? 1 : 0]);
      ctx.drop(gd, grad);
      ctx.drop(pd, param);
      return { param: out, momentumBuf: buf };
    },
    adamUpdate(param: GpuBuf, grad: GpuBuf, m: GpuBuf | null, v: GpuBuf | null, vmax: GpuBuf | null, o: AdamUpdateOptions): { param: GpuBuf; m: GpuBuf; v: GpuBuf; vmax: GpuBuf | null } {
      const pd = ctx.dense(param);
      const gd = ctx.dense(grad);
      const useL2 = o.weightDecay !== 0 && !o.decoupled ? 1 : 0;
      const moment = (prev: GpuBuf | null, second: number, beta: number): GpuBuf => {
        const prevD = prev === null ? pd : ctx.dense(prev);
        const args = [pd, gd, prevD, prev === null ? 0 : 1, second, o.maximize ? 1 : 0, useL2, o.weightDecay, beta, 1 - beta];
        const out = ctx.run('optim:adam:moment', OPT.adamMomentKernel, param.shape, args);
        if (prev !== null) ctx.drop(prevD, prev);
        return out;
      };
      const mNew = moment(m, 0, o.beta1);
      const vNew = moment(v, 1, o.beta2);
      let vmaxNew: GpuBuf | null = null;
      if (o.amsgrad) {
        const prevD = vmax === null ? vNew : ctx.dense(vmax);
        vmaxNew = ctx.run('optim:adam:max', OPT.adamMaxKernel, param.shape, [vNew, prevD, vmax === null ? 0 : 1]);
        if (vmax !== null) ctx.drop(prevD, vmax);
      }
      const decay = o.decoupled && o.weightDecay !== 0 ? 1 - o.lr * o.weightDecay : 1;
      const bc1 = 1 - o.beta1 ** o.step;
      const bc2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
      const out = ctx.run('optim:adam:param', OPT.adamParamKernel, param.shape, [pd, mNew, vmaxNew ?? vNew, decay, bc2Sqrt, o.eps, o.lr / bc1]);
      ctx.drop(gd, grad);
      ctx.drop(pd, param);
      return { param: out, m: mNew, v: vNew, vmax: vmaxNew };
    },
  } satisfies Backend<GpuBuf>;
  return self;
}
