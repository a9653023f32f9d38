import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;

test('RNN over cells passes the shared layer test', () => {
  runLayerTest(() => new L.RNN({ cell: new L.LSTMCell(2) }), { inputShape: [2, 3, 2], expectedOutputShape: [2, 2] });
  runLayerTest(() => new L.RNN([new L.GRUCell(3), new L.SimpleRNNCell(2)], { returnSequences: true }), {
    inputShape: [2, 3, 2],
    expectedOutputShape: [2, 3, 2],
  });
});

for (const [name, cell, layer] of [
  ['LSTMCell', () => new L.LSTMCell(3), () => new L.LSTM({ units: 3, returnSequences: true, returnState: true, goBackwards: true })],
  ['GRUCell', () => new L.GRUCell(3), () => new L.GRU({ units: 3, returnSequences: true, returnState: true, goBackwards: true })],
  [
    'SimpleRNNCell',
    () => new L.SimpleRNNCell(3),
    () => new L.SimpleRNN({ units: 3, returnSequences: true, returnState: true, goBackwards: true }),
  ],
] as const) {
  test(`RNN(${name}) computes what the fused layer does: outputs, states and gradients, masked and backwards`, () => {
    nr.setSeed(21);
    const fused = layer();
    const rnn = new L.RNN({ cell: cell(), returnSequences: true, returnState: true, goBackwards: true });
    const x = nr.randn([3, 4, 2]);
    const mask = nr.tensor([
      [1, 1, 0, 0],
      [0, 1, 1, 1],
      [1, 1, 1, 1],
    ]);
    fused.apply(x);
    rnn.apply(x);
    rnn.setWeights(fused.getWeights());
    const run = (l: nr.layers.Layer) => {
      const xv = nr.variable(x);
      const outs = l.apply<nr.Tensor[]>(xv, { mask });
      outs
        .map((o, k) => o.mul(k + 1).sum())
        .reduce((a, b) => a.add(b))
        .backward();
      return [...outs, xv.grad!, ...l.trainableWeights.map((w) => w.grad!)];
    };
    const expected = run(fused);
    const got = run(rnn);
    assert.equal(got.length, expected.length);
    got.forEach((t, k) => assertClose(t, expected[k]!.data(), { atol: 1e-5, message: `${name} tensor ${k}` }));
  });
}

test('a cell alone: one step from [batch, features] to [output, ...states], with its config and Keras weight names', () => {
  nr.setSeed(22);
  const cell = new L.LSTMCell({ units: 2, name: 'lstm_cell' });
  const x = nr.randn([3, 4]);
  const [out, h, c] = cell.apply<nr.Tensor[]>(x);
  assert.deepEqual(
    [out!.shape, h!.shape, c!.shape],
    [
      [3, 2],
      [3, 2],
      [3, 2],
    ],
  );
  assert.deepEqual(
    cell.weights.map((w) => [w.name, w.shape]),
    [
      ['lstm_cell/kernel', [4, 8]],
      ['lstm_cell/recurrent_kernel', [2, 8]],
      ['lstm_cell/bias', [8]],
    ],
  );
  assert.deepEqual(cell.stateSize, [2, 2]);
  const [again, , c2] = cell.apply<nr.Tensor[]>(x, { states: [h!, c!] });
  assert.ok(
    again!.data().some((v, i) => v !== out!.data()[i]),
    'the states feed the next step',
  );
  const clone = nr.layers.layerFromConfig({ className: 'LSTMCell', config: JSON.parse(JSON.stringify(cell.getConfig())) });
  assert.deepEqual(clone.getConfig(), cell.getConfig());
  clone.apply(x);
  clone.setWeights(cell.getWeights());
  assertClose(clone.apply<nr.Tensor[]>(x, { states: [h!, c!] })[2]!, c2!.data(), { rtol: 0, atol: 0 });
  assert.equal(new L.GRUCell(2).getConfig().resetAfter, true);
  assert.equal('returnSequences' in cell.getConfig(), false);
});

test('cells and RNN reject what they do not support, saying what to change', () => {
  assert.throws(
    () => new L.LSTMCell({ units: 2, dropout: 0.2 }),
    /LSTMCell "[^"]+": dropout is not supported on a cell.*use the LSTM layer's dropout/,
  );
  assert.throws(() => new L.RNN({ cell: new L.Dense(2) as never }), /RNN "[^"]+": cell must be a SimpleRNNCell, LSTMCell, GRUCell/);
  assert.throws(() => new L.RNN(new L.GRUCell(2), { stateful: true }), /stateful: true is not supported/);
  assert.throws(() => new L.GRUCell(2).apply(nr.zeros([2, 3, 4])), /expected input of rank 2 \[batch, features\].*RNN/);
  assert.throws(
    () => new L.RNN(new L.LSTMCell(2)).apply(nr.zeros([1, 3, 2]), { initialState: [nr.zeros([1, 2])] }),
    /initialState must be a list of 2 tensors, got 1/,
  );
});

test('RNN with stacked cells survives a save and load with bitwise-equal predictions', async () => {
  nr.setSeed(23);
  const input = nr.Input({ shape: [4, 3] });
  const y = new L.RNN({ cell: [new L.LSTMCell(3), new L.GRUCell({ units: 2, resetAfter: false })], returnSequences: true }).apply(input);
  const model = new nr.Model({ inputs: input, outputs: new L.RNN(new L.SimpleRNNCell(2)).apply(y) });
  const probe = nr.randn([2, 4, 3]);
  const before = model.predict(probe).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-rnncells-'));
  try {
    await model.save(join(dir, 'm'));
    const after = (await nr.loadModel(join(dir, 'm'))).predict(probe).data();
    assert.ok(before.some((v) => v !== 0));
    for (let i = 0; i < before.length; i++) assert.ok(Object.is(after[i], before[i]), `prediction ${i}: ${after[i]} vs ${before[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
