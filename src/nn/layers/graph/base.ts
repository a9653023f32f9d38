import { configError, formatShape, shapeError, show } from '../../../core/index.js';
import { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Graph } from '../../../data/graph/graph.js';
import { SymbolicTensor, type CallOptions } from '../../layer.js';

/** Options `call` receives in a graph layer: the graph travels as a call keyword. */
export interface GraphCallOptions extends CallOptions {
  graph?: Graph;
}

/** `[features, graph]`, the input of every graph layer. */
export type GraphInputs = readonly [Tensor, Graph];

/**
 * What a graph layer's `apply` accepts in its type: `[features, graph]`, or features with `{graph}`;
 * the symbolic and other forms are there to satisfy Layer's overloads and are refused at run time.
 */
export type GraphLayerInput = GraphInputs | Tensor | SymbolicTensor | readonly unknown[];

/**
 * What the graph layers share: `apply([features, graph])` (or `apply(features, {graph})`) hands the
 * Graph to `call` as a keyword, so that the layer lifecycle (build on first use, errors prefixed with
 * the layer and shape, regularizer losses) is the one every layer has. A Graph holds index arrays, not
 * a tensor a functional model could trace, so a symbolic input is refused with the way out.
 */
export function graphApply<T>(
  layer: { className: string; name: string },
  inputs: unknown,
  options: CallOptions,
  apply: (x: Tensor, options: GraphCallOptions) => T,
): T {
  const own = `${layer.className} "${layer.name}"`;
  const [x, graph] = Array.isArray(inputs) ? inputs : [inputs, options.graph];
  if (x instanceof SymbolicTensor || (Array.isArray(inputs) && inputs.some((t) => t instanceof SymbolicTensor))) {
    throw configError(own, {
      expected: 'concrete features and an nr.graph.Graph: graph layers run eagerly',
      got: 'a SymbolicTensor (functional API)',
      hint: 'write a subclassed nr.Model that keeps the graph in a field and applies the layer to [x, graph] in call (docs/graphs.md)',
    });
  }
  if (!(x instanceof Tensor) || !(graph instanceof Graph) || (Array.isArray(inputs) && inputs.length !== 2)) {
    throw configError(own, {
      expected: 'apply([features, graph]) with features [numNodes, features] and an nr.graph.Graph',
      got: Array.isArray(inputs) ? `a list of ${inputs.length}: ${inputs.map((t) => show(t)).join(', ')}` : show(inputs),
    });
  }
  if (x.rank !== 2 || x.shape[0] !== graph.numNodes) {
    throw shapeError(own, {
      expected: `node features [numNodes, features] with numNodes = ${graph.numNodes} (the graph's)`,
      got: formatShape(x.shape),
    });
  }
  return apply(x, { ...options, graph });
}

/** The graph a layer's `call` was given (checked by graphApply; a direct `call` still gets a clear error). */
export function graphOf(layer: { className: string; name: string }, options: GraphCallOptions): Graph {
  if (!(options.graph instanceof Graph)) {
    throw configError(`${layer.className} "${layer.name}"`, { expected: 'a graph: apply([features, graph])', got: show(options.graph) });
  }
  return options.graph;
}

/** Features in the layer's dtype (int32 or float32 features into a float64 layer are cast). */
export function asDType(x: Tensor, dtype: 'float32' | 'float64'): Tensor {
  return x.dtype === dtype ? x : ops.cast(x, dtype);
}
