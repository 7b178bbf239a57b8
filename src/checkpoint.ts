/**
 * Checkpoints: a model's parameters saved as safetensors (the public format PyTorch, JAX and the Hugging Face
 * tools read) or as JSON. Writes are atomic (temp file, fsync, rename); reads check everything — length fields,
 * header JSON, dtypes, shapes, offsets — before any tensor is built, and loading into a model changes it only
 * when every parameter matches.
 *
 * Names: parameters keep their dotted paths (`0.weight`, `0.bias`), except that the APA/AGLU parameters `lambda`
 * and `kappa` are written as `lambda_param` and `kappa_param`, the names of the official seed's `Unified` module,
 * so `1.lambda` ↔ `1.lambda_param`. Reading accepts both spellings. See docs/training.md.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, readFile, rename, rm } from 'node:fs/promises';
import type { DType, TypedArray } from './backend/backend.js';
import { backend as currentBackend } from './backend/current.js';
import { jsBackend } from './backend/js.js';
import { AgluError, DTypeError, ValueError } from './errors.js';
import { Module, type StateDict } from './nn/module.js';
import { fmt } from './shape.js';
import { Tensor } from './tensor.js';

/** A checkpoint that cannot be read: truncated, corrupt, of an unsupported dtype, or not matching the model. */
export class CheckpointError extends AgluError {}

export type CheckpointFormat = 'json' | 'safetensors';

export interface SaveOptions {
  /** Default: from the file extension (.json → json, anything else → safetensors). */
  format?: CheckpointFormat;
  /** String key/values stored with the tensors (safetensors `__metadata__`, JSON `metadata`). */
  metadata?: Record<string, string>;
}

export interface LoadOptions {
  /** Default: from the extension, else sniffed from the first byte ('{' → json). */
  format?: CheckpointFormat;
  /** load(path) only: the dtype of the returned tensors (default: as stored). */
  dtype?: DType;
}

/** What a file holds: tensors by aglu name, and the metadata strings. */
export interface Checkpoint {
  tensors: StateDict;
  metadata: Record<string, string>;
}

const FILE_DTYPE: Record<DType, 'F32' | 'F64'> = { float32: 'F32', float64: 'F64' };
const ITEM_SIZE = { F32: 4, F64: 8 } as const;
/** The safetensors reference implementation refuses headers above 100 MB; so do we (a corrupt length field). */
const MAX_HEADER = 100_000_000;

/** aglu name → file name: `…lambda` → `…lambda_param`, `…kappa` → `…kappa_param`. */
export function toFileName(name: string): string {
  return name.replace(/(^|\.)(lambda|kappa)$/, '$1$2_param');
}
/** File name → aglu name (the inverse of toFileName). */
export function fromFileName(name: string): string {
  return name.replace(/(^|\.)(lambda|kappa)_param$/, '$1$2');
}

interface RawTensor {
  name: string;
  dtype: 'F32' | 'F64';
  shape: number[];
  data: TypedArray;
}

function stateOf(model: Module | StateDict): StateDict {
  return model instanceof Module ? model.stateDict() : model;
}

function checkMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new ValueError(`save: metadata '${k}' must be a string (safetensors metadata is string → string), got ${typeof v}`);
    out[k] = v;
  }
  return out;
}

function rawTensors(state: StateDict): RawTensor[] {
  const seen = new Set<string>();
  return Object.entries(state).map(([name, t]) => {
    if (!(t instanceof Tensor)) throw new ValueError(`save: '${name}' is not a Tensor`);
    const fileName = toFileName(name);
    if (seen.has(fileName)) throw new ValueError(`save: two parameters map to the file name '${fileName}'`);
    seen.add(fileName);
    return { name: fileName, dtype: FILE_DTYPE[t.dtype], shape: [...t.shape], data: t.toTypedArray() };
  });
}

// ---- safetensors ---------------------------------------------------------------------------------------------

/**
 * Encodes tensors as safetensors: u64 little-endian header length, a JSON header (padded with spaces to a
 * multiple of 8) mapping each name to { dtype, shape, data_offsets }, then the raw little-endian data.
 * @example writeFileSync('m.safetensors', encodeSafetensors(model.stateDict()));
 */
