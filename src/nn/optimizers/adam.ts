import { FusedOptimizer, defineOptimizer, type OptimizerArguments, type OptimizerOptions } from './optimizer.js';

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

/** Adam's table; AdamW takes the same options. Keras spells the betas beta_1 and beta_2. */
export const ADAM_TABLE = defineOptimizer<AdamOptions>({
  learningRate: 0.001,
  rule: 'adam',
  hyperparameters: {
    beta1: { default: 0.9, range: 'a number in [0, 1)' },
    beta2: { default: 0.999, range: 'a number in [0, 1)' },
    epsilon: { default: 1e-7, range: 'a finite number >= 0' },
    amsgrad: { default: false },
  },
  aliases: { beta_1: 'beta1', beta_2: 'beta2' },
  slots: ({ amsgrad }) => ({ m: 0, v: 0, ...(amsgrad ? { vHat: 0 } : {}) }),
});

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
export class Adam extends FusedOptimizer {
  readonly className: string = 'Adam';
  declare readonly beta1: number;
  declare readonly beta2: number;
  declare readonly epsilon: number;
  declare readonly amsgrad: boolean;

  constructor(...args: OptimizerArguments<AdamOptions>) {
    // AdamW passes its parsed options on; errors name the class being built.
    super(new.target.name, args, ADAM_TABLE);
  }

  protected override stepSize(lr: number, t: number): number {
    return (lr * Math.sqrt(1 - this.beta2 ** t)) / (1 - this.beta1 ** t);
  }
}
