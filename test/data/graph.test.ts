import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';
import { runCitationFuzz } from './citation.fuzz.js';

/*
 * nr.graph.Graph (CSR from edges, self-loops, the normalised adjacency, batching), the karate club
 * and the Cora-style loader, with the errors bad input raises.
 */

const Graph = nr.graph.Graph;
const dense = (m: nr.CsrMatrix): number[][] => {
  const out = Array.from({ length: m.shape[0] }, () => new Array<number>(m.shape[1]).fill(0));
  const v = m.values.data();
  for (let i = 0; i < m.shape[0]; i++) for (let p = m.rowPtr[i]!; p < m.rowPtr[i + 1]!; p++) out[i]![m.colIdx[p]!] = v[p]!;
  return out;
};

test('Graph.fromEdges: pairs and index arrays give one CSR; rows list the sources; repeats stored once', () => {
  const a = Graph.fromEdges([
    [0, 1],
    [2, 1],
    [0, 1],
    [1, 3],
  ]);
  const b = Graph.fromEdges([Int32Array.from([0, 2, 0, 1]), Int32Array.from([1, 1, 1, 3])]);
  const c = Graph.fromEdges([
    [0, 2, 0, 1],
    [1, 1, 1, 3],
  ]);
  for (const g of [a, b, c]) {
    assert.equal(g.numNodes, 4);
    assert.deepEqual(Array.from(g.rowPtr), [0, 0, 2, 2, 3]);
    assert.deepEqual(Array.from(g.colIdx), [0, 2, 1]);
  }
  // Two plain pairs read as pairs, not as [sources, targets].
  assert.deepEqual(
    Array.from(
      Graph.fromEdges([
        [0, 1],
        [2, 3],
      ]).colIdx,
    ),
    [0, 2],
  );
  const u = Graph.fromEdges(
    [
      [0, 1],
      [1, 2],
    ],
    { numNodes: 4, undirected: true, selfLoops: true },
  );
  assert.equal(u.numEdges, 8);
  assert.deepEqual(u.degree().toArray(), [2, 3, 2, 1]);
  assert.ok(u.hasSelfLoops() && !a.hasSelfLoops());
  assert.deepEqual(a.nodesWithoutSelfLoops(), [0, 1, 2, 3]);
  const looped = a.addSelfLoops();
  assert.deepEqual(looped.degree().toArray(), [1, 3, 1, 2]);
  assert.equal(looped.addSelfLoops().numEdges, looped.numEdges, 'a second addSelfLoops adds nothing');
});

test('Graph: normalizedAdjacency is D^-1/2 (A + I) D^-1/2, meanAdjacency averages the neighbours but the node itself', () => {
  const g = Graph.fromEdges(
    [
      [0, 1],
      [1, 2],
    ],
    { numNodes: 4, undirected: true, selfLoops: true },
  );
  const d = [2, 3, 2, 1];
  const expected = [
    [1 / 2, 1 / Math.sqrt(6), 0, 0],
    [1 / Math.sqrt(6), 1 / 3, 1 / Math.sqrt(6), 0],
    [0, 1 / Math.sqrt(6), 1 / 2, 0],
    [0, 0, 0, 1],
  ];
  const norm = g.normalizedAdjacency('float64');
  assert.equal(norm.values.dtype, 'float64');
  assertClose(dense(norm).flat(), expected.flat(), { rtol: 1e-15, message: 'normalised adjacency' });
  assert.equal(d.length, 4);
  assert.deepEqual(dense(g.meanAdjacency()), [
    [0, 1, 0, 0],
    [0.5, 0, 0.5, 0],
    [0, 1, 0, 0],
    [0, 0, 0, 0],
  ]);
  assert.deepEqual(
    dense(g.adjacency())
      .flat()
      .reduce((s, v) => s + v),
    8,
  );
});

