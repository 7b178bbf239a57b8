#!/usr/bin/env node
/**
 * Entry point of the `aglu` command (package.json "bin"). Everything happens in runCli; this file only connects it
 * to the process. See docs/cli.md.
 */
import { runCli } from './program.js';

const code = await runCli(process.argv.slice(2), {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
});
process.exitCode = code;
