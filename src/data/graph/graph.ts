import { configError, formatShape, shapeError, show, type DType } from '../../core/index.js';
import { Tensor, tensor, type TensorLike } from '../../tensor/index.js';
import { concat, type CsrMatrix } from '../../ops/index.js';

/** Edges as `[[src, dst], ...]`, or PyTorch Geometric's `edge_index` layout as two index arrays `[sources, targets]`. */
export type EdgeList = readonly (readonly number[])[] | readonly [ArrayLike<number>, ArrayLike<number>];

/** Node data a graph may carry; each has one row (entry) per node. */
export interface NodeData {
  /** Node features `[numNodes, features]`. */
  x?: TensorLike;
  /** Node labels `[numNodes]` (int32 class indices) or `[numNodes, ...]`. */
  labels?: TensorLike;
  /** Boolean (or 0/1) masks `[numNodes]` picking the nodes of each split. */
  trainMask?: TensorLike;
  valMask?: TensorLike;
  testMask?: TensorLike;
}

export interface FromEdgesOptions extends NodeData {
  /** The number of nodes (default: one more than the largest index in the edges). */
  numNodes?: number;
  /** Store every edge in both directions (default false). */
  undirected?: boolean;
  /** Add a self-loop to every node that lacks one (default false). */
  selfLoops?: boolean;
}

type NodeKey = keyof NodeData;
const NODE_KEYS: readonly NodeKey[] = ['x', 'labels', 'trainMask', 'valMask', 'testMask'];

/**
 * A graph in compressed sparse row form, with optional node data. Row i of the adjacency lists the
 * sources of the edges into node i (`colIdx[rowPtr[i]] ... colIdx[rowPtr[i + 1] - 1]`, ascending):
 * a graph layer updates node i from those neighbours, as PyTorch Geometric's messages flow from an
 * edge's source to its target. Repeated edges are stored once. Several graphs batch into one
 * block-diagonal graph whose `batch` vector names each node's graph (`Graph.batch`).
 *
 * ```ts
 * const g = nr.graph.Graph.fromEdges([[0, 1], [1, 2]], { numNodes: 4, undirected: true, selfLoops: true });
 * console.log(g.numEdges, g.degree().toArray()); // 8 [ 2, 3, 2, 1 ]
 * ```
 */
export class Graph {
  /** Each node's graph when several were batched (`Graph.batch`); null for a single graph. */
  readonly batch: Int32Array | null;
  readonly numGraphs: number;
  private readonly data: { [K in NodeKey]?: Tensor } = {};
  private readonly cache = new Map<string, CsrMatrix>();

  private constructor(
    readonly numNodes: number,
    readonly rowPtr: Int32Array,
    readonly colIdx: Int32Array,
    batch: Int32Array | null = null,
    numGraphs = 1,
  ) {
    this.batch = batch;
    this.numGraphs = numGraphs;
  }

  /**
   * Builds a graph from its edges. Indices must be integers in `[0, numNodes)`: anything else is a
   * ShapeError naming the edge.
   */
  static fromEdges(edges: EdgeList, options: FromEdgesOptions = {}): Graph {
    const where = 'Graph.fromEdges';
    const [src, dst] = splitEdges(edges, where);
    const { numNodes: given, undirected = false, selfLoops = false } = options;
    let numNodes = given;
    if (numNodes === undefined) {
      numNodes = 0;
      for (let e = 0; e < src.length; e++) numNodes = Math.max(numNodes, src[e]! + 1, dst[e]! + 1);
    } else if (!Number.isSafeInteger(numNodes) || numNodes < 0) {
      throw configError(where, { expected: 'numNodes must be an integer >= 0', got: show(numNodes) });
    }
    for (let e = 0; e < src.length; e++) {
      for (const [role, v] of [
        ['source', src[e]!],
        ['target', dst[e]!],
      ] as const) {
        if (!Number.isInteger(v) || v < 0 || v >= numNodes) {
          throw shapeError(where, {
            expected: `node indices must be integers in [0, ${numNodes})`,
            got: `edge ${e} [${src[e]}, ${dst[e]}] has ${role} ${v}`,
            hint: Number.isInteger(v) && v >= numNodes ? `raise numNodes to at least ${v + 1}` : undefined,
          });
        }
      }
    }
    const rows: number[][] = Array.from({ length: numNodes }, () => []);
    for (let e = 0; e < src.length; e++) {
      rows[dst[e]!]!.push(src[e]!);
      if (undirected) rows[src[e]!]!.push(dst[e]!);
    }
    if (selfLoops) rows.forEach((row, i) => row.push(i));
    const graph = Graph.fromRows(rows);
    for (const key of NODE_KEYS) if (options[key] !== undefined) graph.setNodeData(key, options[key]!);
    return graph;
  }

