import { configError, dtypeError, formatShape, hostArray, normalizeAxis, releaseFloat32, shapeError, show } from '../core/index.js';
import { kernels, type AxisView } from '../backend/index.js';
import { Tensor, isGradEnabled, record, takeOverwrite } from '../tensor/index.js';
import { add, mul, rsqrt, square, sub } from './elementwise.js';
import { castTo, empty, requireFloat, toTensor, unfilled, type Operand } from './helpers.js';
import { mean as meanOf, sum } from './reduce.js';
import { reshape } from './shape.js';

export interface BatchNormOptions {
  /** The channel axis: one mean and variance per index along it (default -1, channels last). */
  axis?: number;
  /** Added to the variance before the square root (default 1e-3, Keras's). */
  epsilon?: number;
}

export interface BatchNormResult {
  /** `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, same shape as x. */
  output: Tensor;
  /** The batch mean of each channel, [channels] (carries no gradient). */
  mean: Tensor;
  /** The biased (divide by n) batch variance of each channel, [channels] (carries no gradient). */
  variance: Tensor;
}

interface Checked {
  x: Tensor;
  axis: number;
  channels: number;
  epsilon: number;
}

function checkInput(input: Operand, options: BatchNormOptions, op: string): Checked {
  const x = toTensor(input);
  requireFloat(x, op);
  if (x.rank === 0) throw shapeError(op, { expected: 'expected an input with a channel axis', got: 'a scalar' });
  const axis = normalizeAxis(options.axis ?? -1, x.rank, op);
  const epsilon = options.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw configError(op, { expected: 'epsilon must be a finite number >= 0', got: show(epsilon) });
  }
  return { x, axis, channels: x.shape[axis]!, epsilon };
}

/** A per-channel parameter as a tensor of shape [channels] and x's dtype, or null when absent. */
function channelParameter(value: Operand | null | undefined, c: Checked, op: string, role: string): Tensor | null {
  if (value === null || value === undefined) return null;
  const t = toTensor(value, c.x);
  requireFloat(t, op, role);
  if (t.rank !== 1 || t.shape[0] !== c.channels) {
    throw shapeError(op, {
      expected: `${role} must have shape [${c.channels}]`,
      got: formatShape(t.shape),
      rule: `one value per index of axis ${c.axis} of the input ${formatShape(c.x.shape)}`,
    });
  }
  if (t.dtype !== c.x.dtype) {
    throw dtypeError(op, {
      expected: `${role} must have the dtype of the input, ${c.x.dtype} ${formatShape(c.x.shape)}`,
      got: t.dtype,
      hint: 'cast one to match',
    });
  }
  return t;
}

/**
 * Batch normalization in training mode: normalizes each channel (index along `axis`) with the mean
 * and biased variance of the batch, then scales by `gamma` and shifts by `beta` (either may be null,
 * meaning 1 and 0, like Keras's `scale`/`center` false). Returns the output and the batch statistics
 * (for the moving averages of a BatchNormalization layer). Gradients flow to x, gamma and beta.
 *
 * ```ts
 * const x = nr.randn([8, 4, 4, 3]);
 * const { output, mean, variance } = nr.batchNorm(x, nr.ones([3]), nr.zeros([3]));
 * output.shape; // [8, 4, 4, 3]; mean.shape and variance.shape: [3]
 * ```
 */
export function batchNorm(input: Operand, gamma: Operand | null, beta: Operand | null, options: BatchNormOptions = {}): BatchNormResult {
  const op = 'batchNorm';
  const c = checkInput(input, options, op);
  const { x, axis, channels, epsilon } = c;
  const scale = channelParameter(gamma, c, op, 'gamma');
  const center = channelParameter(beta, c, op, 'beta');
  const view: AxisView = {
    outer: x.shape.slice(0, axis).reduce((p, d) => p * d, 1),
    length: channels,
    inner: x.shape.slice(axis + 1).reduce((p, d) => p * d, 1),
  };
  if (view.outer * view.inner === 0) {
    throw shapeError(op, { expected: 'the input must have values per channel to take statistics over', got: formatShape(x.shape) });
  }
  const ones = (): Float32Array => {
    const t = empty([channels], x.dtype)._data as Float32Array;
    t.fill(1);
    return t;
  };
  const gammaData = scale ? (scale._data as Float32Array) : ones();
  const betaData = center ? (center._data as Float32Array) : (empty([channels], x.dtype)._data as Float32Array);
  // The kernel assigns every element of all three (on every backend): recycled storage is not zeroed first.
  const output = unfilled(x.shape, x.dtype);
  const mean = unfilled([channels], x.dtype);
  const invStd = unfilled([channels], x.dtype);
  kernels().batchNormTraining(
    x._data as Float32Array,
    view,
    gammaData,
    betaData,
    epsilon,
    output._data as Float32Array,
    mean._data as Float32Array,
    invStd._data as Float32Array,
  );
  // variance = 1 / invStd^2 - epsilon, in float64: its absolute error is about 1e-7 * (variance +
  // epsilon) in float32, below the float32 resolution of the variance itself once variance >= epsilon.
  const variance = empty([channels], x.dtype);
  const r = hostArray(invStd._data);
  const v = variance._data;
  for (let l = 0; l < channels; l++) v[l] = Math.max(1 / (r[l]! * r[l]!) - epsilon, 0);
  const inputs = [x, ...(scale ? [scale] : []), ...(center ? [center] : [])];
  record(
    op,
    output,
    inputs,
    (grad, createGraph) => {
      if (createGraph) return batchNormGradientByOps(grad, x, axis, epsilon, scale, center);
      const dx = unfilled(x.shape, x.dtype);
      const dGamma = unfilled([channels], x.dtype);
      const dBeta = unfilled([channels], x.dtype);
      kernels().batchNormBackward(
        x._data as Float32Array,
        castTo(grad, x.dtype)._data as Float32Array,
        view,
        gammaData,
        mean._data as Float32Array,
        invStd._data as Float32Array,
        dx._data as Float32Array,
        dGamma._data as Float32Array,
        dBeta._data as Float32Array,
      );
      return [x.requiresGrad ? dx : null, ...(scale ? [dGamma] : []), ...(center ? [dBeta] : [])];
    },
    true,
  );
  return { output, mean, variance };
}

