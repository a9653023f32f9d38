/**
 * The decision boundary of a 2-D classifier: the plane around the data is cut into a grid, every cell
 * is coloured by the class predicted at its centre, and the data points are drawn on top in their
 * true class's colour.
 */
import { configError, formatShape, shapeError, show } from '../core/index.js';
import { Tensor, noGrad, tensor } from '../tensor/index.js';
import { Perceptron, type Label } from '../classic/index.js';
import { paletteColor, planeCellsLayer, renderVegaLite, sizeOption, titleEntry, type ChartSizeOptions, type VegaLiteSpec } from './vega.js';

/**
 * What can draw a boundary: a model (anything with `predict(x)` returning a Tensor), a fitted
 * Perceptron, or a function from points [n, 2] to predictions. Predictions may be class indices [n],
 * scores or probabilities [n, k] (argmax), or one score per point ([n, 1], or non-integer [n]):
 * class 1 where it exceeds 0.5 if every score lies in [0, 1] (a sigmoid), else where it exceeds 0.
 */
export type Classifier2D = Perceptron | { predict(x: Tensor): Tensor | Tensor[] } | ((x: Tensor) => Tensor);

export interface DecisionBoundaryOptions extends ChartSizeOptions {
  /** Grid cells along each axis (default 60). */
  resolution?: number;
  /** Space around the data, as a fraction of its range on each axis (default 0.1). */
  margin?: number;
  /** Names of the classes for the legend (default "0", "1", ...; a Perceptron's labels). */
  classNames?: readonly string[];
}

/** The predicted class of every grid cell, row by row from the bottom (y0) up. */
export interface DecisionGrid {
  /** [xMin, xMax, yMin, yMax] of the grid. */
  extent: [number, number, number, number];
  resolution: number;
  /** Class index of cell (i, j) (column i along x, row j along y) at `j * resolution + i`. */
  classes: Int32Array;
}

/** Mixes a palette colour with white so points drawn in the full colour stand out on their region. */
export function regionColor(classIndex: number): string {
  const hex = paletteColor(classIndex);
  const mix = (at: number) =>
    Math.round(255 - 0.35 * (255 - parseInt(hex.slice(at, at + 2), 16)))
      .toString(16)
      .padStart(2, '0');
  return `#${mix(1)}${mix(3)}${mix(5)}`;
}

function points(x: Tensor | readonly (readonly number[])[], where: string): Tensor {
  const t = x instanceof Tensor ? x : tensor(x as number[][]);
  if (t.rank !== 2 || t.shape[1] !== 2) {
    throw shapeError(where, {
      expected: 'expected points of shape [n, 2]',
      got: formatShape(t.shape),
      rule: 'the plot needs exactly two features',
    });
  }
  if (t.shape[0] === 0) throw shapeError(where, { expected: 'no points to draw', rule: `shape ${formatShape(t.shape)}` });
  return t.dtype === 'float32' || t.dtype === 'float64' ? t : t.cast('float32');
}

/** Class indices from a classifier's output for `count` points. */
function classesFromOutput(output: Tensor | readonly Label[], count: number, where: string, perceptron: Perceptron | null): Int32Array {
  const out = new Int32Array(count);
  if (perceptron) {
    const labels = output as readonly Label[];
    const classes = perceptron.classes;
    labels.forEach((label, i) => {
      out[i] = classes.indexOf(label);
    });
    return out;
  }
  let t = output as Tensor;
  if (!(t instanceof Tensor)) throw configError(where, { expected: 'the classifier must return a Tensor', got: show(output) });
  if (t.shape[0] !== count || t.rank > 2) {
    throw shapeError(where, {
      expected: `the classifier must return [${count}], [${count}, 1] or [${count}, numClasses] for ${count} points`,
      got: formatShape(t.shape),
    });
  }
  if (t.rank === 2 && t.shape[1]! > 1) t = t.argmax(-1);
  const values = t.data();
  const binary = t.rank === 2 || Array.from(values, Number).some((v) => !Number.isInteger(v));
  if (binary) {
    const threshold = Array.from(values, Number).every((v) => v >= 0 && v <= 1) ? 0.5 : 0;
    for (let i = 0; i < count; i++) out[i] = Number(values[i]) > threshold ? 1 : 0;
    return out;
  }
  for (let i = 0; i < count; i++) {
    const v = Number(values[i]);
    if (v < 0) throw configError(where, { expected: `the classifier predicted class ${v}`, rule: 'class indices must be >= 0' });
    out[i] = v;
  }
  return out;
}

