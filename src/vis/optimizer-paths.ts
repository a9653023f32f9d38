/**
 * Optimizer trajectories on 2-D test functions: each optimizer starts at the same point and follows
 * the gradients our autograd computes for N steps; the chart shows the function as shaded bands (a
 * filled contour plot on a log scale) with one path per optimizer.
 */
import { configError, ownEntry, show } from '../core/index.js';
import { type Tensor, tensor, valueAndGrad, variable } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { Optimizer, SGD, Adam, RMSprop, Adagrad, Adadelta, AdamW } from '../nn/optimizers/index.js';
import { paletteColor, planeCellsLayer, renderVegaLite, sizeOption, titleEntry, type ChartSizeOptions, type VegaLiteSpec } from './vega.js';

/** A test function of two variables, written with tensor ops so it works elementwise and with autograd. */
export interface TestFunction {
  name: string;
  /** f(x, y), elementwise over tensors of one shape. */
  f: (x: Tensor, y: Tensor) => Tensor;
  /** The area drawn: [xMin, xMax, yMin, yMax]. */
  extent: [number, number, number, number];
  /** The usual start point. */
  start: [number, number];
  /** Where the minimum is (a saddle has none; its stationary point is given instead). */
  minimum: [number, number];
  /** Learning rates per optimizer name that give a readable picture in a few hundred steps. */
  learningRates: Record<string, number>;
}

const sq = (t: Tensor) => ops.mul(t, t);

/** The test functions by name: `rosenbrock`, `beale`, `saddle`. */
export const TEST_FUNCTIONS: Readonly<Record<string, TestFunction>> = {
  rosenbrock: {
    name: 'rosenbrock',
    // (1 - x)^2 + 100 (y - x^2)^2: a curved narrow valley, minimum 0 at (1, 1).
    f: (x, y) => ops.add(sq(ops.sub(1, x)), ops.mul(100, sq(ops.sub(y, sq(x))))),
    extent: [-2, 2, -1, 3],
    start: [-1.5, 2],
    minimum: [1, 1],
    learningRates: { sgd: 0.001, momentum: 0.001, nesterov: 0.001, rmsprop: 0.02, adagrad: 0.5, adadelta: 1, adam: 0.1, adamw: 0.1 },
  },
  beale: {
    name: 'beale',
    // (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2: flat plateaus and steep walls, minimum 0 at (3, 0.5).
    f: (x, y) => {
      const term = (c: number, power: Tensor) => sq(ops.add(ops.sub(c, x), ops.mul(x, power)));
      return ops.add(ops.add(term(1.5, y), term(2.25, sq(y))), term(2.625, ops.mul(sq(y), y)));
    },
    extent: [-1, 4.5, -1.5, 2],
    start: [1, 1.5],
    minimum: [3, 0.5],
    learningRates: { sgd: 0.01, momentum: 0.002, nesterov: 0.002, rmsprop: 0.01, adagrad: 0.5, adadelta: 2, adam: 0.05, adamw: 0.05 },
  },
  saddle: {
    name: 'saddle',
    // x^2 - y^2: a saddle point at (0, 0); optimizers that escape it slowly stall there.
    f: (x, y) => ops.sub(sq(x), sq(y)),
    extent: [-2, 2, -2, 2],
    start: [1.5, 0.01],
    minimum: [0, 0],
    learningRates: { sgd: 0.01, momentum: 0.005, nesterov: 0.005, rmsprop: 0.01, adagrad: 0.1, adadelta: 1, adam: 0.05, adamw: 0.05 },
  },
};

/** The optimizers drawn by default. */
export const DEFAULT_PATH_OPTIMIZERS: readonly string[] = ['sgd', 'momentum', 'rmsprop', 'adagrad', 'adam'];

/**
 * An optimizer to trace: a name (`sgd`, `momentum` (SGD with momentum 0.9), `nesterov`, `rmsprop`,
 * `adagrad`, `adadelta`, `adam`, `adamw`, with a learning rate chosen for the function), or your own
 * optimizer under a label. A factory gives a fresh optimizer per call; an instance is used as it is
 * (its state carries over between calls).
 */
export type PathOptimizer = string | { name: string; optimizer: Optimizer | (() => Optimizer) };

export interface OptimizerPathsOptions {
  /** Optimizers to trace (default sgd, momentum, rmsprop, adagrad, adam). */
  optimizers?: readonly PathOptimizer[];
  /** Steps per optimizer (default 500). */
  steps?: number;
  /** Start point (default: the function's usual one, e.g. (-1.5, 2) for Rosenbrock). */
  start?: readonly [number, number];
}

export interface OptimizerPath {
  name: string;
  /** Every visited point, the start first: steps + 1 of them, fewer if the values became non-finite. */
  points: [number, number][];
  /** f at each point. */
  values: number[];
}

