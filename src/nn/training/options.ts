import { configError, is, show } from '../../core/index.js';
import { Tensor } from '../../tensor/index.js';
import type { Callback } from '../callbacks/callback.js';
import { Dataset } from '../../data/pipeline/dataset.js';
import { describeValue } from '../describe.js';
import type { TensorOrList } from './data.js';

/* The options of fit, evaluate, predict and the one-batch methods, and the checks of their values. */

export type Verbose = 0 | 1 | 2 | 'auto';

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Shuffle the training samples before each epoch (seeded by nr.setSeed). Default true. Ignored for a Dataset. */
  shuffle?: boolean;
  /**
   * `[xVal, yVal]`, `[xVal, yVal, sampleWeightVal]` or a Dataset of such batches, evaluated after each
   * epoch; `[xVal]` for a model whose own testStep needs no targets.
   */
  validationData?:
    | readonly [TensorOrList]
    | readonly [TensorOrList, TensorOrList]
    | readonly [TensorOrList, TensorOrList, Tensor]
    | Dataset<unknown>;
  /** With a Dataset x: batches per epoch (one iterator then runs on across epochs). Default: one full pass. */
  stepsPerEpoch?: number;
  /** With a Dataset validationData: batches per validation. Default: one full pass. */
  validationSteps?: number;
  /** Fraction in [0, 1) of the samples, taken from the END before shuffling, used for validation. */
  validationSplit?: number;
  validationBatchSize?: number;
  /** Validate every this many epochs (default 1). */
  validationFreq?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch; 'auto' is 1. Default 1. */
  verbose?: Verbose;
  callbacks?: readonly Callback[];
  /** Epoch to start from (for resuming). Default 0. */
  initialEpoch?: number;
  /** Weight of each class in the loss, e.g. `{0: 1, 1: 10}`. */
  classWeight?: Readonly<Record<number, number>>;
  /** One weight per sample, shape [n]. */
  sampleWeight?: Tensor;
}

export interface EvaluateOptions {
  batchSize?: number;
  /** With a Dataset x: batches to evaluate. Default: one full pass. */
  steps?: number;
  verbose?: Verbose;
  sampleWeight?: Tensor;
  callbacks?: readonly Callback[];
  /**
   * Keras's `return_dict`: the record `{loss, ...}` (true, neurona's default) or Keras's default
   * form, the loss alone or `[loss, ...metrics]` (false).
   */
  returnDict?: boolean;
}

export interface PredictOptions {
  batchSize?: number;
  /** With a Dataset x: batches to predict. Default: one full pass. */
  steps?: number;
  /** Keras's `verbose=0`: predict prints no progress, so 0 is the only value accepted. */
  verbose?: 0;
}

export interface BatchOptions {
  sampleWeight?: Tensor;
  classWeight?: Readonly<Record<number, number>>;
  /** See EvaluateOptions.returnDict. */
  returnDict?: boolean;
}

export interface TestOnBatchOptions {
  sampleWeight?: Tensor;
  /** See EvaluateOptions.returnDict. */
  returnDict?: boolean;
}

/**
 * Logs in the form `returnDict` asks for: the record itself (true or left out), or Keras's
 * `return_dict=False` form (false): the one value when there is one (the loss), else the values in
 * the record's order (`[loss, ...metrics]`, as Keras orders `metrics_names`).
 */
export function logsAs<L extends Readonly<Record<string, number>>>(logs: L, returnDict: boolean | undefined): L | number | number[] {
  if (returnDict !== false) return logs;
  const values = Object.values(logs);
  return values.length === 1 ? values[0]! : values;
}

export const tensorCheck = (value: unknown, what: string) => {
  if (!(value instanceof Tensor)) throw configError('', { expected: `${what} must be a Tensor`, got: describeValue(value) });
};
export const COMMON = {
  batchSize: is.any,
  verbose: is.any,
  callbacks: is.arrayOf(is.any, 'an array of callbacks'),
  sampleWeight: tensorCheck,
};
export const validationCheck = (v: unknown, what: string) => {
  if (!(v instanceof Dataset)) is.arrayOf(is.any, 'an array [xVal, yVal] or [xVal, yVal, sampleWeightVal], or a Dataset')(v, what);
};
export const FIT_OPTIONS = {
  keys: {
    ...COMMON,
    epochs: is.any,
    shuffle: is.boolean,
    validationData: validationCheck,
    stepsPerEpoch: is.any,
    validationSteps: is.any,
    validationSplit: is.any,
    validationBatchSize: is.any,
    validationFreq: is.any,
    initialEpoch: is.any,
    classWeight: is.object,
  } satisfies Record<keyof FitOptions, unknown>,
};
export const EVALUATE_OPTIONS = {
  keys: { ...COMMON, steps: is.any, returnDict: is.boolean } satisfies Record<keyof EvaluateOptions, unknown>,
};
export const PREDICT_OPTIONS = {
  keys: {
    batchSize: is.any,
    steps: is.any,
    verbose: (v: unknown, what: string) => {
      if (v !== 0) {
        throw configError(what, {
          expected: 'predict prints no progress bar in neurona',
          got: show(v),
          hint: 'give verbose: 0 or leave it out',
        });
      }
    },
  },
};
export const TRAIN_ON_BATCH_OPTIONS = {
  keys: { sampleWeight: tensorCheck, classWeight: is.object, returnDict: is.boolean } satisfies Record<keyof BatchOptions, unknown>,
};
export const TEST_ON_BATCH_OPTIONS = {
  keys: { sampleWeight: tensorCheck, returnDict: is.boolean } satisfies Record<keyof TestOnBatchOptions, unknown>,
};

export function checkVerbose(verbose: unknown, where: string): 0 | 1 | 2 {
  if (verbose === 'auto') return 1;
  if (verbose === 0 || verbose === 1 || verbose === 2) return verbose;
  throw configError(where, { expected: "verbose must be 0, 1, 2 or 'auto'", got: show(verbose) });
}

export function checkCount(value: unknown, name: string, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw configError(where, { expected: `${name} must be an integer >= ${min}`, got: show(value) });
  }
  return value;
}
