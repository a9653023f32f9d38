import { configError, is, show } from '../../../core/index.js';
import { Tensor, zeros } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { Graph } from '../../../data/graph/graph.js';
import {
  Layer,
  declareLayerOptions,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { graphApply, graphOf, type GraphCallOptions, type GraphLayerInput } from './base.js';

export type GraphPoolingMode = 'mean' | 'sum' | 'max';

export interface GlobalGraphPoolingOptions extends LayerOptions {
  /** How each graph's node features are combined (default 'mean'). */
  mode?: GraphPoolingMode;
}

/**
 * One row per graph from a batch of graphs (`nr.graph.Graph.batch`): the mean, sum or max of the
 * features of the nodes whose `batch` entry names that graph, `[numNodes, features]` ->
 * `[numGraphs, features]`. A graph that was not batched is one graph. A graph without nodes pools to
 * zeros. The max's gradient goes to the first node holding it.
 *
 * ```ts
 * const a = nr.graph.Graph.fromEdges([[0, 1]], { undirected: true });
 * const b = nr.graph.Graph.fromEdges([[0, 1], [1, 2]], { undirected: true });
 * const pool = new nr.layers.GlobalGraphPooling({ mode: 'sum' });
 * console.log(pool.apply([nr.ones([5, 3]), nr.graph.Graph.batch([a, b])]).toArray()); // [ [ 2, 2, 2 ], [ 3, 3, 3 ] ]
 * ```
 */
export class GlobalGraphPooling extends Layer {
  readonly mode: GraphPoolingMode;

  constructor(mode: GraphPoolingMode, options?: Omit<GlobalGraphPoolingOptions, 'mode'>);
  constructor(options?: GlobalGraphPoolingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.mode = this.options<GlobalGraphPoolingOptions>().mode ?? 'mean';
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  override get callKeywords(): readonly string[] {
    return ['graph'];
  }

  override apply<T = Tensor>(inputs: GraphLayerInput, options: CallOptions = {}): NoInfer<T> {
    return graphApply(this, inputs, options, (x, o) => super.apply(x, o)) as NoInfer<T>;
  }

  override call(inputs: Tensor, options: GraphCallOptions): Tensor {
    const graph = graphOf(this, options);
    if (inputs.dtype !== 'float32' && inputs.dtype !== 'float64') {
      throw configError(`GlobalGraphPooling "${this.name}"`, { expected: 'float node features', got: show(inputs) });
    }
    const [n, features] = inputs.shape as [number, number];
    const groups = poolingGroups(graph);
    if (this.mode !== 'max') {
      const values = new Float64Array(n);
      for (let g = 0; g < graph.numGraphs; g++) {
        const count = groups.rowPtr[g + 1]! - groups.rowPtr[g]!;
        values.fill(this.mode === 'mean' ? 1 / count : 1, groups.rowPtr[g]!, groups.rowPtr[g + 1]!);
      }
      const matrix = {
        shape: [graph.numGraphs, n] as const,
        ...groups,
        values: ops.cast(new Tensor(values, [n], 'float64'), inputs.dtype),
      };
      return ops.sparseMatmul(matrix, inputs);
    }
    if (n === 0) return zeros([graph.numGraphs, features], inputs.dtype);
    // The position of each graph's largest value per feature, picked without grad; gather carries the gradient.
    const x = inputs.data();
    const picks = new Int32Array(graph.numGraphs * features).fill(-1);
    for (let g = 0; g < graph.numGraphs; g++) {
      for (let p = groups.rowPtr[g]!; p < groups.rowPtr[g + 1]!; p++) {
        const base = groups.colIdx[p]! * features;
        for (let f = 0; f < features; f++) {
          const best = picks[g * features + f]!;
          if (best < 0 || x[base + f]! > x[best]! || Number.isNaN(x[base + f]!)) picks[g * features + f] = base + f;
        }
      }
    }
    const out = ops.reshape(
      ops.gather(
        ops.reshape(inputs, [n * features]),
        new Tensor(
          picks.map((i) => Math.max(i, 0)),
          [picks.length],
          'int32',
        ),
      ),
      [graph.numGraphs, features],
    );
    if (!picks.includes(-1)) return out;
    const filled = new Tensor(
      picks.map((i) => (i < 0 ? 0 : 1)),
      [graph.numGraphs, features],
      'int32',
    );
    return ops.mul(out, ops.cast(filled, inputs.dtype));
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [null, inputShape.at(-1) ?? null];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mode: this.mode };
  }
}

/** The nodes of each graph as the rows of a CSR matrix `[numGraphs, numNodes]`. */
function poolingGroups(graph: Graph): { rowPtr: Int32Array; colIdx: Int32Array } {
  const batch = graph.batch ?? new Int32Array(graph.numNodes);
  const rowPtr = new Int32Array(graph.numGraphs + 1);
  for (const g of batch) rowPtr[g + 1]!++;
  for (let g = 0; g < graph.numGraphs; g++) rowPtr[g + 1]! += rowPtr[g]!;
  const next = rowPtr.slice(0, graph.numGraphs);
  const colIdx = new Int32Array(batch.length);
  batch.forEach((g, i) => {
    colIdx[next[g]!++] = i;
  });
  return { rowPtr, colIdx };
}
declareLayerOptions(GlobalGraphPooling, {
  positional: ['mode'],
  keys: { mode: is.oneOf('mean', 'sum', 'max') } satisfies OwnOptionChecks<GlobalGraphPoolingOptions, LayerOptions>,
});
registerLayer(GlobalGraphPooling, 'GlobalGraphPooling');
