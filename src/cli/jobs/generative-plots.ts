/*
 * Output the generative examples share: 2-D point clouds (flow, EBM and VAE latent scatters) and
 * a density or energy over a 2-D grid with points on top, as Vega-Lite specs drawn by
 * nr.vis.renderVegaLite and written as PNG, plus the MNIST helpers of the image models.
 */
import * as nr from '../../index.js';
import { saveSvg } from '../../vis/raster.js';

/**
 * Prints `[<name>: ]epoch k/N - <each log>: x` after each epoch, whatever the step returned (custom
 * steps name their own figures); every generative example's progress line.
 */
export function epochLines(epochs: number, print: (line: string) => void, name?: string): nr.callbacks.Callback {
  return new nr.callbacks.LambdaCallback({
    onEpochEnd: (epoch, logs = {}) => {
      const figures = Object.entries(logs).map(([key, value]) => `${key}: ${Number(value).toFixed(4)}`);
      print([`${name ? `${name}: ` : ''}epoch ${epoch + 1}/${epochs}`, ...figures].join(' - '));
    },
  });
}

/** Points `[n, 2]` coloured by `groups[i]` (a class, or 'data' / 'samples'). */
export async function saveScatter(path: string, points: nr.Tensor, groups: readonly string[], title: string) {
  const xy = points.data();
  const values = groups.map((group, i) => ({ x: xy[2 * i]!, y: xy[2 * i + 1]!, group }));
  const spec = {
    title,
    width: 420,
    height: 420,
    data: { values },
    mark: { type: 'circle', size: 9, opacity: 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', scale: { zero: false } },
      // Classes in numeric order, other groups as they first appear.
      color: { field: 'group', type: 'nominal', title: null, sort: [...new Set(groups)].sort((a, b) => Number(a) - Number(b) || 0) },
    },
  };
  await saveSvg('saveScatter', await nr.vis.renderVegaLite(spec), path, { scale: 2 });
}

/** A square grid of `steps` x `steps` points spanning `[lo, hi]` on both axes, row by row, as `[steps^2, 2]`. */
export function gridPoints(lo: number, hi: number, steps: number): nr.Tensor {
  const xy = new Float32Array(steps * steps * 2);
  for (let i = 0; i < steps; i++) {
    for (let j = 0; j < steps; j++) {
      xy[2 * (i * steps + j)] = lo + ((hi - lo) * (j + 0.5)) / steps;
      xy[2 * (i * steps + j) + 1] = lo + ((hi - lo) * (i + 0.5)) / steps;
    }
  }
  return nr.tensor(xy, [steps * steps, 2]);
}

/** A heat map of `values` (one per point of `gridPoints(lo, hi, steps)`), with `points` `[n, 2]` drawn on top. */
export async function saveHeat(
  path: string,
  grid: { lo: number; hi: number; steps: number; values: readonly number[]; label: string },
  points: nr.Tensor | null,
  title: string,
) {
  const cell = (grid.hi - grid.lo) / grid.steps;
  const centres = gridPoints(grid.lo, grid.hi, grid.steps).data();
  const cells = grid.values.map((v, k) => ({
    x: centres[2 * k]! - cell / 2,
    x2: centres[2 * k]! + cell / 2,
    y: centres[2 * k + 1]! - cell / 2,
    y2: centres[2 * k + 1]! + cell / 2,
    v,
  }));
  const xy = points?.data() ?? new Float32Array(0);
  const dots = Array.from({ length: xy.length / 2 }, (_, i) => ({ px: xy[2 * i]!, py: xy[2 * i + 1]! }));
  const domain = [grid.lo, grid.hi];
  const spec = {
    title,
    width: 420,
    height: 420,
    layer: [
      {
        data: { values: cells },
        mark: { type: 'rect' },
        encoding: {
          x: { field: 'x', type: 'quantitative', scale: { domain, nice: false }, title: 'x1' },
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', scale: { domain, nice: false }, title: 'x2' },
          y2: { field: 'y2' },
          color: { field: 'v', type: 'quantitative', scale: { scheme: 'viridis' }, title: grid.label },
        },
      },
      {
        data: { values: dots },
        mark: { type: 'circle', size: 6, color: '#ff4040', opacity: 0.7, clip: true },
        encoding: { x: { field: 'px', type: 'quantitative' }, y: { field: 'py', type: 'quantitative' } },
      },
    ],
  };
  await saveSvg('saveHeat', await nr.vis.renderVegaLite(spec), path, { scale: 2 });
}

/** MNIST images `[n, 28, 28, 1]` scaled to [0, 1], the first `train` and `test` of each split, with the test labels. */
export async function mnistImages(train: number, test: number): Promise<{ x: nr.Tensor; xTest: nr.Tensor; yTest: nr.Tensor }> {
  const data = await nr.datasets.mnist.loadData({});
  const scale = (x: nr.Tensor, n: number) => {
    const part = x.slice(0, Math.min(n, x.shape[0]!));
    return part.cast('float32').div(255).reshape([part.shape[0]!, 28, 28, 1]);
  };
  return {
    x: scale(data.train[0], train),
    xTest: scale(data.test[0], test),
    yTest: data.test[1].slice(0, Math.min(test, data.test[1].shape[0]!)),
  };
}

/** `n` points of scikit-learn's make_moons: two interleaved half circles, with Gaussian noise of `noise`. */
export function twoMoons(n: number, noise: number): nr.Tensor {
  const angle = nr.randu([n], { high: Math.PI }).data();
  const jitter = nr.randn([n, 2], { std: noise }).data();
  const xy = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    const upper = i % 2 === 0;
    xy[2 * i] = (upper ? Math.cos(angle[i]!) : 1 - Math.cos(angle[i]!)) + jitter[2 * i]!;
    xy[2 * i + 1] = (upper ? Math.sin(angle[i]!) : 0.5 - Math.sin(angle[i]!)) + jitter[2 * i + 1]!;
  }
  return nr.tensor(xy, [n, 2]);
}

/**
 * How far each point `[n, 2]` lies from the noiseless moons (the two half circles twoMoons draws
 * around): the data's own points lie within 2 x noise of them 95 % of the time.
 */
export function moonDistances(points: nr.Tensor): number[] {
  const xy = points.data();
  const arc = (x: number, y: number, cx: number, cy: number, upper: boolean) => {
    const [dx, dy] = [x - cx, y - cy];
    if (upper ? dy >= 0 : dy <= 0) return Math.abs(Math.hypot(dx, dy) - 1);
    return Math.min(Math.hypot(dx - 1, dy), Math.hypot(dx + 1, dy)); // nearer end of the arc
  };
  return Array.from({ length: xy.length / 2 }, (_, i) => {
    const [x, y] = [xy[2 * i]!, xy[2 * i + 1]!];
    return Math.min(arc(x, y, 0, 0, true), arc(x, y, 1, 0.5, false));
  });
}