function testFunction(fnName: string, where: string): TestFunction {
  const fn = ownEntry(TEST_FUNCTIONS, String(fnName).toLowerCase());
  if (!fn) {
    throw configError(where, {
      expected: `unknown test function ${show(fnName)}`,
      hint: `expected one of ${Object.keys(TEST_FUNCTIONS)
        .map((n) => `'${n}'`)
        .join(', ')}`,
    });
  }
  return fn;
}

function makeOptimizer(entry: PathOptimizer, fn: TestFunction, where: string): { name: string; optimizer: Optimizer } {
  if (typeof entry !== 'string') {
    if (!entry || typeof entry.name !== 'string') {
      throw configError(where, { expected: 'an optimizer entry must be a name or {name, optimizer}', got: show(entry) });
    }
    const optimizer = typeof entry.optimizer === 'function' ? entry.optimizer() : entry.optimizer;
    if (!(optimizer instanceof Optimizer)) {
      throw configError(where, { expected: `optimizer "${entry.name}" must be an nr.optimizers.Optimizer`, got: show(optimizer) });
    }
    return { name: entry.name, optimizer };
  }
  const key = entry.replace(/[_\-\s]/g, '').toLowerCase();
  const learningRate = ownEntry(fn.learningRates, key);
  if (learningRate === undefined) {
    throw configError(where, {
      expected: `unknown optimizer ${show(entry)}`,
      hint: `expected one of ${Object.keys(fn.learningRates)
        .map((n) => `'${n}'`)
        .join(', ')} or {name, optimizer}`,
    });
  }
  const optimizer =
    key === 'sgd'
      ? new SGD({ learningRate })
      : key === 'momentum'
        ? new SGD({ learningRate, momentum: 0.9 })
        : key === 'nesterov'
          ? new SGD({ learningRate, momentum: 0.9, nesterov: true })
          : key === 'rmsprop'
            ? new RMSprop({ learningRate })
            : key === 'adagrad'
              ? new Adagrad({ learningRate })
              : key === 'adadelta'
                ? new Adadelta({ learningRate })
                : key === 'adamw'
                  ? new AdamW({ learningRate })
                  : new Adam({ learningRate });
  return { name: entry, optimizer };
}

/**
 * Runs each optimizer on a test function (`'rosenbrock'`, `'beale'` or `'saddle'`) from one start
 * point for `steps` steps and returns the visited points: the pure part of `renderOptimizerPaths`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const [adam] = nr.vis.optimizerPaths('rosenbrock', { optimizers: ['adam'], steps: 2000 });
 * adam.points.at(-1); // close to the minimum [1, 1]
 * ```
 */
export function optimizerPaths(fnName: string, options: OptimizerPathsOptions = {}): OptimizerPath[] {
  const where = 'optimizerPaths';
  const fn = testFunction(fnName, where);
  const steps = options.steps ?? 500;
  if (!Number.isInteger(steps) || steps < 0 || steps > 100000) {
    throw configError(where, { expected: 'steps must be an integer in [0, 100000]', got: show(steps) });
  }
  const start = options.start ?? fn.start;
  if (!Array.isArray(start) || start.length !== 2 || !start.every(Number.isFinite)) {
    throw configError(where, { expected: 'start must be a point [x, y] of finite numbers', got: show(start) });
  }
  const entries = (options.optimizers ?? DEFAULT_PATH_OPTIMIZERS).map((entry) => makeOptimizer(entry, fn, where));
  const objective = valueAndGrad((p: Tensor) => {
    const x = ops.slice(p, [0], [1]);
    const y = ops.slice(p, [1], [1]);
    return ops.sum(fn.f(x, y));
  });
  return entries.map(({ name, optimizer }) => {
    const p = variable(tensor([start[0], start[1]]), { name: `${name}/point` });
    const points: [number, number][] = [];
    const values: number[] = [];
    for (let step = 0; step <= steps; step++) {
      const { value, grads } = objective(p);
      const [x, y] = p.data();
      const v = value.item();
      if (!Number.isFinite(x!) || !Number.isFinite(y!) || !Number.isFinite(v)) break; // diverged: the path ends
      points.push([x!, y!]);
      values.push(v);
      if (step < steps) optimizer.applyGradients([[grads[0]!, p]]);
    }
    return { name, points, values };
  });
}

export interface OptimizerPathsChartOptions extends OptimizerPathsOptions, ChartSizeOptions {
  /** Cells along each axis of the shaded background (default 80). */
  resolution?: number;
  /** Number of shade bands (default 14). */
  levels?: number;
}

