import { configError, formatShape, is, shapeError, show } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import {
  Layer,
  declareLayerOptions,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { embeddingIndices, paddingMask } from './embedding.js';

export interface PositionEmbeddingOptions extends LayerOptions {
  /** The longest sequence the layer takes (required): one learned vector per position. */
  sequenceLength?: number;
  /** Default 'glorot_uniform' (keras_nlp's). */
  initializer?: InitializerIdentifier;
}

export interface TokenAndPositionEmbeddingOptions extends LayerOptions {
  /** The number of token ids, 0..vocabularySize-1 (required). */
  vocabularySize?: number;
  /** The longest sequence (required). */
  sequenceLength?: number;
  /** The size of both embeddings (required). */
  embeddingDim?: number;
  /** Default 'uniform' (RandomUniform -0.05..0.05), for both embeddings, as keras_nlp. */
  embeddingsInitializer?: InitializerIdentifier;
  /** Token 0 is padding: the output carries a mask, false where the input is 0 (default false). */
  maskZero?: boolean;
}

/** The required positive integers of `options`, or a ConfigError naming the first one missing. */
function required<T extends LayerOptions>(options: T, keys: readonly (keyof T & string)[], where: string, example: string): void {
  for (const key of keys) {
    if (options[key] === undefined) throw configError(where, { expected: `${key} is required`, hint: example });
  }
}

/**
 * Rows start..start+length-1 of a [sequenceLength, dim] table (`startIndex` from the call options,
 * default 0: the position of the first timestep, for decoding one step at a time), or an error when
 * they run past the table.
 */
function positions(table: Variable, length: number, options: CallOptions, where: string, input: readonly number[]): Tensor {
  const limit = table.shape[0]!;
  const start = options.startIndex ?? 0;
  if (!Number.isInteger(start) || (start as number) < 0) {
    throw configError(where, { expected: 'startIndex must be an integer >= 0', got: show(start) });
  }
  const from = start as number;
  if (from + length > limit) {
    throw shapeError(where, {
      expected: `a sequence of at most sequenceLength ${limit} positions`,
      got: `${length} in an input of shape ${formatShape(input)}${from > 0 ? ` from startIndex ${from}` : ''}`,
      hint: 'raise sequenceLength, or cut the sequences shorter',
    });
  }
  return from === 0 && length === limit ? table : ops.slice(table, [from, 0], [length, table.shape[1]!]);
}

/**
 * A learned embedding per position (keras_nlp's PositionEmbedding): for an input `[..., T, features]`
 * it returns the first T rows of its weight `embeddings` `[sequenceLength, features]`, broadcast to
 * the input's shape. The input's values are not read; add the result to a token embedding. T may be
 * shorter than sequenceLength, never longer.
 *
 * ```ts
 * const tokens = nr.randn([2, 5, 8]);
 * const positions = new nr.layers.PositionEmbedding({ sequenceLength: 16 }).apply(tokens);
 * tokens.add(positions).shape; // [2, 5, 8]
 * ```
 */
export class PositionEmbedding extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly sequenceLength: number;
  private readonly initializer: InitializerIdentifier;
  embeddings: Variable | null = null;

  constructor(sequenceLength?: number, options?: Omit<PositionEmbeddingOptions, 'sequenceLength'>);
  constructor(options?: PositionEmbeddingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<PositionEmbeddingOptions>();
    required(options, ['sequenceLength'], `PositionEmbedding "${this.name}"`, 'new nr.layers.PositionEmbedding({ sequenceLength: 128 })');
    this.sequenceLength = options.sequenceLength!;
    this.initializer = options.initializer ?? 'glorot_uniform';
  }

  override build(inputShape: LayerShape): void {
    const features = inputShape.at(-1);
    if (inputShape.length < 3 || features === null || features === undefined) {
      throw shapeError(`PositionEmbedding "${this.name}"`, {
        expected: 'expected input of rank >= 3 [batch, ..., sequence, features] with known features',
        got: formatShape(inputShape.map((d) => d ?? -1)),
      });
    }
    this.embeddings = this.addWeight({ name: 'embeddings', shape: [this.sequenceLength, features], initializer: this.initializer });
    super.build(inputShape);
  }

  override get callKeywords(): readonly string[] {
    return ['startIndex'];
  }

  /** The output lines up with the input's timesteps, so their mask still holds (keras_nlp drops it). */
  override get supportsMasking(): boolean {
    return true;
  }

  override call(inputs: Tensor, options: CallOptions = {}): Tensor {
    const where = `PositionEmbedding "${this.name}"`;
    if (inputs.rank < 3 || inputs.shape.at(-1) !== this.embeddings!.shape[1]) {
      throw shapeError(where, {
        expected: `expected input [batch, ..., sequence, ${this.embeddings!.shape[1]}]`,
        got: formatShape(inputs.shape),
      });
    }
    const table = positions(this.embeddings!, inputs.shape.at(-2)!, options, where, inputs.shape);
    return ops.broadcastTo(table, inputs.shape);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), sequenceLength: this.sequenceLength, initializer: this.initializer };
  }
}
declareLayerOptions(PositionEmbedding, {
  positional: ['sequenceLength'],
  keys: {
    sequenceLength: is.positiveInteger,
    initializer: is.identifier,
  } satisfies OwnOptionChecks<PositionEmbeddingOptions, LayerOptions>,
});
registerLayer(PositionEmbedding, 'PositionEmbedding');

