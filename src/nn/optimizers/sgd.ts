import { is, parseArguments } from '../../core/index.js';
import { Tensor, Variable, zeros } from '../../tensor/index.js';
import { Optimizer, checkOption, optimizerOptions, type OptimizerOptions, type Slots } from './optimizer.js';

export interface SGDOptions extends OptimizerOptions {
  /** Default 0.01. */
  learningRate?: OptimizerOptions['learningRate'];
  /** In [0, 1]. Default 0 (plain gradient descent, no momentum slot). */
  momentum?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
}

const SGD_OPTIONS = optimizerOptions({ momentum: is.any, nesterov: is.boolean } satisfies Record<Exclude<keyof SGDOptions, keyof OptimizerOptions>, unknown>);

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
export class SGD extends Optimizer {
  readonly className = 'SGD';
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(learningRate?: SGDOptions['learningRate'], options?: Omit<SGDOptions, 'learningRate'>);
  constructor(options?: SGDOptions);
  constructor(...args: unknown[]) {
    const options = parseArguments<SGDOptions>('SGD', args, SGD_OPTIONS);
    super(options, 0.01, 'SGD');
    this.momentum = checkOption('SGD', 'momentum', options.momentum ?? 0, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.nesterov = options.nesterov ?? false;
  }

  protected initialSlots(variable: Variable): Record<string, Tensor> {
    return this.momentum === 0 ? {} : { momentum: zeros(variable.shape, variable.dtype) };
  }

  protected updateStep(g: Tensor, w: Variable, slots: Slots, lr: number): void {
    this.fusedUpdate('sgd', g, w, this.momentum === 0 ? [] : [slots.momentum!], { learningRate: lr, momentum: this.momentum, nesterov: this.nesterov });
  }

  protected ownConfig() {
    return { momentum: this.momentum, nesterov: this.nesterov };
  }
}
