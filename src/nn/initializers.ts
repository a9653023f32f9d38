import { configError, globalRandom, type DType, nearestName, ownEntry, show } from '../core/index.js';
import { type Tensor, full, randn, randu, tensor, zeros } from '../tensor/index.js';

/*
 * Weight initializers with Keras 3's names and defaults. Variance-scaling initializers compute
 * fan-in / fan-out as Keras does: a dense kernel [in, out] has fanIn = in, fanOut = out; a conv
 * kernel [kh, kw, in, out] multiplies both by kh * kw.
 */

export type Initializer = (shape: readonly number[], dtype?: DType) => Tensor;
export type InitializerIdentifier = string | Initializer | { className: string; config?: Record<string, unknown> };

export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length === 0) return { fanIn: 1, fanOut: 1 };
  if (shape.length === 1) return { fanIn: shape[0]!, fanOut: shape[0]! };
  if (shape.length === 2) return { fanIn: shape[0]!, fanOut: shape[1]! };
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape.at(-2)! * receptive, fanOut: shape.at(-1)! * receptive };
}

/** Normal samples redrawn until within two standard deviations (Keras's truncated normal). */
export function truncatedNormal(shape: readonly number[], mean = 0, stddev = 0.05, dtype: DType = 'float32'): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  const values = new Float64Array(size);
  const random = globalRandom();
  for (let i = 0; i < size; i++) {
    let v: number;
    do v = random.nextNormal();
    while (v < -2 || v > 2);
    values[i] = mean + stddev * v;
  }
  return tensor(values, [...shape], dtype);
}

type Mode = 'fanIn' | 'fanOut' | 'fanAvg';
type Distribution = 'truncatedNormal' | 'untruncatedNormal' | 'uniform';

/** Keras's VarianceScaling: variance scale / n, n chosen by `mode`. */
export function varianceScaling(scale: number, mode: Mode, distribution: Distribution): Initializer {
  return (shape, dtype = 'float32') => {
    const { fanIn, fanOut } = fans(shape);
    const n = Math.max(1, mode === 'fanIn' ? fanIn : mode === 'fanOut' ? fanOut : (fanIn + fanOut) / 2);
    const variance = scale / n;
    if (distribution === 'uniform') {
      const limit = Math.sqrt(3 * variance);
      return randu(shape, { low: -limit, high: limit, dtype });
    }
    if (distribution === 'untruncatedNormal') return randn(shape, { std: Math.sqrt(variance), dtype });
    // 0.8796... is the standard deviation of a unit normal truncated to [-2, 2].
    return truncatedNormal(shape, 0, Math.sqrt(variance) / 0.87962566103423978, dtype);
  };
}

const MODES: Record<string, Mode> = { fanin: 'fanIn', fanout: 'fanOut', fanavg: 'fanAvg' };
// Keras's 'normal' is the truncated one (kept for old configs).
const DISTRIBUTIONS: Record<string, Distribution> = {
  truncatednormal: 'truncatedNormal',
  normal: 'truncatedNormal',
  untruncatednormal: 'untruncatedNormal',
  uniform: 'uniform',
};

/** VarianceScaling from a Keras config (`{scale: 2, mode: 'fan_out', distribution: 'truncated_normal'}`, EfficientNet's). */
function varianceScalingFromConfig(config: Record<string, unknown>): Initializer {
  const { scale = 1, mode = 'fan_in', distribution = 'truncated_normal', seed = null } = config;
  const keys = ['scale', 'mode', 'distribution', 'seed'];
  for (const key of Object.keys(config)) {
    if (keys.includes(key)) continue;
    const near = nearestName(key, keys);
    throw configError('VarianceScaling', {
      expected: `config keys are ${keys.join(', ')}`,
      got: `unknown key ${show(key)}`,
      ...(near ? { hint: `did you mean '${near}'?` } : {}),
    });
  }
  if (seed !== null) {
    // Keras seeds each initializer; here one global seed drives them all.
    throw configError('VarianceScaling', { expected: 'seed must be null', got: show(seed), hint: 'seed neurona once with nr.setSeed(n)' });
  }
  const pick = <T>(table: Record<string, T>, value: unknown, option: string, valid: string): T => {
    const found = typeof value === 'string' ? ownEntry(table, canonical(value)) : undefined;
    if (found === undefined) throw configError('VarianceScaling', { expected: `${option} must be one of ${valid}`, got: show(value) });
    return found;
  };
  if (typeof scale !== 'number' || !(scale > 0)) {
    throw configError('VarianceScaling', { expected: 'scale must be a positive number', got: show(scale) });
  }
  const checkedMode = pick(MODES, mode, 'mode', "'fan_in', 'fan_out', 'fan_avg'");
  return varianceScaling(
    scale,
    checkedMode,
    pick(DISTRIBUTIONS, distribution, 'distribution', "'truncated_normal', 'untruncated_normal', 'uniform'"),
  );
}

