import { ConfigError, ShapeError, formatShape } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions, type LayerShape } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';

export interface MaxoutOptions extends LayerOptions {
  /** Number of output features. */
  units: number;
  /** Number of linear pieces each output takes the maximum of (>= 1). */
  pieces: number;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
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
export class Maxout extends Layer {
  readonly units: number;
  readonly pieces: number;
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly kernelRegularizer: Regularizer | null;
  private readonly biasRegularizer: Regularizer | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(options: MaxoutOptions) {
    super(options);
    for (const key of ['units', 'pieces'] as const) {
      if (!Number.isInteger(options?.[key]) || options[key] < 1) {
        throw new ConfigError(`Maxout "${this.name}": ${key} must be a positive integer, got ${String(options?.[key])}`);
      }
    }
    this.units = options.units;
    this.pieces = options.pieces;
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  override build(inputShape: LayerShape): void {
    const inFeatures = inputShape.at(-1);
    if (inputShape.length < 2 || inFeatures === null || inFeatures === undefined) {
      throw new ShapeError(`Maxout "${this.name}": expected input of rank >= 2 with a known last dimension, got ${formatShape(inputShape.map((d) => d ?? -1))}; add a Flatten layer before it for images`);
    }
    const width = this.units * this.pieces;
    this.kernel = this.addWeight({ name: 'kernel', shape: [inFeatures, width], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [width], initializer: this.biasInitializer, regularizer: this.biasRegularizer });
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const kernel = this.kernel!;
    if (inputs.rank < 2 || inputs.shape.at(-1) !== kernel.shape[0]) {
      throw new ShapeError(`Maxout "${this.name}": expected input with last dimension ${kernel.shape[0]}, got ${formatShape(inputs.shape)}`);
    }
    let z = ops.matmul(inputs.dtype === kernel.dtype ? inputs : ops.cast(inputs, kernel.dtype), kernel);
    if (this.bias) z = ops.add(z, this.bias);
    return ops.max(ops.reshape(z, [...z.shape.slice(0, -1), this.units, this.pieces]), -1);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(), units: this.units, pieces: this.pieces, useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
    };
    if (this.kernelRegularizer?.config) config.kernelRegularizer = this.kernelRegularizer.config;
    if (this.biasRegularizer?.config) config.biasRegularizer = this.biasRegularizer.config;
    return config;
  }
}
registerLayer(Maxout);
