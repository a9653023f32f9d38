import { normalizeAxis } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, record } from '../tensor/index.js';
import { exp, mul, sub } from './elementwise.js';
import { empty, requireFloat, toTensor, type Operand } from './helpers.js';
import { sum } from './reduce.js';

function axisView(x: Tensor, axis: number, op: string) {
  const a = normalizeAxis(axis, x.rank, op);
  return {
    axis: a,
    view: {
      outer: x.shape.slice(0, a).reduce((p, d) => p * d, 1),
      length: x.shape[a]!,
      inner: x.shape.slice(a + 1).reduce((p, d) => p * d, 1),
    },
  };
}

/**
 * exp(x) / sum(exp(x)) along `axis` (default the last), computed stably, with the gradient rule
 * below; this op knows nothing of losses. The one path that skips that rule is named elsewhere:
 * `model.compile` gives a classifier head (an output that a built-in layer computes as a softmax
 * over the last axis, trained with categorical crossentropy on probabilities) a
 * `nr.losses.FusedSoftmaxCrossentropy`, and fit's step hands it the logits, read as the input of
 * this op's recorded node; its gradient goes to them in one step (ops/crossentropy.ts).
 *
 * ```ts
 * nr.tensor([1, 2, 3]).softmax().toArray(); // [0.090, 0.245, 0.665]
 * ```
 */
export function softmax(input: Operand, axis = -1): Tensor {
  const x = toTensor(input);
  requireFloat(x, 'softmax');
  const { axis: a, view } = axisView(x, axis, 'softmax');
  const y = empty(x.shape, x.dtype);
  if (x.size > 0) kernels().softmax(x._data as Float32Array, view, y._data as Float32Array);
  // dx = y * (g - sum(g * y))
  return record('softmax', y, [x], (g) => [mul(y, sub(g, sum(mul(g, y), a, true)))], true);
}

/** x - logsumexp(x) along `axis` (default the last), computed stably. */
export function logSoftmax(input: Operand, axis = -1): Tensor {
  const x = toTensor(input);
  requireFloat(x, 'logSoftmax');
  const { axis: a, view } = axisView(x, axis, 'logSoftmax');
  const y = empty(x.shape, x.dtype);
  if (x.size > 0) kernels().logSoftmax(x._data as Float32Array, view, y._data as Float32Array);
  // dx = g - softmax(x) * sum(g)
  return record('logSoftmax', y, [x], (g) => [sub(g, mul(exp(y), sum(g, a, true)))], true);
}
