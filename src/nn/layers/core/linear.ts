import { formatShape, is, shapeError } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer, declareLayerOptions, type LayerOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';

/** The weight options every affine layer takes (Keras's names and defaults). */
export interface LinearOptions extends LayerOptions {
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
}

/**
 * The affine part shared by Dense and Maxout: a kernel `[inFeatures, width]`, an optional bias
 * `[width]`, and `inputs @ kernel + bias`. Subclasses say how wide it is and what follows it.
 */
export abstract class LinearLayer extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly useBias: boolean;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly kernelRegularizer: Regularizer | null;
  private readonly biasRegularizer: Regularizer | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<LinearOptions>();
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  /** Number of kernel columns. */
  protected abstract get width(): number;

  override build(inputShape: LayerShape): void {
    const inFeatures = inputShape.at(-1);
    if (inputShape.length < 2 || inFeatures === null || inFeatures === undefined) {
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: 'expected input of rank >= 2 with a known last dimension',
        got: formatShape(inputShape.map((d) => d ?? -1)),
        hint: 'add a Flatten layer before it for images',
      });
    }
    this.kernel = this.addWeight({
      name: 'kernel',
      shape: [inFeatures, this.width],
      initializer: this.kernelInitializer,
      regularizer: this.kernelRegularizer,
    });
    if (this.useBias)
      this.bias = this.addWeight({
        name: 'bias',
        shape: [this.width],
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
      });
    super.build(inputShape);
  }

  /**
   * `activation(inputs @ kernel + bias)` as one op (`ops.linear`), after checking the input's last
   * dimension; `activation` is one of the few the op fuses (default none).
   */
  protected affine(inputs: Tensor, activation: ops.LinearActivation = 'linear'): Tensor {
    const kernel = this.kernel!;
    if (inputs.rank < 2 || inputs.shape[inputs.rank - 1] !== kernel.shape[0]) {
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: `expected input with last dimension ${kernel.shape[0]}`,
        got: formatShape(inputs.shape),
      });
    }
    return ops.linear(inputs.dtype === kernel.dtype ? inputs : ops.cast(inputs, kernel.dtype), kernel, this.bias, activation);
  }

  /** The weight options, for getConfig. */
  protected linearConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      biasInitializer: this.biasInitializer,
    };
    if (this.kernelRegularizer?.config) config.kernelRegularizer = this.kernelRegularizer.config;
    if (this.biasRegularizer?.config) config.biasRegularizer = this.biasRegularizer.config;
    return config;
  }
}

/** The checks of the weight options, shared by every layer with a kernel and a bias. */
export const LINEAR_OPTIONS = {
  useBias: is.boolean,
  kernelInitializer: is.identifier,
  biasInitializer: is.identifier,
  kernelRegularizer: is.nullable(is.identifier),
  biasRegularizer: is.nullable(is.identifier),
} satisfies OwnOptionChecks<LinearOptions, LayerOptions>;
declareLayerOptions(LinearLayer, { keys: LINEAR_OPTIONS });
