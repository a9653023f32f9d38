/**
 * Kohonen's self-organizing map: a grid of units, each holding a prototype vector (codebook vector)
 * in input space, trained so that nearby units hold nearby prototypes.
 *
 * Training (`fit`):
 * - `mode: 'online'` (Kohonen 1982): for t = 0 .. T-1 (T = epochs * N steps, samples visited in a
 *   seeded shuffled order each epoch), find the best-matching unit b of sample x and move every
 *   unit j towards it: w_j += lr_t * h(j, b; sigma_t) * (x - w_j).
 * - `mode: 'batch'` (Kohonen's batch map): for each epoch t = 0 .. T-1 (T = epochs), map every
 *   sample to its BMU with the current prototypes, then set each prototype to the neighbourhood-
 *   weighted mean of all samples: w_j = sum_i h(j, b_i; sigma_t) x_i / sum_i h(j, b_i; sigma_t).
 *   A unit with no weight on it keeps its prototype. The learning rate is not used.
 *
 * Decay: both the learning rate and the radius decay exponentially from their initial to their
 * final value over the T steps (steps are samples online, epochs in batch mode):
 *
 *     lr_t    = lr_0    * exp(-t / tau_lr),    tau_lr    = (T - 1) / ln(lr_0 / lr_final)
 *     sigma_t = sigma_0 * exp(-t / tau_sigma), tau_sigma = (T - 1) / ln(sigma_0 / sigma_final)
 *
 * so lr_0 and sigma_0 are used at the first step and lr_final and sigma_final at the last. With the
 * default sigma_final = 1 this is Haykin's time constant tau_1 = T / ln(sigma_0). (When T = 1, or a
 * final value equals the initial one, the value stays constant.)
 *
 * Neighbourhood, with d the distance between units on the grid (neighbours are 1 apart):
 * `'gaussian'` h = exp(-d^2 / (2 sigma^2)); `'bubble'` h = 1 if d <= sigma else 0.
 * Grid coordinates: rectangular unit (r, c) sits at (c, r); hexagonal ("odd-r" offset rows) at
 * (c + 0.5 * (r mod 2), r * sqrt(3) / 2), so each inner unit has 6 neighbours at distance 1.
 * Units are numbered row by row: unit index = r * columns + c.
 */
import { Random, configError, formatShape, globalRandom, is, numericsError, parseOptions, shapeError, show } from '../core/index.js';
import { Tensor, noGrad, tensor } from '../tensor/index.js';
import { matmul } from '../ops/index.js';

export interface SOMOptions {
  /** Grid rows (default 10). */
  rows?: number;
  /** Grid columns (default 10). */
  columns?: number;
  /** Unit layout (default `'rectangular'`). */
  topology?: 'rectangular' | 'hexagonal';
  /** Neighbourhood function (default `'gaussian'`). */
  neighborhood?: 'gaussian' | 'bubble';
  /** Initial learning rate of online training (default 0.5). */
  learningRate?: number;
  /** Learning rate at the last step (default 0.01; must be > 0 and <= learningRate). */
  finalLearningRate?: number;
  /** Initial neighbourhood radius in grid units (default max(rows, columns) / 2). */
  sigma?: number;
  /** Radius at the last step (default 1, or sigma if that is smaller; must be > 0 and <= sigma). */
  finalSigma?: number;
  /** Passes over the data (default 10). */
  epochs?: number;
  /** `'online'` (per sample, default) or `'batch'` (per epoch). */
  mode?: 'online' | 'batch';
  /** `'sample'` (distinct random rows of X, default) or `'uniform'` (uniform in each feature's [min, max]). */
  initialization?: 'sample' | 'uniform';
  /** Seed of the map's own random stream; without one it is drawn from `nr.setSeed`'s stream. */
  randomState?: number;
}

