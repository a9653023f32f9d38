import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { registerLayer, type CallOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { LinearLayer, type LinearOptions } from './linear.js';

export interface MaxoutOptions extends LinearOptions {
  /** Number of output features. */
  units: number;
  /** Number of linear pieces each output takes the maximum of (>= 1). */
  pieces: number;
}

/**
 * A maxout layer (Goodfellow et al., 2013): a linear layer with `units * pieces` outputs followed by
 * the maximum over each group of `pieces`, so each unit learns a convex piecewise-linear activation:
 * `out[..., j] = max_k (inputs @ kernel + bias)[..., j * pieces + k]`. Kernel `[inFeatures,
 * units * pieces]`, bias `[units * pieces]` (output `j` owns columns `j*pieces .. j*pieces+pieces-1`).
 * Input `[batch, ..., inFeatures]`, output `[batch, ..., units]`.
 *
 * ```ts
 * const layer = new nr.layers.Maxout({ units: 8, pieces: 3 });
 * layer.apply(nr.ones([2, 4])).shape; // [2, 8]
 * ```
 */
export class Maxout extends LinearLayer {
  readonly units: number;
  readonly pieces: number;

  constructor(options: MaxoutOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<MaxoutOptions>();
    for (const key of ['units', 'pieces'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) {
        throw configError(`Maxout "${this.name}"`, { expected: `${key} must be a positive integer`, got: show(options[key]) });
      }
    }
    this.units = options.units;
    this.pieces = options.pieces;
  }

  protected get width(): number {
    return this.units * this.pieces;
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const z = this.affine(inputs);
    return ops.max(ops.reshape(z, [...z.shape.slice(0, -1), this.units, this.pieces]), -1);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, pieces: this.pieces, ...this.linearConfig() };
  }
}
declareLayerOptions(Maxout, { keys: { units: is.any, pieces: is.any } satisfies OwnOptionChecks<MaxoutOptions, LinearOptions> });
registerLayer(Maxout, 'Maxout');
