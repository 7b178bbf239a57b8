/**
 * The `aglu` command as a user meets it: help, version, info, and every kind of bad input — one line saying what
 * was wrong and what is accepted, the usage hint, exit code 2, never a stack trace.
 */
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { aglu, lines, scratch } from './cli-helpers.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** A usage error: exit 2, exactly the error line and the usage hint on stderr, nothing on stdout, no stack. */
function expectUsageError(r: ReturnType<typeof aglu>, ...mentions: string[]): void {
  expect(r.code, r.stderr).to.equal(2);
  const err = lines(r.stderr);
  expect(err, r.stderr).to.have.length(2);
  for (const m of mentions) expect(err[0]).to.include(m);
  expect(err[1]).to.match(/^Usage: aglu/);
  expect(err[1]).to.include('--help');
  expect(r.stderr).to.not.match(/\n\s+at /);
  expect(r.stdout).to.equal('');
}

describe('cli: help, version, info', function () {
  this.timeout(60_000);
  const s = scratch();
  after(s.cleanup);

  it('--help lists every command with examples and exits 0', () => {
    const r = aglu(['--help'], s.dir);
    expect(r.code).to.equal(0);
    for (const c of ['train', 'compare', 'gradcheck', 'plot', 'bench', 'info']) expect(r.stdout).to.match(new RegExp(`^\\s+${c}\\b`, 'm'));
    expect(r.stdout).to.include('Examples:');
    expect(r.stdout).to.include('$ aglu train');
    expect(r.stdout).to.include('Exit codes');
  });

  it('each command has its own help with examples', () => {
    for (const c of ['train', 'compare', 'gradcheck', 'plot', 'bench', 'info']) {
      const r = aglu([c, '--help'], s.dir);
      expect(r.code, c).to.equal(0);
      expect(r.stdout, c).to.include(`Usage: aglu ${c}`);
      expect(r.stdout, c).to.include(`$ aglu ${c}`);
    }
    expect(aglu(['train', '--help'], s.dir).stdout).to.include('--imbalance <rho>');
  });

  it('--version prints the package version', () => {
    const r = aglu(['--version'], s.dir);
    expect(r.code).to.equal(0);
    expect(r.stdout.trim()).to.equal(pkg.version);
  });

  it('no command: the help on stderr, a line naming the commands, exit 2', () => {
    const r = aglu([], s.dir);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include('Usage: aglu');
    expect(r.stderr).to.include('missing command; choose one of train, compare, gradcheck, plot, bench, info');
  });

  it('info names the version, the backends that run here and what auto picks', () => {
    const r = aglu(['info'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include(`aglu ${pkg.version}`);
    expect(r.stdout).to.match(/│ js\s+│ yes/);
    expect(r.stdout).to.include('auto picks:');
    expect(r.stdout).to.include('default (no --backend): js  [AGLU_BACKEND=js]');
  });

  it('info --json is machine-readable and agrees with the text', () => {
    const r = aglu(['info', '--json'], s.dir);
    expect(r.code).to.equal(0);
    const j = JSON.parse(r.stdout) as { versions: Record<string, string>; backends: { spec: string; available: boolean; mode?: string }[]; default: { name: string }; auto: { picks: string | null; why: string } };
    expect(j.versions.aglu).to.equal(pkg.version);
    expect(j.versions.node).to.equal(process.versions.node);
    expect(j.backends.map((b) => b.spec)).to.deep.equal(['js', 'gpujs:auto', 'gpujs:cpu', 'gpujs:webasm', 'gpujs:headlessgl']);
    expect(j.backends[0]).to.include({ available: true, mode: 'js' });
    expect(j.default.name).to.equal('js');
    const auto = j.backends[1];
    // auto's pick is the mode the probe saw running, or nothing when gpujs does not run.
    expect(j.auto.picks).to.equal(auto.available ? auto.mode : null);
    expect(j.auto.why.length).to.be.greaterThan(10);
  });

  it('a bad AGLU_BACKEND is one line and exit 2', () => {
    const r = aglu(['info'], s.dir, { AGLU_BACKEND: 'cuda' });
    expectUsageError(r, 'AGLU_BACKEND', 'cuda');
  });
});

describe('cli: bad input', function () {
  this.timeout(60_000);
  const s = scratch();
  after(s.cleanup);

  it('unknown command, with a suggestion and the list of commands', () => {
    expectUsageError(aglu(['trian'], s.dir), "unknown command 'trian'", 'did you mean train?', 'commands: train, compare, gradcheck, plot, bench, info');
  });

  it('unknown flag, naming the accepted options', () => {
    expectUsageError(aglu(['train', '--bogus'], s.dir), "unknown option '--bogus'", '--dataset', '--act', '--backend');
    expectUsageError(aglu(['gradcheck', '--epochs', '3'], s.dir), "unknown option '--epochs'", '--op');
  });

  it('unknown dataset, activation, backend, optimizer, loss, op, figure', () => {
    expectUsageError(aglu(['train', '--dataset', 'cifar'], s.dir), '--dataset', "'cifar' is not a known dataset", 'moons, circles, spirals, blobs, iris, mnist');
    expectUsageError(aglu(['train', '--act', 'swish'], s.dir), '--act', "'swish'", 'relu, leaky-relu, gelu, silu, sigmoid, tanh, apa, aglu');
    expectUsageError(aglu(['train', '--backend', 'cuda'], s.dir), '--backend', "'cuda' is not a backend", 'js, gpujs, gpujs:auto');
    expectUsageError(aglu(['train', '--backend', 'gpujs:metal'], s.dir), "gpujs has no mode 'metal'", 'gpujs:webasm');
    expectUsageError(aglu(['bench', '--backend', 'js:fast'], s.dir), "the js backend has no mode 'fast'");
    expectUsageError(aglu(['train', '--optimizer', 'lbfgs'], s.dir), '--optimizer', 'sgd, adam, adamw');
    expectUsageError(aglu(['train', '--loss', 'mse'], s.dir), '--loss', 'ce, apa-bce, gumbel-bce');
    expectUsageError(aglu(['train', '--act-params', 'row'], s.dir), '--act-params', 'scalar, channel');
    expectUsageError(aglu(['gradcheck', '--op', 'relu'], s.dir), '--op', 'apa, aglu, apa-bce, gumbel-bce, all');
    expectUsageError(aglu(['plot', 'fam'], s.dir), '<figure>', 'family, derivatives, model');
    expectUsageError(aglu(['compare', '--acts', 'relu,swish'], s.dir), '--acts', "'swish'");
  });

  it('a backend that does not run here is one line naming the ones that do, and leaves no run folder', () => {
    const info = JSON.parse(aglu(['info', '--json'], s.dir).stdout) as { backends: { spec: string; available: boolean }[] };
    const missing = info.backends.find((b) => !b.available);
    const running = info.backends.filter((b) => b.available).map((b) => b.spec);
    if (missing === undefined) {
      // Every mode runs on this machine (gl built, a display present): then each one trains.
      expect(running).to.have.length(5);
      return;
    }
    const r = aglu(['train', '--backend', missing.spec, '--epochs', '1', '--out', 'nobackend'], s.dir);
    expectUsageError(r, `--backend ${missing.spec} cannot run here`, `available here: ${running.join(', ')}`);
    expect(existsSync(join(s.dir, 'nobackend'))).to.equal(false);
  });

  it('missing values', () => {
    expectUsageError(aglu(['train', '--epochs'], s.dir), '--epochs needs a value');
    expectUsageError(aglu(['train', '--out'], s.dir), '--out needs a value');
    expectUsageError(aglu(['plot'], s.dir), "missing required argument 'figure'");
    expectUsageError(aglu(['plot', 'model'], s.dir), "'model' needs the run folder");
  });

  it('malformed values say what a good one looks like', () => {
    expectUsageError(aglu(['train', '--epochs', 'two'], s.dir), '--epochs', 'expected an integer from 1 to 100000', "'two'");
    expectUsageError(aglu(['train', '--epochs', '0'], s.dir), '--epochs', "got '0'");
    expectUsageError(aglu(['train', '--epochs', '2.5'], s.dir), '--epochs', 'integer');
    expectUsageError(aglu(['train', '--lr', '-1'], s.dir), '--lr', 'expected a number > 0');
    expectUsageError(aglu(['train', '--lr', '1e-3x'], s.dir), '--lr', "'1e-3x'");
    expectUsageError(aglu(['train', '--hidden', '64,,64'], s.dir), '--hidden', 'comma-separated integers', 'like 64,64');
    expectUsageError(aglu(['train', '--hidden', '64,x'], s.dir), '--hidden');
    expectUsageError(aglu(['train', '--imbalance', '0.5'], s.dir), '--imbalance', '≥ 1');
    expectUsageError(aglu(['train', '--batch-size', '-4'], s.dir), '--batch-size');
    expectUsageError(aglu(['compare', '--seeds', '0'], s.dir), '--seeds');
    expectUsageError(aglu(['bench', '--size', 'big'], s.dir), '--size');
  });

  it('options that do not apply to the chosen dataset are refused, not ignored', () => {
    expectUsageError(aglu(['train', '--dataset', 'iris', '--noise', '0.1'], s.dir), '--noise applies to the generated datasets');
    expectUsageError(aglu(['train', '--dataset', 'iris', '--samples', '100'], s.dir), '--samples does not apply to iris');
  });

  it('extra arguments', () => {
    expectUsageError(aglu(['train', 'moons'], s.dir), "too many arguments for 'train'");
    expectUsageError(aglu(['plot', 'family', 'runs/x'], s.dir), "'family' takes no run folder");
  });

  it('an unwritable --out (a path below a file) is a usage error for every command that writes', () => {
    writeFileSync(join(s.dir, 'afile'), 'x');
    const bad = join('afile', 'run');
    expectUsageError(aglu(['train', '--epochs', '1', '--out', bad], s.dir), `--out ${bad}`, 'cannot write there', 'ENOTDIR');
    expectUsageError(aglu(['compare', '--epochs', '1', '--out', bad], s.dir), 'cannot write there');
    expectUsageError(aglu(['plot', 'family', '--out', bad], s.dir), 'cannot write there');
    expectUsageError(aglu(['train', '--epochs', '1', '--out', 'afile'], s.dir), 'is a file, not a folder');
  });

  it('an existing run folder is never silently overwritten', () => {
    mkdirSync(join(s.dir, 'old'));
    writeFileSync(join(s.dir, 'old', 'metrics.json'), '{"keep": true}');
    expectUsageError(aglu(['train', '--epochs', '1', '--out', 'old'], s.dir), '--out old already exists', 'metrics.json', '--force');
    expect(readFileSync(join(s.dir, 'old', 'metrics.json'), 'utf8')).to.equal('{"keep": true}');
  });

  it('plot model on a folder that is not a run', () => {
    expectUsageError(aglu(['plot', 'model', 'nowhere'], s.dir), "run folder 'nowhere' does not exist");
    mkdirSync(join(s.dir, 'empty'));
    expectUsageError(aglu(['plot', 'model', 'empty'], s.dir), 'has no metrics.json');
    mkdirSync(join(s.dir, 'broken'));
    writeFileSync(join(s.dir, 'broken', 'metrics.json'), '{ not json');
    expectUsageError(aglu(['plot', 'model', 'broken'], s.dir), 'is not valid JSON');
  });
});
