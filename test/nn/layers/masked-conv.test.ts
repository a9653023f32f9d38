import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertSaveLoadSame } from './save-load-helper.js';

const L = nr.layers;

test('MaskedConv2D passes the shared layer test (mask A and B, bias and activation)', () => {
  runLayerTest(() => new L.MaskedConv2D({ filters: 2, kernelSize: 3, padding: 'same', maskType: 'A' }), {
    inputShape: [1, 4, 4, 2],
    expectedOutputShape: [1, 4, 4, 2],
  });
  runLayerTest(() => new L.MaskedConv2D({ filters: 3, kernelSize: [3, 5], padding: 'same', maskType: 'B', activation: 'relu' }), {
    inputShape: [2, 3, 5, 1],
    expectedOutputShape: [2, 3, 5, 3],
  });
});

/** Which input pixels (raster index, per input channel) the output at pixel `i` depends on, by gradients. */
function dependence(model: (x: nr.Tensor) => nr.Tensor, x: nr.Tensor, i: number): boolean[][] {
  const [, h, w, c] = x.shape as [number, number, number, number];
  const [g] = nr.grad((a) =>
    model(a)
      .reshape([h * w, -1])
      .slice([i, 0], [1, -1])
      .sum(),
  )(x);
  const values = g!.data();
  return Array.from({ length: h * w }, (_, j) => Array.from({ length: c }, (_, k) => values[j * c + k] !== 0));
}

for (const maskType of ['A', 'B'] as const) {
  test(`MaskedConv2D mask ${maskType}: the output at pixel i depends on the pixels before i${maskType === 'B' ? ' and i' : ''}, on every input channel`, () => {
    nr.setSeed(7);
    const first = new L.MaskedConv2D({ filters: 4, kernelSize: 5, padding: 'same', maskType, dtype: 'float64' });
    const second = new L.MaskedConv2D({ filters: 3, kernelSize: 3, padding: 'same', maskType: 'B', dtype: 'float64' });
    const x = nr.randn([1, 6, 7, 3], { dtype: 'float64' });
    for (const [label, model] of [
      ['one layer', (a: nr.Tensor) => first.apply(a)],
      ['with a B layer after', (a: nr.Tensor) => second.apply(first.apply(a))],
    ] as const) {
      let reached = 0;
      for (let i = 0; i < 42; i++) {
        const seen = dependence(model, x, i);
        seen.forEach((channels, j) => {
          const allowed = maskType === 'A' ? j < i : j <= i;
          channels.forEach((s, k) => assert.ok(!s || allowed, `${label}: output ${i} depends on input pixel ${j}, channel ${k}`));
        });
        // Not vacuous: every input channel of the pixels left of and above i (and of i itself, for B) is seen.
        for (const j of [i % 7 > 0 ? i - 1 : -1, i - 7].filter((j) => j >= 0)) {
          assert.ok(seen[j]!.every(Boolean), `${label}: output ${i} must see pixel ${j} on every channel`);
        }
        if (maskType === 'B') assert.ok(seen[i]!.every(Boolean), `${label}: output ${i} must see itself on every channel`);
        reached += seen.flat().filter(Boolean).length;
      }
      assert.ok(reached > 200, `${label}: dependences found (${reached})`);
    }
  });
}

test('MaskedConv2D saves and loads with its maskType and bitwise-equal predictions', async () => {
  nr.setSeed(3);
  const input = nr.Input({ shape: [5, 5, 1] });
  const a = new L.MaskedConv2D({ filters: 4, kernelSize: 3, padding: 'same', maskType: 'A' }).apply(input);
  const model = new nr.Model({ inputs: input, outputs: new L.MaskedConv2D({ filters: 2, kernelSize: 1, maskType: 'B' }).apply(a) });
  const loaded = await assertSaveLoadSame(model, nr.randn([2, 5, 5, 1]));
  assert.deepEqual(
    loaded.layers.slice(1).map((l) => (l as nr.layers.MaskedConv2D).maskType),
    ['A', 'B'],
  );
});

test('MaskedConv2D rejects a missing or unknown maskType, saying which to use', () => {
  assert.throws(
    () => new L.MaskedConv2D({ filters: 2, kernelSize: 3, name: 'pix' } as nr.layers.MaskedConv2DOptions),
    (e: Error) =>
      e instanceof nr.ConfigError &&
      /MaskedConv2D "pix".*maskType must be 'A' or 'B', got undefined.*'A' for the first layer/s.test(e.message),
  );
  assert.throws(
    () => new L.MaskedConv2D({ filters: 2, kernelSize: 3, mask_type: 'C' } as unknown as nr.layers.MaskedConv2DOptions),
    (e: Error) => e instanceof nr.ConfigError && /mask_type must be 'A' or 'B', got "C"/.test(e.message),
  );
});
