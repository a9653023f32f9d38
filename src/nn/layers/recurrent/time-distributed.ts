import { configError, is, isPlainObject, shapeError, show } from '../../../core/index.js';
import { Tensor, type Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  formatLayerShape,
  isShapeList,
  registerLayer,
  declareLayerOptions,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { deserializeLayer, serializeLayer } from '../../models/config.js';

export interface TimeDistributedOptions extends LayerOptions {
  /** The layer applied to every timestep (in a config: its `{className, config}`). */
  layer: Layer;
}

/**
 * Applies one layer to every timestep of `[batch, steps, ...]`, with the same weights for all steps:
 * `[batch, steps, ...rest]` -> `[batch, steps, ...out]` where the inner layer maps `[n, ...rest]` to
 * `[n, ...out]`. The steps are folded into the batch (`[batch * steps, ...rest]`), so the inner
 * layer runs once per call, not once per step. Its weights are this layer's; the input's mask
 * passes through to the output, and an inner layer that supports masking gets it folded the same way.
 *
 * ```ts
 * const td = new nr.layers.TimeDistributed(new nr.layers.Dense(3));
 * td.apply(nr.ones([2, 5, 8])).shape; // [2, 5, 3]
 * const frames = new nr.layers.TimeDistributed(new nr.layers.Conv2D(4, 3));
 * frames.apply(nr.ones([1, 6, 10, 10, 1])).shape; // [1, 6, 8, 8, 4]
 * ```
 */
export class TimeDistributed extends Layer {
  override get supportsMasking(): boolean {
    return true;
  }

  readonly layer: Layer;

  constructor(layer: Layer, options?: Omit<TimeDistributedOptions, 'layer'>);
  constructor(options: TimeDistributedOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const given: unknown = this.options<TimeDistributedOptions>().layer;
    if (given instanceof Layer) this.layer = given;
    else if (isPlainObject(given) && typeof given.className === 'string') {
      this.layer = deserializeLayer(given as { className: string; config: Record<string, unknown> });
    } else {
      throw configError(this.where, {
        expected: 'layer must be a layer instance',
        got: show(given),
        hint: 'e.g. new nr.layers.TimeDistributed(new nr.layers.Dense(8))',
      });
    }
  }

  private get where(): string {
    return `${this.className} "${this.name}"`;
  }

  /** Freezing the wrapper freezes the inner layer, whose weights these are. */
  override get trainable(): boolean {
    return super.trainable;
  }

  override set trainable(value: boolean) {
    super.trainable = value;
    this.layer.trainable = value;
  }

  override get trainableWeights(): Variable[] {
    return this.trainable ? this.layer.trainableWeights : [];
  }

  override get nonTrainableWeights(): Variable[] {
    return this.trainable ? this.layer.nonTrainableWeights : this.layer.weights;
  }

  override countParams(): number {
    return this.layer.countParams();
  }

  /** The shape one step gives the inner layer: `[batch * steps, ...rest]`. */
  private stepShape(inputShape: LayerShape): LayerShape {
    if (inputShape.length < 3) {
      throw shapeError(this.where, {
        expected: 'expected input of rank 3 or more [batch, steps, ...]',
        got: formatLayerShape(inputShape),
        hint: 'the axis after the batch is the one the layer is applied along; add it',
      });
    }
    const [batch, steps, ...rest] = inputShape;
    return [batch !== null && steps !== null ? batch! * steps! : null, ...rest];
  }

  override build(inputShape: LayerShape): void {
    if (!this.layer.built) {
      this.layer.build(this.stepShape(inputShape));
      this.layer.built = true;
    }
    super.build(inputShape);
  }

  private severalOutputs(): Error {
    return configError(this.where, {
      expected: `the inner ${this.layer.className} "${this.layer.name}" gives several outputs; TimeDistributed takes a layer with one`,
    });
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const out = this.layer.computeOutputShape(this.stepShape(inputShape));
    if (isShapeList(out)) throw this.severalOutputs();
    return [inputShape[0] ?? null, inputShape[1] ?? null, ...out.slice(1)];
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    this.stepShape(inputs.shape);
    const [batch, steps, ...rest] = inputs.shape as number[];
    const folded = ops.reshape(inputs, [batch! * steps!, ...rest]);
    // As Keras: an inner layer that takes masks gets each step's slice of the mask, folded like the input.
    const inner: CallOptions = options.training === undefined ? {} : { training: options.training };
    const mask = options.mask;
    if (mask instanceof Tensor && this.layer.supportsMasking) inner.mask = ops.reshape(mask, [batch! * steps!, ...mask.shape.slice(2)]);
    const out = this.layer.apply(folded, inner) as Tensor | Tensor[];
    if (!(out instanceof Tensor)) throw this.severalOutputs();
    // The inner layer's regularization penalties are this layer's: fit reads them from the layers of the model.
    this.losses.push(...this.layer.losses);
    return ops.reshape(out, [batch!, steps!, ...out.shape.slice(1)]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: serializeLayer(this.layer) };
  }
}
declareLayerOptions(TimeDistributed, {
  positional: ['layer'],
  keys: { layer: is.any } satisfies OwnOptionChecks<TimeDistributedOptions, LayerOptions>,
});
registerLayer(TimeDistributed, 'TimeDistributed');
