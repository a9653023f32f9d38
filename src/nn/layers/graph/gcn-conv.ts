import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { declareLayerOptions, registerLayer, type CallOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import { LinearLayer, type LinearOptions } from '../core/linear.js';
import { asDType, graphApply, graphOf, type GraphCallOptions, type GraphLayerInput } from './base.js';

export interface GCNConvOptions extends LinearOptions {
  /** Number of output features per node. */
  units: number;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
}

/**
 * Kipf & Welling's graph convolution (ICLR 2017, eq. 2): `activation(Â X W + b)` with
 * `Â = D^-1/2 (A + I) D^-1/2`. Weights `[kernel [features, units], bias [units]]`; the bias is added
 * after propagation, as in the paper's code and PyTorch Geometric. The graph must hold its self-loops
 * (the `I` of `A + I`): a graph without them is a ConfigError naming the nodes, so that a graph that
 * already has some is never given a second loop.
 *
 * ```ts
 * const g = nr.graph.Graph.fromEdges([[0, 1], [1, 2]], { undirected: true, selfLoops: true });
 * const gcn = new nr.layers.GCNConv({ units: 4, activation: 'relu' });
 * console.log(gcn.apply([nr.ones([3, 5]), g]).shape); // [ 3, 4 ]
 * ```
 */
export class GCNConv extends LinearLayer {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  private readonly activationFn: ActivationFn;

  constructor(units: number, options?: Omit<GCNConvOptions, 'units'>);
  constructor(options: GCNConvOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GCNConvOptions>();
    if (!Number.isInteger(options.units) || options.units < 1) {
      throw configError(`GCNConv "${this.name}"`, { expected: 'units must be a positive integer', got: show(options.units) });
    }
    this.units = options.units;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, `GCNConv "${this.name}"`);
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

  override call(inputs: Tensor, options: GraphCallOptions): Tensor {
    const graph = graphOf(this, options);
    graph.requireSelfLoops(`GCNConv "${this.name}"`);
    const h = ops.matmul(asDType(inputs, this.dtype), this.kernel!);
    const out = ops.sparseMatmul(graph.normalizedAdjacency(this.dtype), h);
    return this.activationFn(this.bias ? ops.add(out, this.bias) : out);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), units: this.units, activation: activationName(this.activation), ...this.linearConfig() };
  }
}
declareLayerOptions(GCNConv, {
  positional: ['units'],
  keys: { units: is.any, activation: is.nullable(is.identifier) } satisfies OwnOptionChecks<GCNConvOptions, LinearOptions>,
});
registerLayer(GCNConv, 'GCNConv');
