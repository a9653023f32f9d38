import { FusedOptimizer, defineOptimizer, type OptimizerArguments, type OptimizerOptions } from './optimizer.js';

export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Starting value of the squared-gradient sum. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

const ADAGRAD_TABLE = defineOptimizer<AdagradOptions>({
  learningRate: 0.001,
  rule: 'adagrad',
  hyperparameters: {
    initialAccumulatorValue: { default: 0.1, range: 'a finite number >= 0' },
    epsilon: { default: 1e-7, range: 'a finite number >= 0' },
  },
  slots: ({ initialAccumulatorValue }) => ({ accumulator: initialAccumulatorValue }),
});

/**
 * Adagrad, Keras 3 rule: `acc += g^2; w -= lr * g / sqrt(acc + epsilon)`, acc starting at
 * initialAccumulatorValue. (PyTorch: acc starts at 0 by default and eps = 1e-10 is added outside
 * the sqrt.)
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, -1]));
 * const adagrad = new nr.optimizers.Adagrad({ learningRate: 0.1 });
 * adagrad.applyGradients([[nr.tensor([0.5, 0.5]), w]]);
 * ```
 */
export class Adagrad extends FusedOptimizer {
  readonly className = 'Adagrad';
  declare readonly initialAccumulatorValue: number;
  declare readonly epsilon: number;

  constructor(...args: OptimizerArguments<AdagradOptions>) {
    super('Adagrad', args, ADAGRAD_TABLE);
  }
}