/** Runs any Classifier2D on points [n, 2] and returns class indices. */
export function predictClasses(classifier: Classifier2D, x: Tensor, where = 'predictClasses'): Int32Array {
  const n = x.shape[0]!;
  return noGrad(() => {
    if (classifier instanceof Perceptron) return classesFromOutput(classifier.predict(x), n, where, classifier);
    if (typeof classifier === 'function') return classesFromOutput(classifier(x), n, where, null);
    if (classifier && typeof classifier.predict === 'function') {
      const out = classifier.predict(x);
      return classesFromOutput(Array.isArray(out) ? out[0]! : (out as Tensor), n, where, null);
    }
    throw configError(where, { expected: 'expected a model, a Perceptron or a function (x: Tensor) => Tensor', got: show(classifier) });
  });
}

/** The true classes of the points: indices [n], one-hot [n, k], or a Perceptron's labels. */
function trueClasses(y: Tensor | readonly Label[], n: number, where: string, perceptron: Perceptron | null): Int32Array {
  if (perceptron && !(y instanceof Tensor)) {
    const classes = perceptron.classes;
    const out = Int32Array.from(y, (label) => classes.indexOf(label));
    const unknown = out.indexOf(-1);
    if (unknown >= 0) {
      throw configError(where, {
        expected: `y[${unknown}] = ${show(y[unknown])} is not one of the Perceptron's classes ${show(classes)}`,
      });
    }
    if (out.length !== n) {
      throw shapeError(where, { expected: `y needs one label for each of the ${n} points`, got: `${out.length} labels` });
    }
    return out;
  }
  let t = y instanceof Tensor ? y : tensor(y as number[]);
  if (t.rank === 2 && t.shape[1]! > 1) t = t.argmax(-1);
  if (t.size !== n) {
    throw shapeError(where, { expected: `y has shape ${formatShape(t.shape)} for ${n} points`, hint: 'pass one class index per point' });
  }
  if (perceptron) return classesFromOutput(Array.from(t.data(), Number), n, where, perceptron);
  const out = Int32Array.from(t.data(), Number);
  out.forEach((v, i) => {
    if (!Number.isInteger(Number(t.data()[i])) || v < 0) {
      throw configError(where, { expected: `y[${i}] = ${t.data()[i]} is not a class index`, rule: 'an integer >= 0' });
    }
  });
  return out;
}

/**
 * Predicts the class at the centre of every cell of a `resolution` x `resolution` grid over the
 * points' range (plus `margin`). The pure part of `renderDecisionBoundary`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const rightOfZero = (p: nr.Tensor) => p.slice([0, 0], [-1, 1]).reshape([-1]).greater(0).cast('int32');
 * const grid = nr.vis.decisionGrid(rightOfZero, nr.tensor([[-1, -1], [1, 1]]), { resolution: 4, margin: 0 });
 * Array.from(grid.classes.slice(0, 4)); // [0, 0, 1, 1]: class 1 right of x = 0
 * ```
 */
export function decisionGrid(
  classifier: Classifier2D,
  x: Tensor | readonly (readonly number[])[],
  options: Pick<DecisionBoundaryOptions, 'resolution' | 'margin'> = {},
): DecisionGrid {
  const where = 'decisionGrid';
  const p = points(x, where);
  const resolution = options.resolution ?? 60;
  if (!Number.isInteger(resolution) || resolution < 2 || resolution > 1000) {
    throw configError(where, { expected: 'resolution must be an integer in [2, 1000]', got: show(resolution) });
  }
  const margin = options.margin ?? 0.1;
  if (!Number.isFinite(margin) || margin < 0) throw configError(where, { expected: 'margin must be a number >= 0', got: show(margin) });
  const values = p.data();
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < values.length; i += 2) {
    const a = Number(values[i]);
    const b = Number(values[i + 1]);
    if (!Number.isFinite(a) || !Number.isFinite(b)) {
      throw configError(where, { expected: 'every coordinate must be finite', got: `point ${i / 2} at (${a}, ${b})` });
    }
    x0 = Math.min(x0, a);
    x1 = Math.max(x1, a);
    y0 = Math.min(y0, b);
    y1 = Math.max(y1, b);
  }
  // A zero range (all points on a line) still needs an area to draw.
  const padX = (x1 - x0 || 1) * margin + (x1 === x0 ? 0.5 : 0);
  const padY = (y1 - y0 || 1) * margin + (y1 === y0 ? 0.5 : 0);
  const extent: [number, number, number, number] = [x0 - padX, x1 + padX, y0 - padY, y1 + padY];
  const centres = new Float32Array(resolution * resolution * 2);
  for (let j = 0; j < resolution; j++) {
    for (let i = 0; i < resolution; i++) {
      const at = (j * resolution + i) * 2;
      centres[at] = extent[0] + ((i + 0.5) / resolution) * (extent[1] - extent[0]);
      centres[at + 1] = extent[2] + ((j + 0.5) / resolution) * (extent[3] - extent[2]);
    }
  }
  const classes = predictClasses(
    classifier,
    tensor(centres, [resolution * resolution, 2], p.dtype === 'float64' ? 'float64' : 'float32'),
    where,
  );
  return { extent, resolution, classes };
}

