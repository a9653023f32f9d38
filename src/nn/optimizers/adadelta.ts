import { FusedOptimizer, defineOptimizer, type OptimizerArguments, type OptimizerOptions } from './optimizer.js';

export interface AdadeltaOptions extends OptimizerOptions {
  /** Default 0.001 (Keras; PyTorch's default is 1.0). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay rate, in [0, 1). Default 0.95. */
  rho?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

const ADADELTA_TABLE = defineOptimizer<AdadeltaOptions>({
  learningRate: 0.001,
  rule: 'adadelta',
  hyperparameters: { rho: { default: 0.95, range: 'a number in [0, 1)' }, epsilon: { default: 1e-7, range: 'a finite number >= 0' } },
  slots: () => ({ accumulatedGrad: 0, accumulatedDelta: 0 }),
});

/**
 * Adadelta (Zeiler), Keras 3 rule, the same as PyTorch's (only the defaults differ):
 *   accGrad = rho * accGrad + (1 - rho) * g^2
 *   delta = -sqrt(accDelta + eps) * g / sqrt(accGrad + eps)
 *   accDelta = rho * accDelta + (1 - rho) * delta^2;  w += lr * delta
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, -1]));
 * const adadelta = new nr.optimizers.Adadelta({ learningRate: 1.0 });
 * adadelta.applyGradients([[nr.tensor([0.5, 0.5]), w]]);
 * ```
 */
export class Adadelta extends FusedOptimizer {
  readonly className = 'Adadelta';
  declare readonly rho: number;
  declare readonly epsilon: number;

  constructor(...args: OptimizerArguments<AdadeltaOptions>) {
    super('Adadelta', args, ADADELTA_TABLE);
  }
}
