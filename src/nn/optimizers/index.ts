import { configError, ownEntry, show } from '../../core/index.js';
import { Optimizer } from './optimizer.js';
import { SGD } from './sgd.js';
import { Adam } from './adam.js';
import { AdamW } from './adamw.js';
import { RMSprop } from './rmsprop.js';
import { Adagrad } from './adagrad.js';
import { Adadelta } from './adadelta.js';

export { Optimizer, type OptimizerOptions, type OptimizerState, type Slots } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, type AdamOptions } from './adam.js';
export { AdamW, type AdamWOptions } from './adamw.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { Adagrad, type AdagradOptions } from './adagrad.js';
export { Adadelta, type AdadeltaOptions } from './adadelta.js';
export {
  LearningRateSchedule,
  ExponentialDecay,
  PiecewiseConstantDecay,
  CosineDecay,
  deserializeSchedule,
  type ExponentialDecayOptions,
  type PiecewiseConstantDecayOptions,
  type CosineDecayOptions,
  type ScheduleConfig,
} from './schedules.js';

/** The optimizer names the types accept (Keras's class names and lower-case ones; any case works at run time). */
export type OptimizerName =
  | 'sgd'
  | 'SGD'
  | 'adam'
  | 'Adam'
  | 'adamw'
  | 'AdamW'
  | 'rmsprop'
  | 'RMSprop'
  | 'adagrad'
  | 'Adagrad'
  | 'adadelta'
  | 'Adadelta';

const OPTIMIZERS: Record<string, new (options?: never) => Optimizer> = {
  sgd: SGD,
  adam: Adam,
  adamw: AdamW,
  rmsprop: RMSprop,
  adagrad: Adagrad,
  adadelta: Adadelta,
};

/** 'AdamW', 'adam_w', 'adamW' -> 'adamw'. */
const normalize = (name: string) => name.replace(/[_\-\s]/g, '').toLowerCase();

/**
 * An optimizer from a name (Keras names, any case, snake_case or camelCase), with default options;
 * an Optimizer instance is returned as it is; `{className, config}` builds one with those options.
 *
 * ```ts
 * const adam = nr.optimizers.getOptimizer('adam');
 * const sgd = nr.optimizers.getOptimizer({ className: 'SGD', config: { learningRate: 0.1 } });
 * ```
 */
export function getOptimizer(identifier: string | Optimizer | { className: string; config?: Record<string, unknown> }): Optimizer {
  if (identifier instanceof Optimizer) return identifier;
  const name = typeof identifier === 'string' ? identifier : identifier?.className;
  const ctor = typeof name === 'string' ? ownEntry(OPTIMIZERS, normalize(name)) : undefined;
  if (!ctor) {
    // No `where`: compile and model.json put their own place in front of this message.
    throw configError('', {
      expected: `unknown optimizer ${show(name ?? identifier)}`,
      hint: `expected one of ${Object.keys(OPTIMIZERS)
        .map((n) => `'${n}'`)
        .join(', ')} or an Optimizer instance`,
    });
  }
  const config = typeof identifier === 'string' ? {} : { ...(identifier.config ?? {}) };
  return new ctor(config as never);
}
