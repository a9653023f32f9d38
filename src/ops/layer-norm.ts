import { configError, dtypeError, formatShape, normalizeAxes, shapeError, shapesEqual, show } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { add, mul, rsqrt, square, sub } from './elementwise.js';
import { castTo, empty, requireFloat, toTensor, type Operand } from './helpers.js';
import { mean, sum } from './reduce.js';
import { reshape } from './shape.js';

export interface LayerNormOptions {
  /** The axis or axes normalized together (default -1); gamma and beta span them. */
  axis?: number | readonly number[];
  /** Added to the variance before the square root (default 1e-3, Keras's; PyTorch uses 1e-5). */
  epsilon?: number;
  /** Normalize by the root mean square without centring (RMS normalization; beta still adds). Default false. */
  rms?: boolean;
}

/** The normalized axes, sorted, and gamma / beta checked against the shape they span. */
function checkLayerNorm(x: Tensor, gamma: Operand | null, beta: Operand | null, options: LayerNormOptions) {
  const op = 'layerNorm';
  requireFloat(x, op);
  if (x.rank === 0) throw shapeError(op, { expected: 'expected an input with at least one axis to normalize', got: 'a scalar' });
  const axes = normalizeAxes(options.axis ?? -1, x.rank, op);
  if (axes.length === 0) throw configError(op, { expected: 'axis must name at least one axis', got: '[]' });
  const epsilon = options.epsilon ?? 1e-3;
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon < 0) {
    throw configError(op, { expected: 'epsilon must be a finite number >= 0', got: show(epsilon) });
  }
  const spanned = axes.map((a) => x.shape[a]!);
  const parameter = (value: Operand | null, role: string): Tensor | null => {
    if (value === null || value === undefined) return null;
    const t = toTensor(value, x);
    requireFloat(t, op, role);
    if (!shapesEqual(t.shape, spanned)) {
      throw shapeError(op, {
        expected: `${role} must have shape ${formatShape(spanned)}`,
        got: formatShape(t.shape),
        rule: `the sizes of the normalized axes [${axes.join(', ')}] of the input ${formatShape(x.shape)}`,
      });
    }
    if (t.dtype !== x.dtype) {
      throw dtypeError(op, { expected: `${role} must have the input's dtype, ${x.dtype}`, got: t.dtype, hint: 'cast one to match' });
    }
    return t;
  };
  return { axes, epsilon, rms: options.rms ?? false, gamma: parameter(gamma, 'gamma'), beta: parameter(beta, 'beta') };
}

/**
 * Layer normalization (Ba et al., 2016): each slice over `axis` is normalized by its own mean and
 * biased variance, `(x - mean) / sqrt(variance + epsilon) * gamma + beta`; gamma and beta (shape: the
 * sizes of the normalized axes, either may be null) broadcast over the other axes. With `rms: true`
 * the slice is divided by `sqrt(mean(x^2) + epsilon)` and not centred. Trailing axes run one fused
 * kernel forward and backward; other axes are composed from elementwise ops and reductions.
 *
 * ```ts
 * const x = nr.tensor([[1, 2, 3], [10, 20, 30]]);
 * nr.layerNorm(x, null, null).toArray(); // each row to mean 0, variance ~1: [[-1.22, 0, 1.22], ...]
 * ```
 */
export function layerNorm(input: Operand, gamma: Operand | null, beta: Operand | null, options: LayerNormOptions = {}): Tensor {
  const x = toTensor(input);
  const c = checkLayerNorm(x, gamma, beta, options);
  const first = c.axes[0]!;
  if (c.axes.some((a, i) => a !== first + i) || c.axes[c.axes.length - 1] !== x.rank - 1) return composed(x, c);
  const rows = x.shape.slice(0, first).reduce((p, d) => p * d, 1);
  const width = x.shape.slice(first).reduce((p, d) => p * d, 1);
  const data = <T extends Tensor | null>(t: T) => (t ? (t._data as Float32Array) : null);
  const out = empty(x.shape, x.dtype, 'layerNorm');
  const rowMean = empty([rows], x.dtype);
  const invStd = empty([rows], x.dtype);
  kernels().layerNorm(data(x)!, rows, width, data(c.gamma), data(c.beta), c.epsilon, c.rms, data(out)!, data(rowMean)!, data(invStd)!);
  const inputs = [x, ...(c.gamma ? [c.gamma] : []), ...(c.beta ? [c.beta] : [])];
  return record(
    'layerNorm',
    out,
    inputs,
    (grad, createGraph) => {
      if (createGraph) return gradientByOps(grad, x, c);
      const dx = empty(x.shape, x.dtype);
      const dGamma = c.gamma?.requiresGrad ? empty(c.gamma.shape, x.dtype) : null;
      const dBeta = c.beta?.requiresGrad ? empty(c.beta.shape, x.dtype) : null;
      kernels().layerNormBackward(
        data(x)!,
        data(castTo(grad, x.dtype))!,
        rows,
        width,
        data(c.gamma),
        data(rowMean)!,
        data(invStd)!,
        c.rms,
        data(dx)!,
        data(dGamma),
        data(dBeta),
      );
      return [x.requiresGrad ? dx : null, ...(c.gamma ? [dGamma] : []), ...(c.beta ? [dBeta] : [])];
    },
    true,
  );
}

type Checked = ReturnType<typeof checkLayerNorm>;

/** gamma or beta reshaped to broadcast against x: their sizes on the normalized axes, 1 elsewhere. */
function spread(t: Tensor, x: Tensor, axes: readonly number[]): Tensor {
  return reshape(
    t,
    x.shape.map((d, i) => (axes.includes(i) ? d : 1)),
  );
}

/** The statistics by ops: the centred input (x itself for rms) and 1 / sqrt(variance + epsilon). */
function moments(x: Tensor, c: Checked): { centred: Tensor; invStd: Tensor } {
  const centred = c.rms ? x : sub(x, mean(x, c.axes, true));
  return { centred, invStd: rsqrt(add(mean(square(centred), c.axes, true), c.epsilon)) };
}

function composed(x: Tensor, c: Checked): Tensor {
  const { centred, invStd } = moments(x, c);
  let out = mul(centred, invStd);
  if (c.gamma) out = mul(out, spread(c.gamma, x, c.axes));
  return c.beta ? add(out, spread(c.beta, x, c.axes)) : out;
}

/**
 * The fused rule written with differentiable ops (for higher-order gradients), the statistics
 * recomputed from x since the second derivative goes through them:
 * dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)), dxhat = g * gamma.
 */
function gradientByOps(g: Tensor, x: Tensor, c: Checked): (Tensor | null)[] {
  const { centred, invStd } = moments(x, c);
  const xhat = mul(centred, invStd);
  const dxhat = c.gamma ? mul(g, spread(c.gamma, x, c.axes)) : g;
  let inner = sub(dxhat, mul(xhat, mean(mul(dxhat, xhat), c.axes, true)));
  if (!c.rms) inner = sub(inner, mean(dxhat, c.axes, true));
  const others = x.shape.map((_, i) => i).filter((i) => !c.axes.includes(i));
  const perParameter = (t: Tensor) => reshape(sum(t, others), c.gamma?.shape ?? c.beta!.shape);
  return [
    x.requiresGrad ? mul(invStd, inner) : null,
    ...(c.gamma ? [c.gamma.requiresGrad ? perParameter(mul(g, xhat)) : null] : []),
    ...(c.beta ? [c.beta.requiresGrad ? perParameter(g) : null] : []),
  ];
}
