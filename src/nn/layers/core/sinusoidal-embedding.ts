import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Layer, declareLayerOptions, registerLayer, type LayerOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';

export interface SinusoidalEmbeddingOptions extends LayerOptions {
  /** Size of the embedding added as a last axis. */
  dim: number;
  /** The longest period of the sinusoids (default 10000). */
  maxPeriod?: number;
}

/**
 * The sinusoidal timestep embedding of diffusion models as a layer, for functional models: each
 * timestep (integer or fractional) becomes `[cos(t * freq) | sin(t * freq)]` of size `dim`, appended as
 * a last axis (`[batch]` gives `[batch, dim]`, `[batch, 1]` gives `[batch, 1, dim]`). No weights; see
 * {@link ops.timestepEmbedding} for the frequencies.
 *
 * ```ts
 * const t = nr.Input({ shape: [1] });
 * const e = new nr.layers.SinusoidalEmbedding({ dim: 16 }).apply(t); // [null, 1, 16]
 * const model = new nr.Model({ inputs: t, outputs: new nr.layers.Flatten().apply(e) });
 * model.predict(nr.tensor([[0], [500]])).shape; // [2, 16]
 * ```
 */
export class SinusoidalEmbedding extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly dim: number;
  readonly maxPeriod: number;

  constructor(dim: number, options?: Omit<SinusoidalEmbeddingOptions, 'dim'>);
  constructor(options: SinusoidalEmbeddingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<SinusoidalEmbeddingOptions>();
    const where = `SinusoidalEmbedding "${this.name}"`;
    this.dim = options.dim;
    if (!Number.isInteger(this.dim) || this.dim < 1)
      throw configError(where, { expected: 'dim must be a positive integer', got: show(options.dim) });
    this.maxPeriod = options.maxPeriod ?? 10000;
    if (!(this.maxPeriod > 0) || !Number.isFinite(this.maxPeriod)) {
      throw configError(where, { expected: 'maxPeriod must be a finite number > 0', got: show(options.maxPeriod) });
    }
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape, this.dim];
  }

  override call(inputs: Tensor): Tensor {
    const t = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    return ops.timestepEmbedding(t, this.dim, { maxPeriod: this.maxPeriod });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), dim: this.dim, maxPeriod: this.maxPeriod };
  }
}
declareLayerOptions(SinusoidalEmbedding, {
  positional: ['dim'],
  keys: { dim: is.integer, maxPeriod: is.number } satisfies OwnOptionChecks<SinusoidalEmbeddingOptions, LayerOptions>,
});
registerLayer(SinusoidalEmbedding, 'SinusoidalEmbedding');