const SOM_OPTIONS = {
  keys: {
    rows: is.any,
    columns: is.any,
    topology: is.any,
    neighborhood: is.any,
    learningRate: is.any,
    finalLearningRate: is.any,
    sigma: is.any,
    finalSigma: is.any,
    epochs: is.any,
    mode: is.any,
    initialization: is.any,
    randomState: is.any,
  } satisfies Record<keyof SOMOptions, unknown>,
};

type Resolved = Required<Omit<SOMOptions, 'randomState'>> & { randomState: number | undefined };

/**
 * A Kohonen self-organizing map.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const x = nr.randu([500, 2]);
 * const som = new nr.SOM({ rows: 5, columns: 5, epochs: 5, randomState: 0 }).fit(x);
 * som.predict(x).shape;          // [500] (unit indices, int32)
 * som.weights.shape;             // [25, 2]
 * som.quantizationError(x);      // about 0.11 (mean distance to the BMU)
 * ```
 */
export class SOM {
  readonly options: Readonly<Resolved>;
  private codebookData: Float64Array | undefined;
  private features = 0;
  /** Grid coordinates, [units, 2] flattened (x, y). */
  private readonly positions: Float64Array;

  constructor(raw: SOMOptions = {}) {
    const options = parseOptions<SOMOptions>('SOM', raw, SOM_OPTIONS);
    const rows = options.rows ?? 10;
    const columns = options.columns ?? 10;
    integerAtLeast(rows, 1, 'rows');
    integerAtLeast(columns, 1, 'columns');
    const sigma = options.sigma ?? Math.max(rows, columns) / 2;
    positive(sigma, 'sigma');
    const finalSigma = options.finalSigma ?? Math.min(1, sigma);
    positive(finalSigma, 'finalSigma');
    if (finalSigma > sigma) {
      throw configError('SOM', {
        expected: `finalSigma (${finalSigma}) must not exceed sigma (${sigma})`,
        rule: 'the radius only shrinks',
      });
    }
    const learningRate = options.learningRate ?? 0.5;
    positive(learningRate, 'learningRate');
    const finalLearningRate = options.finalLearningRate ?? Math.min(0.01, learningRate);
    positive(finalLearningRate, 'finalLearningRate');
    if (finalLearningRate > learningRate) {
      throw configError('SOM', {
        expected: `finalLearningRate (${finalLearningRate}) must not exceed learningRate (${learningRate})`,
        rule: 'the rate only decays',
      });
    }
    const epochs = options.epochs ?? 10;
    integerAtLeast(epochs, 1, 'epochs');
    const topology = oneOf(options.topology ?? 'rectangular', ['rectangular', 'hexagonal'] as const, 'topology');
    const neighborhood = oneOf(options.neighborhood ?? 'gaussian', ['gaussian', 'bubble'] as const, 'neighborhood');
    const mode = oneOf(options.mode ?? 'online', ['online', 'batch'] as const, 'mode');
    const initialization = oneOf(options.initialization ?? 'sample', ['sample', 'uniform'] as const, 'initialization');
    if (options.randomState !== undefined && !Number.isFinite(options.randomState)) {
      throw configError('SOM', { expected: 'randomState must be a finite number', got: show(options.randomState) });
    }
    this.options = Object.freeze({
      rows,
      columns,
      topology,
      neighborhood,
      learningRate,
      finalLearningRate,
      sigma,
      finalSigma,
      epochs,
      mode,
      initialization,
      randomState: options.randomState,
    });
    this.positions = gridPositions(rows, columns, topology);
  }

  /** Number of units, rows * columns. */
  get units(): number {
    return this.options.rows * this.options.columns;
  }

  /** The prototypes, [rows * columns, features] float32, unit r * columns + c at row r * columns + c. */
  get weights(): Tensor {
    const codebook = this.fitted('weights');
    return tensor(Float32Array.from(codebook), [this.units, this.features]);
  }