/**
 * batchNorm's gradients built from differentiable ops (for higher-order gradients). The statistics
 * are recomputed from x by ops, since the second derivative goes through them:
 * dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) with dxhat = g * gamma.
 */
function batchNormGradientByOps(
  g: Tensor,
  x: Tensor,
  axis: number,
  epsilon: number,
  gamma: Tensor | null,
  beta: Tensor | null,
): (Tensor | null)[] {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== axis);
  const perChannel = (t: Tensor) => reshape(t, [x.shape[axis]!, ...new Array<number>(x.rank - axis - 1).fill(1)]);
  const centered = sub(x, meanOf(x, axes, true));
  const invStd = rsqrt(add(meanOf(square(centered), axes, true), epsilon));
  const normalized = mul(centered, invStd);
  const dNormalized = gamma ? mul(g, perChannel(gamma)) : g;
  const dx = x.requiresGrad
    ? mul(invStd, sub(sub(dNormalized, meanOf(dNormalized, axes, true)), mul(normalized, meanOf(mul(dNormalized, normalized), axes, true))))
    : null;
  const dGamma = gamma?.requiresGrad ? sum(mul(g, normalized), axes) : null;
  const dBeta = beta?.requiresGrad ? sum(g, axes) : null;
  return [dx, ...(gamma ? [dGamma] : []), ...(beta ? [dBeta] : [])];
}

/**
 * Batch normalization in inference mode, with given (moving) statistics:
 * `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, each a [channels] tensor applied along
 * `axis` (gamma/beta may be null). Composed from elementwise ops, so gradients flow to every input.
 *
 * ```ts
 * const y = nr.batchNormInference(nr.randn([2, 3]), nr.zeros([3]), nr.ones([3]), null, null, { epsilon: 0 });
 * ```
 */
export function batchNormInference(
  input: Operand,
  mean: Operand,
  variance: Operand,
  gamma: Operand | null,
  beta: Operand | null,
  options: BatchNormOptions = {},
): Tensor {
  const op = 'batchNormInference';
  const c = checkInput(input, options, op);
  const { x, axis } = c;
  const trailing = new Array<number>(x.rank - axis - 1).fill(1);
  const shaped = (t: Tensor) => reshape(t, [c.channels, ...trailing]);
  if (mean === null || mean === undefined || variance === null || variance === undefined) {
    const missing = (
      [
        ['mean', mean],
        ['variance', variance],
      ] as const
    ).filter(([, v]) => v === null || v === undefined);
    throw configError(op, {
      expected: 'mean and variance are required (the moving statistics)',
      got: missing.map(([name, v]) => `${name} ${v}`).join(' and '),
      hint: 'only gamma and beta may be null',
    });
  }
  const m = channelParameter(mean, c, op, 'mean')!;
  const v = channelParameter(variance, c, op, 'variance')!;
  const scale = channelParameter(gamma, c, op, 'gamma');
  const center = channelParameter(beta, c, op, 'beta');
  // Folded like Keras: x * k + (beta - mean * k) with k = gamma / sqrt(variance + epsilon), so the
  // full-size tensor goes through two ops and the rest works on [channels].
  let k = rsqrt(add(v, c.epsilon));
  if (scale) k = mul(k, scale);
  let shift = mul(m, k);
  shift = center ? sub(center, shift) : mul(shift, -1);
  // In inference, a model may offer x (a convolution's output nothing else reads): both passes then
  // write over it, the same arithmetic in the same order (k and shift have x's dtype: channelParameter).
  if (!isGradEnabled() && takeOverwrite(x)) {
    const [ks, shifts] = [shaped(k), shaped(shift)];
    const table = kernels();
    table.binary('mul', x._data, x.shape, ks._data, ks.shape, x._data, x.shape);
    table.binary('add', x._data, x.shape, shifts._data, shifts.shape, x._data, x.shape);
    return new Tensor(x._data, x.shape, x.dtype);
  }
  const scaled = mul(x, shaped(k));
  const out = add(scaled, shaped(shift));
  // Without a tape nothing else holds the full-size product: its storage goes straight back to the
  // pool for the next layer, instead of waiting for the garbage collector (a BatchNormalization in
  // ResNet50's first stage makes 100 MB of it per batch of 32).
  if (!isGradEnabled() && scaled._data.buffer !== x._data.buffer && scaled._data instanceof Float32Array) {
    releaseFloat32([scaled._data]);
  }
  return out;
}
