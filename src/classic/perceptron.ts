import {
  Random,
  configError,
  formatShape,
  globalRandom,
  is,
  notice,
  numericsError,
  parseOptions,
  shapeError,
  show,
} from '../core/index.js';
import { Tensor, fromStorage } from '../tensor/index.js';
import { matmul } from '../ops/index.js';
import { PENALTY_ELASTICNET, PENALTY_L1, PENALTY_L2, PENALTY_NONE, plainSgd, type SampleRows } from './plain-sgd.js';

/** A class label: a number or a string. */
export type Label = number | string;
/** A design matrix: a rank-2 tensor [samples, features] or an array of rows. */
export type MatrixLike = Tensor | ArrayLike<ArrayLike<number>>;
/** Labels: a rank-1 tensor or an array of numbers or strings. */
export type LabelsLike = Tensor | ArrayLike<Label>;

/** Options of {@link Perceptron}; names and defaults are scikit-learn 1.2's, in camelCase. */
export interface PerceptronOptions {
  /** Regularisation term: null (default), 'l2', 'l1' or 'elasticnet'. */
  penalty?: null | 'l2' | 'l1' | 'elasticnet';
  /** Strength of the penalty. Default 0.0001. */
  alpha?: number;
  /** Share of L1 in 'elasticnet', in [0, 1]. Default 0.15. */
  l1Ratio?: number;
  /** Learn a bias. Default true. */
  fitIntercept?: boolean;
  /** Most epochs in `fit`. Default 1000. */
  maxIter?: number;
  /** Stop once the epoch loss has not fallen by tol * nSamples for nIterNoChange epochs; null never stops early. Default 1e-3. */
  tol?: number | null;
  /** Shuffle the samples before each epoch. Default true. */
  shuffle?: boolean;
  /** 1 or more prints one line per epoch. Default 0. */
  verbose?: number;
  /** Learning rate (constant). Default 1. */
  eta0?: number;
  /** Seed of the shuffles and of the validation split; null draws one from nr.setSeed's stream. Default 0, as scikit-learn. */
  randomState?: number | null;
  /** Hold out validationFraction of the samples and stop when their accuracy stops improving by tol. Default false. */
  earlyStopping?: boolean;
  /** Share of samples held out with earlyStopping, in (0, 1). Default 0.1. */
  validationFraction?: number;
  /** Epochs without improvement before stopping. Default 5. */
  nIterNoChange?: number;
  /** Weights of the classes in the updates: {label: weight} or 'balanced' (nSamples / (nClasses * count)). Default all 1. */
  classWeight?: 'balanced' | Record<string, number> | null;
  /** `fit` starts from the current coef and intercept instead of zeros. Default false. */
  warmStart?: boolean;
  /**
   * scikit-learn's n_jobs: how many cores may share the one-vs-rest problems (-1: all). Accepted for
   * scikit-learn's signature; it never changes the result, and neurona solves the problems one after
   * another on the calling thread (they are small: a full MNIST epoch takes well under a second).
   */
  nJobs?: number | null;
}

const PERCEPTRON_OPTIONS = {
  keys: {
    penalty: is.nullable(is.string),
    alpha: is.any,
    l1Ratio: is.any,
    fitIntercept: is.boolean,
    maxIter: is.any,
    tol: is.any,
    shuffle: is.boolean,
    verbose: is.any,
    eta0: is.any,
    randomState: is.any,
    earlyStopping: is.boolean,
    validationFraction: is.any,
    nIterNoChange: is.any,
    classWeight: is.any,
    warmStart: is.boolean,
    nJobs: (v: unknown, what: string) => {
      if (v !== null && v !== -1 && !(Number.isInteger(v) && (v as number) >= 1)) {
        throw configError('', { expected: `${what} must be null, -1 (all cores) or an integer >= 1`, got: show(v) });
      }
    },
  } satisfies Record<keyof PerceptronOptions, unknown>,
};

interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

const PENALTIES: Record<string, number> = { none: PENALTY_NONE, l2: PENALTY_L2, l1: PENALTY_L1, elasticnet: PENALTY_ELASTICNET };

