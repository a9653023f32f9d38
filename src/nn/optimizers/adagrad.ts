import { is, parseArguments } from '../../core/index.js';
import { Tensor, Variable, full } from '../../tensor/index.js';
import { Optimizer, checkOption, optimizerOptions, type OptimizerOptions, type Slots } from './optimizer.js';

export interface AdagradOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Starting value of the squared-gradient sum. Default 0.1. */
  initialAccumulatorValue?: number;
  /** Default 1e-7. */
  epsilon?: number;
}

const ADAGRAD_OPTIONS = optimizerOptions({ initialAccumulatorValue: is.any, epsilon: is.any } satisfies Record<Exclude<keyof AdagradOptions, keyof OptimizerOptions>, unknown>);

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
export class Adagrad extends Optimizer {
  readonly className = 'Adagrad';
  readonly initialAccumulatorValue: number;
  readonly epsilon: number;

  constructor(learningRate?: AdagradOptions['learningRate'], options?: Omit<AdagradOptions, 'learningRate'>);
  constructor(options?: AdagradOptions);
  constructor(...args: unknown[]) {
    const options = parseArguments<AdagradOptions>('Adagrad', args, ADAGRAD_OPTIONS);
    super(options, 0.001, 'Adagrad');
    this.initialAccumulatorValue = checkOption('Adagrad', 'initialAccumulatorValue', options.initialAccumulatorValue ?? 0.1, (v) => v >= 0 && Number.isFinite(v), 'a finite number >= 0');
    this.epsilon = checkOption('Adagrad', 'epsilon', options.epsilon ?? 1e-7, (v) => v >= 0 && Number.isFinite(v), 'a finite number >= 0');
  }

  protected initialSlots(variable: Variable): Record<string, Tensor> {
    return { accumulator: full(variable.shape, this.initialAccumulatorValue, variable.dtype) };
  }

  protected updateStep(g: Tensor, w: Variable, slots: Slots, lr: number): void {
    this.fusedUpdate('adagrad', g, w, [slots.accumulator!], { learningRate: lr, epsilon: this.epsilon });
  }

  protected ownConfig() {
    return { initialAccumulatorValue: this.initialAccumulatorValue, epsilon: this.epsilon };
  }
}
