import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;

test('Bidirectional passes the shared layer test', () => {
  runLayerTest(() => new L.Bidirectional(new L.LSTM({ units: 2, returnSequences: true })), {
    inputShape: [2, 3, 2],
    expectedOutputShape: [2, 3, 4],
  });
  runLayerTest(() => new L.Bidirectional({ layer: new L.GRU({ units: 3 }), mergeMode: 'sum' }), {
    inputShape: [2, 3, 2],
    expectedOutputShape: [2, 3],
  });
});

test("Bidirectional: Keras's weight names and order, the backward copy, merge modes and returnState", () => {
  nr.setSeed(5);
  const bi = new L.Bidirectional(new L.LSTM({ units: 2, name: 'lstm', returnSequences: true }), { name: 'bi' });
  const x = nr.randn([2, 4, 3]);
  const y = bi.apply(x);
  assert.deepEqual(
    bi.weights.map((w) => w.name),
    [
      'forward_lstm/kernel',
      'forward_lstm/recurrent_kernel',
      'forward_lstm/bias',
      'backward_lstm/kernel',
      'backward_lstm/recurrent_kernel',
      'backward_lstm/bias',
    ],
  );
  assert.equal(bi.backwardLayer.goBackwards, true);
  // The halves are the forward layer's sequence and the backward layer's, flipped back into time order.
  const forward = bi.forwardLayer.apply(x);
  const backward = bi.backwardLayer.apply(x);
  const flipped = nr.gather(backward, nr.tensor([3, 2, 1, 0], [4], 'int32'), 1);
  assertClose(y, nr.concat([forward, flipped], -1));
  for (const [mode, expected] of [
    ['sum', nr.add(forward, flipped)],
    ['mul', nr.mul(forward, flipped)],
    ['ave', nr.mul(nr.add(forward, flipped), 0.5)],
  ] as const) {
    const other = new L.Bidirectional(new L.LSTM({ units: 2, returnSequences: true }), { mergeMode: mode });
    other.apply(x);
    other.setWeights(bi.getWeights());
    assertClose(other.apply(x), expected, { message: mode });
  }
  const both = new L.Bidirectional(new L.GRU({ units: 2, returnState: true }), { mergeMode: null });
  const outs = both.apply(x) as unknown as nr.Tensor[];
  assert.deepEqual(
    outs.map((o) => o.shape),
    [
      [2, 2],
      [2, 2],
      [2, 2],
      [2, 2],
    ],
  );
  assert.deepEqual(both.computeOutputShape([null, 4, 3]), [
    [null, 2],
    [null, 2],
    [null, 2],
    [null, 2],
  ] as never);
});

test('Bidirectional rejects what cannot be run both ways, saying what to change', () => {
  assert.throws(() => new L.Bidirectional(new L.Dense(2) as never), /Bidirectional "[^"]+": layer must be a SimpleRNN, LSTM or GRU layer/);
  assert.throws(
    () => new L.Bidirectional(new L.LSTM(2), { mergeMode: 'max' as never }),
    /mergeMode must be 'concat', 'sum', 'mul', 'ave' or null, got "max"/,
  );
  assert.throws(
    () => new L.Bidirectional(new L.LSTM(2), { backwardLayer: new L.LSTM({ units: 2, goBackwards: true, returnSequences: true }) }),
    /must agree on returnSequences, got false and true/,
  );
  assert.throws(() => new L.Bidirectional(new L.LSTM(2), { backwardLayer: new L.LSTM(2) }), /must differ in goBackwards, got both false/);
});

test('Bidirectional survives a save and load with bitwise-equal predictions', async () => {
  nr.setSeed(9);
  const input = nr.Input({ shape: [4, 3] });
  const x = new L.Bidirectional(new L.LSTM({ units: 3, returnSequences: true })).apply(input);
  const y = new L.Bidirectional(new L.GRU({ units: 2 }), { mergeMode: 'ave' }).apply(x);
  const model = new nr.Model({ inputs: input, outputs: y });
  const probe = nr.randn([2, 4, 3]);
  const before = model.predict(probe).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-birnn-'));
  try {
    await model.save(join(dir, 'm'));
    const after = (await nr.loadModel(join(dir, 'm'))).predict(probe).data();
    assert.ok(before.some((v) => v !== 0));
    for (let i = 0; i < before.length; i++) assert.ok(Object.is(after[i], before[i]), `prediction ${i}: ${after[i]} vs ${before[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