/**
 * Token embedding plus learned position embedding (keras_nlp's TokenAndPositionEmbedding): token ids
 * `[..., T]` in [0, vocabularySize) become `embedding[id] + position[t]`, shape `[..., T,
 * embeddingDim]`, for T up to sequenceLength. Weights: `token_embedding/embeddings` `[vocabularySize,
 * embeddingDim]` and `position_embedding/embeddings` `[sequenceLength, embeddingDim]`.
 *
 * ```ts
 * const embed = new nr.layers.TokenAndPositionEmbedding({ vocabularySize: 100, sequenceLength: 32, embeddingDim: 16 });
 * embed.apply(nr.tensor([[5, 9, 2]], undefined, 'int32')).shape; // [1, 3, 16]
 * ```
 */
export class TokenAndPositionEmbedding extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly vocabularySize: number;
  readonly sequenceLength: number;
  readonly embeddingDim: number;
  readonly maskZero: boolean;
  private readonly embeddingsInitializer: InitializerIdentifier;
  tokenEmbeddings: Variable | null = null;
  positionEmbeddings: Variable | null = null;

  constructor(options?: TokenAndPositionEmbeddingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<TokenAndPositionEmbeddingOptions>();
    const example = 'new nr.layers.TokenAndPositionEmbedding({ vocabularySize: 1000, sequenceLength: 64, embeddingDim: 128 })';
    required(options, ['vocabularySize', 'sequenceLength', 'embeddingDim'], `TokenAndPositionEmbedding "${this.name}"`, example);
    this.vocabularySize = options.vocabularySize!;
    this.sequenceLength = options.sequenceLength!;
    this.embeddingDim = options.embeddingDim!;
    this.maskZero = options.maskZero ?? false;
    this.embeddingsInitializer = options.embeddingsInitializer ?? 'uniform';
  }

  override build(inputShape: LayerShape): void {
    const initializer = this.embeddingsInitializer;
    this.tokenEmbeddings = this.addWeight({
      name: 'token_embedding/embeddings',
      shape: [this.vocabularySize, this.embeddingDim],
      initializer,
    });
    this.positionEmbeddings = this.addWeight({
      name: 'position_embedding/embeddings',
      shape: [this.sequenceLength, this.embeddingDim],
      initializer,
    });
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape, this.embeddingDim];
  }

  override get callKeywords(): readonly string[] {
    return ['startIndex'];
  }

  override get supportsMasking(): boolean {
    return this.maskZero;
  }

  override computeMask(inputs: Tensor | readonly Tensor[]): Tensor | null {
    return this.maskZero ? paddingMask(inputs as Tensor) : null;
  }

  override call(inputs: Tensor, options: CallOptions = {}): Tensor {
    const where = `TokenAndPositionEmbedding "${this.name}"`;
    if (inputs.rank < 1) throw shapeError(where, { expected: 'expected token ids [batch, sequence]', got: 'a scalar' });
    const table = positions(this.positionEmbeddings!, inputs.shape.at(-1)!, options, where, inputs.shape);
    return ops.add(ops.gather(this.tokenEmbeddings!, embeddingIndices(inputs, this.vocabularySize, where), 0), table);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      vocabularySize: this.vocabularySize,
      sequenceLength: this.sequenceLength,
      embeddingDim: this.embeddingDim,
      embeddingsInitializer: this.embeddingsInitializer,
      maskZero: this.maskZero,
    };
  }
}
declareLayerOptions(TokenAndPositionEmbedding, {
  keys: {
    vocabularySize: is.positiveInteger,
    sequenceLength: is.positiveInteger,
    embeddingDim: is.positiveInteger,
    embeddingsInitializer: is.identifier,
    maskZero: is.boolean,
  } satisfies OwnOptionChecks<TokenAndPositionEmbeddingOptions, LayerOptions>,
});
registerLayer(TokenAndPositionEmbedding, 'TokenAndPositionEmbedding');
