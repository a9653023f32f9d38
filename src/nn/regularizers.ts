import { configError, show } from '../core/index.js';
import type { Tensor } from '../tensor/index.js';
import * as ops from '../ops/index.js';

/** A weight penalty added to the loss: `(w) => scalar`. */
export type Regularizer = ((w: Tensor) => Tensor) & { config?: { className: string; config: Record<string, number> } };
export type RegularizerIdentifier = string | Regularizer | { className: string; config?: Record<string, number> } | null | undefined;

function check(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw configError(`regularizers.${name}`, { expected: 'factor must be a finite number >= 0', got: show(value) });
  }
  return value;
}

/** l1 * sum(|w|) + l2 * sum(w^2), Keras's L1L2 (defaults 0). */
export function l1l2({ l1 = 0, l2 = 0 }: { l1?: number; l2?: number } = {}): Regularizer {
  check('l1l2', l1);
  check('l1l2', l2);
  const fn: Regularizer = (w) => {
    let penalty = ops.mul(ops.sum(ops.abs(w)), l1);
    if (l2 !== 0) penalty = ops.add(penalty, ops.mul(ops.sum(ops.square(w)), l2));
    return penalty;
  };
  fn.config = { className: 'L1L2', config: { l1, l2 } };
  return fn;
}

/** l1 * sum(|w|) (Keras default factor 0.01). `kernelRegularizer: nr.regularizers.l1(0.001)` */
export function l1(factor = 0.01): Regularizer {
  const fn = l1l2({ l1: check('l1', factor) });
  fn.config = { className: 'L1', config: { l1: factor } };
  return fn;
}

/** l2 * sum(w^2) (Keras default factor 0.01). */
export function l2(factor = 0.01): Regularizer {
  const fn = l1l2({ l2: check('l2', factor) });
  fn.config = { className: 'L2', config: { l2: factor } };
  return fn;
}

/** Resolves `'l1'`, `'l2'`, `'l1_l2'`, a config object or a function (null: none). */
export function getRegularizer(identifier: RegularizerIdentifier): Regularizer | null {
  if (identifier === null || identifier === undefined) return null;
  if (typeof identifier === 'function') return identifier;
  const name = typeof identifier === 'string' ? identifier : identifier.className;
  const config = typeof identifier === 'string' ? {} : (identifier.config ?? {});
  switch (name.replace(/_/g, '').toLowerCase()) {
    case 'l1':
      return l1(config.l1);
    case 'l2':
      return l2(config.l2);
    case 'l1l2':
      return l1l2(config);
    default:
      throw configError('getRegularizer', { expected: `unknown regularizer ${show(name)}`, hint: 'valid names are l1, l2, l1_l2' });
  }
}
