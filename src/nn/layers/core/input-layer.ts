import { configError, formatShape, is, parseOptions, shapeError, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { Layer, formatLayerShape, registerLayer, type CallOptions, type LayerShape } from '../../layer.js';

export interface InputLayerOptions {
  inputShape?: readonly (number | null)[];
  batchSize?: number | null;
  name?: string;
  dtype?: 'float32' | 'float64' | 'int32';
  batchInputShape?: LayerShape;
}

const INPUT_LAYER_OPTIONS = {
  keys: {
    inputShape: is.any,
    batchSize: is.nullable(is.positiveInteger),
    name: is.string,
    dtype: is.oneOf('float32', 'float64', 'int32'),
    batchInputShape: is.arrayOf(is.nullable(is.positiveInteger), 'an array of positive integers or null'),
  } satisfies Record<keyof InputLayerOptions, unknown>,
  // Keras 3's names: shape (one sample) and batch_shape (with the batch axis).
  aliases: { shape: 'inputShape', batchShape: 'batchInputShape', batch_shape: 'batchInputShape' },
};

/**
 * The entry point of a model (what `nr.Input` creates): records the input shape
 * (`batchInputShape`, batch axis first) and passes inputs through, checking that they match it.
 *
 * ```ts
 * const layer = new nr.layers.InputLayer({ inputShape: [28, 28] });
 * layer.batchInputShape; // [null, 28, 28]
 * layer.apply(nr.zeros([5, 28, 28])).shape; // [5, 28, 28]
 * ```
 */
export class InputLayer extends Layer {
  readonly inputDtype: 'float32' | 'float64' | 'int32';

  constructor(raw: InputLayerOptions) {
    const options = parseOptions<InputLayerOptions>('InputLayer', raw, INPUT_LAYER_OPTIONS);
    const inputShape = options.inputShape ?? options.batchInputShape?.slice(1);
    if (!Array.isArray(inputShape) || inputShape.some((d) => d !== null && !(Number.isInteger(d) && d > 0))) {
      throw configError(`InputLayer${options.name ? ` "${options.name}"` : ''}`, {
        expected:
          'shape must be an array of positive integers (or null for unknown sizes), ' +
          'e.g. nr.Input([784]) or new nr.layers.InputLayer({shape: [784]})',
        got: show(inputShape),
      });
    }
    const dtype = options.dtype ?? 'float32';
    super({
      name: options.name,
      inputShape,
      batchSize: options.batchSize ?? options.batchInputShape?.[0] ?? undefined,
      dtype: dtype === 'int32' ? undefined : dtype,
    });
    this.inputDtype = dtype;
    this.built = true;
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const expected = this.batchInputShape!;
    if (inputs.rank !== expected.length || expected.some((d, i) => d !== null && d !== inputs.shape[i])) {
      throw shapeError(`InputLayer "${this.name}"`, {
        expected: `expected input of shape ${formatLayerShape(expected)}`,
        got: formatShape(inputs.shape),
      });
    }
    return inputs;
  }

  override getConfig(): Record<string, unknown> {
    return { name: this.name, batchInputShape: [...this.batchInputShape!], dtype: this.inputDtype };
  }
}
registerLayer(InputLayer, 'InputLayer');
