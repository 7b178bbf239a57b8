/**
 * The paper's Figure 1 (the APA family and AGLU next to ReLU/SiLU/GELU) and Figure 2 (AGLU's derivatives), drawn
 * from aglu's own ops: the curves are apa/aglu forwards and the derivatives come from their backward, so a figure
 * that looks wrong points at the op. The math is in docs/apa.md.
 */
import type { TopLevelSpec } from 'vega-lite';
import { aglu, apa, gelu, relu, setBackend, getBackend, silu, sigmoid, tensor, type Tensor } from '../index.js';
import { figureSpec, grid, panelSpec, type Series } from './charts.js';

/** Points per curve: smooth at 330 px. */
const N = 241;

/** Runs fn on the js backend in float64 (exact curves whatever backend the user chose), then restores it. */
function onJs<T>(fn: () => T): T {
  const before = getBackend();
  setBackend('js');
  try {
    return fn();
  } finally {
    if (before.name !== 'js') setBackend(before.name as 'gpujs', { mode: before.mode });
  }
}

const f64 = (values: number[], requiresGrad = false): Tensor => tensor(values, { dtype: 'float64', requiresGrad });
const values = (t: Tensor): number[] => Array.from(t.toTypedArray());

/** APA(z; λ, κ) on a grid, with scalar λ, κ. */
export function apaCurve(z: number[], lambda: number, kappa: number): number[] {
  return onJs(() => values(apa(f64(z), f64([lambda]), f64([kappa]))));
}

/** AGLU(z; λ, κ) on a grid, with scalar λ, κ. */
export function agluCurve(z: number[], lambda: number, kappa: number): number[] {
  return onJs(() => values(aglu(f64(z), f64([lambda]), f64([kappa]))));
}

/** ∂AGLU/∂z, ∂AGLU/∂λ, ∂AGLU/∂κ at every grid point, from aglu's backward. */
export function agluDerivatives(z: number[], lambda: number, kappa: number): { dz: number[]; dlambda: number[]; dkappa: number[] } {
  return onJs(() => {
    // One λ and κ per point (channel axis 1 of a [1, n] row): their gradients are then per-point derivatives
    // instead of sums over the grid.
    const zt = tensor([z], { dtype: 'float64', requiresGrad: true });
    const lt = f64(z.map(() => lambda), true);
    const kt = f64(z.map(() => kappa), true);
    aglu(zt, lt, kt, { channelAxis: 1 }).sum().backward();
    return { dz: values(zt.grad as Tensor), dlambda: values(lt.grad as Tensor), dkappa: values(kt.grad as Tensor) };
  });
}

/** A reference activation on a grid, with aglu's own op. */
export function referenceCurve(name: 'relu' | 'silu' | 'gelu' | 'sigmoid', z: number[]): number[] {
  const op = { relu, silu, gelu, sigmoid }[name];
  return onJs(() => values(op(f64(z))));
}

/** Derivative of a reference activation, with aglu's backward. */
export function referenceDerivative(name: 'relu' | 'silu' | 'gelu', z: number[]): number[] {
  const op = { relu, silu, gelu }[name];
  return onJs(() => {
    const zt = f64(z, true);
    op(zt).sum().backward();
    return values(zt.grad as Tensor);
  });
}

const fmtNum = (v: number): string => String(v);