/** The Vega-Lite spec behind `renderOptimizerPaths`, from paths already computed. */
export function optimizerPathsSpec(
  fnName: string,
  paths: readonly OptimizerPath[],
  options: Omit<OptimizerPathsChartOptions, keyof OptimizerPathsOptions> = {},
): VegaLiteSpec {
  const where = 'renderOptimizerPaths';
  const fn = testFunction(fnName, where);
  const resolution = options.resolution ?? 80;
  const levels = options.levels ?? 14;
  if (!Number.isInteger(resolution) || resolution < 2 || resolution > 1000) {
    throw configError(where, { expected: 'resolution must be an integer in [2, 1000]', got: show(resolution) });
  }
  if (!Number.isInteger(levels) || levels < 2 || levels > 64) {
    throw configError(where, { expected: 'levels must be an integer in [2, 64]', got: show(levels) });
  }
  const [x0, x1, y0, y1] = fn.extent;
  const cellWidth = (x1 - x0) / resolution;
  const cellHeight = (y1 - y0) / resolution;
  const xs = new Float32Array(resolution * resolution);
  const ys = new Float32Array(resolution * resolution);
  for (let j = 0; j < resolution; j++) {
    for (let i = 0; i < resolution; i++) {
      xs[j * resolution + i] = x0 + (i + 0.5) * cellWidth;
      ys[j * resolution + i] = y0 + (j + 0.5) * cellHeight;
    }
  }
  const values = fn.f(tensor(xs), tensor(ys)).data();
  let low = Infinity;
  let high = -Infinity;
  for (const v of values) {
    low = Math.min(low, v);
    high = Math.max(high, v);
  }
  // log(1 + f - min) spreads the narrow valleys and the steep walls over the bands.
  const shade = (v: number) => Math.log1p(v - low) / Math.log1p(high - low || 1);
  const band = (v: number) => Math.min(levels - 1, Math.floor(shade(v) * levels));
  const gray = (b: number) => {
    const level = Math.round(250 - (b / (levels - 1)) * 110)
      .toString(16)
      .padStart(2, '0');
    return `#${level}${level}${level}`;
  };
  const cells: { x: number; x2: number; y: number; y2: number; fill: string }[] = [];
  for (let j = 0; j < resolution; j++) {
    for (let start = 0; start < resolution; ) {
      const b = band(values[j * resolution + start]!);
      let end = start + 1;
      while (end < resolution && band(values[j * resolution + end]!) === b) end++;
      // Half a cell of overlap into the later-drawn neighbours hides anti-aliased seams (as in decision-boundary.ts).
      cells.push({
        x: x0 + start * cellWidth,
        x2: x0 + (end + 0.5) * cellWidth,
        y: y0 + j * cellHeight,
        y2: y0 + (j + 1.5) * cellHeight,
        fill: gray(b),
      });
      start = end;
    }
  }
  const names = paths.map((p) => p.name);
  const rows = paths.flatMap((p) => p.points.map(([x, y], step) => ({ optimizer: p.name, step, x, y })));
  const width = sizeOption(where, 'width', options.width, 360);
  const height = sizeOption(where, 'height', options.height, Math.round((width * (y1 - y0)) / (x1 - x0)));
  const starts = paths
    .filter((p) => p.points.length > 0)
    .slice(0, 1)
    .map((p) => ({ x: p.points[0]![0], y: p.points[0]![1] }));
  return {
    ...titleEntry(options.title ?? fn.name),
    width,
    height,
    layer: [
      planeCellsLayer(cells, [x0, x1, y0, y1], ['x', 'y'], { field: 'fill', type: 'nominal', scale: null }),
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 2, clip: true },
        encoding: {
          x: { field: 'x', type: 'quantitative' },
          y: { field: 'y', type: 'quantitative' },
          // Draw each path in step order, not sorted by x.
          order: { field: 'step', type: 'quantitative' },
          color: {
            field: 'optimizer',
            type: 'nominal',
            title: 'optimizer',
            sort: names,
            scale: { domain: names, range: names.map((_, i) => paletteColor(i)) },
          },
        },
      },
      {
        data: { values: starts },
        mark: { type: 'point', shape: 'circle', size: 50, filled: true, color: 'black' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
      {
        data: { values: [{ x: fn.minimum[0], y: fn.minimum[1] }] },
        mark: { type: 'point', shape: 'cross', size: 90, filled: true, color: 'black' },
        encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
      },
    ],
  };
}

/**
 * Traces optimizers on a 2-D test function (`'rosenbrock'`, `'beale'`, `'saddle'`) and draws their
 * paths over the function's shaded bands as an SVG (each optimizer in palette order: blue, orange,
 * red, teal, green, ...; a black dot at the start, a black cross at the minimum). Options: those of
 * `optimizerPaths` (`optimizers`, `steps` (500), `start`), `resolution` (80), `levels` (14),
 * `width` (360)/`height`, `title`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const svg = await nr.vis.renderOptimizerPaths('saddle', { steps: 100 });
 * ```
 */
export async function renderOptimizerPaths(fnName: string, options: OptimizerPathsChartOptions = {}): Promise<string> {
  const paths = optimizerPaths(fnName, options);
  return renderVegaLite(optimizerPathsSpec(fnName, paths, options));
}
