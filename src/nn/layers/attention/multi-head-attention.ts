import { configError, is, show } from '../../../core/index.js';
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
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { attentionMask, attentionShapes, type AttentionCallOptions } from './masks.js';

export interface MultiHeadAttentionOptions extends LayerOptions {
  numHeads: number;
  /** Size of each head of the query and key projections. */
  keyDim: number;
  /** Size of each head of the value projection (default keyDim). */
  valueDim?: number | null;
  /** Dropout rate of the attention probabilities (default 0). */
  dropout?: number;
  useBias?: boolean;
  /** The output's feature shape (default the query's last dimension). */
  outputShape?: number | readonly number[] | null;
  /** Only Keras's default, attention over the time axis (null, 1 or -2), is supported. */
  attentionAxes?: number | readonly number[] | null;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
}

/** The call keywords of MultiHeadAttention, beside `training` and `mask`. */
export interface MultiHeadAttentionCallOptions extends AttentionCallOptions {
  /** 1 where query i may attend to key j: `[batch, Tq, Tk]` or anything broadcasting to it. */
  attentionMask?: Tensor | null;
}

const PROJECTIONS = ['query', 'key', 'value'] as const;

/**
 * Keras's multi-head attention ("Attention is all you need"): query, key and value are projected to
 * `numHeads` heads (kernels `[dim, numHeads, keyDim | valueDim]`, biases `[numHeads, keyDim | valueDim]`),
 * each head attends with `softmax(q kᵀ / sqrt(keyDim)) v`, and the heads are projected back by the
 * `attention_output` kernel `[numHeads, valueDim, ...outputShape]` and bias `[...outputShape]`. Inputs:
 * `[query, value]` or `[query, value, key]`, each `[batch, time, dim]`; output `[batch, Tq, ...outputShape]`,
 * plus the probabilities `[batch, numHeads, Tq, Tk]` with `returnAttentionScores`. Call keywords:
 * `attentionMask`, `useCausalMask`, `returnAttentionScores`, `training`; the inputs' masks combine as
 * in Keras (a masked query attends nowhere, a masked key is never attended to).
 *
 * ```ts
 * const mha = new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4 });
 * const x = nr.randn([3, 5, 8]);
 * mha.apply([x, x], { useCausalMask: true }).shape; // [3, 5, 8]
 * ```
 */
export class MultiHeadAttention extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  override get takesInputList(): boolean {
    return true;
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override get callKeywords(): readonly string[] {
    return ['attentionMask', 'useCausalMask', 'returnAttentionScores'];
  }

  readonly numHeads: number;
  readonly keyDim: number;
  readonly valueDim: number;
  readonly dropout: number;
  readonly useBias: boolean;
  readonly outputShape: readonly number[] | null;
  readonly attentionAxes: readonly number[] | null;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly kernelRegularizer: Regularizer | null;
  private readonly biasRegularizer: Regularizer | null;
  /** Kernel and bias (or null) of query, key, value and attention_output, in Keras's order. */
  private projections: [Variable, Variable | null][] = [];

