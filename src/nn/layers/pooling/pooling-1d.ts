import { is, shapeError } from '../../../core/index.js';
import { convOutputLength, poolWindow, type PoolWindow } from '../../../core/geometry.js';
import { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { pool2dParsed } from '../../../ops/pool.js';
import { registerLayer, type CallOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { floatInput } from '../spatial.js';
import {
  SequenceLayer,
  asImages,
  asSequences,
  checkStepsFit,
  lengthOption,
  padding1DOption,
  type Length,
  type SequenceLayerOptions,
} from '../temporal.js';

export interface Pooling1DOptions extends SequenceLayerOptions {
  /** Window length (default 2). */
  poolSize?: Length;
  /** Step between windows (default: poolSize, so windows do not overlap). */
  strides?: Length | null;
  /** 'valid' (default) keeps the windows that fit; 'same' pads so the output is ceil(steps / strides). */
  padding?: 'valid' | 'same';
}

/** MaxPooling1D and AveragePooling1D: the 2-D pooling kernels over [batch, 1, steps, channels]. */
abstract class Pooling1D extends SequenceLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly poolSize: number;
  readonly strides: number;
  readonly padding: 'valid' | 'same';
  private readonly window: PoolWindow;
  protected abstract readonly op: 'max' | 'avg';

  constructor(
    poolSize?: Length,
    strides?: Length | null,
    padding?: 'valid' | 'same',
    options?: Omit<Pooling1DOptions, 'poolSize' | 'strides' | 'padding'>,
  );
  constructor(options?: Pooling1DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Pooling1DOptions>();
    this.poolSize = lengthOption(options.poolSize ?? 2, this.where, 'poolSize');
    this.strides = lengthOption(options.strides ?? this.poolSize, this.where, 'strides');
    this.padding = padding1DOption(options.padding, this.where, false) as 'valid' | 'same';
    this.window = poolWindow({ poolSize: [1, this.poolSize], strides: [1, this.strides], padding: this.padding }, this.where);
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    if (this.padding === 'valid') checkStepsFit(inputs.shape, this.poolSize, this.where, 'pool');
    return asSequences(pool2dParsed(this.op, this.where, asImages(floatInput(inputs, this.dtype)), this.window));
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [batch, steps, channels] = inputShape;
    if (this.padding === 'valid') checkStepsFit(inputShape, this.poolSize, this.where, 'pool');
    const length = steps === null || steps === undefined ? null : convOutputLength(steps, this.poolSize, this.strides, 1, this.padding);
    return [batch ?? null, length, channels ?? null];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: [this.poolSize], strides: [this.strides], padding: this.padding };
  }
}
declareLayerOptions(Pooling1D, {
  positional: ['poolSize', 'strides', 'padding'],
  keys: { poolSize: is.any, strides: is.any, padding: is.any } satisfies OwnOptionChecks<Pooling1DOptions, SequenceLayerOptions>,
});

/**
 * The maximum of each window of steps: `[batch, steps, channels]` -> `[batch, steps', channels]` with
 * `steps' = floor((steps - poolSize) / strides) + 1` ('valid') or `ceil(steps / strides)` ('same').
 *
 * ```ts
 * new nr.layers.MaxPooling1D().apply(nr.ones([2, 10, 4])).shape; // [2, 5, 4]
 * ```
 */
export class MaxPooling1D extends Pooling1D {
  protected readonly op = 'max';
}
declareLayerOptions(MaxPooling1D, {});
registerLayer(MaxPooling1D, 'MaxPooling1D');

/**
 * The mean of each window of steps (with 'same' padding, of the steps inside the sequence only, as Keras).
 *
 * ```ts
 * new nr.layers.AveragePooling1D({ poolSize: 3, strides: 1, padding: 'same' }).apply(nr.ones([2, 10, 4])).shape; // [2, 10, 4]
 * ```
 */
export class AveragePooling1D extends Pooling1D {
  protected readonly op = 'avg';
}
declareLayerOptions(AveragePooling1D, {});
registerLayer(AveragePooling1D, 'AveragePooling1D');

export interface GlobalPooling1DOptions extends SequenceLayerOptions {
  /** Keep the steps axis with size 1: `[batch, 1, channels]` instead of `[batch, channels]` (default false). */
  keepdims?: boolean;
}

abstract class GlobalPooling1D extends SequenceLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly keepdims: boolean;

  constructor(options?: GlobalPooling1DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.keepdims = this.options<GlobalPooling1DOptions>().keepdims ?? false;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [batch, , channels] = inputShape;
    return this.keepdims ? [batch ?? null, 1, channels ?? null] : [batch ?? null, channels ?? null];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}
declareLayerOptions(GlobalPooling1D, {
  keys: { keepdims: is.boolean } satisfies OwnOptionChecks<GlobalPooling1DOptions, SequenceLayerOptions>,
});

/**
 * The mean over the steps of each channel: `[batch, steps, channels]` -> `[batch, channels]` (or
 * `[batch, 1, channels]` with `keepdims`). With a mask (from `Embedding({maskZero})` or `Masking`),
 * the mean of the unmasked steps only, as Keras; the mask stops here.
 *
 * ```ts
 * const x = nr.tensor([[[1], [3], [0]]]);
 * const pool = new nr.layers.GlobalAveragePooling1D();
 * pool.apply(x).toArray(); // [[1.3333333]]
 * pool.apply(x, { mask: nr.tensor([[1, 1, 0]]) }).toArray(); // [[2]]
 * ```
 */
export class GlobalAveragePooling1D extends GlobalPooling1D {
  override get supportsMasking(): boolean {
    return true;
  }

  override computeMask(): null {
    return null;
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    const x = floatInput(inputs, this.dtype);
    const mask = options.mask;
    if (!(mask instanceof Tensor)) return ops.mean(x, 1, this.keepdims);
    if (mask.rank !== 2 || mask.shape[0] !== x.shape[0] || mask.shape[1] !== x.shape[1]) {
      throw shapeError(this.where, {
        expected: `the mask must be [batch, steps] = [${x.shape[0]}, ${x.shape[1]}]`,
        got: `[${mask.shape.join(', ')}]`,
      });
    }
    const keep = ops.expandDims(mask.dtype === 'bool' ? mask : ops.notEqual(mask, 0), 2);
    // where, not a product, so that a NaN or infinity in a masked step cannot reach the mean.
    const total = ops.sum(ops.where(keep, x, 0), 1, this.keepdims);
    return ops.div(total, ops.sum(ops.cast(keep, x.dtype), 1, this.keepdims));
  }
}
declareLayerOptions(GlobalAveragePooling1D, {});
registerLayer(GlobalAveragePooling1D, 'GlobalAveragePooling1D');

/**
 * The maximum over the steps of each channel: `[batch, steps, channels]` -> `[batch, channels]` (or
 * `[batch, 1, channels]`). Like Keras's, it does not use a mask.
 *
 * ```ts
 * new nr.layers.GlobalMaxPooling1D({ keepdims: true }).apply(nr.ones([2, 7, 16])).shape; // [2, 1, 16]
 * ```
 */
export class GlobalMaxPooling1D extends GlobalPooling1D {
  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.max(floatInput(inputs, this.dtype), 1, this.keepdims);
  }
}
declareLayerOptions(GlobalMaxPooling1D, {});
registerLayer(GlobalMaxPooling1D, 'GlobalMaxPooling1D');
