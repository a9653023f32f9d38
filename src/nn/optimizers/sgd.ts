import { FusedOptimizer, defineOptimizer, type OptimizerArguments, type OptimizerOptions } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01. */
  learningRate?: OptimizerOptions['learningRate'];
  /** In [0, 1]. Default 0 (plain gradient descent, no momentum slot). */
  momentum?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
}

const SGD_TABLE = defineOptimizer<SGDOptions>({
  learningRate: 0.01,
  rule: 'sgd',
  hyperparameters: { momentum: { default: 0, range: 'a number in [0, 1]' }, nesterov: { default: false } },
  slots: ({ momentum }) => ({ ...(momentum > 0 ? { momentum: 0 } : {}) }),
});

/**
 * Stochastic gradient descent, with optional (Nesterov) momentum; Keras 3 rule:
 * without momentum `w -= lr * g`; with it `m = momentum * m - lr * g`, then `w += m`, or for
 * Nesterov `w += momentum * m - lr * g`. (PyTorch keeps `b = momentum * b + g` and does
 * `w -= lr * b`; the two agree while lr is constant and differ when a schedule changes it.)
 * Full-batch gradient descent is SGD with batchSize equal to the dataset size.
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, -1]));
 * const sgd = new nr.optimizers.SGD({ learningRate: 0.1, momentum: 0.9 });
 * sgd.applyGradients([[nr.tensor([1, 1]), w]]);
 * w.toArray(); // [0.9, -1.1]
 * ```
 */
export class SGD extends FusedOptimizer {
  readonly className = 'SGD';
  declare readonly momentum: number;
  declare readonly nesterov: boolean;

  constructor(...args: OptimizerArguments<SGDOptions>) {
    super('SGD', args, SGD_TABLE);
  }
}
