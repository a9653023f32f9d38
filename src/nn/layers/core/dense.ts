import { ConfigError, ShapeError, formatShape } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions, type LayerShape } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';

export interface DenseOptions extends LayerOptions {
  /** Number of output features. */
  units: number;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
}

/**
 * A fully connected layer: `activation(inputs @ kernel + bias)`, kernel `[inFeatures, units]` as in
 * Keras. Input `[batch, ..., inFeatures]`, output `[batch, ..., units]`.
 *
 * ```ts
 * const layer = new nr.layers.Dense({ units: 8, activation: 'relu' });
 * layer.apply(nr.ones([2, 4])).shape; // [2, 8]
 * ```
 */
export class Dense extends Layer {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly kernelRegularizer: Regularizer | null;
  private readonly biasRegularizer: Regularizer | null;
  private readonly activationFn: ActivationFn;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(options: DenseOptions) {
    super(options);
    if (!Number.isInteger(options?.units) || options.units < 1) {
      throw new ConfigError(`Dense "${this.name}": units must be a positive integer, got ${String(options?.units)}`);
    }
    this.units = options.units;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, `Dense "${this.name}"`);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  override build(inputShape: LayerShape): void {
    const inFeatures = inputShape.at(-1);
    if (inputShape.length < 2 || inFeatures === null || inFeatures === undefined) {
      throw new ShapeError(`Dense "${this.name}": expected input of rank >= 2 with a known last dimension, got ${formatShape(inputShape.map((d) => d ?? -1))}; add a Flatten layer before it for images`);
    }
    this.kernel = this.addWeight({ name: 'kernel', shape: [inFeatures, this.units], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer });
    if (this.useBias) this.bias = this.addWeight({ name: 'bias', shape: [this.units], initializer: this.biasInitializer, regularizer: this.biasRegularizer });
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const kernel = this.kernel!;
    if (inputs.rank < 2 || inputs.shape.at(-1) !== kernel.shape[0]) {
      throw new ShapeError(`Dense "${this.name}": expected input with last dimension ${kernel.shape[0]}, got ${formatShape(inputs.shape)}`);
    }
    let out = ops.matmul(inputs.dtype === kernel.dtype ? inputs : ops.cast(inputs, kernel.dtype), kernel);
    if (this.bias) out = ops.add(out, this.bias);
    return this.activationFn(out);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(), units: this.units, activation: activationName(this.activation), useBias: this.useBias,
      kernelInitializer: this.kernelInitializer, biasInitializer: this.biasInitializer,
    };
    if (this.kernelRegularizer?.config) config.kernelRegularizer = this.kernelRegularizer.config;
    if (this.biasRegularizer?.config) config.biasRegularizer = this.biasRegularizer.config;
    return config;
  }
}
registerLayer(Dense);
