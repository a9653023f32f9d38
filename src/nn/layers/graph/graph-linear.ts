import { configError, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import type { CallOptions, LayerShape } from '../../layer.js';
import { LinearLayer, type LinearOptions } from '../core/linear.js';
import { graphApply, type GraphLayerInput } from './base.js';

export interface GraphLinearOptions extends LinearOptions {
  /** Number of output features per node. */
  units: number;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
}

/**
 * What GCNConv and GraphSAGEConv share: a kernel and bias of `units` columns (LinearLayer), an
 * activation, `apply([features, graph])` through graphApply, and `[..., units]` outputs.
 */
export abstract class GraphLinearLayer extends LinearLayer {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  protected readonly activationFn: ActivationFn;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GraphLinearOptions>();
    const own = `${this.className} "${this.name}"`;
    if (!Number.isInteger(options.units) || options.units < 1) {
      throw configError(own, { expected: 'units must be a positive integer', got: show(options.units) });
    }
    this.units = options.units;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, own);
  }

  /** @internal A user's activation function may keep the tensor it returns (see Layer.keepsNoTensors). */
  override get keepsNoTensors(): boolean {
    return typeof this.activation !== 'function';
  }

  protected get width(): number {
    return this.units;
  }

  override get callKeywords(): readonly string[] {
    return ['graph'];
  }

  override apply<T = Tensor>(inputs: GraphLayerInput, options: CallOptions = {}): NoInfer<T> {
    return graphApply(this, inputs, options, (x, o) => super.apply(x, o)) as NoInfer<T>;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, activation: activationName(this.activation), ...this.linearConfig() };
  }
}
