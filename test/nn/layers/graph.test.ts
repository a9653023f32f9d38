import { readFileSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

/*
 * The graph layers: outputs and gradients against the float64 NumPy reference written from the papers'
 * formulas (test/fixtures/graphs/gnn_numpy.py beside gnn.json, complex-step gradients), the shared
 * layer test on a small graph with an isolated node, pooling by hand, the save/load round trip in a
 * subclassed model, and the errors a user can cause.
 */

interface Case {
  name: 'GCNConv' | 'GraphSAGEConv' | 'GATConv';
  config: Record<string, unknown>;
  weights: unknown[];
  probe: number[][];
  output: number[][];
  gradFeatures: number[][];
  gradWeights: unknown[];
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/graphs/gnn.json', import.meta.url), 'utf8')) as {
  numNodes: number;
  edges: [number, number][];
  features: number[][];
  cases: Case[];
};

const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

for (const dtype of ['float64', 'float32'] as const) {
  test(`graph layers equal the NumPy reference of the papers' formulas, outputs and gradients (${dtype})`, () => {
    const tol = dtype === 'float64' ? { rtol: 1e-9, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
    const graph = nr.graph.Graph.fromEdges(fixture.edges, { numNodes: fixture.numNodes, selfLoops: true });
    assert.equal(graph.numEdges, fixture.edges.length + fixture.numNodes);
    assert.deepEqual((graph.degree().toArray() as number[]).slice(7), [1, 1], 'nodes 7 and 8 hold only their self-loop');
    assert.equal(fixture.cases.length, 4);
    for (const c of fixture.cases) {
      const label = `${c.name} ${JSON.stringify(c.config)} ${dtype}`;
      const layer = nr.layers.layerFromConfig({ className: c.name, config: { ...c.config, dtype } });
      const x = nr.tensor(fixture.features, undefined, dtype);
      layer.apply([x, graph] as never);
      assert.equal(layer.weights.length, c.weights.length, `${label}: weights`);
      layer.setWeights(c.weights.map((w, k) => nr.tensor(flat(w), layer.weights[k]!.shape, dtype)));
      const probe = nr.tensor(c.probe, undefined, dtype);
      const { value, grads } = nr.valueAndGrad((features: nr.Tensor, ...weights: nr.Tensor[]) => {
        void weights;
        return layer
          .apply([features, graph] as never)
          .mul(probe)
          .sum();
      })(x, ...layer.trainableWeights);
      void value;
      const out = layer.apply([x, graph] as never);
      assert.equal(out.dtype, dtype);
      assertClose(out, flat(c.output), { ...tol, message: `${label}: output` });
      assertClose(grads[0]!, flat(c.gradFeatures), { ...tol, message: `${label}: gradient w.r.t. the features` });
      c.gradWeights.forEach((g, k) => {
        assertClose(grads[k + 1]!, flat(g), { ...tol, message: `${label}: gradient w.r.t. ${layer.weights[k]!.name}` });
      });
    }
  });
}

// Five nodes, node 4 isolated but for its self-loop; directed edges, so rows and columns differ.
const small = () =>
  nr.graph.Graph.fromEdges(
    [
      [0, 1],
      [1, 2],
      [2, 0],
      [3, 1],
      [1, 3],
    ],
    { numNodes: 5, selfLoops: true },
  );

test('GCNConv: the shared layer test', () => {
  runLayerTest(() => new nr.layers.GCNConv({ units: 3, activation: 'tanh' }), {
    inputShape: [5, 4],
    expectedOutputShape: [5, 3],
    graph: small(),
  });
});

test('GraphSAGEConv: the shared layer test, with and without normalize', () => {
  runLayerTest(() => new nr.layers.GraphSAGEConv({ units: 3, normalize: true }), {
    inputShape: [5, 4],
    expectedOutputShape: [5, 3],
    graph: small(),
  });
  runLayerTest(() => new nr.layers.GraphSAGEConv(2, { useBias: false }), {
    inputShape: [5, 4],
    expectedOutputShape: [5, 2],
    graph: small(),
  });
});

test('GATConv: the shared layer test, heads concatenated and averaged, dropout only in training', () => {
  runLayerTest(() => new nr.layers.GATConv({ units: 2, heads: 2 }), { inputShape: [5, 3], expectedOutputShape: [5, 4], graph: small() });
  runLayerTest(() => new nr.layers.GATConv({ units: 2, heads: 3, concatHeads: false, activation: 'elu' }), {
    inputShape: [5, 3],
    expectedOutputShape: [5, 2],
    graph: small(),
  });
  runLayerTest(() => new nr.layers.GATConv({ units: 2, dropout: 0.5 }), {
    inputShape: [5, 3],
    expectedOutputShape: [5, 2],
    graph: small(),
    gradCheck: false,
    trainingDiffers: true,
  });
});

test('GATConv: the attention over each node sums to one, and a node with only its self-loop keeps its own features', () => {
  nr.setSeed(3);
  const g = small();
  const gat = new nr.layers.GATConv({ units: 3, useBias: false });
  const x = nr.randn([5, 3]);
  gat.apply([x, g] as never);
  gat.setWeights([nr.eye(3), nr.randn([1, 3]), nr.randn([1, 3])]);
  const out = gat.apply([x, g] as never);
  // The identity kernel makes h = x; node 4's only neighbour is itself, so alpha = 1.
  assertClose(out.slice([4, 0], [1, 3]), x.slice([4, 0], [1, 3]), { rtol: 1e-6, message: 'isolated node' });
});

test('GlobalGraphPooling: mean, sum and max per graph of a batch, against a hand computation; max gradient by finite differences', () => {
  const a = nr.graph.Graph.fromEdges([[0, 1]], { undirected: true });
  const b = nr.graph.Graph.fromEdges(
    [
      [0, 1],
      [1, 2],
    ],
    { undirected: true },
  );
  const batch = nr.graph.Graph.batch([a, b]);
  assert.deepEqual(Array.from(batch.batch!), [0, 0, 1, 1, 1]);
  const x = nr.tensor([
    [1, -2],
    [3, 4],
    [5, 0],
    [-1, 2],
    [0, 8],
  ]);
  const pool = (mode: 'mean' | 'sum' | 'max') => new nr.layers.GlobalGraphPooling(mode).apply([x, batch] as never).toArray();
  assert.deepEqual(pool('sum'), [
    [4, 2],
    [4, 10],
  ]);
  assertClose(flat(pool('mean')), [2, 1, 4 / 3, 10 / 3], { message: 'mean' });
  assert.deepEqual(pool('max'), [
    [3, 4],
    [5, 8],
  ]);
  runLayerTest(() => new nr.layers.GlobalGraphPooling({ mode: 'max' }), { inputShape: [5, 3], expectedOutputShape: [2, 3], graph: batch });
  runLayerTest(() => new nr.layers.GlobalGraphPooling(), { inputShape: [5, 3], expectedOutputShape: [2, 3], graph: batch });
  const single = new nr.layers.GlobalGraphPooling('mean').apply([x.slice([2, 0], [3, 2]), b] as never);
  assertClose(single, [4 / 3, 10 / 3], { message: 'a graph that was not batched is one graph' });
  nr.setSeed(9);
  const max = new nr.layers.GlobalGraphPooling({ mode: 'max', dtype: 'float64' });
  gradCheck((t) => max.apply([t, batch] as never), [randomFloat64([5, 3])], { label: 'max pooling' });
});

class TwoLayerGnn extends nr.Model {
  gcn = new nr.layers.GCNConv({ units: 4, activation: 'relu', name: 'gcn' });
  gat = new nr.layers.GATConv({ units: 2, heads: 2, concatHeads: false, name: 'gat' });
  // Not `graph`: Model keeps its functional layer graph under that name.
  constructor(readonly data: nr.graph.Graph) {
    super();
  }
  override call(x: nr.Tensor, { training = false } = {}): nr.Tensor {
    return this.gat.apply([this.gcn.apply([x, this.data] as never, { training }), this.data] as never, { training });
  }
}

test('graph layers in a subclassed model: trained, saved with saveWeights and reloaded, bitwise-equal predictions', async () => {
  nr.setSeed(11);
  const g = small();
  const x = nr.randn([5, 3]);
  const model = new TwoLayerGnn(g);
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const first = model.trainOnBatch(x, nr.zeros([5, 2])).loss;
  for (let i = 0; i < 5; i++) model.trainOnBatch(x, nr.zeros([5, 2]));
  assert.ok(model.trainOnBatch(x, nr.zeros([5, 2])).loss < first, 'training lowers the loss');
  const dir = mkdtempSync(join(tmpdir(), 'neurona-gnn-'));
  try {
    await model.saveWeights(join(dir, 'gnn.safetensors'));
    const restored = new TwoLayerGnn(g);
    restored.predict(x);
    await restored.loadWeights(join(dir, 'gnn.safetensors'));
    const [p, q] = [model.predict(x), restored.predict(x)];
    assert.ok(
      p.data().every((v, i) => Object.is(v, q.data()[i])),
      'bitwise-equal predictions',
    );
    for (const layer of [model.gcn, model.gat]) {
      const clone = nr.layers.layerFromConfig({ className: layer.className, config: JSON.parse(JSON.stringify(layer.getConfig())) });
      assert.deepEqual(clone.getConfig(), layer.getConfig());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('graph layer misuse: missing self-loops, wrong node count, no graph, a symbolic input, bad options', () => {
  const noLoops = nr.graph.Graph.fromEdges(
    [
      [0, 1],
      [1, 2],
    ],
    { numNodes: 4, undirected: true },
  );
  const x = nr.ones([4, 3]);
  for (const layer of [new nr.layers.GCNConv({ units: 2, name: 'g1' }), new nr.layers.GATConv({ units: 2, name: 'a1' })]) {
    assert.throws(
      () => layer.apply([x, noLoops] as never),
      (e: Error) =>
        e instanceof nr.ConfigError &&
        new RegExp(`${layer.className} "${layer.name}".*4 node\\(s\\) without one: 0, 1, 2, 3; call graph.addSelfLoops\\(\\)`).test(
          e.message,
        ),
    );
  }
  // GraphSAGE leaves the node itself out of N(v), so it takes a graph without self-loops.
  assert.deepEqual(new nr.layers.GraphSAGEConv(2).apply([x, noLoops] as never).shape, [4, 2]);
  const g = noLoops.addSelfLoops();
  assert.throws(
    () => new nr.layers.GCNConv({ units: 2, name: 'g2' }).apply([nr.ones([5, 3]), g] as never),
    (e: Error) =>
      e instanceof nr.ShapeError &&
      /GCNConv "g2": node features \[numNodes, features\] with numNodes = 4 \(the graph's\), got \[5, 3\]/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GATConv({ units: 2, name: 'a2' }).apply(x),
    (e: Error) =>
      e instanceof nr.ConfigError && /GATConv "a2": apply\(\[features, graph\]\).*got a float32 tensor of shape \[4, 3\]/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GraphSAGEConv({ units: 2, name: 's1' }).apply([nr.Input([3]), g] as never),
    (e: Error) => e instanceof nr.ConfigError && /GraphSAGEConv "s1": .*graph layers run eagerly.*subclassed nr.Model/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GATConv({ units: 2, heads: 0, name: 'a3' }),
    (e: Error) => e instanceof nr.ConfigError && /GATConv "a3".*heads/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GATConv({ units: 2, dropout: 1, name: 'a4' }),
    (e: Error) => e instanceof nr.ConfigError && /GATConv "a4": dropout must be in \[0, 1\)/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GraphSAGEConv({ units: 2, aggregator: 'max' as never, name: 's2' }),
    (e: Error) => e instanceof nr.ConfigError && /GraphSAGEConv "s2".*aggregator.*'mean'/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GlobalGraphPooling({ mode: 'median' as never, name: 'p1' }),
    (e: Error) => e instanceof nr.ConfigError && /GlobalGraphPooling "p1".*mode.*'mean', 'sum' or 'max'/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.GCNConv({ units: 0, name: 'g3' }),
    (e: Error) => e instanceof nr.ConfigError && /GCNConv "g3": units must be a positive integer, got 0/.test(e.message),
  );
});
