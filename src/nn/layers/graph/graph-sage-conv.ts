import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { declareLayerOptions, registerLayer, type CallOptions, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import { LinearLayer, type LinearOptions } from '../core/linear.js';
import { asDType, graphApply, graphOf, type GraphCallOptions, type GraphLayerInput } from './base.js';

export interface GraphSAGEConvOptions extends LinearOptions {
  /** Number of output features per node. */
  units: number;
  /** How neighbours are combined; 'mean' is the one implemented (default 'mean'). */
  aggregator?: 'mean';
  /** Scale each output row to unit L2 norm, the paper's line 7 (default false). */
  normalize?: boolean;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
}

/**
 * GraphSAGE with the mean aggregator (Hamilton, Ying & Leskovec, NeurIPS 2017, Algorithm 1):
 * `h_i = activation(concat(x_i, mean_{j in N(i)} x_j) W + b)`, then `h_i / max(||h_i||, 1e-12)` when
 * `normalize`. One kernel `[2 * features, units]` acts on the concatenation, the paper's form (its
 * first `features` rows weigh the node itself, the rest its neighbours' mean); N(i) leaves out i's
 * own self-loop, and a node without neighbours aggregates zeros.
 *
 * ```ts
 * const g = nr.graph.Graph.fromEdges([[0, 1], [1, 2]], { undirected: true });
 * const sage = new nr.layers.GraphSAGEConv({ units: 4, normalize: true });
 * console.log(sage.apply([nr.ones([3, 5]), g]).shape); // [ 3, 4 ]
 * ```
 */
export class GraphSAGEConv extends LinearLayer {
  readonly units: number;
  readonly aggregator: 'mean';
  readonly normalize: boolean;
  readonly activation: ActivationIdentifier;
  private readonly activationFn: ActivationFn;

  constructor(units: number, options?: Omit<GraphSAGEConvOptions, 'units'>);
  constructor(options: GraphSAGEConvOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GraphSAGEConvOptions>();
    const own = `GraphSAGEConv "${this.name}"`;
    if (!Number.isInteger(options.units) || options.units < 1) {
      throw configError(own, { expected: 'units must be a positive integer', got: show(options.units) });
    }
    this.units = options.units;
    this.aggregator = options.aggregator ?? 'mean';
    this.normalize = options.normalize ?? false;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, own);
  }

  /** @internal */
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

  override build(inputShape: LayerShape): void {
    const features = inputShape.at(-1);
    super.build([...inputShape.slice(0, -1), typeof features === 'number' ? 2 * features : null]);
  }

  override call(inputs: Tensor, options: GraphCallOptions): Tensor {
    const x = asDType(inputs, this.dtype);
    const neighbours = ops.sparseMatmul(graphOf(this, options).meanAdjacency(this.dtype), x);
    const h = ops.matmul(ops.concat([x, neighbours], -1), this.kernel!);
    const out = this.activationFn(this.bias ? ops.add(h, this.bias) : h);
    if (!this.normalize) return out;
    // max(||h||^2, 1e-24) under the root: the same value as max(||h||, 1e-12), and a zero row gets no infinite slope.
    return ops.div(out, ops.sqrt(ops.maximum(ops.sum(ops.square(out), -1, true), 1e-24)));
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [...inputShape.slice(0, -1), this.units];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      units: this.units,
      aggregator: this.aggregator,
      normalize: this.normalize,
      activation: activationName(this.activation),
      ...this.linearConfig(),
    };
  }
}
declareLayerOptions(GraphSAGEConv, {
  positional: ['units'],
  keys: {
    units: is.any,
    aggregator: is.oneOf('mean'),
    normalize: is.boolean,
    activation: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<GraphSAGEConvOptions, LinearOptions>,
});
registerLayer(GraphSAGEConv, 'GraphSAGEConv');
