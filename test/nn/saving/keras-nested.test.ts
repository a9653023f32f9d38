import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nr, assert } from '../../helpers.js';
import { openHdf5, type Hdf5Dataset, type Hdf5Group } from '../../../src/io/hdf5.js';
import { Hdf5WriteGroup, writeHdf5 } from '../../../src/io/hdf5-write.js';
import { kerasWeightsH5 } from '../../../src/nn/saving/keras-h5-write.js';
import { assignKerasWeights } from '../../../src/nn/saving/keras-h5.js';

/*
 * Layers whose Keras counterparts keep their weights in sub-layers (RNN cells, Bidirectional, TimeDistributed,
 * MultiHeadAttention's EinsumDense layers, ...). test/fixtures/keras/make_nested_weights.py writes
 * nested.weights.h5 in Keras 3's nested layout with the model's output computed in numpy, and records in
 * nested.json what h5py sees in neurona_nested.weights.h5, the file kerasWeightsH5 writes for the same model.
 * After a deliberate change to the writer:
 *   NEURONA_UPDATE_HDF5=1 node scripts/test.mjs test/nn/saving/keras-nested.test.ts
 *   /usr/bin/python3 test/fixtures/keras/make_nested_weights.py
 */

const FIXTURES = join(import.meta.dirname, '..', '..', 'fixtures', 'keras');
const fixture = JSON.parse(readFileSync(join(FIXTURES, 'nested.json'), 'utf8')) as {
  input: number[];
  inputShape: number[];
  output: number[];
  outputShape: number[];
  paths: string[];
  h5py?: { paths: string[]; samePaths: boolean };
};

/** The model of make_nested_weights.py. */
function build(): nr.Model {
  const input = nr.Input([3, 4]);
  let y = new nr.layers.LSTM(3, { returnSequences: true }).apply(input);
  y = new nr.layers.GRU(3, { returnSequences: true }).apply(y);
  y = new nr.layers.SimpleRNN(3, { returnSequences: true }).apply(y);
  y = new nr.layers.Bidirectional(new nr.layers.LSTM(2, { returnSequences: true })).apply(y);
  y = new nr.layers.TimeDistributed(new nr.layers.Dense(4)).apply(y);
  y = new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([y, y]);
  return new nr.Model({ inputs: input, outputs: y, name: 'nested' });
}

/** Every group and dataset below `group`, as make_nested_weights.py lists them (h5py's visititems). */
function pathsOf(group: Hdf5Group, prefix = ''): string[] {
  return group.keys().flatMap((key) => {
    const child = group.get(key)!;
    const path = `${prefix}${key}`;
    return child.kind === 'group' ? [`${path}/`, ...pathsOf(child, `${path}/`)] : [`${path} [${child.shape.join(', ')}]`];
  });
}

const sameBits = (a: nr.Tensor, b: nr.Tensor) =>
  Buffer.from((a.data() as Float32Array).buffer).equals(Buffer.from((b.data() as Float32Array).buffer));
const x = () => nr.tensor(fixture.input, fixture.inputShape);

test('a Keras 3 file with nested sub-layers loads: LSTM/GRU/SimpleRNN cells, Bidirectional, TimeDistributed, MHA match numpy', async () => {
  nr.setSeed(1);
  const model = build();
  await model.loadWeights(join(FIXTURES, 'nested.weights.h5'));
  const y = model.predict(x());
  assert.deepEqual(y.shape, fixture.outputShape);
  const got = Array.from(y.data() as Float32Array);
  const worst = Math.max(...got.map((v, i) => Math.abs(v - fixture.output[i]!)));
  assert.ok(worst < 1e-5, `largest difference from numpy ${worst}`);
  // A loaded value really moved the output: fresh weights give another one.
  const fresh = Array.from(build().predict(x()).data() as Float32Array);
  assert.ok(Math.max(...fresh.map((v, i) => Math.abs(v - fixture.output[i]!))) > 1e-2);
});

test("kerasWeightsH5 writes Keras's nested paths (h5py agrees), and reads back bitwise", () => {
  nr.setSeed(2);
  const model = build();
  assignKerasWeights(model, openHdf5(readFileSync(join(FIXTURES, 'nested.weights.h5')), 'nested.weights.h5'), 'nested.weights.h5');
  const bytes = kerasWeightsH5(model);
  const ours = join(FIXTURES, 'neurona_nested.weights.h5');
  if (process.env.NEURONA_UPDATE_HDF5 === '1') writeFileSync(ours, bytes);
  assert.deepEqual(pathsOf(openHdf5(bytes, 'ours')).sort(), fixture.paths, 'our paths as our reader sees them');
  assert.ok(Buffer.from(bytes).equals(readFileSync(ours)), 'the writer no longer writes the committed file: see the comment above');
  assert.ok(fixture.h5py, 'nested.json has no h5py view of our file: run make_nested_weights.py');
  assert.deepEqual(fixture.h5py.paths, fixture.paths);
  assert.equal(fixture.h5py.samePaths, true);
  const copy = build();
  assignKerasWeights(copy, openHdf5(bytes, 'ours'), 'ours');
  model.weights.forEach((w, i) => assert.ok(sameBits(w, copy.weights[i]!), w.name));
  assert.ok(sameBits(model.predict(x()), copy.predict(x())));
});

