/**
 * What the CLI does with a user's mistake: one line that says what was wrong and what is accepted, the usage hint,
 * exit code 2. Option values are checked by the parsers here while commander reads the command line, so a bad value
 * never reaches the library.
 */
import { InvalidArgumentError } from 'commander';

/** A mistake in how aglu was called (exit code 2). `command` names the subcommand for the usage hint. */
export class UsageError extends Error {
  constructor(message: string, readonly command?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Exit codes: 0 done, 1 failed (e.g. gradcheck found an error), 2 bad usage, 128+n killed by signal n. */
export const EXIT = { ok: 0, failure: 1, usage: 2, sigint: 130, sigterm: 143 } as const;

export const DATASETS = ['moons', 'circles', 'spirals', 'blobs', 'iris', 'mnist'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** CLI spelling (kebab-case) of the activations; `leaky-relu` maps to nn's `leaky_relu`. */
export const ACTIVATIONS = ['relu', 'leaky-relu', 'gelu', 'silu', 'sigmoid', 'tanh', 'apa', 'aglu'] as const;
export type ActivationCliName = (typeof ACTIVATIONS)[number];

export const OPTIMIZERS = ['sgd', 'adam', 'adamw'] as const;
export type OptimizerName = (typeof OPTIMIZERS)[number];

export const SCHEDULES = ['constant', 'cosine', 'step'] as const;
export type ScheduleName = (typeof SCHEDULES)[number];

export const LOSSES = ['ce', 'apa-bce', 'gumbel-bce'] as const;
export type LossName = (typeof LOSSES)[number];

export const ACT_PARAMS = ['scalar', 'channel'] as const;
export type ActParams = (typeof ACT_PARAMS)[number];

export const GPUJS_MODES = ['auto', 'cpu', 'webasm', 'headlessgl'] as const;
export const BACKEND_SPECS = ['js', 'gpujs', ...GPUJS_MODES.map((m) => `gpujs:${m}`)] as const;

/** A backend as the user named it: `js`, `gpujs` or `gpujs:<mode>`. */
export interface BackendSpec {
  name: 'js' | 'gpujs';
  mode?: string;
  /** The text the user typed, for messages. */
  text: string;
}

const quote = (s: string): string => `'${s}'`;

/** A parser for one of `choices`; the message lists them. */
export function choice<T extends string>(what: string, choices: readonly T[]): (value: string) => T {
  return (value: string): T => {
    const v = value.trim().toLowerCase();
    if ((choices as readonly string[]).includes(v)) return v as T;
    throw new InvalidArgumentError(`${quote(value)} is not a known ${what}; accepted: ${choices.join(', ')}.`);
  };
}

/** A parser for a comma-separated list drawn from `choices` (duplicates dropped, order kept). */
export function choiceList<T extends string>(what: string, choices: readonly T[]): (value: string) => T[] {
  const one = choice(what, choices);
  return (value: string): T[] => {
    const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
    if (items.length === 0) throw new InvalidArgumentError(`expected a comma-separated list of ${what}s (${choices.join(', ')}).`);
    return [...new Set(items.map(one))];
  };
}

/** A parser for an integer in [min, max]. */
export function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string): number => {
    const v = value.trim();
    const n = /^[+-]?\d+$/.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer ${range(min, max)}, got ${quote(value)}.`);
    return n;
  };
}

/** A parser for a finite number; `min` is exclusive when `exclusiveMin`. */
export function number(opts: { min?: number; max?: number; exclusiveMin?: boolean } = {}): (value: string) => number {
  return (value: string): number => {
    const v = value.trim();
    const n = v === '' ? NaN : Number(v);
    const { min, max, exclusiveMin } = opts;
    const low = min === undefined ? true : exclusiveMin ? n > min : n >= min;
    const high = max === undefined ? true : n <= max;
    if (!Number.isFinite(n) || !low || !high) {
      const parts = [min === undefined ? '' : `${exclusiveMin ? '>' : '≥'} ${min}`, max === undefined ? '' : `≤ ${max}`]
        .filter((s) => s !== '')
        .join(' and ');
      throw new InvalidArgumentError(`expected a number${parts ? ' ' + parts : ''}, got ${quote(value)}.`);
    }
    return n;
  };
}

/** A parser for a comma-separated list of positive integers, e.g. layer widths `64,64`. */
export function integerList(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number[] {
  const one = integer(min, max);
  return (value: string): number[] => {
    const items = value.split(',').map((s) => s.trim());
    if (items.length === 0 || items.some((s) => s === ''))
      throw new InvalidArgumentError(`expected comma-separated integers ${range(min, max)} like 64,64, got ${quote(value)}.`);
    try {
      return items.map(one);
    } catch {
      throw new InvalidArgumentError(`expected comma-separated integers ${range(min, max)} like 64,64, got ${quote(value)}.`);
    }
  };
}

/** Parses `js`, `gpujs` or `gpujs:<mode>`. */
export function backendSpec(value: string): BackendSpec {
  const v = value.trim().toLowerCase();
  const [name, mode, extra] = v.split(':');
  const accepted = `accepted: ${BACKEND_SPECS.join(', ')}.`;
  if (extra !== undefined || (name !== 'js' && name !== 'gpujs'))
    throw new InvalidArgumentError(`${quote(value)} is not a backend; ${accepted}`);
  if (name === 'js') {
    if (mode !== undefined && mode !== 'js') throw new InvalidArgumentError(`the js backend has no mode ${quote(mode)}; ${accepted}`);
    return { name, text: 'js' };
  }
  if (mode !== undefined && !(GPUJS_MODES as readonly string[]).includes(mode))
    throw new InvalidArgumentError(`gpujs has no mode ${quote(mode)}; ${accepted}`);
  return mode === undefined ? { name, text: 'gpujs' } : { name, mode, text: `gpujs:${mode}` };
}

function range(min: number, max: number): string {
  if (max === Number.MAX_SAFE_INTEGER) return `≥ ${min}`;
  return `from ${min} to ${max}`;
}
