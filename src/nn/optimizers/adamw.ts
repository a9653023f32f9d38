import { parseArguments } from '../../core/index.js';
import { ADAM_TABLE, Adam, type AdamOptions } from './adam.js';
import type { OptimizerArguments } from './optimizer.js';

export interface AdamWOptions extends AdamOptions {
  /** Decoupled weight decay. Default 0.004. */
  weightDecay?: number;
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter). Before each Adam step (Keras 3 rule,
 * see Adam), `w -= w * weightDecay * lr`; PyTorch's AdamW multiplies by (1 - lr * weightDecay),
 * the same update. Defaults as Keras: learningRate 0.001, weightDecay 0.004.
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, -1]));
 * const adamw = new nr.optimizers.AdamW({ learningRate: 0.01, weightDecay: 0.1 });
 * adamw.applyGradients([[nr.tensor([0.5, 0.5]), w]]);
 * ```
 */
export class AdamW extends Adam {
  override readonly className: string = 'AdamW';

  constructor(...args: OptimizerArguments<AdamWOptions>) {
    const options = parseArguments<AdamWOptions>('AdamW', args, ADAM_TABLE.options);
    super({ ...options, weightDecay: options.weightDecay ?? 0.004 });
  }
}