/**
 * Rosenblatt's perceptron with scikit-learn's `Perceptron` semantics: for each class, plain SGD on
 * max(0, -y (w.x + b)) with a constant learning rate eta0, that is w <- w + eta0 * y * x on every
 * misclassified sample (one-vs-rest for more than two classes). With shuffle off, coef, intercept
 * and nIter equal scikit-learn 1.2's.
 *
 * `fit(X, y)` takes X [samples, features] (tensor or array of rows) and labels (numbers or strings);
 * `coef` is [nClasses, features] ([1, features] for two classes), `intercept` [nClasses] ([1]),
 * `classes` the sorted distinct labels, `nIter` the epochs run. `predict` returns labels,
 * `decisionFunction` the scores w.x + b ([samples] for two classes, else [samples, nClasses]).
 *
 * ```ts
 * const clf = new nr.Perceptron({ shuffle: false });
 * clf.fit([[0, 0], [0, 1], [1, 0], [1, 1]], [0, 0, 0, 1]);   // AND
 * clf.predict([[1, 1], [0, 1]]);                              // [1, 0]
 * ```
 */
export class Perceptron {
  readonly penalty: null | 'l2' | 'l1' | 'elasticnet';
  readonly alpha: number;
  readonly l1Ratio: number;
  readonly fitIntercept: boolean;
  readonly maxIter: number;
  readonly tol: number | null;
  readonly shuffle: boolean;
  readonly verbose: number;
  readonly eta0: number;
  readonly randomState: number | null;
  readonly earlyStopping: boolean;
  readonly validationFraction: number;
  readonly nIterNoChange: number;
  readonly classWeight: 'balanced' | Record<string, number> | null;
  readonly warmStart: boolean;
  readonly nJobs: number | null;
  /** The epochs run by the last fit (the most over the one-vs-rest problems); 1 after partialFit. */
  nIter = 0;
  private classList: Label[] | null = null;
  private weights: Float64Array | null = null; // [rowsOfCoef, features], row-major
  private biases: Float64Array | null = null;
  private features = 0;

