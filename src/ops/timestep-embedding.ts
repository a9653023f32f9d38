import { configError, show } from '../core/index.js';
import { type Tensor, tensor } from '../tensor/index.js';
import { cast, cos, mul, sin } from './elementwise.js';
import { toTensor, type Operand } from './helpers.js';
import { concat, expandDims, pad } from './shape.js';

export interface TimestepEmbeddingOptions {
  /** The longest period of the sinusoids, the base of the geometric frequencies (default 10000). */
  maxPeriod?: number;
}

/**
 * The sinusoidal timestep embedding of DDPM and guided-diffusion (`timestep_embedding` in OpenAI's
 * guided-diffusion): with `half = floor(dim / 2)` and `freq[i] = exp(-ln(maxPeriod) * i / half)`, the
 * output is `[cos(t * freq) | sin(t * freq)]`, cosines first, plus a zero column when `dim` is odd.
 * `t` (any shape, integer or fractional timesteps) gives `[...t.shape, dim]`, float32 for integer t,
 * else t's dtype; differentiable with respect to a float t.
 *
 * ```ts
 * nr.timestepEmbedding([0, 10], 4).toArray(); // [[1, 1, 0, 0], [cos 10, cos 0.1, sin 10, sin 0.1]]
 * ```
 */
export function timestepEmbedding(t: Operand, dim: number, options: TimestepEmbeddingOptions = {}): Tensor {
  const op = 'timestepEmbedding';
  if (!Number.isInteger(dim) || dim < 1) throw configError(op, { expected: 'dim must be a positive integer', got: show(dim) });
  const maxPeriod = options.maxPeriod ?? 10000;
  if (typeof maxPeriod !== 'number' || !(maxPeriod > 0) || !Number.isFinite(maxPeriod)) {
    throw configError(op, { expected: 'maxPeriod must be a finite number > 0', got: show(maxPeriod) });
  }
  let x = toTensor(t);
  if (x.dtype !== 'float32' && x.dtype !== 'float64') x = cast(x, 'float32');
  const half = Math.floor(dim / 2);
  const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(maxPeriod) * i) / half));
  const angles = mul(expandDims(x, -1), tensor(freqs, [half], x.dtype));
  const out = concat([cos(angles), sin(angles)], -1);
  return dim % 2 === 0 ? out : pad(out, [...x.shape.map(() => [0, 0] as const), [0, 1] as const]);
}
