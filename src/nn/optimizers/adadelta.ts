import { is, parseArguments } from '../../core/index.js';
import { Tensor, Variable, zeros } from '../../tensor/index.js';
import { Optimizer, checkOption, optimizerOptions, type OptimizerOptions, type Slots } from './optimizer.js';

export interface AdadeltaOptions extends OptimizerOptions {
  /** Default 0.001 (Keras; PyTorch's default is 1.0). */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay rate, in [0, 1). Default 0.95. */
  rho?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

const ADADELTA_OPTIONS = optimizerOptions({ rho: is.any, epsilon: is.any } satisfies Record<Exclude<keyof AdadeltaOptions, keyof OptimizerOptions>, unknown>);

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
export class Adadelta extends Optimizer {
  readonly className = 'Adadelta';
  readonly rho: number;
  readonly epsilon: number;

  constructor(learningRate?: AdadeltaOptions['learningRate'], options?: Omit<AdadeltaOptions, 'learningRate'>);
  constructor(options?: AdadeltaOptions);
  constructor(...args: unknown[]) {
    const options = parseArguments<AdadeltaOptions>('Adadelta', args, ADADELTA_OPTIONS);
    super(options, 0.001, 'Adadelta');
    this.rho = checkOption('Adadelta', 'rho', options.rho ?? 0.95, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    this.epsilon = checkOption('Adadelta', 'epsilon', options.epsilon ?? 1e-7, (v) => v >= 0 && Number.isFinite(v), 'a finite number >= 0');
  }

  protected initialSlots(variable: Variable): Record<string, Tensor> {
    return { accumulatedGrad: zeros(variable.shape, variable.dtype), accumulatedDelta: zeros(variable.shape, variable.dtype) };
  }

  protected updateStep(g: Tensor, w: Variable, slots: Slots, lr: number): void {
    this.fusedUpdate('adadelta', g, w, [slots.accumulatedGrad!, slots.accumulatedDelta!], { learningRate: lr, rho: this.rho, epsilon: this.epsilon });
  }

  protected ownConfig() {
    return { rho: this.rho, epsilon: this.epsilon };
  }
}
