/**
 * Versions recorded in every run's metrics.json and printed by `aglu info`: aglu's own, Node's, and those of the
 * packages that decide the numbers (gpu.js) or the pictures (vega, vega-lite).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

// Compiled to <outDir>/src/cli/versions.js; package.json sits next to <outDir> (dist/ or a build-* folder).
const PACKAGE_JSON = new URL('../../../package.json', import.meta.url);

function readJson(path: string | URL): Record<string, unknown> | null {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** aglu's version from package.json. */
export function packageVersion(): string {
  const v = readJson(PACKAGE_JSON)?.version;
  return typeof v === 'string' ? v : '0.0.0-unknown';
}

/** The installed version of a dependency, or null when it is not installed. */
export function dependencyVersion(name: string): string | null {
  const require = createRequire(PACKAGE_JSON);
  let dir: string;
  try {
    dir = dirname(require.resolve(name));
  } catch {
    return null;
  }
  // Walk up from the entry file to the package's own package.json (entry files sit in dist/, src/, build/…).
  for (let i = 0; i < 5; i++) {
    const pkg = readJson(join(dir, 'package.json'));
    if (pkg && pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    dir = dirname(dir);
  }
  return null;
}

/** Everything a run records about the software that produced it. */
export function versions(): Record<string, string | null> {
  return {
    aglu: packageVersion(),
    node: process.versions.node,
    'gpu.js': dependencyVersion('gpu.js'),
    vega: dependencyVersion('vega'),
    'vega-lite': dependencyVersion('vega-lite'),
  };
}
