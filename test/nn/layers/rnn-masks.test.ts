import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';

/*
 * Recurrent layers inside the layer contract: the mask an upstream layer attaches reaches them,
 * returnSequences passes it on (returnState adds nulls for the states), returnState gives one
 * symbolic tensor per output, and initialState takes symbolic tensors in a functional model.
 */

const L = nr.layers;

/** Marks as padding the timesteps whose features are all zero (a Masking layer in miniature). */
class ZeroMask extends L.Layer {
  override get supportsMasking(): boolean {
    return true;
  }
  override call(x: nr.Tensor): nr.Tensor {
    return x.mul(1);
  }
  override computeMask(x: nr.Tensor | readonly nr.Tensor[]): nr.Tensor {
    return nr.greater((x as nr.Tensor).abs().sum(-1), 0).cast('float32');
  }
}

const padded = () =>
  nr.tensor(
    [
      [1, 2, 3, 4, 0, 0, 0, 0],
      [0, 0, 5, 6, 7, 8, 1, 2],
    ],
    [2, 4, 2],
  );
const MASK = [
  [1, 1, 0, 0],
  [0, 1, 1, 1],
];

test("a mask attached upstream reaches the layer: the same result as passing it, and Keras's output rule", () => {
  nr.setSeed(1);
  const lstm = new L.LSTM({ units: 3, returnSequences: true });
  const x = padded();
  const viaMask = lstm.apply(new ZeroMask().apply(x));
  const given = lstm.apply(x, { mask: nr.tensor(MASK) });
  assertClose(viaMask, given.data(), { rtol: 0, atol: 0 });
  assertClose(nr.getMask(viaMask)!, MASK.flat());
  const rows = viaMask.toArray() as number[][][];
  // Masked steps repeat the previous output: zeros before the first real step, the last real output after.
  assert.deepEqual(rows[1]![0], [0, 0, 0]);
  assert.deepEqual(rows[0]![2], rows[0]![1]);
  assert.deepEqual(rows[0]![3], rows[0]![1]);
  const last = new L.GRU({ units: 3 }).apply(new ZeroMask().apply(x));
  assert.equal(nr.getMask(last), null, 'returnSequences false drops the mask');
});

test('returnState gives [output, h, c] symbolically and eagerly; states take no mask; initialState takes symbolic tensors', () => {
  nr.setSeed(2);
  const input = nr.Input({ shape: [4, 2] });
  const encoder = new L.LSTM({ units: 3, returnState: true, returnSequences: true });
  const outs = encoder.apply<nr.layers.SymbolicTensor[]>(new ZeroMask().apply(input));
  assert.equal(outs.length, 3);
  assert.deepEqual(
    outs.map((o) => o.shape),
    [
      [null, 4, 3],
      [null, 3],
      [null, 3],
    ],
  );
  const [, h, c] = outs;
  const decoder = new L.LSTM({ units: 3 });
  const y = decoder.apply(input, { initialState: [h!, c!] });
  const model = new nr.Model({ inputs: input, outputs: [y, h!] });
  const x = padded();
  const [got, state] = model.predict(x) as unknown as nr.Tensor[];
  // The same computation eagerly.
  const [seq, eh, ec] = encoder.apply<nr.Tensor[]>(x, { mask: nr.tensor(MASK) });
  assert.equal(nr.getMask(eh!), null);
  assertClose(nr.getMask(seq!)!, MASK.flat());
  assertClose(state!, eh!.data(), { atol: 1e-6 });
  assertClose(got!, decoder.apply(x, { initial_state: [eh!, ec!] }).data(), { atol: 1e-6 });
  assert.throws(() => decoder.apply(x, { initialStates: [eh!, ec!] }), /initialStates/);
});

test('a masked sequence trains: fit with a padded batch and Bidirectional(LSTM)', async () => {
  nr.setSeed(3);
  const input = nr.Input({ shape: [4, 2] });
  const hidden = new L.Bidirectional(new L.LSTM({ units: 4 })).apply(new ZeroMask().apply(input));
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 1 }).apply(hidden) });
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = nr.concat([padded(), padded()], 0);
  const y = nr.tensor([[1], [0], [1], [0]]);
  const history = await model.fit(x, y, { epochs: 3, batchSize: 2, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.equal(losses.length, 3);
  assert.ok(losses.every(Number.isFinite));
});

test("Embedding's maskZero reaches LSTM and Bidirectional: padded ids change nothing in the result", () => {
  nr.setSeed(4);
  const ids = nr.tensor([[3, 1, 4, 0, 0]], [1, 5], 'int32');
  const trimmed = nr.tensor([[3, 1, 4]], [1, 3], 'int32');
  const embedding = new L.Embedding({ inputDim: 6, outputDim: 3, maskZero: true });
  for (const layer of [new L.LSTM({ units: 2 }), new L.Bidirectional(new L.GRU({ units: 2 }))]) {
    const padded = layer.apply(embedding.apply(ids));
    assertClose(padded, layer.apply(embedding.apply(trimmed)).data(), { atol: 1e-6 });
  }
});
