import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

interface Encoded {
  shape: number[];
  data: number[];
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/resize.json', import.meta.url), 'utf8')) as {
  cases: { interpolation: nr.layers.ResizeInterpolation; size: [number, number]; input: Encoded; expected: Encoded }[];
};
const decode = (e: Encoded, dtype: 'float32' | 'float64' = 'float64') => nr.tensor(e.data, e.shape, dtype);

/** A [1, rows, columns, 1] image whose pixel (row, column) is 10 * row + column. */
const grid = (rows: number, columns: number) =>
  nr.tensor(
    Array.from({ length: rows * columns }, (_, i) => 10 * Math.floor(i / columns) + (i % columns)),
    [1, rows, columns, 1],
  );

test('Resizing and CenterCrop pass the shared layer test', () => {
  for (const interpolation of nr.layers.RESIZE_INTERPOLATIONS) {
    runLayerTest(() => new nr.layers.Resizing({ height: 3, width: 7, interpolation }), {
      inputShape: [2, 5, 4, 2],
      expectedOutputShape: [2, 3, 7, 2],
    });
  }
  runLayerTest(() => new nr.layers.Resizing(4, 4, { cropToAspectRatio: true }), {
    inputShape: [1, 3, 6, 2],
    expectedOutputShape: [1, 4, 4, 2],
  });
  runLayerTest(() => new nr.layers.Resizing(4, 4, { padToAspectRatio: true, fillValue: 1 }), {
    inputShape: [1, 3, 6, 2],
    expectedOutputShape: [1, 4, 4, 2],
  });
  runLayerTest(() => new nr.layers.CenterCrop({ height: 3, width: 2 }), { inputShape: [2, 6, 5, 2], expectedOutputShape: [2, 3, 2, 2] });
  runLayerTest(() => new nr.layers.CenterCrop(4, 4), { inputShape: [1, 2, 8, 1], expectedOutputShape: [1, 4, 4, 1] });
});

test("resize: bilinear, nearest and area equal PyTorch's half-pixel interpolate (fixture), in float64 and float32", () => {
  for (const c of fixture.cases) {
    const label = `${c.interpolation} [${c.input.shape}] -> ${c.size}`;
    assertClose(nr.layers.resizeImages(decode(c.input), c.size, c.interpolation), c.expected.data, {
      rtol: 1e-12,
      atol: 1e-13,
      message: label,
    });
    const layer = new nr.layers.Resizing({ height: c.size[0], width: c.size[1], interpolation: c.interpolation });
    assertClose(layer.apply(decode(c.input, 'float32')), c.expected.data, { rtol: 1e-5, atol: 1e-5, message: `${label} (float32 layer)` });
  }
});

test('resize: bicubic is Keys (a = -0.5) with border taps dropped and renormalised, as TensorFlow', () => {
  const keys = (x: number) => (x <= 1 ? (1.5 * x - 2.5) * x * x + 1 : ((-0.5 * x + 2.5) * x - 4) * x + 2);
  const row = [3, -1, 4, 1, 5, 9];
  const up = nr.layers.resizeImages(nr.tensor(row, [1, 1, 6, 1]), [1, 12], 'bicubic').data();
  // Output 0 samples -0.25: only taps 0 (distance 0.25) and 1 (distance 1.25) are inside.
  const w0 = keys(0.25);
  const w1 = keys(1.25);
  assertClose([up[0]!], [(w0 * row[0]! + w1 * row[1]!) / (w0 + w1)], { atol: 1e-6 });
  // Output 5 samples 2.25: taps 1..4 at distances 1.25, 0.25, 0.75, 1.75, no renormalisation.
  assertClose([up[5]!], [keys(1.25) * row[1]! + keys(0.25) * row[2]! + keys(0.75) * row[3]! + keys(1.75) * row[4]!], { atol: 1e-6 });
  // Keys's cubic reproduces linear ramps away from the border, and constants everywhere.
  const ramp = nr.layers.resizeImages(nr.tensor([0, 2, 4, 6, 8, 10, 12, 14], [1, 8, 1, 1], 'float64'), [16, 1], 'bicubic').data();
  for (let o = 3; o < 13; o++) assertClose([ramp[o]!], [2 * ((o + 0.5) / 2 - 0.5)], { atol: 1e-12, message: `ramp ${o}` });
  assertClose(nr.layers.resizeImages(nr.full([1, 3, 5, 2], 7), [7, 4], 'bicubic'), nr.full([1, 7, 4, 2], 7), { atol: 1e-5 });
});

test('resize: area averages the covered interval, partial pixels by their overlap (TensorFlow resize_area)', () => {
  // 3 -> 2: output 0 covers [0, 1.5) = pixel 0 and half of pixel 1; output 1 covers [1.5, 3).
  assertClose(nr.layers.resizeImages(nr.tensor([3, 6, 12], [1, 1, 3, 1]), [1, 2], 'area'), [(3 + 0.5 * 6) / 1.5, (0.5 * 6 + 12) / 1.5]);
});