test("RNN over stacked cells, TokenAndPositionEmbedding, MHA without bias: Keras's paths, bitwise round trip", () => {
  nr.setSeed(3);
  const make = () => {
    const tokens = nr.Input([4]);
    let y = new nr.layers.TokenAndPositionEmbedding({ vocabularySize: 7, sequenceLength: 4, embeddingDim: 3 }).apply(tokens);
    const cells = [new nr.layers.LSTMCell(2), new nr.layers.GRUCell(2), new nr.layers.LSTMCell(3)];
    y = new nr.layers.RNN({ cell: cells, returnSequences: true }).apply(y);
    y = new nr.layers.MultiHeadAttention({ numHeads: 1, keyDim: 2, useBias: false }).apply([y, y]);
    return new nr.Model({ inputs: tokens, outputs: y });
  };
  const model = make();
  for (const w of model.weights) w.assign(nr.randn([...w.shape]));
  const bytes = kerasWeightsH5(model);
  const withData = pathsOf(openHdf5(bytes, 'ours')).filter((p) => !p.endsWith('/'));
  const layer = (name: string) => `layers/${name}/vars`;
  assert.deepEqual(withData, [
    `${layer('token_and_position_embedding/position_embedding')}/0 [4, 3]`,
    `${layer('token_and_position_embedding/token_embedding')}/0 [7, 3]`,
    ...[
      ['lstm_cell', 3, 2],
      ['gru_cell', 2, 2],
      ['lstm_cell_1', 2, 3],
    ].flatMap(([cell, inputs, units]) => {
      const gates = cell === 'gru_cell' ? 3 : 4;
      const vars = layer(`rnn/cell/cells/${cell}`);
      const bias = cell === 'gru_cell' ? `2, ${gates * +units!}` : `${gates * +units!}`;
      return [`${vars}/0 [${inputs}, ${gates * +units!}]`, `${vars}/1 [${units}, ${gates * +units!}]`, `${vars}/2 [${bias}]`];
    }),
    ...['key_dense', 'output_dense', 'query_dense', 'value_dense'].map(
      (d) => `${layer(`multi_head_attention/${d}`)}/0 ${d === 'output_dense' ? '[1, 2, 3]' : '[3, 1, 2]'}`,
    ),
  ]);
  const copy = make();
  assignKerasWeights(copy, openHdf5(bytes, 'ours'), 'ours');
  const tokens = nr.tensor([1, 6, 0, 3, 2, 2, 5, 4], [2, 4]);
  assert.ok(sameBits(model.predict(tokens), copy.predict(tokens)));
});

type Stored = { data: Float32Array; shape: number[] };

/** nested.weights.h5 rebuilt with `change` applied to its vars groups (path -> datasets). */
function variant(change: (groups: Map<string, Stored[]>) => void): Hdf5Group {
  const file = openHdf5(readFileSync(join(FIXTURES, 'nested.weights.h5')), 'nested.weights.h5');
  const groups = new Map<string, Stored[]>();
  for (const p of fixture.paths.filter((q) => q.endsWith('vars/'))) {
    const vars = file.get(p.slice(0, -1)) as Hdf5Group;
    const datasets = vars.keys().map((k) => vars.get(k) as Hdf5Dataset);
    groups.set(
      p.slice(0, -1),
      datasets.map((d) => ({ data: d.read() as Float32Array, shape: [...d.shape] })),
    );
  }
  change(groups);
  const root = new Hdf5WriteGroup();
  for (const [path, values] of groups) {
    const vars = root.group(path);
    values.forEach((v, i) => vars.dataset(String(i), v.data, v.shape));
  }
  return openHdf5(writeHdf5(root), 'variant.weights.h5');
}

test('misuse: flat RNN weights, extra weights in an unbuilt sub-layer, Keras 3.0 MHA paths', () => {
  const model = build();
  const fails = (root: Hdf5Group, message: RegExp) =>
    assert.throws(
      () => assignKerasWeights(model, root, 'variant.weights.h5'),
      (e: Error) => e instanceof nr.FormatError && message.test(e.message) && e.message.includes('variant.weights.h5'),
    );
  // neurona's first writer put an LSTM's weights in the layer's own vars, where Keras has none.
  fails(
    variant((g) => {
      g.set('layers/lstm/vars', g.get('layers/lstm/cell/vars')!);
      g.delete('layers/lstm/cell/vars');
    }),
    /layer "lstm[_0-9]*" \(LSTM\) has 3 weights in Keras's cell, the file's layers\/lstm\/cell\/vars does not exist/,
  );
  fails(
    variant((g) => g.set('layers/bidirectional/layer/cell/vars', [{ data: new Float32Array(2), shape: [2] }])),
    /holds weights that model "nested" has no layer for: \/layers\/bidirectional\/layer\/cell\/vars/,
  );
  fails(
    variant((g) => g.get('layers/gru/cell/vars')!.pop()),
    /layer "gru[_0-9]*" \(GRU\) has 3 weights in Keras's cell, the file's layers\/gru\/cell\/vars has 2/,
  );
  // Keras 3.0.0 to 3.0.2 reached MultiHeadAttention's EinsumDense layers through `_query_dense` ...: still read.
  const before = model.predict(x());
  assignKerasWeights(
    model,
    variant((g) => {
      for (const d of ['key_dense', 'output_dense', 'query_dense', 'value_dense']) {
        g.set(`layers/multi_head_attention/_${d}/vars`, g.get(`layers/multi_head_attention/${d}/vars`)!);
        g.delete(`layers/multi_head_attention/${d}/vars`);
      }
    }),
    'old.weights.h5',
  );
  const got = Array.from(model.predict(x()).data() as Float32Array);
  assert.ok(Math.max(...got.map((v, i) => Math.abs(v - fixture.output[i]!))) < 1e-5);
  assert.ok(!sameBits(before, model.predict(x())));
});