  /** A graph from each node's list of sources (sorted and deduplicated here). */
  private static fromRows(rows: readonly number[][], batch: Int32Array | null = null, numGraphs = 1): Graph {
    const rowPtr = new Int32Array(rows.length + 1);
    const cols: number[] = [];
    rows.forEach((row, i) => {
      const sorted = Int32Array.from(row).sort();
      for (let p = 0; p < sorted.length; p++) if (p === 0 || sorted[p] !== sorted[p - 1]) cols.push(sorted[p]!);
      rowPtr[i + 1] = cols.length;
    });
    return new Graph(rows.length, rowPtr, Int32Array.from(cols), batch, numGraphs);
  }

  private rows(): number[][] {
    return Array.from({ length: this.numNodes }, (_, i) => Array.from(this.colIdx.subarray(this.rowPtr[i], this.rowPtr[i + 1])));
  }

  /**
   * Joins graphs into one block-diagonal graph for graph-level tasks: node indices are offset, node
   * data concatenated (when every graph has it), and `batch[i]` is the index of node i's graph.
   */
  static batch(graphs: readonly Graph[]): Graph {
    if (graphs.length === 0 || !graphs.every((g) => g instanceof Graph)) {
      throw configError('Graph.batch', { expected: 'a non-empty list of nr.graph.Graph', got: show(graphs) });
    }
    const rows: number[][] = [];
    const batch: number[] = [];
    graphs.forEach((g, k) => {
      const offset = rows.length;
      for (const row of g.rows()) {
        rows.push(row.map((j) => j + offset));
        batch.push(k);
      }
    });
    const out = Graph.fromRows(rows, Int32Array.from(batch), graphs.length);
    for (const key of NODE_KEYS) {
      const parts = graphs.map((g) => g.data[key]);
      if (parts.every((t) => t !== undefined)) out.data[key] = concat(parts as Tensor[], 0);
      else if (parts.some((t) => t !== undefined)) {
        throw configError('Graph.batch', {
          expected: `every graph or none to have ${key}`,
          got: `graph ${parts.indexOf(undefined)} has none`,
        });
      }
    }
    return out;
  }

  /** The number of stored (directed) edges, self-loops included. */
  get numEdges(): number {
    return this.colIdx.length;
  }

  get x(): Tensor | null {
    return this.data.x ?? null;
  }
  set x(value: TensorLike | null) {
    this.setNodeData('x', value);
  }
  get labels(): Tensor | null {
    return this.data.labels ?? null;
  }
  set labels(value: TensorLike | null) {
    this.setNodeData('labels', value);
  }
  get trainMask(): Tensor | null {
    return this.data.trainMask ?? null;
  }
  set trainMask(value: TensorLike | null) {
    this.setNodeData('trainMask', value);
  }
  get valMask(): Tensor | null {
    return this.data.valMask ?? null;
  }
  set valMask(value: TensorLike | null) {
    this.setNodeData('valMask', value);
  }
  get testMask(): Tensor | null {
    return this.data.testMask ?? null;
  }
  set testMask(value: TensorLike | null) {
    this.setNodeData('testMask', value);
  }

  private setNodeData(key: NodeKey, value: TensorLike | null): void {
    if (value === null) {
      delete this.data[key];
      return;
    }
    const t = value instanceof Tensor ? value : tensor(value, undefined, key.endsWith('Mask') ? 'bool' : undefined);
    const mask = key.endsWith('Mask');
    if (t.rank === 0 || t.shape[0] !== this.numNodes || (mask && t.rank !== 1) || (key === 'x' && t.rank !== 2)) {
      throw shapeError(`Graph.${key}`, {
        expected: `${mask ? '[numNodes]' : key === 'x' ? '[numNodes, features]' : '[numNodes, ...]'} with numNodes = ${this.numNodes}`,
        got: formatShape(t.shape),
      });
    }
    this.data[key] = mask && t.dtype !== 'bool' ? t.notEqual(0) : t;
  }

  /** Each node's degree: the number of its stored neighbours (its row of the adjacency), int32 `[numNodes]`. */
  degree(): Tensor {
    const d = new Int32Array(this.numNodes);
    for (let i = 0; i < this.numNodes; i++) d[i] = this.rowPtr[i + 1]! - this.rowPtr[i]!;
    return new Tensor(d, [this.numNodes], 'int32');
  }

  /** The nodes that have no self-loop. */
  nodesWithoutSelfLoops(): number[] {
    const missing: number[] = [];
    for (let i = 0; i < this.numNodes; i++) if (!this.colIdx.subarray(this.rowPtr[i], this.rowPtr[i + 1]).includes(i)) missing.push(i);
    return missing;
  }

  /** Whether every node has a self-loop. */
  hasSelfLoops(): boolean {
    return this.nodesWithoutSelfLoops().length === 0;
  }

  /** A copy with a self-loop on every node (the node data and batch vector are shared). */
  addSelfLoops(): Graph {
    const out = Graph.fromRows(
      this.rows().map((row, i) => [...row, i]),
      this.batch,
      this.numGraphs,
    );
    Object.assign(out.data, this.data);
    return out;
  }

