import { configError, ownEntry, show, type KerasName } from '../core/index.js';
import { type Tensor, record } from '../tensor/index.js';
import * as ops from '../ops/index.js';

/*
 * Activation functions by Keras name. Each is a function of a tensor built from differentiable ops.
 * `sign` and `step` (perceptron units) have no useful gradient: training through them raises an
 * error that says so instead of silently producing zero gradients.
 */

export type ActivationFn = (x: Tensor) => Tensor;
/** The activation names the types accept (any spelling of them works at run time, see KerasName). */
export type ActivationName = KerasName<(typeof ACTIVATION_NAMES)[number]>;
export type ActivationIdentifier = ActivationName | ActivationFn | null | undefined;

function noGradient(name: string, forward: (x: Tensor) => Tensor): ActivationFn {
  // Marked differentiable so that a higher-order pass reaches the rule and shows its clearer error.
  return (x) =>
    record(
      name,
      forward(x),
      [x],
      () => {
        throw configError('', {
          expected:
            `activation '${name}' has no gradient (it is piecewise constant), ` +
            'so a model cannot be trained through it with backpropagation',
          hint: `use the perceptron learning rule (nr.Perceptron) or a smooth activation such as 'sigmoid' or 'tanh'`,
        });
      },
      true,
    );
}

const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

const ACTIVATIONS: Record<string, ActivationFn> = {
  linear: (x) => x,
  sigmoid: ops.sigmoid,
  tanh: ops.tanh,
  relu: ops.relu,
  relu6: ops.relu6,
  leakyrelu: (x) => ops.leakyRelu(x, 0.2), // Keras's activations.leaky_relu default negative_slope
  softmax: (x) => ops.softmax(x, -1),
  elu: (x) => ops.elu(x, 1),
  selu: (x) => ops.mul(ops.elu(x, SELU_ALPHA), SELU_SCALE),
  gelu: (x) => ops.gelu(x), // Keras's default, the exact erf form
  swish: (x) => ops.silu(x),
  silu: (x) => ops.silu(x),
  softplus: ops.softplus,
  softsign: (x) => ops.div(x, ops.add(ops.abs(x), 1)),
  // Keras 3: relu6(x + 3) / 6, i.e. clip(x / 6 + 0.5, 0, 1).
  hardsigmoid: (x) => ops.clip(ops.add(ops.div(x, 6), 0.5), 0, 1),
  // MobileNetV3's hard swish; Keras 3 calls it hard_silu and keeps hard_swish as an alias.
  hardsilu: (x) => ops.mul(x, ops.clip(ops.add(ops.div(x, 6), 0.5), 0, 1)),
  hardswish: (x) => ops.mul(x, ops.clip(ops.add(ops.div(x, 6), 0.5), 0, 1)),
  exponential: ops.exp,
  sign: noGradient('sign', (x) => ops.sign(x)),
  step: noGradient('step', (x) => ops.cast(ops.greaterEqual(x, 0), x.dtype)),
};

/** Valid activation names (snake_case or camelCase). */
export const ACTIVATION_NAMES = [
  'linear',
  'sigmoid',
  'tanh',
  'relu',
  'relu6',
  'leaky_relu',
  'softmax',
  'elu',
  'selu',
  'gelu',
  'swish',
  'silu',
  'softplus',
  'softsign',
  'hard_sigmoid',
  'hard_silu',
  'hard_swish',
  'exponential',
  'sign',
  'step',
] as const;

/**
 * Resolves an activation by name (`'relu'`, `'leaky_relu'` = `'leakyRelu'`), or passes a function
 * through; `null`/`undefined` mean linear.
 *
 * ```ts
 * const act = nr.activations.getActivation('relu');
 * act(nr.tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export function getActivation(identifier: ActivationIdentifier | string, where = 'activation'): ActivationFn {
  if (identifier === null || identifier === undefined) return ACTIVATIONS.linear!;
  if (typeof identifier === 'function') return identifier;
  const fn = typeof identifier === 'string' ? ownEntry(ACTIVATIONS, identifier.replace(/_/g, '').toLowerCase()) : undefined;
  if (!fn) {
    throw configError(where, {
      expected: `unknown activation ${show(identifier)}`,
      hint: `valid names are ${ACTIVATION_NAMES.join(', ')}`,
    });
  }
  return fn;
}

/** The canonical snake_case name of an activation identifier, for getConfig (functions: 'custom'). */
export function activationName(identifier: ActivationIdentifier | string): string {
  if (identifier === null || identifier === undefined) return 'linear';
  if (typeof identifier === 'function') return identifier.name || 'custom';
  const key = identifier.replace(/_/g, '').toLowerCase();
  return ACTIVATION_NAMES.find((n) => n.replace(/_/g, '') === key) ?? identifier;
}