test('Resizing cropToAspectRatio and padToAspectRatio use Keras box arithmetic; CenterCrop takes the centred window', () => {
  // 3 x 5 -> 3 x 3 with a crop: the centred 3 x 3 box starts at column 1.
  const cropped = new nr.layers.Resizing({ height: 3, width: 3, cropToAspectRatio: true, interpolation: 'nearest' }).apply(grid(3, 5));
  assert.deepEqual(Array.from(cropped.data()), [1, 2, 3, 11, 12, 13, 21, 22, 23]);
  // 2 x 4 -> 4 x 4 with padding: one row of fillValue above and below.
  const padded = new nr.layers.Resizing({ height: 4, width: 4, padToAspectRatio: true, fillValue: -1 }).apply(grid(2, 4));
  assert.deepEqual(Array.from(padded.data()), [-1, -1, -1, -1, 0, 1, 2, 3, 10, 11, 12, 13, -1, -1, -1, -1]);
  // Odd differences: 5 x 6 -> 2 x 3 starts at row floor(3 / 2) = 1, column floor(3 / 2) = 1.
  assert.deepEqual(Array.from(new nr.layers.CenterCrop(2, 3).apply(grid(5, 6)).data()), [11, 12, 13, 21, 22, 23]);
  // Smaller than the target on one axis: crop to the aspect ratio (2 x 2 at column 3), then resize.
  const small = new nr.layers.CenterCrop(4, 4).apply(grid(2, 8));
  assertClose(small, nr.layers.resizeImages(nr.tensor([3, 4, 13, 14], [1, 2, 2, 1]), [4, 4]));
  // One image [H, W, C] (called on a tensor) comes back without a batch axis, as in Keras.
  assert.deepEqual(new nr.layers.Resizing(3, 2).apply(nr.ones([5, 7, 3])).shape, [3, 2, 3]);
  assert.deepEqual(Array.from(new nr.layers.CenterCrop(2, 3).apply(grid(5, 6).reshape([5, 6, 1])).data()), [11, 12, 13, 21, 22, 23]);
  // Integer pixels come out as floats; the symbolic shape keeps an unknown batch.
  assert.equal(new nr.layers.Resizing(2, 2).apply(nr.tensor([1, 2, 3, 4], [1, 2, 2, 1], 'int32')).dtype, 'float32');
  assert.deepEqual(new nr.layers.Resizing(5, 6).apply(nr.Input({ shape: [null, null, 3] })).shape, [null, 5, 6, 3]);
});

test('Resizing and CenterCrop: bad options are ConfigErrors naming the layer and the choices', () => {
  const cases: [() => unknown, RegExp][] = [
    [() => new nr.layers.Resizing({ height: 0, width: 4, name: 'r' }), /Resizing "r": height must be a positive integer, got 0/],
    [() => new nr.layers.Resizing(4, 2.5), /width must be a positive integer, got 2.5/],
    [
      () => new nr.layers.Resizing(4, 4, { interpolation: 'lanczos3' as never }),
      /interpolation must be one of 'bilinear', 'nearest', 'bicubic', 'area'/,
    ],
    [
      () => new nr.layers.Resizing(4, 4, { cropToAspectRatio: true, padToAspectRatio: true }),
      /only one of cropToAspectRatio and padToAspectRatio/,
    ],
    [() => new nr.layers.Resizing(4, 4, { fillMode: 'reflect' as never }), /fillMode must be 'constant'/],
    [() => new nr.layers.Resizing(4, 4, { antialias: true }), /antialias is not supported.*'area'/s],
    [() => new nr.layers.CenterCrop({ height: 3 } as never), /CenterCrop "center_crop.*": width must be a positive integer, got undefined/],
  ];
  for (const [fn, pattern] of cases)
    assert.throws(fn, (e: Error) => e instanceof nr.ConfigError && pattern.test(e.message), pattern.source);
  assert.throws(() => nr.layers.resizeImages(nr.ones([4, 4, 3]), [2, 2]), nr.ShapeError);
  // A size from a hostile model.json is refused before anything of that size is allocated.
  assert.throws(() => new nr.layers.Resizing(1e9, 1e9).apply(nr.ones([1, 2, 2, 1])), /more than the limit of .* elements per tensor/);
  assert.throws(() => new nr.layers.AdaptiveAveragePooling2D(1e9).apply(nr.ones([1, 2, 2, 1])), /more than the limit/);
  assert.throws(
    () => new nr.layers.Resizing(2, 2, { name: 'r2' }).apply(nr.ones([4, 4])),
    (e: Error) => e instanceof nr.ShapeError && /Resizing "r2".*rank 4 .* or one image of rank 3/s.test(e.message),
  );
  assert.throws(() => new nr.layers.CenterCrop(2, 2, { dataFormat: 'channels_first' as never }), /only dataFormat 'channels_last'/);
});
