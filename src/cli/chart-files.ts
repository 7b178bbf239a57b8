/** Writing charts: SVG always, PNG next to it when asked; both atomically. */
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { renderSvg, svgToPng } from '../plot/render.js';
import { writeFileAtomic } from './files.js';

/**
 * Renders `spec` to `<dir>/<name>.svg` (and `.png` when `png`) and returns the paths written.
 * @example await writeChart('runs/a', 'loss', spec, false) // ['runs/a/loss.svg']
 */
export async function writeChart(dir: string, name: string, spec: TopLevelSpec, png: boolean): Promise<string[]> {
  const svg = await renderSvg(spec);
  const svgPath = join(dir, `${name}.svg`);
  writeFileAtomic(svgPath, svg);
  if (!png) return [svgPath];
  const pngPath = join(dir, `${name}.png`);
  writeFileAtomic(pngPath, await svgToPng(svg));
  return [svgPath, pngPath];
}
