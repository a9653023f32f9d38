import { configError, formatError } from '../../core/index.js';
import { Tensor } from '../../tensor/index.js';
import { Graph } from './graph.js';

export interface CitationGraphOptions {
  /** Store each citation in both directions, as Kipf & Welling treat Cora (default true). */
  undirected?: boolean;
  /** Add a self-loop to every node (default false). */
  selfLoops?: boolean;
  /** Drop citations of papers missing from the content file (Citeseer has some) instead of failing (default false). */
  skipUnknown?: boolean;
}

export interface CitationGraph {
  graph: Graph;
  /** The paper id of each node, in the content file's order. */
  ids: string[];
  /** The class names, sorted; `graph.labels` holds indices into this list. */
  classes: string[];
}

/**
 * Parses the Cora / Citeseer layout (LINQS): the content text has one line per paper, `<id>
 * <feature>... <class>` separated by tabs or spaces, and the cites text one line per citation, `<cited
 * id> <citing id>`. Nodes follow the content file's order; features are float32 `[papers, features]`,
 * labels int32 indices into the sorted class names. A malformed line is a FormatError naming the
 * source and line. `loadCitationGraph` reads the two files.
 *
 * ```ts
 * const { graph, classes } = nr.graph.parseCitationGraph('a 1 0 ml\nb 0 1 db\nc 1 1 ml\n', 'a b\nc a\n');
 * console.log(graph.numNodes, graph.numEdges, classes); // 3 4 [ 'db', 'ml' ]
 * ```
 */
export function parseCitationGraph(
  content: string,
  cites: string,
  options: CitationGraphOptions = {},
  sources: [string, string] = ['content', 'cites'],
): CitationGraph {
  const { undirected = true, selfLoops = false, skipUnknown = false } = options;
  const ids: string[] = [];
  const index = new Map<string, number>();
  const rows: number[][] = [];
  const classNames: string[] = [];
  let width = -1;
  lines(content).forEach(([line, n]) => {
    const fields = line.split(/\s+/);
    const where = `parseCitationGraph: ${sources[0]} line ${n}`;
    if (fields.length < 3) throw formatError(where, { expected: '<id> <feature>... <class>', got: JSON.stringify(line.slice(0, 80)) });
    if (width === -1) width = fields.length - 2;
    if (fields.length - 2 !== width)
      throw formatError(where, { expected: `${width} features as on the first line`, got: `${fields.length - 2}` });
    const id = fields[0]!;
    if (index.has(id))
      throw formatError(where, { expected: 'each paper once', got: `${JSON.stringify(id)} again (first on node ${index.get(id)})` });
    const values = fields.slice(1, -1).map(Number);
    const bad = values.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw formatError(where, { expected: 'numeric features', got: `feature ${bad} is ${JSON.stringify(fields[bad + 1])}` });
    index.set(id, ids.length);
    ids.push(id);
    rows.push(values);
    classNames.push(fields.at(-1)!);
  });
  if (ids.length === 0) throw formatError(`parseCitationGraph: ${sources[0]}`, { expected: 'at least one paper', got: 'no lines' });
  const src: number[] = [];
  const dst: number[] = [];
  for (const [line, n] of lines(cites)) {
    const fields = line.split(/\s+/);
    const where = `parseCitationGraph: ${sources[1]} line ${n}`;
    if (fields.length !== 2) throw formatError(where, { expected: '<cited id> <citing id>', got: JSON.stringify(line.slice(0, 80)) });
    const [cited, citing] = fields.map((id) => index.get(id));
    if (cited === undefined || citing === undefined) {
      if (skipUnknown) continue;
      const missing = cited === undefined ? fields[0] : fields[1];
      throw formatError(where, {
        expected: 'papers listed in the content file',
        got: `unknown paper ${JSON.stringify(missing)}`,
        hint: 'pass {skipUnknown: true} to drop such citations',
      });
    }
    src.push(citing);
    dst.push(cited);
  }
  const classes = [...new Set(classNames)].sort();
  const features = new Float32Array(ids.length * width);
  rows.forEach((r, i) => features.set(r, i * width));
  const labels = Int32Array.from(classNames, (c) => classes.indexOf(c));
  const graph = Graph.fromEdges([Int32Array.from(src), Int32Array.from(dst)], {
    numNodes: ids.length,
    undirected,
    selfLoops,
    x: new Tensor(features, [ids.length, width], 'float32'),
    labels: new Tensor(labels, [ids.length], 'int32'),
  });
  return { graph, ids, classes };
}

/** Non-empty lines with their 1-based numbers. */
function lines(text: string): [string, number][] {
  const out: [string, number][] = [];
  text.split(/\r?\n/).forEach((l, i) => {
    const t = l.trim();
    if (t.length > 0) out.push([t, i + 1]);
  });
  return out;
}

/**
 * Reads a Cora-style graph from its `.content` and `.cites` files (see `parseCitationGraph`); Node only.
 *
 * ```typescript
 * const { graph, classes } = nr.graph.loadCitationGraph('cora/cora.content', 'cora/cora.cites');
 * ```
 */
export function loadCitationGraph(contentPath: string, citesPath: string, options: CitationGraphOptions = {}): CitationGraph {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as { readFileSync(path: string, encoding: 'utf8'): string } | undefined;
  if (!fs)
    throw configError('loadCitationGraph', {
      expected: 'Node.js with process.getBuiltinModule',
      hint: 'read the files yourself and call parseCitationGraph',
    });
  const read = (path: string) => {
    try {
      return fs.readFileSync(path, 'utf8');
    } catch (e) {
      throw formatError(`loadCitationGraph: ${path}`, { expected: 'a readable file', got: (e as Error).message, cause: e });
    }
  };
  return parseCitationGraph(read(contentPath), read(citesPath), options, [contentPath, citesPath]);
}
