import { configError, dtypeError, formatShape, normalizeAxes, shapeError, show } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { add, mul, rsqrt, square, sub } from './elementwise.js';
import { castTo, empty, requireFloat, toTensor, unfilled, type Operand } from './helpers.js';
import { mean, sum } from './reduce.js';
import { reshape, transpose } from './shape.js';

export interface GroupNormOptions {
  /** The channel axis (default -1, channels last as neurona's images); every other axis but the first is normalized. */
  axis?: number;
  /** Added to the variance before the square root (default 1e-3, Keras's; PyTorch's GroupNorm uses 1e-5). */
  epsilon?: number;
}

function checkGroupNorm(x: Tensor, groups: number, gamma: Operand | null, beta: Operand | null, options: GroupNormOptions) {
  const op = 'groupNorm';
  requireFloat(x, op);
  if (x.rank < 2) throw shapeError(op, { expected: 'expected an input [batch, ..., channels] of rank >= 2', got: formatShape(x.shape) });
  const [axis] = normalizeAxes(options.axis ?? -1, x.rank, op);
  if (axis === 0) throw configError(op, { expected: 'axis must be a channel axis, not the batch axis 0', got: show(options.axis) });
  const channels = x.shape[axis!]!;
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw configError(op, {
      expected: `groups must be a positive integer dividing the ${channels} channels of axis ${axis}`,
      got: show(groups),
      hint: 'pick a divisor of the channel count (groups = channels is instance norm, 1 is layer norm over all axes)',
    });
  }
  const epsilon = options.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw configError(op, { expected: 'epsilon must be a finite number >= 0', got: show(epsilon) });
  }
  const parameter = (value: Operand | null, role: string): Tensor | null => {
    if (value === null || value === undefined) return null;
    const t = toTensor(value, x);
    requireFloat(t, op, role);
    if (t.rank !== 1 || t.shape[0] !== channels) {
      throw shapeError(op, {
        expected: `${role} must have shape [${channels}], the channels of the input ${formatShape(x.shape)}`,
        got: formatShape(t.shape),
      });
    }
    if (t.dtype !== x.dtype) {
      throw dtypeError(op, { expected: `${role} must have the input's dtype, ${x.dtype}`, got: t.dtype, hint: 'cast one to match' });
    }
    return t;
  };
  return { axis: axis!, groups, epsilon, gamma: parameter(gamma, 'gamma'), beta: parameter(beta, 'beta') };
}

type Checked = ReturnType<typeof checkGroupNorm>;

/**
 * Group normalization (Wu and He, 2018): the channels are cut into `groups` contiguous groups and each
 * sample is normalized per group over its channels and all its other axes, `(x - mean) / sqrt(variance
 * + epsilon) * gamma[c] + beta[c]` (biased variance; gamma and beta `[channels]`, either may be null).
 * Channels last runs one fused kernel forward and backward (js and native); another `axis` is moved
 * last and back. Matches `torch.nn.functional.group_norm` on the NCHW-transposed input.
 *
 * ```ts
 * const x = nr.randn([2, 4, 4, 8]); // NHWC
 * nr.groupNorm(x, 4, null, null).shape; // [2, 4, 4, 8]: each image's 4 groups of 2 channels to mean 0, variance ~1
 * ```
 */
export function groupNorm(
  input: Operand,
  groups: number,
  gamma: Operand | null,
  beta: Operand | null,
  options: GroupNormOptions = {},
): Tensor {
  const x = toTensor(input);
  const c = checkGroupNorm(x, groups, gamma, beta, options);
  if (c.axis !== x.rank - 1) {
    const perm = [...x.shape.keys()].filter((a) => a !== c.axis).concat(c.axis);
    const inverse = perm.map((_, i) => perm.indexOf(i));
    return transpose(groupNorm(transpose(x, perm), groups, c.gamma, c.beta, { epsilon: c.epsilon }), inverse);
  }
  const batch = x.shape[0]!;
  const channels = x.shape[x.rank - 1]!;
  const spatial = x.size / Math.max(1, batch * channels);
  const data = <T extends Tensor | null>(t: T) => (t ? (t._data as Float32Array) : null);
  const out = unfilled(x.shape, x.dtype, 'groupNorm');
  const groupMean = empty([batch * groups], x.dtype);
  const invStd = empty([batch * groups], x.dtype);
  if (x.size > 0) {
    kernels().groupNorm(
      data(x)!,
      batch,
      spatial,
      channels,
      groups,
      data(c.gamma),
      data(c.beta),
      c.epsilon,
      data(out)!,
      data(groupMean)!,
      data(invStd)!,
    );
  }
  const inputs = [x, ...(c.gamma ? [c.gamma] : []), ...(c.beta ? [c.beta] : [])];
  return record(
    'groupNorm',
    out,
    inputs,
    (grad, createGraph) => {
      if (createGraph) return gradientByOps(grad, x, c);
      const dx = unfilled(x.shape, x.dtype);
      const dGamma = c.gamma?.requiresGrad ? empty(c.gamma.shape, x.dtype) : null;
      const dBeta = c.beta?.requiresGrad ? empty(c.beta.shape, x.dtype) : null;
      if (x.size > 0) {
        const g = data(castTo(grad, x.dtype))!;
        kernels().groupNormBackward(
          data(x)!,
          g,
          batch,
          spatial,
          channels,
          groups,
          data(c.gamma),
          data(groupMean)!,
          data(invStd)!,
          data(dx)!,
          data(dGamma),
          data(dBeta),
        );
      }
      return [x.requiresGrad ? dx : null, ...(c.gamma ? [dGamma] : []), ...(c.beta ? [dBeta] : [])];
    },
    true,
  );
}

/**
 * The fused rule with differentiable ops (for higher-order gradients) on x seen as [batch, spatial,
 * groups, size]: dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * gamma.
 */
function gradientByOps(g: Tensor, x: Tensor, c: Checked): (Tensor | null)[] {
  const channels = x.shape[x.rank - 1]!;
  const grouped = [x.shape[0]!, -1, c.groups, channels / c.groups];
  const x4 = reshape(x, grouped);
  const centred = sub(x4, mean(x4, [1, 3], true));
  const invStd = rsqrt(add(mean(square(centred), [1, 3], true), c.epsilon));
  const xhat = mul(centred, invStd);
  const dxhat = reshape(c.gamma ? mul(g, c.gamma) : g, grouped);
  const inner = sub(sub(dxhat, mean(dxhat, [1, 3], true)), mul(xhat, mean(mul(dxhat, xhat), [1, 3], true)));
  const others = [...x.shape.keys()].slice(0, -1);
  return [
    x.requiresGrad ? reshape(mul(invStd, inner), x.shape) : null,
    ...(c.gamma ? [c.gamma.requiresGrad ? sum(mul(g, reshape(xhat, x.shape)), others) : null] : []),
    ...(c.beta ? [c.beta.requiresGrad ? sum(g, others) : null] : []),
  ];
}
