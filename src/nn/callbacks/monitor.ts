import { configError, show } from '../../core/index.js';

export type MonitorMode = 'auto' | 'min' | 'max';

/** Metrics that improve upwards; everything else named here improves downwards. */
const HIGHER_IS_BETTER = /^(acc|accuracy|.*_accuracy|auc|precision|recall|f1_score|r2_score)$/;
const LOWER_IS_BETTER =
  /^(loss|.*_loss|mse|mae|mape|msle|.*error|.*crossentropy|hinge|squared_hinge|categorical_hinge|kl_divergence|poisson|log_cosh)$/;

/**
 * Whether `monitor` improves when it falls ('min') or rises ('max'). 'auto' reads the metric name
 * (without `val_`) like Keras 3 reads the metric's direction; an unknown name is a ConfigError that
 * asks for an explicit mode, as Keras raises.
 */
export function resolveMode(owner: string, monitor: string, mode: MonitorMode): 'min' | 'max' {
  if (mode !== 'auto') return mode;
  const name = monitor.replace(/^val_/, '');
  if (LOWER_IS_BETTER.test(name)) return 'min';
  if (HIGHER_IS_BETTER.test(name)) return 'max';
  throw configError(owner, {
    expected: `cannot tell whether monitor ${JSON.stringify(monitor)} should be minimized or maximized`,
    hint: "pass mode: 'min' or mode: 'max'",
  });
}

export function checkMode(owner: string, mode: unknown): MonitorMode {
  if (mode !== 'auto' && mode !== 'min' && mode !== 'max') {
    throw configError(owner, { expected: "option mode must be 'auto', 'min' or 'max'", got: show(mode) });
  }
  return mode;
}

export function checkNumber(owner: string, option: string, value: unknown, { min = -Infinity, integer = false } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < min || (integer && !Number.isInteger(value))) {
    const rule = `${integer ? 'an integer' : 'a number'}${min > -Infinity ? ` >= ${min}` : ''}`;
    throw configError(owner, { expected: `option ${option} must be ${rule}`, got: show(value) });
  }
  return value;
}

/** The one-line text Keras warns with when the monitored key is missing from the logs. */
export function missingMonitorText(owner: string, monitor: string, logs: Record<string, number>): string {
  return `${owner} is conditioned on metric "${monitor}", which is not in the logs; available: ${Object.keys(logs).join(', ') || '(none)'}`;
}
