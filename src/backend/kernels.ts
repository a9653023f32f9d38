import type { TypedArray, FloatArray, Random } from '../core/index.js';

/**
 * The fixed list of kernels every backend is measured against. A kernel is a plain function over
 * typed arrays: it trusts its inputs (ops validate them first) and writes into the output array it
 * is given. `js` implements all of them; another backend may implement any subset, and the registry
 * falls back to `js` one kernel at a time.
 */

/**
 * Elementwise functions of one input. `param` is the slope of `leakyRelu`, the alpha of `elu` and
 * the upper bound of `boundedRelu` (min(max(x, 0), param): ReLU6 and Keras's ReLU maxValue).
 */
export const UNARY_OPS = [
  'neg',
  'abs',
  'sign',
  'exp',
  'expm1',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'silu',
  'relu',
  'boundedRelu',
  'leakyRelu',
  'elu',
  'softplus',
  'floor',
  'ceil',
  'round',
  'logicalNot',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/**
 * Unary ops with a closed-form derivative that `unaryGrad` computes in one pass:
 * dx = dy * f'(x), using x or the forward output y, whichever the derivative is cheaper in.
 */
export const UNARY_GRAD_OPS = [
  'abs',
  'exp',
  'expm1',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'silu',
  'relu',
  // dy where 0 < x < param, 0 elsewhere: the same from the output y, so boundedRelu may overwrite its input.
  'boundedRelu',
  'leakyRelu',
  'elu',
  'softplus',
  // The gradient of minimum(x, p) / maximum(x, p) towards x for a constant p (ReLU6, clip): dy times
  // 1 where x is below (above) p, 0.5 at a tie, 0 elsewhere (NaN included), as minimum's tie split.
  'minimumScalar',
  'maximumScalar',
] as const;
export type UnaryGradOp = (typeof UNARY_GRAD_OPS)[number];

/** Broadcasting binary ops. Comparison and logical ops write 0/1 into a `Uint8Array`. */
export const BINARY_OPS = [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'floorDiv',
  'mod',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'logicalAnd',
  'logicalOr',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const REDUCE_OPS = ['sum', 'prod', 'max', 'min', 'logsumexp'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * A reduction, softmax or gather works on a tensor seen as `[outer, length, inner]`: the axis being
 * reduced has `length` elements, `outer` is the product of the dimensions before it and `inner` the
 * product of those after it.
 */
export interface AxisView {
  outer: number;
  length: number;
  inner: number;
}

/** `out[b] = op(A[b]) @ op(B[b])`, row-major; A is `[m, k]` (or `[k, m]` with `transA`). */
export interface MatmulArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Elements between consecutive batch matrices of A; 0 broadcasts one matrix over the batch. */
  aBatchStride: number;
  bBatchStride: number;
}

/**
 * `batch` score matrices of `rows` queries by `cols` keys for attentionSoftmax. A mask (1 keep, 0 drop)
 * holds `maskBatch` matrices of `maskRows` rows (the rows, or 1 for one row shared by every query) by
 * `cols`; score matrix b reads mask matrix `floor(b / maskRepeat) % maskBatch`, so a `[batch, 1, Tq, Tk]`
 * mask serves `[batch, heads, Tq, Tk]` scores with maskRepeat = heads. `causal` drops key j > query i.
 * A row with no key kept is all 0, or with `uniformEmptyRows` all `1 / cols` (what Keras's large negative gives).
 */
export interface AttentionArgs {
  batch: number;
  rows: number;
  cols: number;
  scale: number;
  causal: boolean;
  maskBatch: number;
  maskRows: number;
  maskRepeat: number;
  uniformEmptyRows: boolean;
}

/**
 * The geometry of a 2-D convolution or pooling window over NHWC images. Padding is explicit (ops turn
 * 'same'/'valid' into `padTop`/`padLeft` with TensorFlow's rule); the bottom/right padding is whatever
 * makes `outHeight`/`outWidth` come out. Input pixel of output (oy, ox) and tap (ky, kx):
 * `iy = oy * strideHeight - padTop + ky * dilationHeight`, taps outside the image read zero (or are
 * skipped by pooling).
 */
export interface Conv2DGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  /** conv2d: filters; depthwise: inChannels * depthMultiplier; pooling: inChannels. */
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padTop: number;
  padLeft: number;
}

/**
 * Activations a Dense layer's product or a Conv2D layer's convolution can be finished with in the same pass
 * (`matmulBiasActivation`, `conv2dBiasActivation`).
 * Each one's derivative is a function of its output, so the backward pass needs only the result.
 */
export const LINEAR_ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;
export type LinearActivation = (typeof LINEAR_ACTIVATIONS)[number];

export type PoolOp = 'max' | 'avg';

/** The optimizer update rules with a fused, in-place kernel (Keras 3's formulas). */
export type UpdateRule = 'sgd' | 'adam' | 'rmsprop' | 'adagrad' | 'adadelta';

/**
 * Hyper-parameters of one fused update. `learningRate` is the step's rate; for 'adam' it is already
 * the bias-corrected step size `lr * sqrt(1 - beta2^t) / (1 - beta1^t)`.
 */
export interface UpdateParams {
  learningRate: number;
  /** sgd and rmsprop: momentum (0 = none). */
  momentum: number;
  /** sgd: Nesterov momentum. */
  nesterov: boolean;
  /** adam: decay of the first moment. */
  beta1: number;
  /** adam: decay of the second moment. */
  beta2: number;
  /** rmsprop, adadelta: decay of the squared-gradient average. */
  rho: number;
  epsilon: number;
  /** adam: keep the running maximum of the second moment. */
  amsgrad: boolean;
  /** rmsprop: divide by the variance instead of the mean square. */
  centered: boolean;
}

export interface Kernels {
  unary(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): void;
  unaryGrad(op: UnaryGradOp, x: FloatArray, y: FloatArray, dy: FloatArray, out: FloatArray, param: number): void;
  binary(
    op: BinaryOp,
    a: TypedArray,
    aShape: readonly number[],
    b: TypedArray,
    bShape: readonly number[],
    out: TypedArray,
    outShape: readonly number[],
  ): void;
  /** `out = cond ? a : b`, all three broadcast to `outShape`. */
  where(
    cond: Uint8Array,
    condShape: readonly number[],
    a: TypedArray,
    aShape: readonly number[],
    b: TypedArray,
    bShape: readonly number[],
    out: TypedArray,
    outShape: readonly number[],
  ): void;
  /** Converts between dtypes (float to int truncates toward zero; anything to bool is `x != 0`). */
  cast(x: TypedArray, out: TypedArray): void;
  /** Reduces `[outer, length, inner]` over `length` into `out` of `[outer, inner]`. */
  reduce(op: ReduceOp, x: TypedArray, view: AxisView, out: TypedArray): void;
  /** Index of the first maximum / minimum along the axis. */
  argReduce(op: ArgReduceOp, x: TypedArray, view: AxisView, out: Int32Array): void;
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void;
  /**
   * `out = activation(op(A) @ op(B) + bias)` for one product (`args.batch` is 1): the matmul of
   * `matmul` with an epilogue that adds `bias` (length n, or null for none) to every row and applies
   * the activation, with the same rounding as the separate `matmul`, `binary('add')` and `unary`
   * kernels. Backends that lack it fall back to js, so an op uses it only where the active backend
   * provides it together with `matmul` (see ops/linalg.ts `linear`).
   */
  matmulBiasActivation(
    a: FloatArray,
    b: FloatArray,
    bias: FloatArray | null,
    out: FloatArray,
    args: MatmulArgs,
    activation: LinearActivation,
  ): void;
  /**
   * The Gaussian error linear unit `out = x * Phi(x)`, Phi the standard normal's CDF (Keras's and
   * PyTorch's default, exact erf form), or with `approximate` the tanh form
   * `0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))`.
   */
  gelu(x: FloatArray, out: FloatArray, approximate: boolean): void;
  /** The gradient of gelu: `dx = dy * gelu'(x)`. */
  geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: boolean): void;
  softmax(x: FloatArray, view: AxisView, out: FloatArray): void;
  /**
   * Attention's probabilities in one pass per row: `out = softmax(scale * scores)` over the kept keys
   * (mask and causal rule of `args`), 0 at dropped keys; a row with no kept key is not NaN (see AttentionArgs).
   */
  attentionSoftmax(scores: FloatArray, mask: FloatArray | null, out: FloatArray, args: AttentionArgs): void;
  /**
   * attentionSoftmax's gradient for rows of `length` probabilities p:
   * `dScores = scale * p * (dProbs - sum(dProbs * p))` (dropped keys have p = 0 and get 0).
   */
  attentionSoftmaxBackward(probs: FloatArray, dProbs: FloatArray, dScores: FloatArray, length: number, scale: number): void;
  logSoftmax(x: FloatArray, view: AxisView, out: FloatArray): void;
  /**
   * The gradient, with respect to the logits, of Keras's categorical crossentropy of softmax
   * probabilities, `loss[r] = -sum_j targets[r, j] * log(clip(q[r, j], lower, upper))`, with q the
   * softmax output of row r (`classes` values per row): `dx[r, j] = dy[r] * (q[r, j] * s - t[r, j] * u[r, j])`
   * where `u = 1` inside `lower <= q <= upper` (the clip passes the gradient there) and `s = sum_j t * u`.
   * For one-hot targets of an unclipped class this is the familiar `dy * (q - t)`.
   */
  softmaxCrossentropyBackward(
    q: FloatArray,
    targets: FloatArray,
    dy: FloatArray,
    classes: number,
    lower: number,
    upper: number,
    dx: FloatArray,
  ): void;
  /** Permutes the axes: output axis i is input axis `perm[i]`. */
  transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], out: TypedArray): void;
  /** Copies the box starting at `begin` with extent `size`. */
  slice(x: TypedArray, shape: readonly number[], begin: readonly number[], size: readonly number[], out: TypedArray): void;
  /** Joins inputs along an axis; each input is `[outer, lengths[i] * inner]` in the flattened view. */
  concat(inputs: readonly TypedArray[], outer: number, chunks: readonly number[], out: TypedArray): void;
  /** Constant padding: `padding[i] = [before, after]` for axis i. */
  pad(x: TypedArray, shape: readonly number[], padding: readonly (readonly [number, number])[], value: number, out: TypedArray): void;
  /** `out[o, j, i] = x[o, indices[j], i]` with `view.length` the size of the gathered axis. */
  gather(x: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray): void;
  /** The transpose of gather: `out[o, indices[j], i] += dy[o, j, i]` (out must be zeroed by the caller). */
  scatterAdd(dy: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray): void;
  /**
   * Sparse (CSR) times dense: `out[i, :] = sum over p in [rowPtr[i], rowPtr[i + 1]) of values[p] * dense[colIdx[p], :]`,
   * dense `[m, k]`, out `[rowPtr.length - 1, k]`; a row without entries is zero. Entries are summed in p order.
   */
  sparseMatmul(rowPtr: Int32Array, colIdx: Int32Array, values: FloatArray, dense: FloatArray, k: number, out: FloatArray): void;
  /** `out[i, indices[i]] = onValue`, every other entry `offValue`; out is `[indices.length, depth]`. */
  oneHot(indices: Int32Array, depth: number, onValue: number, offValue: number, out: TypedArray): void;
  /** x `[batch, inH, inW, inC]`, filter `[fh, fw, inC, outC]` (Keras layout), out `[batch, outH, outW, outC]`. */
  conv2d(x: FloatArray, filter: FloatArray, out: FloatArray, g: Conv2DGeometry): void;
  /**
   * `out = activation(conv2d(x, filter) + bias)`: conv2d finished with the bias (length outC, or null)
   * and the activation, with the same rounding as the separate `conv2d`, `binary('add')` and `unary`
   * kernels. Ops use it only where the active backend provides it together with `conv2d` (see
   * ops/conv.ts `conv2d` with its `bias`/`activation` options), as for `matmulBiasActivation`.
   */
  conv2dBiasActivation(
    x: FloatArray,
    filter: FloatArray,
    bias: FloatArray | null,
    out: FloatArray,
    g: Conv2DGeometry,
    activation: LinearActivation,
  ): void;
  /** The gradient of conv2d with respect to x (also the forward pass of a transposed conv); writes all of dx. */
  conv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, g: Conv2DGeometry): void;
  /** The gradient of conv2d with respect to the filter; writes all of dFilter. */
  conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, g: Conv2DGeometry): void;
  /** filter `[fh, fw, inC, multiplier]`; output channel `c * multiplier + m` reads input channel c only. */
  depthwiseConv2d(x: FloatArray, filter: FloatArray, out: FloatArray, g: Conv2DGeometry): void;
  depthwiseConv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, g: Conv2DGeometry): void;
  depthwiseConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, g: Conv2DGeometry): void;
  /**
   * Max or average pooling (filter taps = the window, dilation allowed). Padded taps are skipped:
   * a max ignores them and an average divides by the number of taps inside the image (TensorFlow).
   * A NaN in a window makes its max NaN (PyTorch); a window with no tap inside the image gives 0.
   */
  pool2d(op: PoolOp, x: FloatArray, out: FloatArray, g: Conv2DGeometry): void;
  /**
   * Writes all of dx: max routes each dy to the first maximum of its window (row by row; the first
   * NaN, if any), avg spreads it evenly over the taps inside the image.
   */
  pool2dBackward(op: PoolOp, x: FloatArray, dy: FloatArray, dx: FloatArray, g: Conv2DGeometry): void;
  /**
   * Training-mode batch normalization over `[outer, length, inner]` with `length` channels: each
   * channel's mean and biased variance over outer*inner, `out = (x - mean) * invStd * gamma + beta`;
   * writes `mean` and `invStd = 1 / sqrt(variance + epsilon)` (length each) for the backward pass.
   */
  batchNormTraining(
    x: FloatArray,
    view: AxisView,
    gamma: FloatArray,
    beta: FloatArray,
    epsilon: number,
    out: FloatArray,
    mean: FloatArray,
    invStd: FloatArray,
  ): void;
  /** The gradients of batchNormTraining given its saved mean and invStd. */
  batchNormBackward(
    x: FloatArray,
    dy: FloatArray,
    view: AxisView,
    gamma: FloatArray,
    mean: FloatArray,
    invStd: FloatArray,
    dx: FloatArray,
    dGamma: FloatArray,
    dBeta: FloatArray,
  ): void;
  /**
   * Layer normalization of `rows` contiguous rows of `width` values: per row, mean and biased variance
   * (float64, two passes), `out = (x - mean) * invStd * gamma[j] + beta[j]` (gamma 1 and beta 0 when
   * null); writes `mean` and `invStd = 1 / sqrt(variance + epsilon)` (rows each). With `rms` the row
   * is not centred: mean is written as 0 and the variance is the mean of squares (RMS normalization).
   */
  layerNorm(
    x: FloatArray,
    rows: number,
    width: number,
    gamma: FloatArray | null,
    beta: FloatArray | null,
    epsilon: number,
    rms: boolean,
    out: FloatArray,
    mean: FloatArray,
    invStd: FloatArray,
  ): void;
  /**
   * The gradients of layerNorm given its saved mean and invStd, in one pass over the rows: all of dx,
   * and dGamma / dBeta (width each, when not null) summed over the rows in row order in float64.
   */
  layerNormBackward(
    x: FloatArray,
    dy: FloatArray,
    rows: number,
    width: number,
    gamma: FloatArray | null,
    mean: FloatArray,
    invStd: FloatArray,
    rms: boolean,
    dx: FloatArray,
    dGamma: FloatArray | null,
    dBeta: FloatArray | null,
  ): void;
  /**
   * Group normalization of `batch` images of `spatial` positions and `channels` channels (channels
   * last), the channels cut into `groups` contiguous groups: per (image, group), the mean and biased
   * variance over its spatial * channels / groups values (float64, two passes, index order), then
   * `out = (x - mean) * invStd * gamma[c] + beta[c]` (gamma 1 and beta 0 when null); writes `mean`
   * and `invStd = 1 / sqrt(variance + epsilon)` (batch * groups each, image-major).
   */
  groupNorm(
    x: FloatArray,
    batch: number,
    spatial: number,
    channels: number,
    groups: number,
    gamma: FloatArray | null,
    beta: FloatArray | null,
    epsilon: number,
    out: FloatArray,
    mean: FloatArray,
    invStd: FloatArray,
  ): void;
  /**
   * The gradients of groupNorm given its saved mean and invStd: all of dx, and dGamma / dBeta
   * (channels each, when not null), each summed per image over the positions in order in float64 and
   * the images' sums then added in image order.
   */
  groupNormBackward(
    x: FloatArray,
    dy: FloatArray,
    batch: number,
    spatial: number,
    channels: number,
    groups: number,
    gamma: FloatArray | null,
    mean: FloatArray,
    invStd: FloatArray,
    dx: FloatArray,
    dGamma: FloatArray | null,
    dBeta: FloatArray | null,
  ): void;
  /**
   * One optimizer step on one variable, in place: `param` and the slot arrays are updated with the
   * gradient `grad` (all the same length and dtype). Slots, in order: sgd [momentum] (none when
   * momentum is 0); adam [m, v] (+ vHat with amsgrad); rmsprop [velocity] (+ momentum when > 0, +
   * averageGradient when centered); adagrad [accumulator]; adadelta [accumulatedGrad, accumulatedDelta].
   */
  applyUpdate(rule: UpdateRule, param: FloatArray, grad: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void;
  /**
   * One LSTM step for a batch (Keras's gate order i, f, c, o; `units` per gate): with
   * `z = xw + hu + bias` (`[batch, 4 units]`, bias `[4 units]` or null), `i, f, o = sigmoid`,
   * `g = tanh` of their quarters, `c = f cPrev + i g`, `h = o tanh(c)`. `gates` receives the activated
   * `[i, f, g, o]`. Where `mask[b]` is 0 (mask `[batch]` or null for all 1) the row keeps its state:
   * `c = cPrev`, `h = hPrev`.
   */
  lstmCell(
    xw: FloatArray,
    hu: FloatArray,
    bias: FloatArray | null,
    cPrev: FloatArray,
    hPrev: FloatArray,
    mask: FloatArray | null,
    gates: FloatArray,
    c: FloatArray,
    h: FloatArray,
    units: number,
  ): void;
  /**
   * The gradient of `lstmCell` for one step. The gradient reaching `h` is `dy + dhRec + dhCarry`
   * (dy: the output's, dhRec: the next step's `dz @ U^T`, either null for none), that reaching `c` is
   * `dc`. Writes `dz` (`[batch, 4 units]`, the pre-activation gradient) and, in place, `dc` and
   * `dhCarry` to what reaches `cPrev` and the part of `hPrev`'s gradient that bypasses the recurrent
   * kernel (all of it on a masked row, else 0).
   */
  lstmCellBackward(
    gates: FloatArray,
    c: FloatArray,
    cPrev: FloatArray,
    mask: FloatArray | null,
    dy: FloatArray | null,
    dhRec: FloatArray | null,
    dhCarry: FloatArray,
    dc: FloatArray,
    dz: FloatArray,
    units: number,
  ): void;
  /**
   * One GRU step, Keras's reset-after form (gate order z, r, h): `x = xw + biasIn`,
   * `u = hu + biasRec` (`[batch, 3 units]`, biases null for none), `z = sigmoid(x_z + u_z)`,
   * `r = sigmoid(x_r + u_r)`, `n = tanh(x_h + r u_h)`, `h = z hPrev + (1 - z) n`. `gates`
   * (`[batch, 4 units]`) receives `[z, r, n, u_h]`. A row whose mask is 0 keeps `h = hPrev`.
   */
  gruCell(
    xw: FloatArray,
    hu: FloatArray,
    biasIn: FloatArray | null,
    biasRec: FloatArray | null,
    hPrev: FloatArray,
    mask: FloatArray | null,
    gates: FloatArray,
    h: FloatArray,
    units: number,
  ): void;
  /**
   * The gradient of `gruCell` for one step, the gradient reaching `h` given as in `lstmCellBackward`.
   * Writes `dzx` and `dzh` (`[batch, 3 units]`: the gradients of the input and recurrent projections,
   * which differ in the h block by the factor r) and rewrites `dhCarry` in place.
   */
  gruCellBackward(
    gates: FloatArray,
    hPrev: FloatArray,
    mask: FloatArray | null,
    dy: FloatArray | null,
    dhRec: FloatArray | null,
    dhCarry: FloatArray,
    dzx: FloatArray,
    dzh: FloatArray,
    units: number,
  ): void;
  /** One SimpleRNN step: `h = tanh(xw + hu + bias)` (`[batch, units]`); a row whose mask is 0 keeps `hPrev`. */
  simpleRnnCell(
    xw: FloatArray,
    hu: FloatArray,
    bias: FloatArray | null,
    hPrev: FloatArray,
    mask: FloatArray | null,
    h: FloatArray,
    units: number,
  ): void;
  /** The gradient of `simpleRnnCell`: writes `dz` and rewrites `dhCarry` as `lstmCellBackward` does. */
  simpleRnnCellBackward(
    h: FloatArray,
    mask: FloatArray | null,
    dy: FloatArray | null,
    dhRec: FloatArray | null,
    dhCarry: FloatArray,
    dz: FloatArray,
    units: number,
  ): void;
  fillUniform(out: TypedArray, low: number, high: number, random: Random): void;
  fillNormal(out: TypedArray, mean: number, std: number, random: Random): void;
}