  /** The prototypes as a grid, [rows, columns, features] float32. */
  get codebook(): Tensor {
    return this.weights.reshape([this.options.rows, this.options.columns, this.features]);
  }

  /** Sets the prototypes directly ([rows * columns, features] or [rows, columns, features]); returns this. */
  setWeights(weights: Tensor | number[][]): this {
    const w = weights instanceof Tensor ? weights : tensor(weights);
    const { rows, columns } = this.options;
    const ok = (w.rank === 2 && w.shape[0] === this.units) || (w.rank === 3 && w.shape[0] === rows && w.shape[1] === columns);
    if (!ok || w.shape[w.rank - 1]! < 1) {
      throw shapeError('SOM.setWeights', {
        expected: `expected [${this.units}, features] or [${rows}, ${columns}, features]`,
        got: formatShape(w.shape),
      });
    }
    const data = Float64Array.from(w.data());
    checkFinite(data, 'SOM.setWeights', 'weights');
    this.features = w.shape[w.rank - 1]!;
    this.codebookData = data;
    return this;
  }

  /** Trains the map on X ([N, features]) from a fresh initialization; returns this. */
  fit(x: Tensor | number[][]): this {
    const { data, samples, features } = this.input(x, 'fit', false);
    const o = this.options;
    const random = o.randomState === undefined ? new Random(globalRandom().nextUint32()) : new Random(o.randomState);
    this.features = features;
    this.codebookData = initialize(data, samples, features, this.units, o.initialization, random);
    if (o.mode === 'online') this.fitOnline(data, samples, random);
    else this.fitBatch(data, samples);
    return this;
  }

  /** Index of the best-matching unit of each sample, [N] int32. */
  predict(x: Tensor | number[][]): Tensor {
    const { samples } = this.input(x, 'predict', true);
    const distances = this.squaredDistances(x);
    const units = this.units;
    const out = new Int32Array(samples);
    for (let i = 0; i < samples; i++) out[i] = argmin(distances, i * units, units);
    return tensor(out, [samples], 'int32');
  }

  /** Euclidean distance from each sample to every unit's prototype, [N, rows * columns] float32. */
  transform(x: Tensor | number[][]): Tensor {
    const { samples } = this.input(x, 'transform', true);
    const distances = this.squaredDistances(x);
    const out = new Float32Array(distances.length);
    for (let i = 0; i < out.length; i++) out[i] = Math.sqrt(distances[i]!);
    return tensor(out, [samples, this.units]);
  }

  /** Mean Euclidean distance from each sample to its best-matching unit's prototype. */
  quantizationError(x: Tensor | number[][]): number {
    const { data, samples, features } = this.input(x, 'quantizationError', true);
    const codebook = this.codebookData!;
    let total = 0;
    for (let i = 0; i < samples; i++) total += Math.sqrt(bestTwo(data, i * features, codebook, features, this.units)[2]);
    return total / samples;
  }

  /**
   * Fraction of samples whose best and second-best units are not neighbours on the grid (distance 1:
   * 4 neighbours on a rectangular grid, 6 on a hexagonal one). Low values mean the map preserves
   * the data's topology.
   */
  topographicError(x: Tensor | number[][]): number {
    const { data, samples, features } = this.input(x, 'topographicError', true);
    if (this.units < 2) return 0;
    const codebook = this.codebookData!;
    let errors = 0;
    for (let i = 0; i < samples; i++) {
      const [best, second] = bestTwo(data, i * features, codebook, features, this.units);
      if (!this.adjacent(best, second)) errors++;
    }
    return errors / samples;
  }

  /** Whether units `a` and `b` are grid neighbours (distance 1 on the grid). */
  adjacent(a: number, b: number): boolean {
    return a !== b && Math.abs(this.gridDistanceSquared(a, b) - 1) < 1e-9;
  }

