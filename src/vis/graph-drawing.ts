/**
 * Drawing a graph: a force-directed layout (Fruchterman & Reingold, 1991) and an SVG of the nodes
 * coloured by class over the edges, written as PNG or SVG by the path's extension.
 */
import { Random, configError, show } from '../core/index.js';
import type { Graph } from '../data/graph/graph.js';
import { saveSvg } from './raster.js';

export interface ForceLayoutOptions {
  /** Steps of the simulation (default 300). */
  iterations?: number;
  /** Seed of the starting positions (default 0): the same seed, the same picture. */
  seed?: number;
}

/**
 * Node positions in the unit square from a force-directed layout: every pair of nodes repels with
 * k^2 / d, every edge attracts with d^2 / k (k = sqrt(1 / n)), and the step shrinks linearly to zero
 * (Fruchterman & Reingold's cooling), so connected groups settle near each other.
 *
 * ```ts
 * const g = nr.datasets.karateClub();
 * const xy = nr.vis.forceLayout(g, { iterations: 50 });
 * console.log(xy.length, xy.every(([x, y]) => x >= 0 && x <= 1 && y >= 0 && y <= 1)); // 34 true
 * ```
 */
export function forceLayout(graph: Pick<Graph, 'numNodes' | 'rowPtr' | 'colIdx'>, options: ForceLayoutOptions = {}): [number, number][] {
  const { iterations = 300, seed = 0 } = options;
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw configError('forceLayout', { expected: 'iterations must be an integer >= 0', got: show(iterations) });
  }
  const n = graph.numNodes;
  const random = new Random(seed);
  const x = Float64Array.from({ length: n }, () => random.next());
  const y = Float64Array.from({ length: n }, () => random.next());
  const k = Math.sqrt(1 / Math.max(n, 1));
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  for (let step = 0; step < iterations; step++) {
    dx.fill(0);
    dy.fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const ex = x[i]! - x[j]!;
        const ey = y[i]! - y[j]!;
        const d2 = Math.max(ex * ex + ey * ey, 1e-9);
        const push = (k * k) / d2;
        dx[i]! += ex * push;
        dy[i]! += ey * push;
        dx[j]! -= ex * push;
        dy[j]! -= ey * push;
      }
    }
    for (let i = 0; i < n; i++) {
      for (let p = graph.rowPtr[i]!; p < graph.rowPtr[i + 1]!; p++) {
        const j = graph.colIdx[p]!;
        if (j === i) continue;
        const ex = x[i]! - x[j]!;
        const ey = y[i]! - y[j]!;
        const pull = Math.sqrt(ex * ex + ey * ey) / k;
        dx[i]! -= ex * pull;
        dy[i]! -= ey * pull;
      }
    }
    const temperature = 0.1 * (1 - step / iterations);
    for (let i = 0; i < n; i++) {
      const length = Math.max(Math.hypot(dx[i]!, dy[i]!), 1e-9);
      const move = Math.min(length, temperature);
      x[i]! += (dx[i]! / length) * move;
      y[i]! += (dy[i]! / length) * move;
    }
  }
  const span = (v: Float64Array) => [Math.min(...v), Math.max(...v)] as const;
  const [x0, x1] = n > 0 ? span(x) : [0, 1];
  const [y0, y1] = n > 0 ? span(y) : [0, 1];
  return Array.from({ length: n }, (_, i) => [(x[i]! - x0) / (x1 - x0 || 1), (y[i]! - y0) / (y1 - y0 || 1)]);
}

export interface GraphDrawingOptions extends ForceLayoutOptions {
  /** Each node's class, which picks its colour (default: all one colour). */
  classes?: ArrayLike<number>;
  /** Nodes drawn with a thick black ring (the labelled ones of a semi-supervised task). */
  highlight?: readonly number[];
  /** Node positions in the unit square (default: `forceLayout`). */
  positions?: readonly (readonly [number, number])[];
  /** A title above the drawing. */
  title?: string;
  /** Side of the square drawing in SVG units (default 480). */
  size?: number;
}

const PALETTE = ['#4c78a8', '#f58518', '#54a24b', '#e45756', '#72b7b2', '#b279a2', '#eeca3b', '#9d755d'];

/**
 * An SVG of a graph: edges as grey lines, nodes as numbered circles coloured by class.
 *
 * ```ts
 * const g = nr.datasets.karateClub();
 * const svg = nr.vis.graphSvg(g, { classes: g.labels!.data(), iterations: 20 });
 * console.log(svg.startsWith('<svg'), (svg.match(/<circle/g) ?? []).length); // true 34
 * ```
 */
export function graphSvg(graph: Pick<Graph, 'numNodes' | 'rowPtr' | 'colIdx'>, options: GraphDrawingOptions = {}): string {
  const size = options.size ?? 480;
  const top = options.title ? 28 : 0;
  const positions = options.positions ?? forceLayout(graph, options);
  if (positions.length !== graph.numNodes) {
    throw configError('graphSvg', { expected: `one position per node (${graph.numNodes})`, got: `${positions.length}` });
  }
  const margin = 18;
  const at = (i: number) => positions[i]!.map((v, axis) => margin + v * (size - 2 * margin) + (axis === 1 ? top : 0));
  const parts: string[] = [];
  for (let i = 0; i < graph.numNodes; i++) {
    for (let p = graph.rowPtr[i]!; p < graph.rowPtr[i + 1]!; p++) {
      const j = graph.colIdx[p]!;
      if (j >= i) continue; // each undirected edge once, no self-loops
      const [x1, y1] = at(i);
      const [x2, y2] = at(j);
      parts.push(`<line x1="${x1!.toFixed(1)}" y1="${y1!.toFixed(1)}" x2="${x2!.toFixed(1)}" y2="${y2!.toFixed(1)}" stroke="#bbb"/>`);
    }
  }
  const ringed = new Set(options.highlight ?? []);
  for (let i = 0; i < graph.numNodes; i++) {
    const [cx, cy] = at(i);
    const fill = PALETTE[(options.classes?.[i] ?? 0) % PALETTE.length];
    const ring = ringed.has(i) ? 'stroke="#000" stroke-width="3"' : 'stroke="#fff" stroke-width="1"';
    parts.push(`<circle cx="${cx!.toFixed(1)}" cy="${cy!.toFixed(1)}" r="9" fill="${fill}" ${ring}/>`);
    parts.push(`<text x="${cx!.toFixed(1)}" y="${(cy! + 3.5).toFixed(1)}" font-size="9" text-anchor="middle" fill="#fff">${i}</text>`);
  }
  const title = options.title ? `<text x="${size / 2}" y="20" font-size="14" text-anchor="middle">${escapeXml(options.title)}</text>` : '';
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size + top}">`;
  return `${head}<rect width="100%" height="100%" fill="white"/>${title}${parts.join('')}</svg>`;
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** Writes `graphSvg(graph, options)` to `path` (`.png` or `.svg`); returns the path. */
export async function saveGraphDrawing(
  path: string,
  graph: Pick<Graph, 'numNodes' | 'rowPtr' | 'colIdx'>,
  options: GraphDrawingOptions = {},
): Promise<string> {
  await saveSvg('saveGraphDrawing', graphSvg(graph, options), path, { scale: 2 });
  return path;
}