  constructor(options: MultiHeadAttentionOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<MultiHeadAttentionOptions>();
    const own = `MultiHeadAttention "${this.name}"`;
    for (const key of ['numHeads', 'keyDim'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) {
        throw configError(own, { expected: `${key} must be a positive integer`, got: show(options[key]) });
      }
    }
    this.numHeads = options.numHeads;
    this.keyDim = options.keyDim;
    this.valueDim = options.valueDim ?? options.keyDim;
    if (!Number.isInteger(this.valueDim) || this.valueDim < 1) {
      throw configError(own, { expected: 'valueDim must be a positive integer (or null for keyDim)', got: show(options.valueDim) });
    }
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw configError(own, { expected: 'dropout must be a number in [0, 1)', got: show(this.dropout) });
    this.useBias = options.useBias ?? true;
    const shape = options.outputShape ?? null;
    this.outputShape = shape === null ? null : typeof shape === 'number' ? [shape] : [...shape];
    if (this.outputShape !== null && (this.outputShape.length === 0 || !this.outputShape.every((d) => Number.isInteger(d) && d > 0))) {
      throw configError(own, { expected: 'outputShape must be a positive integer or a list of them', got: show(shape) });
    }
    const axes = options.attentionAxes ?? null;
    this.attentionAxes = axes === null ? null : typeof axes === 'number' ? [axes] : [...axes];
    if (
      this.attentionAxes !== null &&
      !(this.attentionAxes.length === 1 && (this.attentionAxes[0] === 1 || this.attentionAxes[0] === -2))
    ) {
      throw configError(own, {
        expected: 'attentionAxes must be null (or 1 / -2, the same): attention over the time axis of [batch, time, features] inputs',
        got: show(axes),
        hint: 'reshape other layouts to [batch, time, features] first',
      });
    }
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  /** [query, value, key] shapes (key defaults to value), each `[batch, time, features]` with known features. */
  private shapesOf(inputShape: LayerShape | readonly LayerShape[]): [LayerShape, LayerShape, LayerShape] {
    return attentionShapes(
      `MultiHeadAttention "${this.name}"`,
      inputShape,
      'query, value and key of rank 3 [batch, time, features] with known features (Keras attentionAxes other than time are not supported)',
      (...shapes) => shapes.every((s) => s[2] !== null),
    );
  }

  override build(inputShape: LayerShape | readonly LayerShape[]): void {
    const [query, value, key] = this.shapesOf(inputShape);
    const heads = this.numHeads;
    const width = { query: this.keyDim, key: this.keyDim, value: this.valueDim };
    const dims = { query: query[2]!, key: key[2]!, value: value[2]! };
    const outDims = [...(this.outputShape ?? [query[2]!])];
    const make = (name: string, kernelShape: number[], biasShape: number[]): [Variable, Variable | null] => [
      this.addWeight({
        name: `${name}/kernel`,
        shape: kernelShape,
        initializer: this.kernelInitializer,
        regularizer: this.kernelRegularizer,
      }),
      this.useBias
        ? this.addWeight({ name: `${name}/bias`, shape: biasShape, initializer: this.biasInitializer, regularizer: this.biasRegularizer })
        : null,
    ];
    this.projections = PROJECTIONS.map((p) => make(p, [dims[p], heads, width[p]], [heads, width[p]]));
    this.projections.push(make('attention_output', [heads, this.valueDim, ...outDims], outDims));
    super.build(inputShape as LayerShape);
  }

  override computeOutputShape(inputShape: LayerShape | readonly LayerShape[], options: CallOptions = {}): LayerShape | LayerShape[] {
    const [query, value] = this.shapesOf(inputShape);
    const out = [query[0]!, query[1]!, ...(this.outputShape ?? [query[2]!])];
    if (options.returnAttentionScores !== true) return out;
    return [out, [query[0]!, this.numHeads, query[1]!, value[1]!]];
  }

  /** `[batch, time, dim]` projected to `[batch, heads, time, width]` by projection `index`. */
  private project(x: Tensor, index: number): Tensor {
    const [kernel, bias] = this.projections[index]!;
    const [dim, heads, width] = kernel.shape as [number, number, number];
    const [batch, time] = x.shape as [number, number];
    const flatBias = bias === null ? null : ops.reshape(bias, [heads * width]);
    const y = ops.linear(x, ops.reshape(kernel, [dim, heads * width]), flatBias);
    return ops.transpose(ops.reshape(y, [batch, time, heads, width]), [0, 2, 1, 3]);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor | Tensor[] {
    const list = (Array.isArray(inputs) ? inputs : [inputs]) as Tensor[];
    this.shapesOf(list.map((t) => t.shape));
    const [query, value, key = value] = list as [Tensor, Tensor, Tensor?];
    const keywords = options as MultiHeadAttentionCallOptions;
    const own = `MultiHeadAttention "${this.name}"`;
    const mask = attentionMask(own, list, keywords, keywords.attentionMask ?? null);
    const q = this.project(query, 0);
    const k = this.project(key, 1);
    const v = this.project(value, 2);
    const [heads, scores] = ops.scaledDotProductAttention(q, k, v, {
      mask: mask === null ? null : mask.rank === 3 ? ops.expandDims(mask, 1) : mask,
      causal: keywords.useCausalMask === true,
      scale: 1 / Math.sqrt(this.keyDim),
      dropout: this.dropout,
      training: options.training === true,
      emptyRows: 'uniform',
      returnScores: true,
    });
    const [batch, , tq] = heads.shape as [number, number, number, number];
    const [outKernel, outBias] = this.projections[3]!;
    const outDims = outKernel.shape.slice(2);
    const units = outDims.reduce((p, d) => p * d, 1);
    const merged = ops.reshape(ops.transpose(heads, [0, 2, 1, 3]), [batch, tq, this.numHeads * this.valueDim]);
    const flatBias = outBias === null ? null : ops.reshape(outBias, [units]);
    const out = ops.reshape(ops.linear(merged, ops.reshape(outKernel, [this.numHeads * this.valueDim, units]), flatBias), [
      batch,
      tq,
      ...outDims,
    ]);
    return keywords.returnAttentionScores === true ? [out, scores] : out;
  }

  /** The query's mask goes with the output (a single mask reaches only the first of [output, scores]). */
  override computeMask(_inputs: Tensor | readonly Tensor[], mask: CallOptions['mask']): Tensor | null {
    return Array.isArray(mask) ? (mask[0] ?? null) : ((mask as Tensor | null | undefined) ?? null);
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      numHeads: this.numHeads,
      keyDim: this.keyDim,
      valueDim: this.valueDim,
      dropout: this.dropout,
      useBias: this.useBias,
      outputShape: this.outputShape === null ? null : [...this.outputShape],
      attentionAxes: this.attentionAxes === null ? null : [...this.attentionAxes],
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
    if (this.kernelRegularizer?.config) config.kernelRegularizer = this.kernelRegularizer.config;
    if (this.biasRegularizer?.config) config.biasRegularizer = this.biasRegularizer.config;
    return config;
  }
}
declareLayerOptions(MultiHeadAttention, {
  keys: {
    numHeads: is.any,
    keyDim: is.any,
    valueDim: is.nullable(is.any),
    dropout: is.number,
    useBias: is.boolean,
    outputShape: is.nullable(is.any),
    attentionAxes: is.nullable(is.any),
    kernelInitializer: is.identifier,
    biasInitializer: is.identifier,
    kernelRegularizer: is.nullable(is.identifier),
    biasRegularizer: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<MultiHeadAttentionOptions, LayerOptions>,
});
registerLayer(MultiHeadAttention, 'MultiHeadAttention');