test('Graph: node data is checked against the node count; Graph.batch builds the block-diagonal graph and batch vector', () => {
  const a = Graph.fromEdges([[0, 1]], {
    undirected: true,
    x: [[1], [2]],
    labels: nr.tensor([0, 1], undefined, 'int32'),
    trainMask: [1, 0],
  });
  const b = Graph.fromEdges(
    [
      [0, 1],
      [1, 2],
    ],
    { undirected: true, x: [[3], [4], [5]], labels: nr.tensor([1, 1, 0], undefined, 'int32'), trainMask: [0, 0, 1] },
  );
  assert.equal(a.trainMask!.dtype, 'bool');
  const batch = Graph.batch([a, b]);
  assert.equal(batch.numGraphs, 2);
  assert.deepEqual(Array.from(batch.batch!), [0, 0, 1, 1, 1]);
  assert.deepEqual(Array.from(batch.colIdx), [1, 0, 3, 2, 4, 3]);
  assert.deepEqual(batch.x!.toArray(), [[1], [2], [3], [4], [5]]);
  assert.deepEqual(batch.labels!.toArray(), [0, 1, 1, 1, 0]);
  assert.deepEqual(batch.trainMask!.toArray(), [true, false, false, false, true]);
  assert.throws(
    () => Graph.batch([a, Graph.fromEdges([[0, 1]])]),
    (e: Error) => e instanceof nr.ConfigError && /every graph or none to have x, got graph 1 has none/.test(e.message),
  );
});

test('Graph: bad input names the edge, the value and the shapes', () => {
  const cases: [() => unknown, typeof nr.NeuronaError, RegExp][] = [
    [
      () =>
        Graph.fromEdges(
          [
            [0, 1],
            [1, 5],
          ],
          { numNodes: 4 },
        ),
      nr.ShapeError,
      /Graph.fromEdges: .*\[0, 4\), got edge 1 \[1, 5\] has target 5; raise numNodes to at least 6/,
    ],
    [() => Graph.fromEdges([[-1, 1]], { numNodes: 4 }), nr.ShapeError, /got edge 0 \[-1, 1\] has source -1/],
    [
      () =>
        Graph.fromEdges(
          [
            [0, 1.5],
            [2, 1],
          ],
          { numNodes: 4 },
        ),
      nr.ShapeError,
      /integers in \[0, 4\), got edge 0 \[0, 1.5\] has target 1.5/,
    ],
    [() => Graph.fromEdges([[0, 1, 2]] as never), nr.ShapeError, /each edge as a pair \[src, dst\], got edge 0 is/],
    [
      () =>
        Graph.fromEdges([
          [0, 1, 2],
          [1, 2],
        ]),
      nr.ShapeError,
      /sources and targets of one length, got 3 sources and 2 targets/,
    ],
    [() => Graph.fromEdges([[0, 1]], { numNodes: -2 }), nr.ConfigError, /numNodes must be an integer >= 0, got -2/],
    [
      () => Graph.fromEdges([[0, 1]], { numNodes: 3, x: nr.ones([2, 4]) }),
      nr.ShapeError,
      /Graph.x: \[numNodes, features\] with numNodes = 3, got \[2, 4\]/,
    ],
    [
      () => Graph.fromEdges([[0, 1]], { numNodes: 3, testMask: [1, 0] }),
      nr.ShapeError,
      /Graph.testMask: \[numNodes\] with numNodes = 3, got \[2\]/,
    ],
    [
      () => Graph.fromEdges([[0, 1]]).normalizedAdjacency(),
      nr.ConfigError,
      /Graph.normalizedAdjacency: .*2 node\(s\) without one: 0, 1; call graph.addSelfLoops\(\)/,
    ],
  ];
  for (const [fn, cls, pattern] of cases) assert.throws(fn, (e: Error) => e instanceof cls && pattern.test(e.message), pattern.source);
});

