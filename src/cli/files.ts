/**
 * Files the CLI writes: every file goes to a temporary name in the same folder and is renamed into place, so an
 * interrupted or crashed run leaves either the old file or the new one, never half of one.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { writeFileAtomicSync } from '../checkpoint.js';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from './usage.js';

const pending = new Set<string>();
let counter = 0;

/**
 * Writes `data` to `path` atomically (temporary file + fsync + rename).
 * @example writeFileAtomic('runs/a/metrics.json', JSON.stringify(m))
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${counter++}`);
  pending.add(tmp);
  try {
    writeFileAtomicSync(path, typeof data === 'string' ? Buffer.from(data, 'utf8') : data, tmp);
  } finally {
    pending.delete(tmp);
  }
}

/** Removes temporary files of writes still in progress (called when the process is killed mid-write). */
export function removePendingTemporaries(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
}

const reason = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code}${err.code === 'EACCES' || err.code === 'EPERM' ? ', permission denied' : err.code === 'ENOTDIR' ? ', a parent is a file' : err.code === 'EROFS' ? ', read-only file system' : ''}` : String(e);
};

/**
 * Creates `dir` (and its parents) and proves it is writable by writing and removing a probe file. A folder that
 * cannot be written is the user's mistake: a UsageError naming the option.
 */
export function ensureWritableDir(dir: string, option: string, command: string): string {
  const abs = resolve(dir);
  if (existsSync(abs) && !statSync(abs).isDirectory())
    throw new UsageError(`${option} ${dir}: is a file, not a folder; choose a folder path`, command);
  try {
    mkdirSync(abs, { recursive: true });
    writeFileAtomic(join(abs, '.aglu-write-probe'), 'ok');
    rmSync(join(abs, '.aglu-write-probe'), { force: true });
  } catch (e) {
    throw new UsageError(`${option} ${dir}: cannot write there (${reason(e)}); choose a folder you can write to`, command);
  }
  return abs;
}

/** Files a run folder holds (removed from an existing folder when --force reuses it). */
export const RUN_FILES = /^(metrics\.json|history\.csv|model\.safetensors|report\.md|compare\.(md|json|svg|png)|[a-z-]+\.(svg|png))$/;

/**
 * Prepares a run folder: refuses an existing non-empty one unless `force`, in which case aglu's own files from the
 * previous run are removed (other files are left alone) so the folder never mixes two runs.
 */
export function prepareRunDir(dir: string, force: boolean, command: string): string {
  const abs = resolve(dir);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    const entries = readdirSync(abs).filter((f) => !f.startsWith('.'));
    if (entries.length > 0 && !force)
      throw new UsageError(`--out ${dir} already exists and is not empty (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); pass --force to overwrite it or choose another folder`, command);
    if (force)
      for (const f of entries) {
        const p = join(abs, f);
        if (RUN_FILES.test(f)) rmSync(p, { force: true });
        else if (/^[a-z0-9-]+-s\d+$/.test(f) && existsSync(join(p, 'metrics.json'))) rmSync(p, { recursive: true, force: true });
      }
  }
  return ensureWritableDir(dir, '--out', command);
}
