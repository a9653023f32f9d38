import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { ATTENTION_CASES, checkCase } from './attention-fixture.js';

/*
 * Attention (Luong: dot and concat scores) and AdditiveAttention (Bahdanau) against Keras's formulas
 * computed in PyTorch (masks, causal, outputs, weights and every gradient), by hand, through the shared
 * layer test, a save/load round trip and their misuse.
 */

const CASES = ATTENTION_CASES.filter((c) => c.layer !== 'MultiHeadAttention');

test('Attention and AdditiveAttention equal Keras computed in PyTorch: outputs, weights and every gradient (fixture)', () => {
  assert.equal(CASES.length, 4);
  for (const c of CASES) {
    checkCase(c, () =>
      c.layer === 'Attention'
        ? new nr.layers.Attention(c.options as nr.layers.AttentionOptions)
        : new nr.layers.AdditiveAttention(c.options as nr.layers.AdditiveAttentionOptions),
    );
  }
});

test('Attention by hand: dot scores, a masked value gets weight 0, a masked query gives a zero row', () => {
  const query = nr.tensor([
    [
      [1, 0],
      [0, 1],
      [1, 1],
    ],
  ]);
  const value = nr.tensor([
    [
      [1, 0],
      [0, 1],
      [5, 5],
    ],
  ]);
  const [out, weights] = new nr.layers.Attention().apply<nr.Tensor[]>([query, value], {
    mask: [nr.tensor([[1, 1, 0]]), nr.tensor([[1, 1, 0]])],
    returnAttentionScores: true,
  });
  const e = Math.E / (Math.E + 1);
  assertClose(weights!, [e, 1 - e, 0, 1 - e, e, 0, 0.5, 0.5, 0], { rtol: 1e-6 });
  assertClose(out!, [e, 1 - e, 1 - e, e, 0, 0], { rtol: 1e-6 });
  assert.deepEqual(nr.getMask(out!)?.toArray(), [[1, 1, 0]]);
});

test('Attention and AdditiveAttention pass the shared layer test', () => {
  for (const [make, trainingDiffers] of [
    [() => new nr.layers.Attention(), false],
    [() => new nr.layers.Attention({ useScale: true, scoreMode: 'concat' }), false],
    [() => new nr.layers.AdditiveAttention({ dropout: 0.5 }), true],
  ] as const) {
    runLayerTest(make, {
      inputShape: [
        [2, 3, 4],
        [2, 5, 2],
        [2, 5, 4],
      ],
      expectedOutputShape: [2, 3, 2],
      trainingDiffers,
    });
  }
});

test('Attention layers in a functional model with useCausalMask save and load with bitwise-equal predictions', async () => {
  nr.setSeed(7);
  const query = nr.Input([3, 4]);
  const value = nr.Input([3, 4]);
  const luong = new nr.layers.Attention({ use_scale: true } as never).apply([query, value], { use_causal_mask: true });
  const bahdanau = new nr.layers.AdditiveAttention().apply([query, value]);
  const model = new nr.Model({ inputs: [query, value], outputs: [luong, bahdanau] });
  const inputs = [nr.randn([2, 3, 4]), nr.randn([2, 3, 4])];
  const before = model.predict<nr.Tensor[]>(inputs);
  const dir = mkdtempSync('/tmp/neurona-attention-');
  try {
    await model.save(dir);
    const after = (await nr.loadModel(dir)).predict<nr.Tensor[]>(inputs);
    before.forEach((t, i) => assert.deepEqual(Array.from(after[i]!.data()), Array.from(t.data())));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Attention layers: misuse is an error that says what to change', () => {
  assert.throws(() => new nr.layers.Attention({ scoreMode: 'add' as never }), /scoreMode/);
  assert.throws(
    () => new nr.layers.AdditiveAttention({ scoreMode: 'concat' } as never),
    (e: Error) => e instanceof nr.ConfigError && /no scoreMode: the scores are always additive.*use nr.layers.Attention/.test(e.message),
  );
  assert.throws(() => new nr.layers.Attention({ dropout: -0.1 }), /dropout must be a number in \[0, 1\)/);
  const attention = new nr.layers.Attention();
  assert.throws(() => attention.apply(nr.ones([1, 2, 3])), /takes a list \[query, value\] or \[query, value, key\]/);
  assert.throws(
    () => attention.apply([nr.ones([1, 2, 3]), nr.ones([1, 4, 2])]),
    (e: Error) =>
      e instanceof nr.ShapeError && /query \[batch, Tq, dim\], value \[batch, Tv, valueDim\] and key \[batch, Tv, dim\]/.test(e.message),
  );
  assert.throws(
    () => attention.apply([nr.ones([1, 2, 3]), nr.ones([1, 4, 3])], { mask: nr.ones([1, 2]) }),
    /mask must be a list \[queryMask, valueMask\]/,
  );
  assert.throws(
    () => attention.apply([nr.ones([1, 2, 3]), nr.ones([1, 4, 3])], { mask: [null, nr.ones([1, 3])] }),
    /the mask of input 1 \(value\) must be \[batch, time\] = \[1, 4\], got \[1, 3\]/,
  );
  assert.throws(
    () => attention.apply([nr.ones([1, 2, 3]), nr.ones([1, 4, 3])], { attentionMask: nr.ones([1, 2, 4]) }),
    /takes the options training, mask, useCausalMask/,
  );
});
