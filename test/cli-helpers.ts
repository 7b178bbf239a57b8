/** Runs the built CLI as a user would: a child process on <outDir>/src/cli/main.js, in a scratch folder. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The CLI next to the compiled tests: <outDir>/test/… → <outDir>/src/cli/main.js. */
export const MAIN = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment of the child: js backend unless a test says otherwise, no colours, no debug stack traces. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, AGLU_BACKEND: 'js', NO_COLOR: '1', ...extra };
  delete env.AGLU_DEBUG;
  return env;
}

/** Runs `aglu args…` to completion in `cwd`. */
export function aglu(args: string[], cwd: string, env: Record<string, string> = {}): CliRun {
  const r = spawnSync(process.execPath, [MAIN, ...args], { cwd, env: cliEnv(env), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `aglu args…` and returns the child, for tests that send signals. */
export function agluAsync(args: string[], cwd: string): ReturnType<typeof spawn> {
  return spawn(process.execPath, [MAIN, ...args], { cwd, env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
}

/** A fresh scratch folder and its remover. */
export function scratch(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'aglu-cli-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The visible lines of a stream. */
export const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');