export type KernelName = keyof Kernels;

export const KERNEL_NAMES: readonly KernelName[] = [
  'unary',
  'unaryGrad',
  'binary',
  'where',
  'cast',
  'reduce',
  'argReduce',
  'matmul',
  'matmulBiasActivation',
  'gelu',
  'geluBackward',
  'softmax',
  'attentionSoftmax',
  'attentionSoftmaxBackward',
  'logSoftmax',
  'softmaxCrossentropyBackward',
  'transpose',
  'slice',
  'concat',
  'pad',
  'gather',
  'scatterAdd',
  'sparseMatmul',
  'oneHot',
  'conv2d',
  'conv2dBiasActivation',
  'conv2dBackpropInput',
  'conv2dBackpropFilter',
  'depthwiseConv2d',
  'depthwiseConv2dBackpropInput',
  'depthwiseConv2dBackpropFilter',
  'pool2d',
  'pool2dBackward',
  'batchNormTraining',
  'batchNormBackward',
  'layerNorm',
  'layerNormBackward',
  'groupNorm',
  'groupNormBackward',
  'applyUpdate',
  'lstmCell',
  'lstmCellBackward',
  'gruCell',
  'gruCellBackward',
  'simpleRnnCell',
  'simpleRnnCellBackward',
  'fillUniform',
  'fillNormal',
];

/** A backend: a name and the kernels it implements (any it lacks come from `js`). */
export interface Backend {
  readonly name: string;
  readonly kernels: Partial<Kernels>;
  /** Sets the size of the backend's thread pool, when it has one. */
  setNumThreads?(n: number): void;
  /** Called with true when the backend becomes the active one and with false when another replaces it. */
  activate?(on: boolean): void;
}
