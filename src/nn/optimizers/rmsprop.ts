import { is, parseArguments } from '../../core/index.js';
import { Tensor, Variable, zeros } from '../../tensor/index.js';
import { Optimizer, checkOption, optimizerOptions, type OptimizerOptions, type Slots } from './optimizer.js';

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

const RMSPROP_OPTIONS = optimizerOptions({ rho: is.any, momentum: is.any, epsilon: is.any, centered: is.boolean } satisfies Record<Exclude<keyof RMSpropOptions, keyof OptimizerOptions>, unknown>);

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
export class RMSprop extends Optimizer {
  readonly className = 'RMSprop';
  readonly rho: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly centered: boolean;

  constructor(learningRate?: RMSpropOptions['learningRate'], options?: Omit<RMSpropOptions, 'learningRate'>);
  constructor(options?: RMSpropOptions);
  constructor(...args: unknown[]) {
    const options = parseArguments<RMSpropOptions>('RMSprop', args, RMSPROP_OPTIONS);
    super(options, 0.001, 'RMSprop');
    this.rho = checkOption('RMSprop', 'rho', options.rho ?? 0.9, (v) => v >= 0 && v < 1, 'a number in [0, 1)');
    this.momentum = checkOption('RMSprop', 'momentum', options.momentum ?? 0, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.epsilon = checkOption('RMSprop', 'epsilon', options.epsilon ?? 1e-7, (v) => v >= 0 && Number.isFinite(v), 'a finite number >= 0');
    this.centered = options.centered ?? false;
  }

  protected initialSlots(variable: Variable): Record<string, Tensor> {
    const slots: Record<string, Tensor> = { velocity: zeros(variable.shape, variable.dtype) };
    if (this.momentum > 0) slots.momentum = zeros(variable.shape, variable.dtype);
    if (this.centered) slots.averageGradient = zeros(variable.shape, variable.dtype);
    return slots;
  }

  protected updateStep(g: Tensor, w: Variable, slots: Slots, lr: number): void {
    const order = [slots.velocity!];
    if (this.momentum > 0) order.push(slots.momentum!);
    if (this.centered) order.push(slots.averageGradient!);
    this.fusedUpdate('rmsprop', g, w, order, { learningRate: lr, rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered });
  }

  protected ownConfig() {
    return { rho: this.rho, momentum: this.momentum, epsilon: this.epsilon, centered: this.centered };
  }
}