  /** Throws a ConfigError naming `layer` and the first nodes without a self-loop, unless every node has one. */
  requireSelfLoops(layer: string): void {
    const missing = this.nodesWithoutSelfLoops();
    if (missing.length === 0) return;
    throw configError(layer, {
      expected: 'a graph with a self-loop on every node (each node attends to or averages over itself too)',
      got: `${missing.length} node(s) without one: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ', ...' : ''}`,
      hint: 'call graph.addSelfLoops(), or build it with Graph.fromEdges(edges, {selfLoops: true})',
    });
  }

  private csr(key: string, dtype: DType, make: () => [Int32Array, Int32Array, Float64Array]): CsrMatrix {
    const id = `${key}:${dtype}`;
    let m = this.cache.get(id);
    if (!m) {
      const [rowPtr, colIdx, values] = make();
      m = { shape: [this.numNodes, this.numNodes], rowPtr, colIdx, values: tensor(values, [values.length], dtype) };
      this.cache.set(id, m);
    }
    return m;
  }

  /** The adjacency as a CSR matrix of ones `[numNodes, numNodes]` (row i: the sources of the edges into i). */
  adjacency(dtype: DType = 'float32'): CsrMatrix {
    return this.csr('adjacency', dtype, () => [this.rowPtr, this.colIdx, new Float64Array(this.numEdges).fill(1)]);
  }

  /**
   * Kipf & Welling's propagation matrix D^-1/2 (A + I) D^-1/2, with D the degrees of A + I. The graph
   * must already hold the self-loops (A + I is the stored adjacency): call `addSelfLoops()` first.
   */
  normalizedAdjacency(dtype: DType = 'float32'): CsrMatrix {
    this.requireSelfLoops('Graph.normalizedAdjacency');
    return this.csr('normalized', dtype, () => {
      const scale = new Float64Array(this.numNodes);
      for (let i = 0; i < this.numNodes; i++) scale[i] = 1 / Math.sqrt(this.rowPtr[i + 1]! - this.rowPtr[i]!);
      const values = new Float64Array(this.numEdges);
      for (let i = 0; i < this.numNodes; i++) {
        for (let p = this.rowPtr[i]!; p < this.rowPtr[i + 1]!; p++) values[p] = scale[i]! * scale[this.colIdx[p]!]!;
      }
      return [this.rowPtr, this.colIdx, values];
    });
  }

  /**
   * The mean over each node's neighbours other than itself (self-loops left out, as GraphSAGE's
   * N(v) excludes v): row i holds 1/|N(i)| at each neighbour; a node without neighbours has an empty row.
   */
  meanAdjacency(dtype: DType = 'float32'): CsrMatrix {
    return this.csr('mean', dtype, () => {
      const rowPtr = new Int32Array(this.numNodes + 1);
      const cols: number[] = [];
      const values: number[] = [];
      for (let i = 0; i < this.numNodes; i++) {
        const row = Array.from(this.colIdx.subarray(this.rowPtr[i], this.rowPtr[i + 1])).filter((j) => j !== i);
        for (const j of row) {
          cols.push(j);
          values.push(1 / row.length);
        }
        rowPtr[i + 1] = cols.length;
      }
      return [rowPtr, Int32Array.from(cols), Float64Array.from(values)];
    });
  }

  /** The target node of every stored entry (the row of each position of `colIdx`). */
  rowIndices(): Int32Array {
    const rows = new Int32Array(this.numEdges);
    for (let i = 0; i < this.numNodes; i++) rows.fill(i, this.rowPtr[i]!, this.rowPtr[i + 1]!);
    return rows;
  }
}

function splitEdges(edges: EdgeList, where: string): [ArrayLike<number>, ArrayLike<number>] {
  if (!Array.isArray(edges)) {
    throw configError(where, { expected: 'edges as [[src, dst], ...] or [sources, targets]', got: show(edges) });
  }
  const [a, b] = edges as readonly ArrayLike<number>[];
  // Two index arrays, unless they read as two [src, dst] pairs (plain arrays of length 2).
  const pairs = !(edges.length === 2 && (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || a!.length !== 2 || b!.length !== 2));
  if (!pairs) {
    if (a!.length !== b!.length) {
      throw shapeError(where, { expected: 'sources and targets of one length', got: `${a!.length} sources and ${b!.length} targets` });
    }
    return [a!, b!];
  }
  const src = new Float64Array(edges.length);
  const dst = new Float64Array(edges.length);
  (edges as readonly (readonly number[])[]).forEach((edge, e) => {
    if (!Array.isArray(edge) || edge.length !== 2) {
      throw shapeError(where, { expected: 'each edge as a pair [src, dst]', got: `edge ${e} is ${show(edge)}` });
    }
    src[e] = edge[0];
    dst[e] = edge[1];
  });
  return [src, dst];
}
