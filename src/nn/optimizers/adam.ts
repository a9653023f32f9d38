import { is, parseArguments } from '../../core/index.js';
import { Tensor, Variable, zeros } from '../../tensor/index.js';
import { Optimizer, checkOption, optimizerOptions, type OptimizerOptions, type Slots } from './optimizer.js';

export interface AdamOptions extends OptimizerOptions {
  /** Default 0.001. */
  learningRate?: OptimizerOptions['learningRate'];
  /** Decay of the first moment, in [0, 1). Default 0.9. */
  beta1?: number;
  /** Decay of the second moment, in [0, 1). Default 0.999. */
  beta2?: number;
  /** Default 1e-7. */
  epsilon?: number;
  /** Use the running maximum of the second moment (AMSGrad). Default false. */
  amsgrad?: boolean;
}

/** Adam's options; AdamW takes the same. Keras spells the betas beta_1 and beta_2. */
export const ADAM_OPTIONS = optimizerOptions(
  { beta1: is.any, beta2: is.any, epsilon: is.any, amsgrad: is.boolean } satisfies Record<Exclude<keyof AdamOptions, keyof OptimizerOptions>, unknown>,
  { beta_1: 'beta1', beta_2: 'beta2' },
);

export function checkAdamOptions(owner: string, options: AdamOptions) {
  const unitOpen = (v: number) => v >= 0 && v < 1;
  return {
    beta1: checkOption(owner, 'beta1', options.beta1 ?? 0.9, unitOpen, 'a number in [0, 1)'),
    beta2: checkOption(owner, 'beta2', options.beta2 ?? 0.999, unitOpen, 'a number in [0, 1)'),
    epsilon: checkOption(owner, 'epsilon', options.epsilon ?? 1e-7, (v) => v >= 0 && Number.isFinite(v), 'a finite number >= 0'),
    amsgrad: options.amsgrad ?? false,
  };
}

/**
 * Adam, with Keras 3's update rule (t = step, counted from 1):
 *   alpha = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
 *   m += (g - m) * (1 - beta1);  v += (g^2 - v) * (1 - beta2);  (amsgrad: vHat = max(vHat, v), used as v)
 *   w -= m * alpha / (sqrt(v) + epsilon)
 * The bias correction goes into the step size and epsilon is added to sqrt of the uncorrected v;
 * PyTorch adds epsilon to sqrt(v / (1 - beta2^t)), so the two differ slightly (equal at epsilon 0).
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, -1]));
 * const adam = new nr.optimizers.Adam({ learningRate: 0.1 });
 * adam.applyGradients([[nr.tensor([2, -3]), w]]);
 * w.toArray(); // about [0.9, -0.9]: the first step moves each weight by about lr
 * ```
 */
export class Adam extends Optimizer {
  readonly className: string = 'Adam';
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
  readonly amsgrad: boolean;

  constructor(learningRate?: AdamOptions['learningRate'], options?: Omit<AdamOptions, 'learningRate'>);
  constructor(options?: AdamOptions);
  constructor(...args: unknown[]) {
    // AdamW passes its parsed options on; errors name the class being built.
    const name = new.target.name;
    const options = parseArguments<AdamOptions>(name, args, ADAM_OPTIONS);
    super(options, 0.001, name);
    ({ beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad } = checkAdamOptions(name, options));
  }

  protected initialSlots(variable: Variable): Record<string, Tensor> {
    const slots: Record<string, Tensor> = { m: zeros(variable.shape, variable.dtype), v: zeros(variable.shape, variable.dtype) };
    if (this.amsgrad) slots.vHat = zeros(variable.shape, variable.dtype);
    return slots;
  }

  protected updateStep(g: Tensor, w: Variable, slots: Slots, lr: number, t: number): void {
    const alpha = lr * Math.sqrt(1 - this.beta2 ** t) / (1 - this.beta1 ** t);
    const moments = this.amsgrad ? [slots.m!, slots.v!, slots.vHat!] : [slots.m!, slots.v!];
    this.fusedUpdate('adam', g, w, moments, { learningRate: alpha, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad });
  }

  protected ownConfig(): Record<string, unknown> {
    return { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, amsgrad: this.amsgrad };
  }
}
