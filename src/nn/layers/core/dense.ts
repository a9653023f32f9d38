import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import type * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { fusedActivationOf } from '../fused-activation.js';
import { declareLayerOptions, registerLayer, type CallOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import { LinearLayer, type LinearOptions } from './linear.js';

export interface DenseOptions extends LinearOptions {
  /** Number of output features. */
  units: number;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
}

/**
 * A fully connected layer: `activation(inputs @ kernel + bias)`, kernel `[inFeatures, units]` as in
 * Keras. Input `[batch, ..., inFeatures]`, output `[batch, ..., units]`.
 *
 * ```ts
 * const layer = new nr.layers.Dense({ units: 8, activation: 'relu' }); // or Keras's new Dense(8, {activation: 'relu'})
 * layer.apply(nr.ones([2, 4])).shape; // [2, 8]
 * ```
 */
export class Dense extends LinearLayer {
  override get supportsMasking(): boolean {
    return true;
  }

  readonly units: number;
  readonly activation: ActivationIdentifier;

  /** @internal A user's activation function may return a tensor it keeps (see Layer.keepsNoTensors). */
  override get keepsNoTensors(): boolean {
    return typeof this.activation !== 'function';
  }

  /** @internal A new array (see Layer.outputFresh). */
  override get outputFresh(): boolean {
    return this.constructor === Dense;
  }
  private readonly activationFn: ActivationFn;
  /** The activation when `ops.linear` applies it itself, else null (it is applied after). */
  private readonly fusedActivation: ops.LinearActivation | null;

  constructor(units: number, options?: Omit<DenseOptions, 'units'>);
  constructor(units: number, activation: ActivationIdentifier, options?: Omit<DenseOptions, 'units' | 'activation'>);
  constructor(options: DenseOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<DenseOptions>();
    if (!Number.isInteger(options.units) || options.units < 1) {
      throw configError(`Dense "${this.name}"`, { expected: 'units must be a positive integer', got: show(options.units) });
    }
    this.units = options.units;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, `Dense "${this.name}"`);
    this.fusedActivation = fusedActivationOf(this.activation);
  }

  protected get width(): number {
    return this.units;
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    if (this.fusedActivation !== null) return this.affine(inputs, this.fusedActivation);
    return this.activationFn(this.affine(inputs));
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, activation: activationName(this.activation), ...this.linearConfig() };
  }
}
declareLayerOptions(Dense, {
  positional: ['units', 'activation'],
  keys: { units: is.any, activation: is.nullable(is.identifier) } satisfies OwnOptionChecks<DenseOptions, LinearOptions>,
});
registerLayer(Dense, 'Dense');
