/**
 * The effect of the learning rate: one small problem trained with plain gradient descent at a rate
 * that is too small, one that is good and one that is too large, and the three loss curves.
 *
 * The problem is least-squares line fitting, y = 2x - 1 plus a fixed wiggle, on 32 points in [-1, 1],
 * with the weight and bias starting at 0. Its loss is a quadratic bowl whose curvatures (the Hessian's
 * eigenvalues) are 2 along the bias and about 0.71 along the weight, so gradient descent converges
 * exactly when the rate is below 2 / 2 = 1: at 0.5 it settles in a few steps, at 0.005 it has barely
 * moved after 30, and at 1.1 every step overshoots by more than it corrects and the loss grows.
 */
import { configError, show } from '../core/index.js';
import { tensor, valueAndGrad, variable, type Tensor } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { SGD } from '../nn/optimizers/index.js';
import { paletteColor, renderVegaLite, sizeOption, titleEntry, type ChartSizeOptions, type VegaLiteSpec } from './vega.js';

/** The default rates: too small, good, too large for the line-fitting problem. */
export const DEFAULT_LEARNING_RATES: readonly number[] = [0.005, 0.5, 1.1];

export interface LearningRateEffectOptions {
  /** Learning rates to compare (default [0.005, 0.5, 1.1]: too small, good, too large). */
  rates?: readonly number[];
  /** Gradient-descent steps per rate (default 30). */
  epochs?: number;
}

export interface LearningRateRun {
  rate: number;
  /** The loss before each step and after the last: epochs + 1 values (the first is the same for all rates). */
  losses: number[];
}

/** The line-fitting data: 32 points in [-1, 1], y = 2x - 1 + 0.2 sin(7x) (the wiggle keeps the best loss above 0). */
function lineData(): { x: Tensor; y: Tensor } {
  const n = 32;
  const xs = Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1));
  return { x: tensor(xs), y: tensor(xs.map((v) => 2 * v - 1 + 0.2 * Math.sin(7 * v))) };
}

/**
 * Trains the line-fitting problem (see the file comment) with SGD at each rate and returns the
 * mean-squared-error losses: the pure part of `renderLearningRateEffect`. A diverging run's losses
 * grow without bound (and may reach Infinity).
 *
 * ```ts
 * import * as nr from 'neurona';
 * const [small, good, large] = nr.vis.learningRateEffect();
 * good.losses.at(-1)! < small.losses.at(-1)!; // true
 * large.losses.at(-1)! > large.losses[0]!;    // true: it diverges
 * ```
 */
export function learningRateEffect(options: LearningRateEffectOptions = {}): LearningRateRun[] {
  const where = 'learningRateEffect';
  const rates = options.rates ?? DEFAULT_LEARNING_RATES;
  if (!Array.isArray(rates) || rates.length === 0 || rates.some((r) => typeof r !== 'number' || !(r > 0) || !Number.isFinite(r))) {
    throw configError(where, { expected: 'rates must be a non-empty array of finite numbers > 0', got: show(rates) });
  }
  const epochs = options.epochs ?? 30;
  if (!Number.isInteger(epochs) || epochs < 1 || epochs > 100000) {
    throw configError(where, { expected: 'epochs must be an integer in [1, 100000]', got: show(epochs) });
  }
  const { x, y } = lineData();
  const loss = valueAndGrad((w: Tensor, b: Tensor) => ops.mean(ops.square(ops.sub(ops.add(ops.mul(x, w), b), y))));
  return rates.map((rate) => {
    const w = variable(tensor([0]), { name: 'weight' });
    const b = variable(tensor([0]), { name: 'bias' });
    const optimizer = new SGD({ learningRate: rate });
    const losses: number[] = [];
    for (let epoch = 0; epoch <= epochs; epoch++) {
      const { value, grads } = loss(w, b);
      losses.push(value.item());
      if (epoch < epochs)
        optimizer.applyGradients([
          [grads[0]!, w],
          [grads[1]!, b],
        ]);
    }
    return { rate, losses };
  });
}

export interface LearningRateChartOptions extends LearningRateEffectOptions, ChartSizeOptions {}

/** Labels for the default rates; other rates are labelled by value only. */
function rateLabel(rate: number, index: number, rates: readonly number[]): string {
  const isDefault = rates.length === 3 && rates.every((r, i) => r === DEFAULT_LEARNING_RATES[i]);
  return isDefault ? `lr ${rate} (${['too small', 'good', 'too large'][index]})` : `lr ${rate}`;
}

/** The Vega-Lite spec behind `renderLearningRateEffect`, from runs already computed. */
export function learningRateEffectSpec(runs: readonly LearningRateRun[], options: ChartSizeOptions = {}): VegaLiteSpec {
  const where = 'renderLearningRateEffect';
  const rates = runs.map((r) => r.rate);
  const labels = runs.map((r, i) => rateLabel(r.rate, i, rates));
  // Log scale (the losses span many orders of magnitude); values beyond float range are left out.
  const rows = runs.flatMap((run, i) =>
    run.losses.map((loss, epoch) => ({ run: labels[i], epoch, loss: Number.isFinite(loss) && loss > 0 ? loss : null })),
  );
  const width = sizeOption(where, 'width', options.width, 320);
  const height = sizeOption(where, 'height', options.height, 200);
  return {
    ...titleEntry(options.title),
    width,
    height,
    data: { values: rows },
    mark: { type: 'line', strokeWidth: 2, clip: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'step', scale: { nice: false } },
      y: { field: 'loss', type: 'quantitative', title: 'loss (log scale)', scale: { type: 'log' } },
      color: {
        field: 'run',
        type: 'nominal',
        title: null,
        sort: labels,
        scale: { domain: labels, range: labels.map((_, i) => paletteColor(i)) },
        legend: { orient: 'bottom', labelLimit: 400 },
      },
    },
  };
}

/**
 * Trains one small problem at several learning rates (default too small 0.005, good 0.5, too large
 * 1.1) and draws the loss curves on a log scale as an SVG (palette colours in order: blue, orange,
 * red). Options: `rates`, `epochs` (30), `width`/`height` (320 x 200), `title`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const svg = await nr.vis.renderLearningRateEffect({ epochs: 20 });
 * ```
 */
export async function renderLearningRateEffect(options: LearningRateChartOptions = {}): Promise<string> {
  return renderVegaLite(learningRateEffectSpec(learningRateEffect(options), options));
}
