import { FusedOptimizer, defineOptimizer, type OptimizerArguments, type OptimizerOptions } from './optimizer.js';

export interface RMSpropOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the squared-gradient average, in [0, 1). Default 0.9. */
  rho?: number;
  /** In [0, 1]. Default 0. */
  momentum?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Divide by the estimated variance (v - mean(g)^2) instead of v. Default false. */
  centered?: boolean;
}

const RMSPROP_TABLE = defineOptimizer<RMSpropOptions>({
  learningRate: 0.001,
  rule: 'rmsprop',
  hyperparameters: {
    rho: { default: 0.9, range: 'a number in [0, 1)' },
    momentum: { default: 0, range: 'a number in [0, 1]' },
    epsilon: { default: 1e-7, range: 'a finite number >= 0' },
    centered: { default: false },
  },
  slots: ({ momentum, centered }) => ({
    velocity: 0,
    ...(momentum > 0 ? { momentum: 0 } : {}),
    ...(centered ? { averageGradient: 0 } : {}),
  }),
});

/**
 * RMSprop, Keras 3 rule:
 *   v = rho * v + (1 - rho) * g^2;  (centered: a = rho * a + (1 - rho) * g, denominator v - a^2 + eps)
 *   increment = lr * g / sqrt(v + epsilon)
 *   momentum > 0: mom = momentum * mom + increment, w -= mom;  else w -= increment
 * Epsilon sits inside the sqrt (PyTorch adds it outside: sqrt(v) + eps); the momentum buffer holds
 * lr-scaled increments (PyTorch scales by lr afterwards); they agree when eps = 0 and lr is constant.
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, -1]));
 * const rmsprop = new nr.optimizers.RMSprop({ learningRate: 0.01, centered: true });
 * rmsprop.applyGradients([[nr.tensor([0.5, 0.5]), w]]);
 * ```
 */
export class RMSprop extends FusedOptimizer {
  readonly className = 'RMSprop';
  declare readonly rho: number;
  declare readonly momentum: number;
  declare readonly epsilon: number;
  declare readonly centered: boolean;

  constructor(...args: OptimizerArguments<RMSpropOptions>) {
    super('RMSprop', args, RMSPROP_TABLE);
  }
}
