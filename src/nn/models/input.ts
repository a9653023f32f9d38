import { configError, is, parseArguments, show } from '../../core/index.js';
import { SymbolicTensor } from '../layer.js';
import { InputLayer } from '../layers/core/input-layer.js';

export { InputLayer };

/*
 * The entry point of a functional model. `Input` returns a SymbolicTensor whose `layer` is null (the
 * contract in layer.ts); the InputLayer that describes it (for summaries, `model.layers` and
 * configs) is found through `inputLayerOf`.
 */

export interface InputOptions {
  /** Shape of one sample, without the batch axis (null for an unknown size). */
  shape?: readonly (number | null)[];
  /** Keras 3's batch_shape: the whole shape, batch axis first (instead of shape and batchSize). */
  batchShape?: readonly (number | null)[];
  /** A fixed batch size (default unknown). */
  batchSize?: number;
  name?: string;
  dtype?: 'float32' | 'float64' | 'int32';
}

const inputLayers = new WeakMap<SymbolicTensor, InputLayer>();

/** The InputLayer behind a model input, or undefined for other symbolic tensors. */
export function inputLayerOf(t: SymbolicTensor): InputLayer | undefined {
  return inputLayers.get(t);
}

/** A symbolic tensor for a given InputLayer. */
export function symbolicInput(layer: InputLayer): SymbolicTensor {
  const t = new SymbolicTensor(layer.batchInputShape!, layer.inputDtype, null, [], layer.name);
  inputLayers.set(t, layer);
  return t;
}

const INPUT_OPTIONS = {
  positional: ['shape'],
  keys: {
    shape: is.any,
    batchSize: is.nullable(is.positiveInteger),
    name: is.string,
    dtype: is.oneOf('float32', 'float64', 'int32'),
    /** Keras 3's batch_shape: the batch axis first. */
    batchShape: is.arrayOf(is.nullable(is.positiveInteger), 'an array of positive integers or null, the batch axis first'),
  },
};

/**
 * A model input: the start of a functional model. Shape excludes the batch axis. Keras's
 * positional form works too: `nr.Input([32, 32, 3])`.
 *
 * ```ts
 * const x = nr.Input({ shape: [784] });
 * x.shape; // [null, 784]
 * nr.Input([32, 32, 3]).shape; // [null, 32, 32, 3]
 * ```
 */
export function Input(shape: readonly (number | null)[], options?: Omit<InputOptions, 'shape'>): SymbolicTensor;
export function Input(options: InputOptions): SymbolicTensor;
export function Input(...args: unknown[]): SymbolicTensor {
  const options = parseArguments<InputOptions>('Input', args, INPUT_OPTIONS);
  const { batchShape } = options;
  if (options.shape === undefined && batchShape === undefined) {
    throw configError('Input', { expected: 'shape is required', hint: 'e.g. nr.Input({shape: [784]}) or nr.Input([784])' });
  }
  if (options.shape !== undefined && batchShape !== undefined) {
    throw configError('Input', {
      expected: 'give shape or batchShape, not both',
      got: `shape ${show(options.shape)} and batchShape ${show(batchShape)}`,
    });
  }
  if (batchShape !== undefined)
    return symbolicInput(new InputLayer({ batchInputShape: batchShape, name: options.name, dtype: options.dtype }));
  return symbolicInput(
    new InputLayer({ inputShape: options.shape, batchSize: options.batchSize, name: options.name, dtype: options.dtype }),
  );
}
