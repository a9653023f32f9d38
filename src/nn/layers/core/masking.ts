import { is, shapeError } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';

export interface MaskingOptions extends LayerOptions {
  /** A timestep whose features all equal this value is masked (default 0). */
  maskValue?: number;
}

/**
 * Marks padding timesteps: a step of `[batch, steps, features]` whose features all equal `maskValue`
 * gets 0 in the mask `[batch, steps]` (1 elsewhere) that travels with the output to the layers after
 * it (GlobalAveragePooling1D, the recurrent layers, the loss in `fit`; see `nr.getMask`), and its
 * features are set to 0 in the output, as Keras does.
 *
 * ```ts
 * const x = nr.tensor([[[1, 2], [0, 0], [3, 0]]]);
 * const y = new nr.layers.Masking({ maskValue: 0 }).apply(x);
 * nr.getMask(y)?.toArray(); // [[1, 0, 1]]
 * ```
 */
export class Masking extends Layer {
  override get supportsMasking(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly maskValue: number;

  constructor(maskValue?: number, options?: Omit<MaskingOptions, 'maskValue'>);
  constructor(options?: MaskingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.maskValue = this.options<MaskingOptions>().maskValue ?? 0;
  }

  /** 1 where some feature of the step differs from maskValue, as float32 [batch, steps]. */
  private keep(inputs: Tensor): Tensor {
    if (inputs.rank < 2) {
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: 'expected input of rank 2 or more [batch, ..., features] (the mask drops the last axis)',
        got: `[${inputs.shape.join(', ')}]`,
      });
    }
    return ops.max(ops.cast(ops.notEqual(inputs, this.maskValue), 'float32'), -1);
  }

  override computeMask(inputs: Tensor | readonly Tensor[]): Tensor {
    return this.keep(inputs as Tensor);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.mul(inputs, ops.expandDims(ops.cast(this.keep(inputs), inputs.dtype), -1));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskValue: this.maskValue };
  }
}
declareLayerOptions(Masking, {
  positional: ['maskValue'],
  keys: { maskValue: is.number } satisfies OwnOptionChecks<MaskingOptions, LayerOptions>,
});
registerLayer(Masking, 'Masking');
