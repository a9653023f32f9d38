import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('SpatialDropout2D passes the shared layer test', () => {
  runLayerTest(() => new nr.layers.SpatialDropout2D({ rate: 0.5, seed: 2 }), {
    inputShape: [4, 3, 3, 6],
    expectedOutputShape: [4, 3, 3, 6],
    trainingDiffers: true,
  });
});

test('SpatialDropout2D drops whole channels, scales the rest by 1 / (1 - rate), and only in training', () => {
  nr.setSeed(4);
  const rate = 0.25;
  const layer = new nr.layers.SpatialDropout2D({ rate });
  const [n, h, w, c] = [40, 3, 4, 50];
  const y = layer.apply(nr.ones([n, h, w, c]), { training: true }).data();
  let dropped = 0;
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const first = y[b * h * w * c + ch]!;
      assert.ok(first === 0 || Math.abs(first - 1 / (1 - rate)) < 1e-6, `value ${first}`);
      for (let p = 0; p < h * w; p++) assert.equal(y[(b * h * w + p) * c + ch], first, 'one value per (image, channel)');
      if (first === 0) dropped++;
    }
  }
  // 2000 Bernoulli(0.25) draws: std of the fraction about 0.0097; allow 4 std.
  assert.ok(Math.abs(dropped / (n * c) - rate) < 0.04, `dropped fraction ${dropped / (n * c)}`);
  const x = nr.ones([1, 2, 2, 3]);
  assert.equal(layer.apply(x), x, 'identity outside training');
  assert.equal(layer.getConfig().noiseShape, undefined);
  assert.throws(
    () => layer.apply(nr.ones([2, 3]), { training: true }),
    /expected input of rank 4 \[batch, height, width, channels\], got \[2, 3\]/,
  );
});

test('option errors name the layer by its own class, not Dropout', () => {
  nr.layers.resetLayerNames();
  assert.throws(
    () => new nr.layers.SpatialDropout2D({ rate: 1 }),
    (e: Error) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match(e.message, /^SpatialDropout2D "spatial_dropout2d": rate must be a number in \[0, 1\), got 1$/);
      return true;
    },
  );
  assert.throws(
    () => new nr.layers.SpatialDropout2D({ rate: 0.5, seed: Number.NaN }),
    /SpatialDropout2D "spatial_dropout2d(_\d+)?": seed must be a finite number/,
  );
  assert.throws(() => new nr.layers.Dropout({ rate: 1 }), /: Dropout "dropout(_\d+)?": rate must be/);
});
