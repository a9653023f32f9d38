import { test } from 'node:test';
import * as nr from '../src/index.js';
import { pixelCnn } from '../src/cli/jobs/pixelcnn.js';
import { main } from '../src/cli/commands.js';
import { assert } from './helpers.js';

// samplePixelCnn runs the model on rows i - reach .. i only; that is exact only if row i's logits
// ignore every other row, which this checks against whole images whose lower rows are not blank.
test('pixelcnn: a band of reach + 1 rows (3 + blocks) gives row i the logits the whole image gives it', () => {
  nr.setSeed(0);
  const blocks = 2;
  const model = pixelCnn(8, blocks);
  const x = nr.randu([2, 28, 28, 1]).greater(0.5).cast('float32');
  const full = model.apply(x) as nr.Tensor;
  const rowFrom = (i: number, reach: number) => {
    const top = Math.max(0, i - reach);
    const band = x.slice([0, top, 0, 0], [2, i + 1 - top, 28, 1]);
    return (model.apply(band) as nr.Tensor).slice([0, i - top, 0, 0], [2, 1, 28, 1]);
  };
  for (const i of [0, 3, 13, 27]) {
    const gap = rowFrom(i, 3 + blocks)
      .sub(full.slice([0, i, 0, 0], [2, 1, 28, 1]))
      .abs()
      .max()
      .item();
    assert.ok(gap < 1e-5, `row ${i}: ${gap}`);
  }
  // One row fewer cuts into the receptive field: the reach is the least that works.
  assert.ok(
    rowFrom(13, 2 + blocks)
      .sub(full.slice([0, 13, 0, 0], [2, 1, 28, 1]))
      .abs()
      .max()
      .item() > 1e-4,
  );
});

test('the generative examples reject flags that cannot work before reading any data, naming the flag and what to change', async () => {
  const cases: [string[], RegExp][] = [
    [['vae', '--latents', '2,x'], /vae: --latents must list positive integers, e\.g\. 2,16, got --latents 2,x/],
    [['pixelcnn', '--filters', '15'], /pixelcnn: --filters must be even, got --filters 15; use --filters 16/],
    [['autoencoder', '--code', '1000'], /autoencoder: --code must be at most 784 \(the pixels of an image\), got --code 1000/],
    [['realnvp', '--points', '5'], /realnvp: --points must be at least 6/],
    [['ebm', '--points', '1'], /ebm: --points must be at least 2/],
  ];
  for (const [args, pattern] of cases) {
    let err = '';
    const code = await main(
      ['train', ...args],
      () => {},
      (s) => {
        err += s;
      },
    );
    assert.equal(code, 1, args.join(' '));
    assert.equal(err.trimEnd().split('\n').length, 1, err);
    assert.match(err, pattern);
  }
});