/**
 * Keras's Orthogonal: the Q of a QR factorisation of a normal matrix `[max(rows, cols), min(rows,
 * cols)]` (rows: the product of all axes but the last), signs fixed so that R has a positive
 * diagonal, transposed when there are fewer rows than columns, times `gain`. Modified Gram-Schmidt
 * yields that Q directly (its R's diagonal is the positive column norms).
 */
export function orthogonal(shape: readonly number[], gain = 1, dtype: DType = 'float32'): Tensor {
  if (shape.length < 2) {
    throw configError('Orthogonal', { expected: 'the shape must have at least 2 axes', got: show(shape), hint: 'use it for kernels' });
  }
  const cols = shape.at(-1)!;
  const rows = shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const [n, m] = [Math.max(rows, cols), Math.min(rows, cols)];
  const a = randn([n, m], { dtype: 'float64' }).data() as Float64Array;
  const q = new Float64Array(n * m);
  for (let j = 0; j < m; j++) {
    for (let i = 0; i < n; i++) q[i * m + j] = a[i * m + j]!;
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let i = 0; i < n; i++) dot += q[i * m + k]! * q[i * m + j]!;
      for (let i = 0; i < n; i++) q[i * m + j] = q[i * m + j]! - dot * q[i * m + k]!;
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += q[i * m + j]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) q[i * m + j] = q[i * m + j]! / norm;
  }
  const out = new Array<number>(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] = gain * (rows < cols ? q[c * m + r]! : q[r * m + c]!);
  return tensor(out, shape, dtype);
}

const FACTORIES: Record<string, (config: Record<string, number>) => Initializer> = {
  glorotuniform: () => varianceScaling(1, 'fanAvg', 'uniform'),
  glorotnormal: () => varianceScaling(1, 'fanAvg', 'truncatedNormal'),
  heuniform: () => varianceScaling(2, 'fanIn', 'uniform'),
  henormal: () => varianceScaling(2, 'fanIn', 'truncatedNormal'),
  lecununiform: () => varianceScaling(1, 'fanIn', 'uniform'),
  lecunnormal: () => varianceScaling(1, 'fanIn', 'truncatedNormal'),
  variancescaling: varianceScalingFromConfig,
  randomnormal:
    (c) =>
    (shape, dtype = 'float32') =>
      randn(shape, { mean: c.mean ?? 0, std: c.stddev ?? 0.05, dtype }),
  randomuniform:
    (c) =>
    (shape, dtype = 'float32') =>
      randu(shape, { low: c.minval ?? -0.05, high: c.maxval ?? 0.05, dtype }),
  // Keras's short aliases of RandomUniform and RandomNormal (Embedding's default is 'uniform').
  uniform: (c) => FACTORIES.randomuniform!(c),
  normal: (c) => FACTORIES.randomnormal!(c),
  truncatednormal:
    (c) =>
    (shape, dtype = 'float32') =>
      truncatedNormal(shape, c.mean ?? 0, c.stddev ?? 0.05, dtype),
  zeros:
    () =>
    (shape, dtype = 'float32') =>
      zeros(shape, dtype),
  ones:
    () =>
    (shape, dtype = 'float32') =>
      full(shape, 1, dtype),
  orthogonal:
    (c) =>
    (shape, dtype = 'float32') =>
      orthogonal(shape, c.gain ?? 1, dtype),
  constant:
    (c) =>
    (shape, dtype = 'float32') =>
      full(shape, c.value ?? 0, dtype),
};

/** Valid initializer names (each also accepted in snake_case or camelCase). */
export const INITIALIZER_NAMES = [
  'glorot_uniform',
  'glorot_normal',
  'he_uniform',
  'he_normal',
  'lecun_uniform',
  'lecun_normal',
  'variance_scaling',
  'random_normal',
  'random_uniform',
  'uniform',
  'normal',
  'truncated_normal',
  'zeros',
  'ones',
  'constant',
  'orthogonal',
];

const canonical = (name: string) => name.replace(/_/g, '').toLowerCase();

/**
 * Resolves an initializer from a name (`'he_normal'`, `'heNormal'`), a `{className, config}`
 * object, or a function.
 *
 * ```ts
 * const init = nr.initializers.getInitializer('glorot_uniform');
 * init([784, 8]).shape; // [784, 8]
 * ```
 */
export function getInitializer(identifier: InitializerIdentifier, where = 'initializer'): Initializer {
  if (typeof identifier === 'function') return identifier;
  const name = typeof identifier === 'string' ? identifier : identifier.className;
  const config = (typeof identifier === 'string' ? {} : (identifier.config ?? {})) as Record<string, number>;
  const factory = typeof name === 'string' ? ownEntry(FACTORIES, canonical(name)) : undefined;
  if (!factory) {
    throw configError(where, { expected: `unknown initializer ${show(name)}`, hint: `valid names are ${INITIALIZER_NAMES.join(', ')}` });
  }
  return factory(config);
}
