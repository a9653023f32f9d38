import { isFloat, normalizeAxis, type FloatArray } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { add, exp, mul, sigmoid, square, sub } from './elementwise.js';
import { castTo, empty, requireFloat, toTensor, type Operand } from './helpers.js';
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

/**
 * The Gaussian error linear unit `x * Phi(x)`, Phi the standard normal's CDF: the exact form that
 * Keras's `gelu` and PyTorch's `gelu` compute by default. `approximate` (default false) uses the tanh
 * form `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))` instead. Integer inputs give float32.
 *
 * ```ts
 * nr.gelu(nr.tensor([-1, 0, 1])).toArray(); // [-0.1587, 0, 0.8413]
 * nr.gelu(nr.tensor([1]), true).toArray(); // [0.8412]
 * ```
 */
export function gelu(input: Operand, approximate = false): Tensor {
  let x = toTensor(input);
  if (!isFloat(x.dtype)) x = castTo(x, 'float32');
  const y = empty(x.shape, x.dtype);
  kernels().gelu(x._data as FloatArray, y._data as FloatArray, approximate);
  return record('gelu', y, [x], (g, createGraph) => [geluGradient(x, g, approximate, createGraph)], true);
}

/** g * gelu'(x) by the fused kernel, recorded (for higher orders) as an op of x and g, linear in g. */
function geluGradient(x: Tensor, g: Tensor, approximate: boolean, createGraph: boolean): Tensor {
  const dx = empty(x.shape, g.dtype);
  kernels().geluBackward(x._data as FloatArray, g._data as FloatArray, dx._data as FloatArray, approximate);
  if (!createGraph) return dx;
  return record(
    'geluBackward',
    dx,
    [x, g],
    (h, deeper) => [mul(mul(h, g), geluCurvature(x, approximate)), geluGradient(x, h, approximate, deeper)],
    true,
  );
}

const INV_SQRT_2PI = 0.3989422804014327;
const TANH_SCALE = 0.7978845608028654;
const TANH_CUBIC = 0.044715;

/**
 * gelu''(x) from differentiable ops: phi(x) (2 - x^2) for the exact form; for the tanh form, with
 * p = sigmoid(2u), u = sqrt(2 / pi) (x + 0.044715 x^3), it is 2p' + x p'' where p' = 2u' p (1 - p).
 */
function geluCurvature(x: Tensor, approximate: boolean): Tensor {
  const x2 = square(x);
  if (!approximate) return mul(mul(exp(mul(x2, -0.5)), sub(2, x2)), INV_SQRT_2PI);
  const p = sigmoid(mul(mul(x, add(mul(x2, TANH_CUBIC), 1)), 2 * TANH_SCALE));
  const spread = mul(p, sub(1, p));
  const slope = mul(add(mul(x2, 3 * TANH_CUBIC), 1), 2 * TANH_SCALE);
  // p'' = 2u'' p (1 - p) + 2u' p' (1 - 2p), 2u'' = 12 sqrt(2 / pi) 0.044715 x.
  const p1 = mul(slope, spread);
  const p2 = add(mul(mul(x, 6 * TANH_CUBIC * 2 * TANH_SCALE), spread), mul(mul(slope, p1), sub(1, mul(p, 2))));
  return add(mul(p1, 2), mul(x, p2));
}
