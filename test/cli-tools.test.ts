/** `aglu gradcheck` and `aglu bench` as a user runs them, and gradcheck's verdict on a deliberately wrong gradient. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { record } from '../src/autograd/tape.js';
import { apaCases, lossCases, runChecks, type GradCase } from '../src/cli/gradcheck.js';
import { noGrad, setBackend, type Tensor } from '../src/index.js';
import { aglu, scratch } from './cli-helpers.js';

describe('cli: gradcheck', function () {
  this.timeout(120_000);
  const s = scratch();
  before(() => setBackend('js'));
  after(s.cleanup);

  it('checks every op per input, including the extreme region, and exits 0', () => {
    const r = aglu(['gradcheck', '--json', 'gc.json'], s.dir);
    expect(r.code, r.stderr + r.stdout).to.equal(0);
    expect(r.stdout).to.include('all 11 gradients match');
    const j = JSON.parse(readFileSync(join(s.dir, 'gc.json'), 'utf8')) as {
      backend: string; results: { op: string; input: string; ok: boolean; compared: number; maxAbsError: number; maxRelError: number; worstRatio: number }[];
    };
    expect(j.backend).to.equal('js');
    expect(j.results.map((x) => `${x.op}:${x.input}`)).to.deep.equal([
      'apa:z', 'apa:λ', 'apa:κ', 'aglu:z', 'aglu:λ', 'aglu:κ', 'apa-bce:logits', 'apa-bce:λ', 'apa-bce:κ', 'gumbel-bce:logits', 'gumbel-bce:κ',
    ]);
    for (const x of j.results) {
      expect(x.ok, `${x.op} ${x.input}`).to.equal(true);
      expect(x.compared).to.be.greaterThan(0);
      expect(x.worstRatio).to.be.below(1);
    }
    // The table shows the same numbers.
    expect(r.stdout).to.match(/│ aglu\s+│ κ\s+│/);
  });

  it('the grid reaches the extreme region: |κz| = 40 and λ near its floor', () => {
    const ext = apaCases('aglu').find((c) => c.name.startsWith('extreme')) as GradCase;
    const [z, l, k] = ext.values;
    expect(Math.max(...z.map((v, i) => Math.abs(v * k[i])))).to.equal(40);
    expect(Math.min(...l)).to.be.below(1e-3);
    const lossExt = lossCases('apa-bce').find((c) => c.name.startsWith('extreme')) as GradCase;
    expect(Math.max(...lossExt.values[0].map(Math.abs))).to.equal(40);
  });

  it('a wrong gradient fails, names the op and input, and the command would exit 1', () => {
    // d(x²)/dx is 2x; this backward returns x.
    const badSquare = (x: Tensor): Tensor => record('badSquare', noGrad(() => x.mul(x)), [x], (g) => [g.mul(x)]);
    const bad: GradCase = { name: 'bad square', inputs: ['x'], shapes: [[3]], values: [[0.5, -1, 2]], fn: badSquare };
    const results = runChecks(['apa'], { name: 'js' }, () => [bad]);
    expect(results).to.have.length(1);
    expect(results[0].ok).to.equal(false);
    expect(results[0].message).to.include('bad square');
    // Analytical x vs numerical 2x: the largest gap is at x = 2.
    expect(results[0].maxAbsError).to.be.closeTo(2, 1e-6);
  });

  it('--op selects one op', () => {
    const r = aglu(['gradcheck', '--op', 'gumbel-bce'], s.dir);
    expect(r.code).to.equal(0);
    expect(r.stdout).to.include('all 2 gradients match');
  });
});

describe('cli: bench', function () {
  this.timeout(120_000);
  const s = scratch();
  after(s.cleanup);

  it('measures the fused op and a training step on the chosen backend', () => {
    const r = aglu(['bench', '--backend', 'js', '--size', '2000', '--time', '0.05', '--json', 'b.json'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const j = JSON.parse(readFileSync(join(s.dir, 'b.json'), 'utf8')) as { size: number; rows: { backend: string; forward: { ms: number; runs: number }; forwardBackward: { ms: number }; trainStep: { ms: number } }[] };
    expect(j.size).to.equal(2000);
    expect(j.rows.map((x) => x.backend)).to.deep.equal(['js']);
    const row = j.rows[0];
    for (const t of [row.forward, row.forwardBackward, row.trainStep]) expect(t.ms).to.be.greaterThan(0);
    expect(row.forward.runs).to.be.at.least(3);
    expect(r.stdout).to.include('AGLU forward ms (2,000 el.)');
  });
});
