import { configError, hostArray, hostWritten, is, shapeError, show } from '../../../core/index.js';
import { randu, type Tensor, type Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  declareLayerOptions,
  formatLayerShape,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { attentionShapes, inputMasks, type AttentionCallOptions } from './masks.js';

export interface AttentionOptions extends LayerOptions {
  /** A trainable scalar multiplying the scores (default false). */
  useScale?: boolean;
  /** 'dot' (default): `q · k`; 'concat': `sum(tanh(q + k))` times a trainable scalar. */
  scoreMode?: 'dot' | 'concat';
  /** Dropout rate of the attention weights when training (default 0). */
  dropout?: number;
}

export type AdditiveAttentionOptions = Omit<AttentionOptions, 'scoreMode'>;

/**
 * Keras's `Attention` (Luong's dot-product attention) on `[query, value]` or `[query, value, key]`,
 * each `[batch, time, dim]`: `softmax(scores) value` with scores `query keyᵀ` (times a trainable
 * `scale` with `useScale`), or with `scoreMode: 'concat'` `concat_score_weight * sum(tanh(scale * (q + k)))`.
 * Output `[batch, Tq, valueDim]`, plus the weights `[batch, Tq, Tv]` (after dropout, as Keras) with
 * `returnAttentionScores`. Masks `[queryMask, valueMask]` (from the inputs, or the `mask` option): a
 * masked value is never attended to, a masked query's output row is 0. Keyword `useCausalMask`.
 *
 * ```ts
 * const attention = new nr.layers.Attention();
 * const [out, weights] = attention.apply<nr.Tensor[]>([nr.ones([1, 2, 3]), nr.ones([1, 4, 3])], { returnAttentionScores: true });
 * out.shape; // [1, 2, 3]
 * weights.toArray(); // [[[0.25, 0.25, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]]]
 * ```
 */
export class Attention extends Layer {
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
    return ['useCausalMask', 'returnAttentionScores'];
  }

  readonly useScale: boolean;
  readonly scoreMode: 'dot' | 'concat';
  readonly dropout: number;
  protected scale: Variable | null = null;
  private concatScoreWeight: Variable | null = null;

  constructor(options?: AttentionOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<AttentionOptions>();
    const own = `${this.className} "${this.name}"`;
    this.useScale = options.useScale ?? this.defaultUseScale;
    this.scoreMode = options.scoreMode ?? 'dot';
    this.dropout = options.dropout ?? 0;
    if (!(this.dropout >= 0 && this.dropout < 1))
      throw configError(own, { expected: 'dropout must be a number in [0, 1)', got: show(this.dropout) });
  }

  protected get defaultUseScale(): boolean {
    return false;
  }

  /** [query, value, key] shapes (key defaults to value), each `[batch, time, dim]`. */
  protected shapesOf(inputShape: LayerShape | readonly LayerShape[]): [LayerShape, LayerShape, LayerShape] {
    return attentionShapes(
      `${this.className} "${this.name}"`,
      inputShape,
      'query [batch, Tq, dim], value [batch, Tv, valueDim] and key [batch, Tv, dim]',
      (query, _value, key) => query[2] === null || key[2] === null || query[2] === key[2],
    );
  }

  override build(inputShape: LayerShape | readonly LayerShape[]): void {
    this.shapesOf(inputShape);
    if (this.useScale) this.scale = this.addWeight({ name: 'scale', shape: [], initializer: 'ones' });
    if (this.scoreMode === 'concat')
      this.concatScoreWeight = this.addWeight({ name: 'concat_score_weight', shape: [], initializer: 'ones' });
    super.build(inputShape as LayerShape);
  }

  override computeOutputShape(inputShape: LayerShape | readonly LayerShape[], options: CallOptions = {}): LayerShape | LayerShape[] {
    const [query, value] = this.shapesOf(inputShape);
    const out = [query[0]!, query[1]!, value[2]!];
    return options.returnAttentionScores === true ? [out, [query[0]!, query[1]!, value[1]!]] : out;
  }

  /** Scores `[batch, Tq, Tv]`. */
  protected scores(query: Tensor, key: Tensor): Tensor {
    if (this.scoreMode === 'dot') {
      const scores = ops.matmul(query, key, { transposeB: true });
      return this.scale === null ? scores : ops.mul(scores, this.scale);
    }
    let sum = ops.add(ops.expandDims(query, 2), ops.expandDims(key, 1));
    if (this.scale !== null) sum = ops.mul(sum, this.scale);
    return ops.mul(ops.sum(ops.tanh(sum), -1), this.concatScoreWeight!);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor | Tensor[] {
    const list = (Array.isArray(inputs) ? inputs : [inputs]) as Tensor[];
    this.shapesOf(list.map((t) => t.shape));
    const [query, value, key = value] = list as [Tensor, Tensor, Tensor?];
    const keywords = options as AttentionCallOptions;
    const own = `${this.className} "${this.name}"`;
    const given = keywords.mask;
    if (given !== undefined && given !== null && (!Array.isArray(given) || given.length < 2 || given.length > 3)) {
      throw configError(own, {
        expected: 'mask must be a list [queryMask, valueMask]',
        got: Array.isArray(given) ? `a list of ${given.length}` : show(given),
      });
    }
    const [queryMask, valueMask] = inputMasks(own, [query, value], keywords);
    // Keras's rule for a query with every value masked: -1e9 added to each score leaves a uniform row.
    let weights = ops.attentionSoftmax(this.scores(query, key), {
      mask: valueMask ? ops.expandDims(valueMask, 1) : null,
      causal: keywords.useCausalMask === true,
      emptyRows: 'uniform',
    });
    if (this.dropout > 0 && options.training === true) {
      const keep = randu(weights.shape, { dtype: weights.dtype });
      const data = hostArray(keep._data);
      for (let i = 0; i < data.length; i++) data[i] = data[i]! >= this.dropout ? 1 / (1 - this.dropout) : 0;
      hostWritten(data);
      weights = ops.mul(weights, keep);
    }
    let out = ops.matmul(weights, value);
    if (queryMask) out = ops.mul(out, ops.expandDims(queryMask, -1));
    return keywords.returnAttentionScores === true ? [out, weights] : out;
  }

  /** The query's mask goes with the output. */
  override computeMask(_inputs: Tensor | readonly Tensor[], mask: CallOptions['mask']): Tensor | null {
    return Array.isArray(mask) ? (mask[0] ?? null) : null;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), useScale: this.useScale, scoreMode: this.scoreMode, dropout: this.dropout };
  }
}
declareLayerOptions(Attention, {
  keys: { useScale: is.boolean, scoreMode: is.oneOf('dot', 'concat'), dropout: is.number } satisfies OwnOptionChecks<
    AttentionOptions,
    LayerOptions
  >,
});
registerLayer(Attention, 'Attention');

