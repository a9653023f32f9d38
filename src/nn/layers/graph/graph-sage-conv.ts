import { is } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { declareLayerOptions, registerLayer, type LayerShape, type OwnOptionChecks } from '../../layer.js';
import type { LinearOptions } from '../core/linear.js';
import { asDType, graphOf, type GraphCallOptions } from './base.js';
import { GraphLinearLayer, type GraphLinearOptions } from './graph-linear.js';

export interface GraphSAGEConvOptions extends GraphLinearOptions {
  /** How neighbours are combined; 'mean' is the one implemented (default 'mean'). */
  aggregator?: 'mean';
  /** Scale each output row to unit L2 norm, the paper's line 7 (default false). */
  normalize?: boolean;
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
export class GraphSAGEConv extends GraphLinearLayer {
  readonly aggregator: 'mean';
  readonly normalize: boolean;

  constructor(units: number, options?: Omit<GraphSAGEConvOptions, 'units'>);
  constructor(options: GraphSAGEConvOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GraphSAGEConvOptions>();
    this.aggregator = options.aggregator ?? 'mean';
    this.normalize = options.normalize ?? false;
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

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), aggregator: this.aggregator, normalize: this.normalize };
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
