import { is } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { declareLayerOptions, registerLayer, type OwnOptionChecks } from '../../layer.js';
import type { LinearOptions } from '../core/linear.js';
import { asDType, graphOf, type GraphCallOptions } from './base.js';
import { GraphLinearLayer, type GraphLinearOptions } from './graph-linear.js';

export type GCNConvOptions = GraphLinearOptions;

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
export class GCNConv extends GraphLinearLayer {
  constructor(units: number, options?: Omit<GCNConvOptions, 'units'>);
  constructor(options: GCNConvOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  override call(inputs: Tensor, options: GraphCallOptions): Tensor {
    const graph = graphOf(this, options);
    graph.requireSelfLoops(`GCNConv "${this.name}"`);
    const h = ops.matmul(asDType(inputs, this.dtype), this.kernel!);
    const out = ops.sparseMatmul(graph.normalizedAdjacency(this.dtype), h);
    return this.activationFn(this.bias ? ops.add(out, this.bias) : out);
  }
}
declareLayerOptions(GCNConv, {
  positional: ['units'],
  keys: { units: is.any, activation: is.nullable(is.identifier) } satisfies OwnOptionChecks<GCNConvOptions, LinearOptions>,
});
registerLayer(GCNConv, 'GCNConv');
