import { configError, dtypeError, formatShape, is, shapeError, show } from '../../../core/index.js';
import { tensor, type Tensor, type Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer, declareLayerOptions, registerLayer, type LayerOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { regularizerConfig } from '../conv/base-conv.js';

export interface EmbeddingOptions extends Omit<LayerOptions, 'inputDim'> {
  /** The vocabulary size: indices run over 0..inputDim-1 (required). */
  inputDim?: number;
  /** The size of each embedding vector (required). */
  outputDim?: number;
  /** Default 'uniform' (Keras's RandomUniform, -0.05..0.05). */
  embeddingsInitializer?: InitializerIdentifier;
  embeddingsRegularizer?: RegularizerIdentifier;
  /** Index 0 is padding: the output carries a mask, false where the input is 0 (default false). */
  maskZero?: boolean;
  /** Keras 2's fixed sequence length: the input shape `[inputLength]`, checked on every call. */
  inputLength?: number;
}

/**
 * `inputs` as int32 indices checked against [0, inputDim); float inputs must hold integers (Keras
 * truncates them, which hides a wrong input). The messages name `where` and the first bad value.
 */
export function embeddingIndices(inputs: Tensor, inputDim: number, where: string): Tensor {
  const data = inputs.data();
  if (inputs.dtype !== 'int32') {
    if (inputs.dtype === 'bool') {
      throw dtypeError(where, {
        expected: 'expected int32 indices (or floats holding integers)',
        got: `bool ${formatShape(inputs.shape)}`,
      });
    }
    const bad = data.findIndex((v) => !Number.isInteger(v));
    if (bad >= 0) {
      throw dtypeError(where, {
        expected: 'indices must be integers',
        got: `${data[bad]} at flat position ${bad} of a ${inputs.dtype} ${formatShape(inputs.shape)} input`,
        hint: 'round them, or pass an int32 tensor',
      });
    }
  }
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= inputDim) {
      throw shapeError(where, {
        expected: `index ${v} (at flat position ${i}) is outside the vocabulary`,
        rule: `valid indices: 0..${inputDim - 1} (inputDim ${inputDim})`,
        hint: 'raise inputDim to the vocabulary size, counting index 0 and any out-of-vocabulary index',
      });
    }
  }
  return inputs.dtype === 'int32' ? inputs : tensor(Int32Array.from(data), [...inputs.shape], 'int32');
}

/** 1 where the index is not 0, else 0 (float32, the input's shape): the mask of maskZero. */
export function paddingMask(indices: Tensor): Tensor {
  return ops.cast(ops.notEqual(indices, 0), 'float32');
}

/**
 * Turns integer indices into dense vectors: `output[..., :] = embeddings[index]`, the weight
 * `embeddings` of shape `[inputDim, outputDim]`. Input: int32 (or floats holding integers) of any
 * shape, each in [0, inputDim); output: the input's shape plus `[outputDim]`. The gradient adds each
 * output row's gradient into the row it came from (a scatter-add). With `maskZero`, index 0 is
 * padding and the output carries a mask that is false where the input is 0 (as in Keras, the
 * padding row itself still gets gradients; inputDim must count index 0).
 *
 * ```ts
 * const embed = new nr.layers.Embedding({ inputDim: 10, outputDim: 4 });
 * embed.apply(nr.tensor([[1, 2, 3], [4, 0, 0]], undefined, 'int32')).shape; // [2, 3, 4]
 * ```
 */
export class Embedding extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly inputDim: number;
  readonly outputDim: number;
  readonly maskZero: boolean;
  readonly inputLength: number | null;
  private readonly embeddingsInitializer: InitializerIdentifier;
  private readonly embeddingsRegularizer: Regularizer | null;
  embeddings: Variable | null = null;

  constructor(inputDim?: number, outputDim?: number, options?: Omit<EmbeddingOptions, 'inputDim' | 'outputDim'>);
  constructor(options?: EmbeddingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<EmbeddingOptions & LayerOptions>();
    const where = `Embedding "${this.name}"`;
    for (const key of ['inputDim', 'outputDim'] as const) {
      if (options[key] === undefined) {
        throw configError(where, {
          expected: `${key} is required`,
          hint: 'new nr.layers.Embedding({ inputDim: vocabularySize, outputDim: 64 })',
        });
      }
    }
    this.inputDim = options.inputDim!;
    this.outputDim = options.outputDim!;
    this.maskZero = options.maskZero ?? false;
    this.inputLength = options.inputLength ?? null;
    if (this.inputLength !== null) {
      // Keras 2's meaning, which Keras 3 drops with a warning: the input shape, so that a Sequential
      // model builds at once (and Flatten after it knows its size). A Keras 2 config holds both.
      const shape = options.inputShape;
      if (shape !== undefined && (shape.length !== 1 || shape[0] !== this.inputLength)) {
        throw configError(where, { expected: `inputShape must be [inputLength] = [${this.inputLength}]`, got: show(shape) });
      }
      (this as { batchInputShape: LayerShape | null }).batchInputShape = [options.batchSize ?? null, this.inputLength];
    }
    this.embeddingsInitializer = options.embeddingsInitializer ?? 'uniform';
    this.embeddingsRegularizer = getRegularizer(options.embeddingsRegularizer);
  }

  override build(inputShape: LayerShape): void {
    this.embeddings = this.addWeight({
      name: 'embeddings',
      shape: [this.inputDim, this.outputDim],
      initializer: this.embeddingsInitializer,
      regularizer: this.embeddingsRegularizer,
    });
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    this.checkLength(inputShape);
    return [...inputShape, this.outputDim];
  }

  private checkLength(shape: LayerShape): void {
    if (this.inputLength === null) return;
    if (shape.length !== 2 || (shape[1] !== null && shape[1] !== this.inputLength)) {
      throw shapeError(`Embedding "${this.name}"`, {
        expected: `expected input of shape [batch, ${this.inputLength}] (inputLength ${this.inputLength})`,
        got: formatShape(shape.map((d) => d ?? -1)),
        hint: 'leave inputLength out to take sequences of any length',
      });
    }
  }

  /** As Keras: a mask passes through only when the layer makes one. */
  override get supportsMasking(): boolean {
    return this.maskZero;
  }

  override computeMask(inputs: Tensor | readonly Tensor[]): Tensor | null {
    return this.maskZero ? paddingMask(inputs as Tensor) : null;
  }

  override call(inputs: Tensor): Tensor {
    this.checkLength(inputs.shape);
    const indices = embeddingIndices(inputs, this.inputDim, `Embedding "${this.name}"`);
    return ops.gather(this.embeddings!, indices, 0);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      inputDim: this.inputDim,
      outputDim: this.outputDim,
      embeddingsInitializer: this.embeddingsInitializer,
      ...regularizerConfig('embeddingsRegularizer', this.embeddingsRegularizer),
      maskZero: this.maskZero,
      ...(this.inputLength !== null ? { inputLength: this.inputLength } : {}),
    };
  }
}
declareLayerOptions(Embedding, {
  positional: ['inputDim', 'outputDim'],
  keys: {
    // A check of its own, not the base one: Layer then knows inputDim is not its input-shape shorthand.
    inputDim: (value, what) => is.positiveInteger(value, what),
    outputDim: is.positiveInteger,
    embeddingsInitializer: is.identifier,
    embeddingsRegularizer: is.nullable(is.identifier),
    maskZero: is.boolean,
    inputLength: is.positiveInteger,
  } satisfies OwnOptionChecks<EmbeddingOptions, Omit<LayerOptions, 'inputDim'>>,
});
registerLayer(Embedding, 'Embedding');