test("karate club: 34 members, 78 friendships, degrees 16 and 17 for the leaders, networkx's club split", () => {
  const g = nr.datasets.karateClub();
  assert.equal(g.numNodes, 34);
  assert.equal(g.numEdges, 156, '78 undirected edges stored both ways');
  const degree = g.degree().toArray() as number[];
  assert.equal(degree[0], 16);
  assert.equal(degree[33], 17);
  assert.equal(
    degree.reduce((s, d) => s + d),
    156,
  );
  const labels = g.labels!.toArray() as number[];
  assert.equal(labels.filter((l) => l === 0).length, 17);
  assert.deepEqual(
    [labels[0], labels[33], labels[8], labels[9]],
    [0, 1, 0, 1],
    "node 8 followed Mr. Hi, node 9 the Officer (networkx's 'club')",
  );
  assert.deepEqual(g.x!.shape, [34, 34]);
  assert.deepEqual(
    (g.trainMask!.toArray() as number[]).flatMap((m, i) => (m ? [i] : [])),
    [0, 33],
  );
  assert.equal((g.testMask!.toArray() as number[]).filter(Boolean).length, 32);
  assert.deepEqual(nr.graph.KARATE_CLUBS, ['Mr. Hi', 'Officer']);
});

test('citation graphs: the Cora layout read from files, and malformed files rejected with FormatError', () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cora-'));
  try {
    const content = join(dir, 'tiny.content');
    const cites = join(dir, 'tiny.cites');
    writeFileSync(content, '31336\t0\t1\t0\tNeural_Networks\n1061127\t1\t0\t0\tRule_Learning\n1106406\t0\t0\t1\tNeural_Networks\n');
    writeFileSync(cites, '31336\t1061127\n1106406\t31336\n');
    const { graph, ids, classes } = nr.graph.loadCitationGraph(content, cites);
    assert.deepEqual(ids, ['31336', '1061127', '1106406']);
    assert.deepEqual(classes, ['Neural_Networks', 'Rule_Learning']);
    assert.deepEqual(graph.labels!.toArray(), [0, 1, 0]);
    assert.deepEqual(graph.x!.toArray(), [
      [0, 1, 0],
      [1, 0, 0],
      [0, 0, 1],
    ]);
    assert.deepEqual(Array.from(graph.rowPtr), [0, 2, 3, 4], 'undirected: 0-1 and 0-2');
    assert.deepEqual(Array.from(graph.colIdx), [1, 2, 0, 0]);
    const directed = nr.graph.loadCitationGraph(content, cites, { undirected: false, selfLoops: true });
    assert.deepEqual(Array.from(directed.graph.colIdx), [0, 1, 1, 0, 2], 'citing -> cited, plus self-loops');
    writeFileSync(cites, '31336\t1061127\n999\t31336\n');
    assert.throws(
      () => nr.graph.loadCitationGraph(content, cites),
      (e: Error) =>
        e instanceof nr.FormatError &&
        /tiny.cites line 2: papers listed in the content file, got unknown paper "999"; pass \{skipUnknown: true\}/.test(e.message),
    );
    assert.equal(nr.graph.loadCitationGraph(content, cites, { skipUnknown: true }).graph.numEdges, 2);
    writeFileSync(content, '1\t0\t1\tA\n2\t0\tB\n');
    assert.throws(
      () => nr.graph.loadCitationGraph(content, cites),
      (e: Error) => e instanceof nr.FormatError && /tiny.content line 2: 2 features as on the first line, got 1/.test(e.message),
    );
    writeFileSync(content, '1\t0\tx\tA\n');
    assert.throws(
      () => nr.graph.loadCitationGraph(content, cites),
      (e: Error) => e instanceof nr.FormatError && /numeric features, got feature 1 is "x"/.test(e.message),
    );
    assert.throws(
      () => nr.graph.loadCitationGraph(join(dir, 'none'), cites),
      (e: Error) => e instanceof nr.FormatError && /none: a readable file/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('citation graphs: 3,000 mutated files each load or fail with FormatError', () => {
  const report = runCitationFuzz(3000, 20);
  assert.equal(report.crashes, 0, report.examples.join('\n'));
  assert.ok(report.loaded > 100 && report.rejected > 100, `${report.loaded} loaded, ${report.rejected} rejected: both outcomes must occur`);
});