  /** The U-matrix, [rows, columns] float32: each unit's mean prototype distance to its grid neighbours. */
  uMatrix(): Tensor {
    const codebook = this.fitted('uMatrix');
    const units = this.units;
    const features = this.features;
    const out = new Float32Array(units);
    for (let a = 0; a < units; a++) {
      let total = 0;
      let count = 0;
      for (let b = 0; b < units; b++) {
        if (!this.adjacent(a, b)) continue;
        let sum = 0;
        for (let k = 0; k < features; k++) {
          const d = codebook[a * features + k]! - codebook[b * features + k]!;
          sum += d * d;
        }
        total += Math.sqrt(sum);
        count++;
      }
      out[a] = count > 0 ? total / count : 0;
    }
    return tensor(out, [this.options.rows, this.options.columns]);
  }

  /** Grid coordinates of every unit, [rows * columns, 2] (x, y) float32. */
  unitPositions(): Tensor {
    return tensor(Float32Array.from(this.positions), [this.units, 2]);
  }

  private fitOnline(data: Float64Array, samples: number, random: Random): void {
    const o = this.options;
    const codebook = this.codebookData!;
    const features = this.features;
    const units = this.units;
    const total = o.epochs * samples;
    const influence = new Float64Array(units);
    const order = new Int32Array(samples);
    let t = 0;
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      for (let i = 0; i < samples; i++) order[i] = i;
      for (let i = samples - 1; i > 0; i--) {
        const j = random.nextInt(i + 1);
        const swap = order[i]!;
        order[i] = order[j]!;
        order[j] = swap;
      }
      for (let s = 0; s < samples; s++, t++) {
        const offset = order[s]! * features;
        const best = bestTwo(data, offset, codebook, features, units)[0];
        const rate = decayed(o.learningRate, o.finalLearningRate, t, total);
        this.neighbourhood(best, decayed(o.sigma, o.finalSigma, t, total), influence);
        for (let j = 0; j < units; j++) {
          const step = rate * influence[j]!;
          // Far units of a Gaussian get influence ~1e-30 and more: skipping them changes nothing visible and saves most of the work.
          if (step < 1e-12) continue;
          const w = j * features;
          for (let k = 0; k < features; k++) codebook[w + k]! += step * (data[offset + k]! - codebook[w + k]!);
        }
      }
    }
  }

  private fitBatch(data: Float64Array, samples: number): void {
    const o = this.options;
    const codebook = this.codebookData!;
    const features = this.features;
    const units = this.units;
    const influence = new Float64Array(units);
    for (let epoch = 0; epoch < o.epochs; epoch++) {
      // Samples that share a BMU contribute the same neighbourhood weights: sum them per unit first.
      const counts = new Float64Array(units);
      const sums = new Float64Array(units * features);
      for (let i = 0; i < samples; i++) {
        const best = bestTwo(data, i * features, codebook, features, units)[0];
        counts[best]!++;
        for (let k = 0; k < features; k++) sums[best * features + k]! += data[i * features + k]!;
      }
      const sigma = decayed(o.sigma, o.finalSigma, epoch, o.epochs);
      const numerator = new Float64Array(units * features);
      const denominator = new Float64Array(units);
      for (let b = 0; b < units; b++) {
        if (counts[b] === 0) continue;
        this.neighbourhood(b, sigma, influence);
        for (let j = 0; j < units; j++) {
          const h = influence[j]!;
          if (h === 0) continue;
          denominator[j]! += h * counts[b]!;
          for (let k = 0; k < features; k++) numerator[j * features + k]! += h * sums[b * features + k]!;
        }
      }
      for (let j = 0; j < units; j++) {
        if (denominator[j]! <= 0) continue;
        for (let k = 0; k < features; k++) codebook[j * features + k] = numerator[j * features + k]! / denominator[j]!;
      }
    }
  }

  /** Fills `out[j]` with h(j, best; sigma). */
  private neighbourhood(best: number, sigma: number, out: Float64Array): void {
    const bubble = this.options.neighborhood === 'bubble';
    const twoSigmaSquared = 2 * sigma * sigma;
    const sigmaSquared = sigma * sigma * (1 + 1e-12); // the bubble's edge is inclusive; 1e-12 absorbs the hex grid's rounding
    for (let j = 0; j < out.length; j++) {
      const d2 = this.gridDistanceSquared(best, j);
      out[j] = bubble ? (d2 <= sigmaSquared ? 1 : 0) : Math.exp(-d2 / twoSigmaSquared);
    }
  }

  private gridDistanceSquared(a: number, b: number): number {
    const dx = this.positions[2 * a]! - this.positions[2 * b]!;
    const dy = this.positions[2 * a + 1]! - this.positions[2 * b + 1]!;
    return dx * dx + dy * dy;
  }

  /** ||x||^2 - 2 x.w + ||w||^2 for every sample and unit through one matmul, [N * units] (clamped at 0). */
  private squaredDistances(x: Tensor | number[][]): Float64Array {
    const input = x instanceof Tensor ? x : tensor(x);
    const codebook = this.codebookData!;
    const units = this.units;
    const features = this.features;
    const samples = input.shape[0]!;
    const dtype = input.dtype === 'float64' ? 'float64' : 'float32';
    const inputFloat = input.dtype === dtype ? input : input.cast(dtype);
    const w = tensor(codebook, [units, features], dtype);
    const products = noGrad(() => matmul(inputFloat, w, { transposeB: true })).data();
    const values = inputFloat.data();
    const unitNorms = new Float64Array(units);
    for (let j = 0; j < units; j++) {
      let s = 0;
      for (let k = 0; k < features; k++) s += codebook[j * features + k]! ** 2;
      unitNorms[j] = s;
    }
    const out = new Float64Array(samples * units);
    for (let i = 0; i < samples; i++) {
      let norm = 0;
      for (let k = 0; k < features; k++) norm += values[i * features + k]! ** 2;
      for (let j = 0; j < units; j++) out[i * units + j] = Math.max(0, norm - 2 * products[i * units + j]! + unitNorms[j]!);
    }
    return out;
  }

  private fitted(where: string): Float64Array {
    if (!this.codebookData) {
      throw configError(`SOM.${where}`, { expected: 'the map is not fitted yet', hint: 'call fit(x) (or setWeights) first' });
    }
    return this.codebookData;
  }

  /** Checks X ([N, features], finite, N >= 1) and returns it as float64. */
  private input(x: Tensor | number[][], where: string, needFitted: boolean): { data: Float64Array; samples: number; features: number } {
    if (needFitted) this.fitted(where);
    const t = x instanceof Tensor ? x : tensor(x);
    if (t.rank !== 2) {
      throw shapeError(`SOM.${where}`, {
        expected: 'expected X of shape [samples, features]',
        got: formatShape(t.shape),
        hint: 'reshape images with x.reshape([n, -1])',
      });
    }
    const [samples, features] = t.shape as [number, number];
    if (samples < 1 || features < 1) {
      throw shapeError(`SOM.${where}`, { expected: 'X needs at least one sample and one feature', got: formatShape(t.shape) });
    }
    if (needFitted && features !== this.features) {
      throw shapeError(`SOM.${where}`, {
        expected: `the map was fitted on ${this.features} features`,
        got: `X of shape ${formatShape(t.shape)}`,
      });
    }
    if (t.dtype === 'bool') throw configError(`SOM.${where}`, { expected: 'X must be numeric', got: 'a bool tensor' });
    const data = Float64Array.from(t.data());
    checkFinite(data, `SOM.${where}`, 'X', features);
    return { data, samples, features };
  }
}