/**
 * Keras's `AdditiveAttention` (Bahdanau's attention): scores `sum(scale * tanh(q + k))` over the
 * features, `scale` a trainable `[dim]` vector (glorot_uniform) with `useScale` (default true), then as
 * `Attention`: masks, `useCausalMask`, `returnAttentionScores`, dropout of the weights.
 *
 * ```ts
 * const attention = new nr.layers.AdditiveAttention();
 * attention.apply([nr.randn([2, 3, 4]), nr.randn([2, 5, 4])]).shape; // [2, 3, 4]
 * ```
 */
export class AdditiveAttention extends Attention {
  constructor(options?: AdditiveAttentionOptions);
  constructor(...args: unknown[]) {
    super(...(args as [AttentionOptions?]));
    const { scoreMode } = this.options<AttentionOptions>();
    if (scoreMode !== undefined) {
      throw configError(`AdditiveAttention "${this.name}"`, {
        expected: 'no scoreMode: the scores are always additive',
        got: show(scoreMode),
        hint: "use nr.layers.Attention({ scoreMode: 'concat' }) for Luong's concat scores",
      });
    }
  }

  protected override get defaultUseScale(): boolean {
    return true;
  }

  override build(inputShape: LayerShape | readonly LayerShape[]): void {
    const [query] = this.shapesOf(inputShape);
    if (query[2] === null) {
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: 'a query with a known last dimension',
        got: formatLayerShape(query),
      });
    }
    if (this.useScale) this.scale = this.addWeight({ name: 'scale', shape: [query[2]], initializer: 'glorot_uniform' });
    this.built = true;
  }

  protected override scores(query: Tensor, key: Tensor): Tensor {
    const tanh = ops.tanh(ops.add(ops.expandDims(query, 2), ops.expandDims(key, 1)));
    return ops.sum(this.scale === null ? tanh : ops.mul(tanh, this.scale), -1);
  }

  override getConfig(): Record<string, unknown> {
    const { scoreMode: _scoreMode, ...config } = super.getConfig();
    return config;
  }
}
declareLayerOptions(AdditiveAttention, { keys: { useScale: is.boolean, dropout: is.number } });
registerLayer(AdditiveAttention, 'AdditiveAttention');
