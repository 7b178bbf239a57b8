/**
 * `aglu plot`: the figures' numbers against the closed-form APA/AGLU formulas and their derivatives (the curves
 * come from aglu's ops and backward), the files the command writes, and `plot model` on a real run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { agluCurve, agluDerivatives, apaCurve, referenceCurve } from '../src/plot/figures.js';
import { grid } from '../src/plot/charts.js';
import { setBackend } from '../src/index.js';
import { aglu, scratch } from './cli-helpers.js';

/** APA and its partial derivatives written out by hand (docs/apa.md), in plain float64 JavaScript. */
function closedForm(z: number, l: number, k: number): { apa: number; aglu: number; dz: number; dl: number; dk: number } {
  const e = Math.exp(-k * z), u = l * e + 1, a = Math.pow(u, -1 / l);
  const daDz = (a * k * e) / u, daDk = (a * z * e) / u, daDl = a * (Math.log(u) / (l * l) - e / (l * u));
  return { apa: a, aglu: z * a, dz: a + z * daDz, dl: z * daDl, dk: z * daDk };
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe('cli: plot (figure data)', () => {
  before(() => setBackend('js'));
  const z = grid(-6, 6, 25);

  it('APA and AGLU curves match the closed form for several λ, κ', () => {
    for (const [l, k] of [[0.25, 1], [1, 1], [4, 1], [1, 0.5], [1, 4], [2, 1.7]]) {
      const a = apaCurve(z, l, k), g = agluCurve(z, l, k);
      z.forEach((v, i) => {
        expect(a[i], `apa z=${v} λ=${l} κ=${k}`).to.be.closeTo(closedForm(v, l, k).apa, 1e-12);
        expect(g[i], `aglu z=${v} λ=${l} κ=${k}`).to.be.closeTo(closedForm(v, l, k).aglu, 1e-12);
      });
    }
  });

  it('the marked special cases: λ = 1 is the sigmoid, λ → 0 (the floor) the Gumbel gate, AGLU(1, 1) is SiLU', () => {
    const sig = apaCurve(z, 1, 1), gum = apaCurve(z, 1e-4, 1), silu = agluCurve(z, 1, 1);
    z.forEach((v, i) => {
      expect(sig[i]).to.be.closeTo(1 / (1 + Math.exp(-v)), 1e-12);
      // (λe^{−z} + 1)^{−1/λ} → exp(−e^{−z}); at λ = 1e-4 the gap is O(λ·e^{−2z}), visible only far left.
      if (v > -3) expect(gum[i]).to.be.closeTo(Math.exp(-Math.exp(-v)), 2e-3);
      expect(silu[i]).to.be.closeTo(v / (1 + Math.exp(-v)), 1e-12);
    });
    const relu = referenceCurve('relu', z), gelu = referenceCurve('gelu', [0, 1, -1]);
    z.forEach((v, i) => expect(relu[i]).to.equal(Math.max(0, v)));
    expect(gelu[1]).to.be.closeTo(0.8413447460685429, 1e-7); // Φ(1)·1
  });

  it('Figure 2 derivatives from the backward match the hand-derived ones, point by point', () => {
    for (const [l, k] of [[0.25, 1], [0.5, 1], [1, 1], [2, 1], [1, 2.5]]) {
      const d = agluDerivatives(z, l, k);
      z.forEach((v, i) => {
        const c = closedForm(v, l, k);
        expect(d.dz[i], `dz z=${v} λ=${l}`).to.be.closeTo(c.dz, 1e-9);
        expect(d.dlambda[i], `dλ z=${v} λ=${l}`).to.be.closeTo(c.dl, 1e-9);
        expect(d.dkappa[i], `dκ z=${v} λ=${l}`).to.be.closeTo(c.dk, 1e-9);
      });
    }
  });
});

describe('cli: plot (command)', function () {
  this.timeout(120_000);
  const s = scratch();
  after(s.cleanup);

  it('plot family writes the SVG (and PNG with --png) with the labels a reader needs', () => {
    const r = aglu(['plot', 'family', '--png', '--out', 'fig'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include('wrote fig/aglu-family.svg');
    const svg = readFileSync(join(s.dir, 'fig', 'aglu-family.svg'), 'utf8');
    expect(svg).to.match(/^<svg/);
    for (const label of ['(a) APA for several λ, κ = 1', '(b) APA for several κ, λ = 1', '(c) AGLU against ReLU, SiLU, GELU',
      'λ = 1 (sigmoid)', 'λ → 0 (Gumbel)', 'AGLU λ = 1, κ = 1 (= SiLU)', 'ReLU', 'GELU', 'APA(z)'])
      expect(svg, label).to.include(label.replace(/&/g, '&amp;'));
    const png = readFileSync(join(s.dir, 'fig', 'aglu-family.png'));
    expect([...png.subarray(0, 8)]).to.deep.equal(PNG_SIGNATURE);
    expect(png.length).to.be.greaterThan(20_000);
  });

  it('plot derivatives writes Figure 2 into the current folder by default', () => {
    const r = aglu(['plot', 'derivatives'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    const svg = readFileSync(join(s.dir, 'aglu-derivatives.svg'), 'utf8');
    for (const label of ['(a) ∂AGLU/∂κ', '(b) ∂AGLU/∂λ', '(c) ∂AGLU/∂z', 'λ = 1 (SiLU)', 'λ = 0.25', 'ReLU']) expect(svg, label).to.include(label);
    expect(existsSync(join(s.dir, 'aglu-derivatives.png'))).to.equal(false);
  });

  it('plot model redraws a run, decision boundary included', () => {
    const t = aglu(['train', '--epochs', '1', '--samples', '100', '--hidden', '4', '--quiet', '--out', 'run'], s.dir);
    expect(t.code, t.stderr).to.equal(0);
    const r = aglu(['plot', 'model', 'run', '--out', 'again', '--png'], s.dir);
    expect(r.code, r.stderr).to.equal(0);
    for (const f of ['training-curves', 'apa-params', 'activations', 'decision-boundary']) {
      expect(existsSync(join(s.dir, 'again', `${f}.svg`)), f).to.equal(true);
      expect(existsSync(join(s.dir, 'again', `${f}.png`)), f).to.equal(true);
    }
    // Same model, same data: the redrawn boundary is the one training drew.
    expect(readFileSync(join(s.dir, 'again', 'decision-boundary.svg'), 'utf8')).to.equal(readFileSync(join(s.dir, 'run', 'decision-boundary.svg'), 'utf8'));
  });
});