function initialize(
  data: Float64Array,
  samples: number,
  features: number,
  units: number,
  how: 'sample' | 'uniform',
  random: Random,
): Float64Array {
  const codebook = new Float64Array(units * features);
  if (how === 'sample') {
    // Distinct rows while there are enough (a partial Fisher-Yates), then rows drawn with replacement.
    const pool = Int32Array.from({ length: samples }, (_, i) => i);
    for (let j = 0; j < units; j++) {
      let row: number;
      if (j < samples) {
        const pick = j + random.nextInt(samples - j);
        row = pool[pick]!;
        pool[pick] = pool[j]!;
        pool[j] = row;
      } else {
        row = random.nextInt(samples);
      }
      codebook.set(data.subarray(row * features, (row + 1) * features), j * features);
    }
  } else {
    const low = new Float64Array(features).fill(Infinity);
    const high = new Float64Array(features).fill(-Infinity);
    for (let i = 0; i < samples; i++) {
      for (let k = 0; k < features; k++) {
        const v = data[i * features + k]!;
        if (v < low[k]!) low[k] = v;
        if (v > high[k]!) high[k] = v;
      }
    }
    for (let j = 0; j < units; j++) {
      for (let k = 0; k < features; k++) codebook[j * features + k] = low[k]! + random.next() * (high[k]! - low[k]!);
    }
  }
  return codebook;
}