/** Figure 1: three panels — APA over λ (κ = 1), APA over κ (λ = 1), AGLU against ReLU, SiLU and GELU. */
export function familyFigure(): TopLevelSpec {
  const z = grid(-5, 5, N);
  const lambdas = [0.25, 0.5, 1, 2, 4];
  const gumbel = z.map((v) => Math.exp(-Math.exp(-v)));
  const byLambda: Series[] = [
    // λ → 0 is the Gumbel gate; the op clamps λ at its floor 1e-4, which is that limit to plotting precision.
    { name: 'λ → 0 (Gumbel)', x: z, y: apaCurve(z, 1e-4, 1) },
    ...lambdas.map((l) => ({ name: l === 1 ? 'λ = 1 (sigmoid)' : `λ = ${fmtNum(l)}`, x: z, y: apaCurve(z, l, 1) })),
    { name: 'sigmoid σ(z), reference', x: z, y: referenceCurve('sigmoid', z), dashed: true },
    { name: 'Gumbel exp(−e^(−z)), reference', x: z, y: gumbel, dashed: true },
  ];
  const kappas = [0.5, 1, 2, 4];
  const byKappa: Series[] = [
    ...kappas.map((k) => ({ name: k === 1 ? 'κ = 1 (sigmoid)' : `κ = ${fmtNum(k)}`, x: z, y: apaCurve(z, 1, k) })),
    { name: 'sigmoid σ(z), reference', x: z, y: referenceCurve('sigmoid', z), dashed: true },
  ];
  const za = grid(-4, 2.5, N);
  const agluSeries: Series[] = [
    { name: 'AGLU λ = 1, κ = 1 (= SiLU)', x: za, y: agluCurve(za, 1, 1) },
    { name: 'AGLU λ → 0, κ = 1 (Gumbel gate)', x: za, y: agluCurve(za, 1e-4, 1) },
    { name: 'AGLU λ = 1, κ = 1.702 (≈ GELU)', x: za, y: agluCurve(za, 1, 1.702) },
    { name: 'AGLU λ = 1, κ = 8 (→ ReLU)', x: za, y: agluCurve(za, 1, 8) },
    { name: 'AGLU λ = 2, κ = 1', x: za, y: agluCurve(za, 2, 1) },
    { name: 'ReLU', x: za, y: referenceCurve('relu', za), dashed: true },
    { name: 'SiLU', x: za, y: referenceCurve('silu', za), dashed: true },
    { name: 'GELU', x: za, y: referenceCurve('gelu', za), dashed: true },
  ];
  return figureSpec(
    { text: 'The APA family and AGLU', subtitle: 'APA(z) = (λ·e^(−κz) + 1)^(−1/λ)    AGLU(z) = z·APA(z)    (solid: aglu ops, dashed: references)' },
    [
      panelSpec({ title: '(a) APA for several λ, κ = 1', subtitle: 'λ = 1 is the sigmoid, λ → 0 the Gumbel gate', xTitle: 'z', yTitle: 'APA(z)', series: byLambda, yDomain: [0, 1] }),
      panelSpec({ title: '(b) APA for several κ, λ = 1', subtitle: 'κ scales the slope: κ → ∞ tends to a step', xTitle: 'z', yTitle: 'APA(z)', series: byKappa, yDomain: [0, 1] }),
      panelSpec({ title: '(c) AGLU against ReLU, SiLU, GELU', subtitle: 'AGLU(z) = z·APA(z)', xTitle: 'z', yTitle: 'activation(z)', series: agluSeries, yDomain: [-0.6, 2.5] }),
    ],
  );
}

/** Figure 2: ∂AGLU/∂κ, ∂AGLU/∂λ and ∂AGLU/∂z over z for several λ (κ = 1), from aglu's backward. */
export function derivativesFigure(): TopLevelSpec {
  const z = grid(-6, 6, N);
  const lambdas = [0.25, 0.5, 1, 2];
  const ds = lambdas.map((l) => ({ l, d: agluDerivatives(z, l, 1) }));
  const label = (l: number): string => (l === 1 ? 'λ = 1 (SiLU)' : `λ = ${fmtNum(l)}`);
  const dkappa: Series[] = ds.map(({ l, d }) => ({ name: label(l), x: z, y: d.dkappa }));
  const dlambda: Series[] = ds.map(({ l, d }) => ({ name: label(l), x: z, y: d.dlambda }));
  const dz: Series[] = [
    ...ds.map(({ l, d }) => ({ name: label(l), x: z, y: d.dz })),
    { name: "ReLU'", x: z, y: referenceDerivative('relu', z), dashed: true },
    { name: "GELU'", x: z, y: referenceDerivative('gelu', z), dashed: true },
  ];
  return figureSpec(
    { text: 'Derivatives of AGLU (κ = 1)', subtitle: 'computed by aglu’s fused backward; dashed: derivatives of ReLU and GELU' },
    [
      panelSpec({ title: '(a) ∂AGLU/∂κ', subtitle: 'how the output moves with the slope κ', xTitle: 'z', yTitle: '∂AGLU/∂κ', series: dkappa }),
      panelSpec({ title: '(b) ∂AGLU/∂λ', subtitle: 'how the output moves with the asymmetry λ', xTitle: 'z', yTitle: '∂AGLU/∂λ', series: dlambda }),
      panelSpec({ title: '(c) ∂AGLU/∂z', subtitle: 'the gradient passed to the layer below', xTitle: 'z', yTitle: '∂AGLU/∂z', series: dz, yDomain: [-0.3, 1.3] }),
    ],
  );
}
