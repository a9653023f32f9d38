import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';

const L = nr.layers;
const silu = nr.registerLambda('test.silu', (x: nr.Tensor) => x.mul(x.sigmoid()));

test('a small PixelCNN-like model (GaussianNoise, MaskedConv2D A/B, GroupNormalization, Lambda) trains with fit', async () => {
  nr.setSeed(19);
  // Images whose pixel (i, j) copies its left neighbour: a masked model can learn to predict it.
  const rows = nr.random.binomial([64, 6, 1, 1], 1, 0.5, { seed: 1 });
  const x = nr.broadcastTo(rows, [64, 6, 6, 1]);
  const input = nr.Input({ shape: [6, 6, 1] });
  let h = new L.GaussianNoise({ stddev: 0.05, seed: 2 }).apply(input);
  h = new L.MaskedConv2D({ filters: 8, kernelSize: 3, padding: 'same', maskType: 'A' }).apply(h);
  h = new L.Lambda(silu).apply(new L.GroupNormalization({ groups: 4 }).apply(h));
  const logits = new L.MaskedConv2D({ filters: 1, kernelSize: 1, maskType: 'B' }).apply(h);
  const model = new nr.Model({ inputs: input, outputs: logits });
  model.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 0.02 }),
    loss: new nr.losses.BinaryCrossentropy({ fromLogits: true }),
  });
  const history = await model.fit(x, x, { epochs: 15, batchSize: 16, verbose: 0 });
  const loss = history.history.loss!;
  // Column 0 cannot be predicted (nothing before it in raster order sees its row): the floor is log 2 / 6 = 0.116.
  // Measured: 0.48 in the first epoch, 0.18 in the 15th.
  assert.ok(loss.at(-1)! < loss[0]! / 2, `loss ${loss[0]} -> ${loss.at(-1)}`);
});