/** [best unit, second-best unit, squared distance to the best] for the sample at `offset`. */
function bestTwo(data: Float64Array, offset: number, codebook: Float64Array, features: number, units: number): [number, number, number] {
  let best = -1;
  let second = -1;
  let bestDistance = Infinity;
  let secondDistance = Infinity;
  for (let j = 0; j < units; j++) {
    let d = 0;
    const w = j * features;
    for (let k = 0; k < features; k++) {
      const diff = data[offset + k]! - codebook[w + k]!;
      d += diff * diff;
    }
    if (d < bestDistance) {
      second = best;
      secondDistance = bestDistance;
      best = j;
      bestDistance = d;
    } else if (d < secondDistance) {
      second = j;
      secondDistance = d;
    }
  }
  return [best, second, bestDistance];
}

function argmin(values: Float64Array, start: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[start + j]! < values[start + best]!) best = j;
  return best;
}

/** value_0 * exp(-t / tau) with tau = (T - 1) / ln(value_0 / value_final): value_0 at t = 0, value_final at t = T - 1. */
export function decayed(initial: number, final: number, t: number, total: number): number {
  if (total <= 1 || final === initial) return initial;
  const tau = (total - 1) / Math.log(initial / final);
  return initial * Math.exp(-t / tau);
}

function gridPositions(rows: number, columns: number, topology: 'rectangular' | 'hexagonal'): Float64Array {
  const out = new Float64Array(rows * columns * 2);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < columns; c++) {
      const j = r * columns + c;
      out[2 * j] = topology === 'hexagonal' ? c + 0.5 * (r % 2) : c;
      out[2 * j + 1] = topology === 'hexagonal' ? (r * Math.sqrt(3)) / 2 : r;
    }
  }
  return out;
}

function checkFinite(data: Float64Array, where: string, name: string, features = 0): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      const place = features > 0 ? `row ${Math.floor(i / features)}, column ${i % features}` : `flat index ${i}`;
      throw numericsError(where, {
        expected: `${name} must be finite`,
        got: `${data[i]} at ${place}`,
        hint: 'drop or impute missing values first',
      });
    }
  }
}

function integerAtLeast(value: number, min: number, name: string): void {
  if (!Number.isInteger(value) || value < min) {
    throw configError('SOM', { expected: `${name} must be an integer >= ${min}`, got: show(value) });
  }
}

function positive(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw configError('SOM', { expected: `${name} must be a finite number > 0`, got: show(value) });
  }
}

function oneOf<T extends string>(value: string, allowed: readonly T[], name: string): T {
  if (!allowed.includes(value as T)) {
    throw configError('SOM', { expected: `${name} must be one of ${allowed.map((a) => `'${a}'`).join(', ')}`, got: show(value) });
  }
  return value as T;
}
