/**
 * Vega-Lite spec → SVG (vega's headless renderer, no canvas needed) → PNG (resvg, a Rust renderer shipped as an npm
 * binary). vega and resvg are imported on first use so that commands that draw nothing do not pay for them.
 */
import type { TopLevelSpec } from 'vega-lite';

/** Fonts every chart asks for; resvg falls back to what the system has (DejaVu Sans on Debian images). */
export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

/** Config shared by every chart: readable sizes, white background, no interactive bits. */
export const BASE_CONFIG = {
  background: 'white',
  font: FONT,
  padding: 12,
  title: { fontSize: 15, subtitleFontSize: 12, anchor: 'start', offset: 10 },
  axis: { labelFontSize: 12, titleFontSize: 13, gridOpacity: 0.6 },
  legend: { labelFontSize: 12, titleFontSize: 12, symbolStrokeWidth: 3, labelLimit: 260 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  view: { stroke: '#ccc' },
  line: { strokeWidth: 2.2 },
} as const;

/**
 * Renders a Vega-Lite spec to an SVG string.
 * @example const svg = await renderSvg({ data: { values: [{ x: 0, y: 1 }] }, mark: 'point', encoding: {} });
 */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const [vega, vl] = await Promise.all([import('vega'), import('vega-lite')]);
  const withConfig = { ...spec, config: { ...BASE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec;
  // vega-lite warns on stderr about harmless merges (one legend shared by two layers); the CLI's output stays clean.
  const compiled = vl.compile(withConfig, { logger: vega.logger(vega.None) }).spec;
  // No loader: charts only ever carry inline data, so nothing is fetched at run time.
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * Rasterises an SVG to PNG at `scale` (2 = sharp on high-DPI screens), on a white background.
 * @example writeFileSync('a.png', await svgToPng(svg));
 */
export async function svgToPng(svg: string, scale = 2): Promise<Buffer> {
  const { Resvg } = await import('@resvg/resvg-js');
  const r = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  });
  return r.render().asPng();
}
