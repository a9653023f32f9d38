import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { ATTENTION_CASES, checkCase } from './attention-fixture.js';

/*
 * MultiHeadAttention: Keras's einsums and weight layouts against PyTorch 1.13 (self and cross
 * attention, causal, attentionMask, padding masks, keyDim != valueDim; outputs, scores and every
 * gradient), the shared layer test, masks through a functional model, save/load and misuse.
 */

const MHA_CASES = ATTENTION_CASES.filter((c) => c.layer === 'MultiHeadAttention');

test('MultiHeadAttention equals the Keras einsums computed in PyTorch: outputs, scores and every gradient (fixture)', () => {
  assert.equal(MHA_CASES.length, 4);
  for (const c of MHA_CASES)
    checkCase(c, () => new nr.layers.MultiHeadAttention(c.options as unknown as nr.layers.MultiHeadAttentionOptions));
});

test('MultiHeadAttention passes the shared layer test (self, cross with a key, outputShape)', () => {
  runLayerTest(() => new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 2, valueDim: 3 }), {
    inputShape: [
      [2, 3, 4],
      [2, 4, 5],
    ],
    expectedOutputShape: [2, 3, 4],
  });
  runLayerTest(() => new nr.layers.MultiHeadAttention({ numHeads: 1, keyDim: 2, outputShape: [2, 3], dropout: 0.5 }), {
    inputShape: [
      [1, 3, 2],
      [1, 2, 3],
      [1, 2, 4],
    ],
    expectedOutputShape: [1, 3, 2, 3],
    trainingDiffers: true,
  });
});

test('MultiHeadAttention: masks combine as Keras, the output keeps the query mask, and a model saves and loads bitwise', async () => {
  nr.setSeed(5);
  const x = nr.Input([4, 6]);
  const mha = new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 3, name: 'mha' });
  const [out, scores] = mha.apply<nr.layers.SymbolicTensor[]>([x, x], { returnAttentionScores: true, use_causal_mask: true });
  const model = new nr.Model({ inputs: x, outputs: [out!, scores!] });
  const input = nr.randn([2, 4, 6]);
  const [y, s] = model.predict<nr.Tensor[]>(input);
  // Causal: each query's weights over later keys are 0, and every row sums to 1.
  const p = s!.toArray() as number[][][][];
  p.forEach((b) =>
    b.forEach((h) =>
      h.forEach((r, i) => {
        assertClose([r.reduce((a, v) => a + v, 0)], [1], { rtol: 1e-6 });
        r.forEach((v, j) => j > i && assert.equal(v, 0));
      }),
    ),
  );
  const dir = await import('node:fs').then((fs) => fs.mkdtempSync('/tmp/neurona-mha-'));
  try {
    await model.save(dir);
    const loaded = await nr.loadModel(dir);
    const [y2, s2] = loaded.predict<nr.Tensor[]>(input);
    assert.deepEqual(Array.from(y2!.data()), Array.from(y!.data()));
    assert.deepEqual(Array.from(s2!.data()), Array.from(s!.data()));
  } finally {
    (await import('node:fs')).rmSync(dir, { recursive: true, force: true });
  }
  // Padding masks: a masked query gets a uniform row (Keras's -1e9), a masked key gets weight 0,
  // and the output carries the query's mask.
  const query = nr.randn([1, 3, 6]);
  const queryMask = nr.tensor([[1, 1, 0]]);
  const valueMask = nr.tensor([[1, 0, 1]]);
  const [o, w] = mha.apply<nr.Tensor[]>([query, query], { mask: [queryMask, valueMask], returnAttentionScores: true });
  const weights = w!.toArray() as number[][][][];
  for (const head of weights[0]!) {
    assert.equal(head[0]![1], 0);
    assert.equal(head[1]![1], 0);
    assertClose(head[2]!, [1 / 3, 1 / 3, 1 / 3], { rtol: 1e-6 });
  }
  assert.deepEqual(nr.getMask(o!)?.toArray(), [[1, 1, 0]]);
});

test('MultiHeadAttention: bad options and inputs are errors that say what to change', () => {
  assert.throws(() => new nr.layers.MultiHeadAttention({ numHeads: 0, keyDim: 2 }), /numHeads must be a positive integer, got 0/);
  assert.throws(
    () => new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 2, attentionAxes: [1, 2] }),
    (e: Error) => e instanceof nr.ConfigError && /attentionAxes must be null .*got \[1,2\]/.test(e.message),
  );
  assert.throws(() => new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 2, dropout: 1 }), /dropout must be a number in \[0, 1\)/);
  // snake_case options are Keras's spelling; attention_axes 1 is the default and accepted.
  const mha = new nr.layers.MultiHeadAttention({ num_heads: 2, key_dim: 2, attention_axes: 1 } as never);
  assert.equal(mha.numHeads, 2);
  assert.throws(
    () => mha.apply(nr.ones([1, 3, 4])),
    (e: Error) => e instanceof nr.ConfigError && /takes a list \[query, value\] or \[query, value, key\], got one input/.test(e.message),
  );
  assert.throws(
    () => mha.apply([nr.ones([1, 3, 4]), nr.ones([1, 3, 4, 2])]),
    (e: Error) => e instanceof nr.ShapeError && /rank 3 \[batch, time, features\].*\(None, 3, 4\), \(None, 3, 4, 2\)/.test(e.message),
  );
  assert.throws(
    () => mha.apply([nr.ones([1, 3, 4]), nr.ones([1, 5, 4]), nr.ones([1, 4, 4])]),
    /value and key must have the same time length/,
  );
  assert.throws(
    () => mha.apply([nr.ones([1, 3, 4]), nr.ones([1, 3, 4])], { attentionMask: nr.ones([1, 2, 2]) }),
    /broadcasts to the scores' shape/,
  );
  assert.throws(
    () => mha.apply([nr.ones([1, 3, 4]), nr.ones([1, 3, 4])], { causal: true }),
    /takes the options training, mask, attentionMask/,
  );
});

test('MultiHeadAttention trains inside fit: a causal model learns to give back the token at each position', async () => {
  nr.setSeed(11);
  const x = nr.Input([6, 4]);
  const attended = new nr.layers.MultiHeadAttention({ numHeads: 2, keyDim: 4 }).apply([x, x], { useCausalMask: true });
  const model = new nr.Model({ inputs: x, outputs: new nr.layers.Dense({ units: 4, activation: 'softmax' }).apply(attended) });
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.03 }), loss: 'categorical_crossentropy' });
  const ids = Array.from({ length: 64 * 6 }, (_, i) => (i * 7 + Math.floor(i / 6)) % 4);
  const inputs = nr.oneHot(nr.tensor(ids, [64, 6], 'int32'), 4);
  const history = await model.fit(inputs, inputs, { epochs: 30, batchSize: 16, verbose: 0 });
  const losses = history.history.loss as number[];
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
});