/** The Vega-Lite spec behind `renderDecisionBoundary`. */
export function decisionBoundarySpec(
  classifier: Classifier2D,
  x: Tensor | readonly (readonly number[])[],
  y: Tensor | readonly Label[],
  options: DecisionBoundaryOptions = {},
): VegaLiteSpec {
  const where = 'renderDecisionBoundary';
  const p = points(x, where);
  const n = p.shape[0]!;
  const perceptron = classifier instanceof Perceptron ? classifier : null;
  const labels = trueClasses(y, n, where, perceptron);
  const grid = decisionGrid(classifier, p, options);
  const { extent, resolution, classes } = grid;
  const classCount = Math.max(...labels, ...classes) + 1;
  const names = options.classNames
    ? [...options.classNames]
    : perceptron
      ? perceptron.classes.map(String)
      : Array.from({ length: classCount }, (_, i) => String(i));
  if (names.length < classCount) {
    throw configError(where, {
      expected: `classNames for the ${classCount} classes the data and predictions use`,
      got: `${names.length} names`,
    });
  }
  const cellWidth = (extent[1] - extent[0]) / resolution;
  const cellHeight = (extent[3] - extent[2]) / resolution;
  // One rect per run of equal cells along a row keeps the SVG small (a few rects per row, not 60).
  const cells: { x: number; x2: number; y: number; y2: number; region: string }[] = [];
  for (let j = 0; j < resolution; j++) {
    for (let start = 0; start < resolution; ) {
      const c = classes[j * resolution + start]!;
      let end = start + 1;
      while (end < resolution && classes[j * resolution + end] === c) end++;
      // Each rect reaches half a cell into its right and upper neighbours, which are drawn later and
      // cover the overlap: edges then blend two shades instead of showing a light anti-aliased seam.
      cells.push({
        x: extent[0] + start * cellWidth,
        x2: extent[0] + (end + 0.5) * cellWidth,
        y: extent[2] + j * cellHeight,
        y2: extent[2] + (j + 1.5) * cellHeight,
        region: names[c]!,
      });
      start = end;
    }
  }
  const values = p.data();
  const dots = Array.from(labels, (c, i) => ({ x: Number(values[2 * i]), y: Number(values[2 * i + 1]), label: names[c] }));
  const used = names.slice(0, classCount);
  const width = sizeOption(where, 'width', options.width, 300);
  const height = sizeOption(where, 'height', options.height, 300);
  return {
    ...titleEntry(options.title),
    width,
    height,
    layer: [
      planeCellsLayer(cells, extent, ['x[0]', 'x[1]'], {
        field: 'region',
        type: 'nominal',
        scale: { domain: used, range: used.map((_, i) => regionColor(i)) },
        legend: null,
      }),
      {
        data: { values: dots },
        mark: { type: 'point', filled: true, size: 36, stroke: '#333333', strokeWidth: 0.7, opacity: 1 },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          color: { field: 'label', type: 'nominal', title: 'class', scale: { domain: used, range: used.map((_, i) => paletteColor(i)) } },
        },
      },
    ],
  };
}

/**
 * Draws a 2-D classifier's decision regions over its data as an SVG: a grid of cells in the light
 * colour of the class predicted there, and the points in their true class's full colour (class k uses
 * palette colour k). `classifier` is a model, a fitted Perceptron or a function of points [n, 2];
 * `y` holds class indices (or one-hot rows, or a Perceptron's labels). Options: `resolution` (60),
 * `margin` (0.1), `classNames`, `width`/`height` (300), `title`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const x = nr.tensor([[0, 0], [0, 1], [1, 0], [1, 1]]);
 * const y = [0, 0, 0, 1]; // AND
 * const perceptron = new nr.Perceptron({ randomState: 0 }).fit(x, y);
 * const svg = await nr.vis.renderDecisionBoundary(perceptron, x, y, { resolution: 20 });
 * ```
 */
export async function renderDecisionBoundary(
  classifier: Classifier2D,
  x: Tensor | readonly (readonly number[])[],
  y: Tensor | readonly Label[],
  options: DecisionBoundaryOptions = {},
): Promise<string> {
  return renderVegaLite(decisionBoundarySpec(classifier, x, y, options));
}