export function encodeSafetensors(state: StateDict, metadata?: Record<string, string>): Uint8Array {
  const tensors = rawTensors(state);
  const header: Record<string, unknown> = {};
  const meta = checkMetadata(metadata);
  if (Object.keys(meta).length > 0) header.__metadata__ = meta;
  let offset = 0;
  for (const t of tensors) {
    const bytes = t.data.length * ITEM_SIZE[t.dtype];
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const headerBytes = new TextEncoder().encode(json);
  const pad = (8 - (headerBytes.length % 8)) % 8;
  json += ' '.repeat(pad);
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  let at = 8 + h.length;
  for (const t of tensors) {
    const size = ITEM_SIZE[t.dtype];
    for (let i = 0; i < t.data.length; i++, at += size)
      if (t.dtype === 'F32') view.setFloat32(at, t.data[i], true);
      else view.setFloat64(at, t.data[i], true);
  }
  return out;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isShape = (x: unknown): x is number[] => Array.isArray(x) && x.every((d) => Number.isInteger(d) && d >= 0);

/** Decodes safetensors bytes; `source` names the file in error messages. */
export function decodeSafetensors(bytes: Uint8Array, source = 'checkpoint'): Checkpoint {
  const bad = (why: string): CheckpointError => new CheckpointError(`load ${source}: ${why}`);
  if (bytes.length < 8) throw bad(`file is truncated: it has ${bytes.length} bytes, fewer than the 8-byte header length of a safetensors file`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = view.getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw bad(`corrupt header length ${n64} (more than ${MAX_HEADER} bytes); this is not a safetensors file`);
  const n = Number(n64);
  if (8 + n > bytes.length) throw bad(`file is truncated: the header says ${n} bytes of JSON, but only ${bytes.length - 8} bytes follow the length field`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw bad(`corrupt header: not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isObject(header)) throw bad('corrupt header: the JSON header must be an object of tensors');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors: StateDict = {};
  const spans: [number, number, string][] = [];
  const built: [string, RawTensor][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(entry)) throw bad('corrupt header: __metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(entry)) {
        if (typeof v !== 'string') throw bad(`corrupt header: __metadata__['${k}'] is not a string`);
        metadata[k] = v;
      }
      continue;
    }
    if (!isObject(entry)) throw bad(`corrupt header: the entry of tensor '${name}' is not an object`);
    const { dtype, shape, data_offsets: offs } = entry;
    if (dtype !== 'F32' && dtype !== 'F64')
      throw bad(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; aglu reads F32 and F64 (convert the tensor to float32 first)`);
    if (!isShape(shape)) throw bad(`corrupt header: tensor '${name}' has shape ${JSON.stringify(shape)}; a shape is a list of integers ≥ 0`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isInteger(o) && o >= 0) || offs[0] > offs[1])
      throw bad(`corrupt header: tensor '${name}' has data_offsets ${JSON.stringify(offs)}; expected [begin, end] with 0 ≤ begin ≤ end`);
    const [begin, end] = offs as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * ITEM_SIZE[dtype])
      throw bad(`corrupt header: tensor '${name}' of shape ${fmt(shape)} and dtype ${dtype} needs ${count * ITEM_SIZE[dtype]} bytes, but its data_offsets span ${end - begin}`);
    if (end > dataLen)
      throw bad(`file is truncated: tensor '${name}' needs bytes ${begin}..${end} of the data section, which has only ${dataLen} bytes`);
    spans.push([begin, end, name]);
    const data = dtype === 'F32' ? new Float32Array(count) : new Float64Array(count);
    const size = ITEM_SIZE[dtype];
    for (let i = 0, at = dataStart + begin; i < count; i++, at += size)
      data[i] = dtype === 'F32' ? view.getFloat32(at, true) : view.getFloat64(at, true);
    built.push([name, { name, dtype, shape, data }]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of spans) {
    if (begin < covered) throw bad(`corrupt header: the data of tensor '${name}' overlaps another tensor's`);
    covered = end;
  }
  if (covered !== dataLen)
    throw bad(`corrupt file: the tensors cover ${covered} bytes of data but the data section has ${dataLen} (trailing or missing bytes)`);
  for (const [name, raw] of built) tensors[fromFileName(name)] = jsTensor(raw);
  return { tensors, metadata };
}

/** Holding tensors on the js backend keeps float64 files readable whatever the current backend. */
function jsTensor(raw: RawTensor): Tensor {
  const dtype: DType = raw.dtype === 'F32' ? 'float32' : 'float64';
  return new Tensor(jsBackend.fromTypedArray(raw.data, raw.shape, dtype), jsBackend);
}

// ---- JSON ----------------------------------------------------------------------------------------------------

const JSON_FORMAT = 'aglu-state-dict';

/**
 * Encodes tensors as JSON: { format: 'aglu-state-dict', version: 1, metadata, tensors: { name: { dtype, shape,
 * data } } }. Numbers print in round-trip precision, so values come back bit for bit; NaN and ±Infinity are
 * written as the strings "NaN", "Infinity", "-Infinity".
 */
export function encodeJson(state: StateDict, metadata?: Record<string, string>): string {
  const tensors: Record<string, unknown> = {};
  for (const t of rawTensors(state))
    tensors[t.name] = { dtype: t.dtype, shape: t.shape, data: Array.from(t.data, (v) => (Number.isFinite(v) ? v : String(v))) };
  return JSON.stringify({ format: JSON_FORMAT, version: 1, metadata: checkMetadata(metadata), tensors });
}

/** Decodes the JSON checkpoint format; `source` names the file in error messages. */
export function decodeJson(text: string, source = 'checkpoint'): Checkpoint {
  const bad = (why: string): CheckpointError => new CheckpointError(`load ${source}: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad(`not valid JSON — truncated or corrupt (${(e as Error).message})`);
  }
  if (!isObject(doc) || doc.format !== JSON_FORMAT) throw bad(`not an aglu JSON checkpoint (expected "format": "${JSON_FORMAT}")`);
  if (doc.version !== 1) throw bad(`unsupported checkpoint version ${JSON.stringify(doc.version)} (this aglu reads version 1)`);
  if (!isObject(doc.tensors)) throw bad('corrupt file: "tensors" must be an object');
  const metadata: Record<string, string> = {};
  if (doc.metadata !== undefined) {
    if (!isObject(doc.metadata)) throw bad('corrupt file: "metadata" must be an object of strings');
    for (const [k, v] of Object.entries(doc.metadata)) {
      if (typeof v !== 'string') throw bad(`corrupt file: metadata '${k}' is not a string`);
      metadata[k] = v;
    }
  }
  const built: [string, RawTensor][] = [];
  for (const [name, entry] of Object.entries(doc.tensors)) {
    if (!isObject(entry)) throw bad(`corrupt file: the entry of tensor '${name}' is not an object`);
    const { dtype, shape, data } = entry;
    if (dtype !== 'F32' && dtype !== 'F64') throw bad(`tensor '${name}' has dtype ${JSON.stringify(dtype)}; aglu reads F32 and F64`);
    if (!isShape(shape)) throw bad(`corrupt file: tensor '${name}' has shape ${JSON.stringify(shape)}; a shape is a list of integers ≥ 0`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Array.isArray(data) || data.length !== count)
      throw bad(`corrupt file: tensor '${name}' of shape ${fmt(shape)} needs ${count} values, found ${Array.isArray(data) ? data.length : 'none'}`);
    const values = dtype === 'F32' ? new Float32Array(count) : new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const v = data[i];
      const num = typeof v === 'number' ? v : v === 'NaN' ? NaN : v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : undefined;
      if (num === undefined) throw bad(`corrupt file: tensor '${name}' value ${i} is ${JSON.stringify(v)}, not a number`);
      values[i] = num;
    }
    built.push([name, { name, dtype, shape, data: values }]);
  }
  const tensors: StateDict = {};
  for (const [name, raw] of built) tensors[fromFileName(name)] = jsTensor(raw);
  return { tensors, metadata };
}

// ---- files ---------------------------------------------------------------------------------------------------

function formatFor(path: string, given: CheckpointFormat | undefined, firstByte?: number): CheckpointFormat {
  if (given !== undefined) {
    if (given !== 'json' && given !== 'safetensors') throw new ValueError(`checkpoint: format must be 'json' or 'safetensors', got '${String(given)}'`);
    return given;
  }
  if (/\.json$/i.test(path)) return 'json';
  if (/\.safetensors$/i.test(path)) return 'safetensors';
  return firstByte === 0x7b ? 'json' : 'safetensors';
}

function encode(model: Module | StateDict, path: string, options: SaveOptions): Uint8Array {
  const format = formatFor(path, options.format);
  const state = stateOf(model);
  return format === 'json' ? new TextEncoder().encode(encodeJson(state, options.metadata)) : encodeSafetensors(state, options.metadata);
}

function decode(bytes: Uint8Array, path: string, options: LoadOptions): Checkpoint {
  const format = formatFor(path, options.format, bytes[0]);
  return format === 'json'
    ? decodeJson(new TextDecoder().decode(bytes), `'${path}'`)
    : decodeSafetensors(bytes, `'${path}'`);
}

let tmpCounter = 0;
const tempPath = (path: string): string => `${path}.tmp-${process.pid}-${Date.now()}-${tmpCounter++}`;

/**
 * Saves a model's parameters (or a state dict) atomically: a reader never sees a half-written file.
 * @example await save(model, 'moons.safetensors'); await save(model, 'moons.json', { metadata: { epochs: '20' } });
 */
export async function save(model: Module | StateDict, path: string, options: SaveOptions = {}): Promise<void> {
  const bytes = encode(model, path, options);
  const tmp = tempPath(path);
  try {
    const fh = await open(tmp, 'w');
    try {
      await fh.writeFile(bytes);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** save, synchronously. @example saveSync(model, 'model.safetensors') */
export function saveSync(model: Module | StateDict, path: string, options: SaveOptions = {}): void {
  writeFileAtomicSync(path, encode(model, path, options), tempPath(path));
}

/**
 * Writes bytes to `tmp`, fsyncs, and renames it to `path`: readers see the old file or the new one, never half of
 * one. On failure the temporary file is removed and the error rethrown. (The CLI writes its run files with this too.)
 */
export function writeFileAtomicSync(path: string, bytes: Uint8Array, tmp: string): void {
  try {
    const fd = openSync(tmp, 'w');
    try {
      let at = 0;
      while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

function finish(checkpoint: Checkpoint, path: string, options: LoadOptions): StateDict {
  const out: StateDict = {};
  const b = currentBackend();
  for (const [name, t] of Object.entries(checkpoint.tensors)) {
    const dtype = options.dtype ?? t.dtype;
    if (!b.supportsDType(dtype))
      throw new DTypeError(`load '${path}': '${name}' is ${t.dtype} but the ${b.name} backend (mode ${b.mode}) cannot hold ${dtype}; pass { dtype: 'float32' } or load into a model`);
    out[name] = new Tensor(b.fromTypedArray(t.toTypedArray(), t.shape, dtype), b);
  }
  return out;
}

function into(model: Module, checkpoint: Checkpoint, path: string): Module {
  try {
    model.loadStateDict(checkpoint.tensors);
  } catch (e) {
    if (e instanceof AgluError) e.message = `load '${path}': ${e.message.replace(/^loadStateDict: /, '')}`;
    throw e;
  }
  return model;
}

/**
 * Reads a checkpoint: `load(path)` returns its tensors by aglu name (on the current backend); `load(model, path)`
 * loads them into the model — every name and shape is checked first, and on any mismatch the model is untouched.
 * @example const sd = await load('m.safetensors'); await load(model, 'm.safetensors');
 */
export async function load(path: string, options?: LoadOptions): Promise<StateDict>;
export async function load<M extends Module>(model: M, path: string, options?: LoadOptions): Promise<M>;
export async function load(a: string | Module, b?: string | LoadOptions, c?: LoadOptions): Promise<StateDict | Module> {
  if (a instanceof Module) {
    const path = b as string;
    const options = c ?? {};
    return into(a, decode(new Uint8Array(await readFile(path)), path, options), path);
  }
  const options = (b as LoadOptions | undefined) ?? {};
  return finish(decode(new Uint8Array(await readFile(a)), a, options), a, options);
}

/** load, synchronously. @example loadSync(model, 'm.json') */
export function loadSync(path: string, options?: LoadOptions): StateDict;
export function loadSync<M extends Module>(model: M, path: string, options?: LoadOptions): M;
export function loadSync(a: string | Module, b?: string | LoadOptions, c?: LoadOptions): StateDict | Module {
  if (a instanceof Module) {
    const path = b as string;
    return into(a, decode(new Uint8Array(readFileSync(path)), path, c ?? {}), path);
  }
  const options = (b as LoadOptions | undefined) ?? {};
  return finish(decode(new Uint8Array(readFileSync(a)), a, options), a, options);
}

/** Reads a checkpoint's metadata strings without building a model. @example readMetadata('m.safetensors').epochs */
export function readMetadata(path: string, options: LoadOptions = {}): Record<string, string> {
  return decode(new Uint8Array(readFileSync(path)), path, options).metadata;
}