  constructor(options: PerceptronOptions = {}) {
    const o = parseOptions<PerceptronOptions>('Perceptron', options, PERCEPTRON_OPTIONS);
    this.penalty = o.penalty ?? null;
    if (this.penalty !== null && !['l2', 'l1', 'elasticnet'].includes(this.penalty)) {
      throw configError('Perceptron', { expected: "penalty must be null, 'l2', 'l1' or 'elasticnet'", got: show(this.penalty) });
    }
    this.alpha = check('alpha', o.alpha ?? 0.0001, (v) => v >= 0, 'a number >= 0');
    this.l1Ratio = check('l1Ratio', o.l1Ratio ?? 0.15, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.fitIntercept = o.fitIntercept ?? true;
    this.maxIter = check('maxIter', o.maxIter ?? 1000, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    this.tol = o.tol === null ? null : check('tol', o.tol ?? 1e-3, (v) => v >= 0, 'a number >= 0 or null');
    this.shuffle = o.shuffle ?? true;
    this.verbose = check('verbose', o.verbose ?? 0, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
    this.eta0 = check('eta0', o.eta0 ?? 1, (v) => v > 0, 'a number > 0');
    this.randomState =
      o.randomState === null
        ? null
        : check('randomState', o.randomState ?? 0, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0 or null');
    this.earlyStopping = o.earlyStopping ?? false;
    this.validationFraction = check('validationFraction', o.validationFraction ?? 0.1, (v) => v > 0 && v < 1, 'a number in (0, 1)');
    this.nIterNoChange = check('nIterNoChange', o.nIterNoChange ?? 5, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
    this.classWeight = o.classWeight ?? null;
    if (this.classWeight !== null && this.classWeight !== 'balanced' && typeof this.classWeight !== 'object') {
      throw configError('Perceptron', {
        expected: "classWeight must be null, 'balanced' or an object {label: weight}",
        got: show(this.classWeight),
      });
    }
    this.warmStart = o.warmStart ?? false;
    this.nJobs = o.nJobs ?? null;
    for (const [name, flag] of [
      ['fitIntercept', this.fitIntercept],
      ['shuffle', this.shuffle],
      ['earlyStopping', this.earlyStopping],
      ['warmStart', this.warmStart],
    ] as const) {
      if (typeof flag !== 'boolean') throw configError('Perceptron', { expected: `${name} must be true or false`, got: show(flag) });
    }
  }

  /** The weights, [nClasses, features] or [1, features] for two classes (float64). */
  get coef(): Tensor {
    const w = this.fitted('coef');
    return fromStorage(w.slice(), [w.length / this.features, this.features], 'float64');
  }

  /** The biases, [nClasses] or [1] for two classes (float64). */
  get intercept(): Tensor {
    this.fitted('intercept');
    return fromStorage(this.biases!.slice(), [this.biases!.length], 'float64');
  }

  /** The distinct labels seen in fit (or given to partialFit), sorted as np.unique sorts them. */
  get classes(): Label[] {
    this.fitted('classes');
    return [...this.classList!];
  }

  /** Trains from zeros (or, with warmStart, from the current weights) for up to maxIter epochs. */
  fit(X: MatrixLike, y: LabelsLike): this {
    const x = toMatrix(X, 'fit');
    const labels = toLabels(y, x.rows, 'fit');
    const classes = uniqueSorted(labels);
    if (classes.length < 2) {
      throw configError('Perceptron.fit', {
        expected: 'y must hold at least two classes',
        got: `only ${show(classes[0])} in ${labels.length} samples`,
      });
    }
    const rowsOfCoef = classes.length === 2 ? 1 : classes.length;
    let init: { weights: Float64Array; biases: Float64Array } | null = null;
    if (this.warmStart && this.weights !== null) {
      if (this.weights.length !== rowsOfCoef * x.cols) {
        throw shapeError('Perceptron.fit', {
          expected: `warmStart needs coef of shape [${rowsOfCoef}, ${x.cols}] for ${classes.length} classes and ${x.cols} features`,
          got: `the current coef [${this.weights.length / this.features}, ${this.features}]`,
          hint: 'create a new Perceptron or set warmStart false',
        });
      }
      init = { weights: this.weights.slice(), biases: this.biases!.slice() };
    }
    this.classList = classes;
    this.features = x.cols;
    this.weights = init?.weights ?? new Float64Array(rowsOfCoef * x.cols);
    this.biases = init?.biases ?? new Float64Array(rowsOfCoef);
    this.train(x, labels, this.maxIter, true);
    if (this.tol !== null && this.nIter === this.maxIter) {
      notice(
        `Perceptron: maximum number of iterations (maxIter = ${this.maxIter}) reached before convergence (ConvergenceWarning); ` +
          'the data may not be linearly separable; consider increasing maxIter',
      );
    }
    return this;
  }

  /** One epoch over (X, y) from the current weights; the first call needs every label in `classes`. */
  partialFit(X: MatrixLike, y: LabelsLike, options: { classes?: ArrayLike<Label> } = {}): this {
    if (this.earlyStopping) throw configError('Perceptron.partialFit', { expected: 'earlyStopping must be false with partialFit' });
    const x = toMatrix(X, 'partialFit');
    const labels = toLabels(y, x.rows, 'partialFit');
    const given = options.classes === undefined ? null : uniqueSorted(Array.from(options.classes));
    if (this.classList === null) {
      if (given === null) {
        throw configError('Perceptron.partialFit', { expected: 'pass {classes} (every label there will ever be) on the first call' });
      }
      if (this.classWeight === 'balanced') {
        throw configError('Perceptron.partialFit', {
          expected: "classWeight 'balanced' is not supported with partialFit",
          hint: 'compute the weights once and pass {label: weight}',
        });
      }
      if (given.length < 2) {
        throw configError('Perceptron.partialFit', { expected: 'classes must hold at least two labels', got: show(given) });
      }
      this.classList = given;
      this.features = x.cols;
      const rowsOfCoef = given.length === 2 ? 1 : given.length;
      this.weights = new Float64Array(rowsOfCoef * x.cols);
      this.biases = new Float64Array(rowsOfCoef);
    } else {
      if (given !== null && (given.length !== this.classList.length || given.some((c, i) => c !== this.classList![i]))) {
        throw configError('Perceptron.partialFit', {
          expected: `classes must be those of the first call ${show(this.classList)}`,
          got: show(given),
        });
      }
      this.checkFeatures(x, 'partialFit');
    }
    const known = new Set<Label>(this.classList);
    for (let i = 0; i < labels.length; i++) {
      if (!known.has(labels[i]!)) {
        throw configError('Perceptron.partialFit', {
          expected: `label ${show(labels[i])} (sample ${i}) is not among classes ${show(this.classList)}`,
        });
      }
    }
    this.train(x, labels, 1, false);
    return this;
  }

  /** The scores w.x + b: [samples] for two classes, else [samples, nClasses] (float64, through matmul). */
  decisionFunction(X: MatrixLike): Tensor {
    const w = this.fitted('decisionFunction');
    const x = toMatrix(X, 'decisionFunction');
    this.checkFeatures(x, 'decisionFunction');
    const rowsOfCoef = this.biases!.length;
    const scores = matmul(fromStorage(x.data, [x.rows, x.cols], 'float64'), fromStorage(w, [rowsOfCoef, x.cols], 'float64'), {
      transposeB: true,
    }).add(fromStorage(this.biases!, [rowsOfCoef], 'float64'));
    return rowsOfCoef === 1 ? scores.reshape([x.rows]) : scores;
  }

  /** The predicted labels: the class with the highest score (two classes: classes[1] where the score is > 0). */
  predict(X: MatrixLike): Label[] {
    const scores = this.decisionFunction(X).data();
    const classes = this.classList!;
    const k = this.biases!.length;
    const out: Label[] = [];
    if (k === 1) {
      for (let i = 0; i < scores.length; i++) out.push(classes[scores[i]! > 0 ? 1 : 0]!);
      return out;
    }
    for (let i = 0; i < scores.length / k; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (scores[i * k + c]! > scores[i * k + best]!) best = c;
      out.push(classes[best]!);
    }
    return out;
  }

  /** Mean accuracy of predict(X) against y. */
  score(X: MatrixLike, y: LabelsLike): number {
    const predicted = this.predict(X);
    const labels = toLabels(y, predicted.length, 'score');
    let correct = 0;
    for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
    return correct / labels.length;
  }

  private fitted(what: string): Float64Array {
    if (this.weights === null) {
      throw configError(`Perceptron.${what}`, {
        expected: 'this Perceptron is not fitted yet',
        hint: 'call fit(X, y) (or partialFit) first',
      });
    }
    return this.weights;
  }

  private checkFeatures(x: Matrix, what: string): void {
    if (x.cols !== this.features) {
      throw shapeError(`Perceptron.${what}`, {
        expected: `X has ${x.cols} features per sample, but the Perceptron was fitted with ${this.features}`,
        rule: `expected X [${x.rows}, ${this.features}], got [${x.rows}, ${x.cols}]`,
      });
    }
  }

  /** Runs the binary problems (one, or one per class) from the current weights. */
  private train(x: Matrix, labels: Label[], maxIter: number, forFit: boolean): void {
    const classes = this.classList!;
    const rowsOfCoef = this.biases!.length;
    const penaltyType = this.penalty === null ? PENALTY_NONE : PENALTIES[this.penalty]!;
    const rows = toRows(x, penaltyType === PENALTY_L1 || penaltyType === PENALTY_ELASTICNET);
    const classIndex = labels.map((label) => classes.indexOf(label));
    const classWeights = this.expandClassWeights(classes, classIndex);
    const seed = this.randomState ?? globalRandom().nextUint32();
    const random = new Random(seed);
    // scikit-learn draws one seed per binary problem from the estimator's stream.
    const seeds = Array.from({ length: rowsOfCoef }, () => random.nextUint32());
    const mask =
      forFit && this.earlyStopping
        ? validationSplit(
            rowsOfCoef === 1 ? classIndex.map((c) => (c === 1 ? 1 : 0)) : classIndex,
            this.validationFraction,
            new Random(seed),
          )
        : null;
    let nIter = 0;
    for (let r = 0; r < rowsOfCoef; r++) {
      const positive = rowsOfCoef === 1 ? 1 : r;
      const y = new Float64Array(x.rows);
      for (let i = 0; i < x.rows; i++) y[i] = classIndex[i] === positive ? 1 : -1;
      const weights = this.weights!.subarray(r * x.cols, (r + 1) * x.cols);
      const result = plainSgd({
        rows,
        y,
        weights,
        intercept: this.biases![r]!,
        penaltyType,
        alpha: this.alpha,
        l1Ratio: this.l1Ratio,
        validationMask: mask,
        earlyStopping: forFit && this.earlyStopping,
        nIterNoChange: this.nIterNoChange,
        maxIter,
        tol: this.tol ?? -Infinity,
        fitIntercept: this.fitIntercept,
        verbose: this.verbose,
        shuffleRandom: this.shuffle ? new Random(seeds[r]!) : null,
        weightPos: classWeights[positive]!,
        weightNeg: rowsOfCoef === 1 ? classWeights[0]! : 1,
        eta0: this.eta0,
      });
      if (result.overflow) {
        throw numericsError('Perceptron.fit', {
          expected: `floating-point overflow at epoch ${result.epochs}`,
          hint: 'scale the inputs (for example to [0, 1] or to zero mean and unit variance) or lower eta0',
        });
      }
      this.biases![r] = result.intercept;
      nIter = Math.max(nIter, result.epochs);
    }
    this.nIter = nIter;
  }

  private expandClassWeights(classes: Label[], classIndex: number[]): number[] {
    const cw = this.classWeight;
    if (cw === null) return classes.map(() => 1);
    if (cw === 'balanced') {
      const counts = classes.map(() => 0);
      for (const c of classIndex) counts[c]!++;
      return counts.map((count) => classIndex.length / (classes.length * count));
    }
    for (const key of Object.keys(cw)) {
      if (!classes.some((c) => String(c) === key)) {
        throw configError('Perceptron', {
          expected: `classWeight names label ${JSON.stringify(key)}, which is not among classes ${show(classes)}`,
        });
      }
    }
    return classes.map((c) => cw[String(c)] ?? 1);
  }
}

function check(name: string, value: number, ok: (v: number) => boolean, rule: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !ok(value)) {
    throw configError('Perceptron', { expected: `${name} must be ${rule}`, got: show(value) });
  }
  return value;
}

function toMatrix(X: MatrixLike, what: string): Matrix {
  let data: Float64Array;
  let rows: number;
  let cols: number;
  if (X instanceof Tensor) {
    if (X.rank !== 2) {
      throw shapeError(`Perceptron.${what}`, {
        expected: 'expected X of rank 2 [samples, features]',
        got: formatShape(X.shape),
        hint: 'reshape it first (images: x.reshape([n, -1]) or x.flatten(1))',
      });
    }
    [rows, cols] = X.shape as [number, number];
    data = Float64Array.from(X.data() as ArrayLike<number>);
  } else {
    if (X === null || typeof X !== 'object' || typeof X.length !== 'number') {
      throw configError(`Perceptron.${what}`, { expected: 'X must be a rank-2 tensor or an array of rows', got: show(X) });
    }
    rows = X.length;
    cols = rows > 0 ? X[0]!.length : 0;
    data = new Float64Array(rows * cols);
    for (let i = 0; i < rows; i++) {
      const row = X[i]!;
      if (row === null || typeof row !== 'object' || row.length !== cols) {
        throw shapeError(`Perceptron.${what}`, {
          expected: `every row of X must have ${cols} features (as row 0)`,
          got: `row ${i} with ${row?.length ?? 'none'}`,
        });
      }
      for (let j = 0; j < cols; j++) data[i * cols + j] = Number(row[j]);
    }
  }
  if (rows === 0 || cols === 0) {
    throw shapeError(`Perceptron.${what}`, {
      expected: 'X must have at least one sample and one feature',
      got: formatShape([rows, cols]),
    });
  }
  for (let k = 0; k < data.length; k++) {
    if (!Number.isFinite(data[k]!)) {
      throw numericsError(`Perceptron.${what}`, {
        expected: `X holds ${data[k]} at sample ${Math.floor(k / cols)}, feature ${k % cols}`,
        hint: 'remove or impute non-finite values first',
      });
    }
  }
  return { data, rows, cols };
}

function toLabels(y: LabelsLike, rows: number, what: string): Label[] {
  let labels: Label[];
  if (y instanceof Tensor) {
    if (y.rank !== 1 && !(y.rank === 2 && y.shape[1] === 1)) {
      throw shapeError(`Perceptron.${what}`, {
        expected: `expected y of shape [${rows}] (one label per sample)`,
        got: formatShape(y.shape),
        hint: 'for one-hot targets pass y.argmax(-1)',
      });
    }
    labels = Array.from(y.data() as ArrayLike<number>, Number);
  } else {
    labels = Array.from(y);
  }
  if (labels.length !== rows) {
    throw shapeError(`Perceptron.${what}`, {
      expected: `X has ${rows} samples but y has ${labels.length} labels`,
      hint: 'pass one label per sample',
    });
  }
  const kind = typeof labels[0];
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (typeof v !== kind || (kind !== 'number' && kind !== 'string') || (kind === 'number' && Number.isNaN(v))) {
      throw configError(`Perceptron.${what}`, {
        expected: 'labels must be all numbers or all strings (no NaN)',
        got: `${show(v)} at sample ${i}`,
      });
    }
  }
  return labels;
}

/** The distinct labels in np.unique's order (numbers ascending, strings by code point). */
function uniqueSorted(labels: Label[]): Label[] {
  const unique = [...new Set(labels)];
  return typeof unique[0] === 'number'
    ? (unique as number[]).sort((a, b) => a - b)
    : (unique as string[]).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** X as CSR rows; zeros are dropped unless keepZeros (the L1 step must visit every feature). */
function toRows(x: Matrix, keepZeros: boolean): SampleRows {
  const { data, rows, cols } = x;
  let stored = data.length;
  if (!keepZeros) {
    stored = 0;
    for (let k = 0; k < data.length; k++) if (data[k] !== 0) stored++;
  }
  const indptr = new Int32Array(rows + 1);
  const indices = new Int32Array(stored);
  const values = new Float64Array(stored);
  let s = 0;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j]!;
      if (keepZeros || v !== 0) {
        indices[s] = j;
        values[s] = v;
        s++;
      }
    }
    indptr[i + 1] = s;
  }
  return { n: rows, features: cols, indptr, indices, values };
}

/**
 * The held-out samples for earlyStopping: ceil(fraction * n) of them, stratified by class as
 * scikit-learn's StratifiedShuffleSplit does (its exact draw is not reproduced).
 */
function validationSplit(classIndex: number[], fraction: number, random: Random): Uint8Array {
  const n = classIndex.length;
  const nTest = Math.ceil(fraction * n);
  if (nTest === 0 || n - nTest === 0) {
    throw configError('Perceptron.fit', {
      expected: `splitting ${n} samples with validationFraction ${fraction} leaves an empty training or validation set`,
      hint: 'change validationFraction, add samples or set earlyStopping false',
    });
  }
  const byClass = new Map<number, number[]>();
  classIndex.forEach((c, i) => {
    if (!byClass.has(c)) byClass.set(c, []);
    byClass.get(c)!.push(i);
  });
  const groups = [...byClass.values()];
  const exact = groups.map((g) => (g.length * nTest) / n);
  const take = exact.map(Math.floor);
  let left = nTest - take.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, i) => [e - Math.floor(e), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of byRemainder) {
    if (left === 0) break;
    take[i]!++;
    left--;
  }
  const mask = new Uint8Array(n);
  groups.forEach((g, gi) => {
    for (let i = g.length - 1; i > 0; i--) {
      const j = random.nextInt(i + 1);
      const t = g[i]!;
      g[i] = g[j]!;
      g[j] = t;
    }
    for (let k = 0; k < take[gi]!; k++) mask[g[k]!] = 1;
  });
  return mask;
}
