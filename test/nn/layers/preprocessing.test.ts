import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const { transformImages } = nr.layers;

/** A [1, n, n, 1] image with pixel (row, column) = 10 * row + column. */
const grid = (rows: number, columns = rows) =>
  nr.tensor(
    Array.from({ length: rows * columns }, (_, i) => 10 * Math.floor(i / columns) + (i % columns)),
    [1, rows, columns, 1],
  );
const image = (t: nr.Tensor) => (t.toArray() as number[][][][])[0]!.map((row) => row.map((pixel) => pixel[0]!));

test('preprocessing layers pass the shared layer test', () => {
  runLayerTest(() => new nr.layers.Rescaling({ scale: 0.5, offset: -1 }), { inputShape: [2, 3], expectedOutputShape: [2, 3] });
  runLayerTest(() => new nr.layers.Rescaling({ scale: [0.5, -2, 3], offset: [1, 0, -1] }), {
    inputShape: [2, 2, 3],
    expectedOutputShape: [2, 2, 3],
  });
  const options = { inputShape: [2, 5, 5, 2], expectedOutputShape: [2, 5, 5, 2], trainingDiffers: true };
  runLayerTest(() => new nr.layers.RandomFlip({ seed: 1 }), options);
  runLayerTest(() => new nr.layers.RandomTranslation({ heightFactor: 0.3, widthFactor: [-0.2, 0.4], seed: 1 }), options);
  runLayerTest(() => new nr.layers.RandomRotation({ factor: 0.2, fillMode: 'constant', fillValue: 1, seed: 1 }), options);
  runLayerTest(() => new nr.layers.RandomZoom({ heightFactor: [0.4, 0.6], widthFactor: 0.1, interpolation: 'nearest', seed: 1 }), options);
  runLayerTest(() => new nr.layers.RandomContrast({ factor: 0.5, valueRange: [-2, 2], seed: 1 }), options);
});

test('Rescaling per channel: a list of scales (and offsets) acts on the last axis, whose size must match', () => {
  const layer = new nr.layers.Rescaling([2, 0.5, -1], [0, 1, 10]);
  assertClose(layer.apply(nr.tensor([[[1, 2, 3]], [[4, 6, 8]]], [2, 1, 3])), [2, 2, 7, 8, 4, 2]);
  assertClose(new nr.layers.Rescaling({ scale: [1, 10] }).apply(nr.tensor([1, 2, 3, 4], [2, 2], 'int32')), [1, 20, 3, 40]);
  assert.deepEqual(layer.getConfig().scale, [2, 0.5, -1]);
  assert.throws(
    () => new nr.layers.Rescaling({ scale: [1, 2], name: 'r' }).apply(nr.ones([1, 4, 4, 3])),
    (e: Error) =>
      e instanceof nr.ShapeError && /Rescaling "r".*scale has 2 values, one per channel.*got \(None, 4, 4, 3\)/s.test(e.message),
  );
  const symbolic = nr.Input({ shape: [8, 8, 3] });
  assert.throws(() => new nr.layers.Rescaling({ scale: [1, 2, 3, 4] }).apply(symbolic), nr.ShapeError);
  for (const scale of [[], [1, Number.NaN], 'x']) {
    assert.throws(() => new nr.layers.Rescaling({ scale: scale as never }), /scale must be a finite number or a non-empty list/);
  }
});

test('transform: a rotation by exactly pi/2 turns a known image counter-clockwise (rot90)', () => {
  const x = grid(4);
  const rotate = new nr.layers.RandomRotation({ factor: [0.25, 0.25] }); // 0.25 of a turn
  // np.rot90: out[i][j] = in[j][n - 1 - i].
  const expected = [
    [3, 13, 23, 33],
    [2, 12, 22, 32],
    [1, 11, 21, 31],
    [0, 10, 20, 30],
  ];
  for (const interpolation of ['bilinear', 'nearest'] as const) {
    const layer = new nr.layers.RandomRotation({ factor: [0.25, 0.25], interpolation, fillMode: 'constant', fillValue: -1 });
    assertClose(layer.apply(x, { training: true }), expected.flat(), { atol: 1e-9, message: interpolation });
  }
  // Half a turn: out[i][j] = in[n - 1 - i][n - 1 - j].
  const half = new nr.layers.RandomRotation({ factor: [0.5, 0.5] }).apply(grid(3), { training: true });
  assertClose(half, [22, 21, 20, 12, 11, 10, 2, 1, 0], { atol: 1e-9 });
  assert.equal(rotate.apply(x), x, 'identity outside training');
});

test('transform: a translation by exactly one (and two) pixels with each fill mode', () => {
  const x = grid(2, 4); // rows [0 1 2 3], [10 11 12 13]
  const shift = (fillMode: nr.layers.FillMode, pixels: number) =>
    image(
      new nr.layers.RandomTranslation({ heightFactor: 0, widthFactor: [pixels / 4, pixels / 4], fillMode, fillValue: 7 }).apply(x, {
        training: true,
      }),
    );
  // Content moves right; the uncovered left column is filled.
  assert.deepEqual(shift('constant', 1), [
    [7, 0, 1, 2],
    [7, 10, 11, 12],
  ]);
  assert.deepEqual(shift('reflect', 1), [
    [0, 0, 1, 2],
    [10, 10, 11, 12],
  ]);
  assert.deepEqual(shift('wrap', 1), [
    [3, 0, 1, 2],
    [13, 10, 11, 12],
  ]);
  assert.deepEqual(shift('nearest', 1), [
    [0, 0, 1, 2],
    [10, 10, 11, 12],
  ]);
  // Two pixels tell reflect (b a | a b c d) from nearest (a a | a b c d).
  assert.deepEqual(shift('reflect', 2), [
    [1, 0, 0, 1],
    [11, 10, 10, 11],
  ]);
  assert.deepEqual(shift('nearest', 2), [
    [0, 0, 0, 1],
    [10, 10, 10, 11],
  ]);
  assert.deepEqual(shift('wrap', 2), [
    [2, 3, 0, 1],
    [12, 13, 10, 11],
  ]);
  assert.deepEqual(shift('constant', -1), [
    [1, 2, 3, 7],
    [11, 12, 13, 7],
  ]);
  // One row down, reflect: the top row repeats.
  const down = new nr.layers.RandomTranslation({ heightFactor: [0.5, 0.5], widthFactor: 0, fillMode: 'reflect' }).apply(x, {
    training: true,
  });
  assert.deepEqual(image(down), [
    [0, 1, 2, 3],
    [0, 1, 2, 3],
  ]);
});

test('transform: bilinear sampling between pixels, nearest rounding, and a zoom about the centre', () => {
  const x = grid(2, 4);
  // Half a pixel to the right: the mean of each pixel and its left neighbour (constant 0 outside).
  const half = transformImages(x, [[1, 0, -0.5, 0, 1, 0, 0, 0]], { fillMode: 'constant' });
  assertClose(half, [0, 0.5, 1.5, 2.5, 5, 10.5, 11.5, 12.5]);
  const nearest = transformImages(x, [[1, 0, -0.6, 0, 1, 0, 0, 0]], { fillMode: 'nearest', interpolation: 'nearest' });
  assert.deepEqual(image(nearest), [
    [0, 0, 1, 2],
    [10, 10, 11, 12],
  ]);
  // Zoom out by 2 about the centre of a 3x3 image: output (i, j) samples (2i - 1, 2j - 1); only
  // the centre stays inside.
  const zoom = new nr.layers.RandomZoom({ heightFactor: [1, 1], fillMode: 'constant', fillValue: -5 }).apply(grid(3), { training: true });
  assert.deepEqual(image(zoom), [
    [-5, -5, -5],
    [-5, 11, -5],
    [-5, -5, -5],
  ]);
  // Zoom in by 2 (heightFactor -0.5; the width follows the height when widthFactor is absent).
  const zoomIn = new nr.layers.RandomZoom({ heightFactor: [-0.5, -0.5] }).apply(grid(3), { training: true });
  // Samples (0.5 i + 0.5, 0.5 j + 0.5): bilinear means of the four central pixels and their pairs.
  assertClose(zoomIn, [5.5, 6, 6.5, 10.5, 11, 11.5, 15.5, 16, 16.5]);
  assert.throws(() => transformImages(x, [[1, 0, 0]]), /expected 1 transforms of 8 numbers/);
  assert.throws(
    () => transformImages(x, [[1, 0, 0, 0, 1, 0, 0, 0]], { fillMode: 'mirror' as never }),
    /fillMode must be one of 'reflect', 'wrap', 'constant', 'nearest'/,
  );
});

test('RandomFlip flips whole images left-right and/or top-bottom, each with probability 1/2', () => {
  nr.setSeed(6);
  const x = grid(2, 3);
  const batch = nr.concat(
    Array.from({ length: 40 }, () => x),
    0,
  );
  const original = [
    [0, 1, 2],
    [10, 11, 12],
  ];
  const mirrored = [
    [2, 1, 0],
    [12, 11, 10],
  ];
  const upsideDown = [
    [10, 11, 12],
    [0, 1, 2],
  ];
  const both = [
    [12, 11, 10],
    [2, 1, 0],
  ];
  const count = (mode: nr.layers.FlipMode) => {
    const out = new nr.layers.RandomFlip({ mode }).apply(batch, { training: true }).toArray() as number[][][][];
    const seen = new Map<string, number>();
    for (const img of out) {
      const key = JSON.stringify(img.map((row) => row.map((p) => p[0])));
      seen.set(key, (seen.get(key) ?? 0) + 1);
    }
    return seen;
  };
  const horizontal = count('horizontal');
  assert.deepEqual([...horizontal.keys()].sort(), [JSON.stringify(original), JSON.stringify(mirrored)].sort());
  assert.ok(
    horizontal.get(JSON.stringify(mirrored))! >= 10 && horizontal.get(JSON.stringify(mirrored))! <= 30,
    `mirrored ${horizontal.get(JSON.stringify(mirrored))} of 40`,
  );
  assert.deepEqual([...count('vertical').keys()].sort(), [JSON.stringify(original), JSON.stringify(upsideDown)].sort());
  assert.deepEqual(
    [...count('horizontal_and_vertical').keys()].sort(),
    [original, mirrored, upsideDown, both].map((v) => JSON.stringify(v)).sort(),
  );
  assert.throws(
    () => new nr.layers.RandomFlip({ mode: 'diagonal' as never }),
    /mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical'/,
  );
});

test('RandomContrast: (x - mean) * factor + mean per image and channel, factor in range, clipped', () => {
  nr.setSeed(8);
  const x = nr.randu([6, 4, 4, 2], { low: 0.2, high: 0.8 });
  const y = new nr.layers.RandomContrast({ factor: [0.3, 0.5], valueRange: [0, 1] }).apply(x, { training: true });
  const xs = x.toArray() as number[][][][];
  const ys = y.toArray() as number[][][][];
  const factors = new Set<number>();
  xs.forEach((img, b) => {
    let factor: number | null = null;
    for (let c = 0; c < 2; c++) {
      const pixels = img.flat().map((p) => p[c]!);
      const out = ys[b]!.flat().map((p) => p[c]!);
      const mean = pixels.reduce((s, v) => s + v, 0) / pixels.length;
      factor ??= (out[0]! - mean) / (pixels[0]! - mean);
      assert.ok(factor >= 0.7 - 1e-4 && factor <= 1.5 + 1e-4, `factor ${factor}`);
      assertClose(
        out,
        pixels.map((v) => Math.min(1, Math.max(0, (v - mean) * factor! + mean))),
        { rtol: 1e-4, atol: 1e-5 },
      );
    }
    factors.add(Math.round(factor! * 1e3));
  });
  assert.ok(factors.size > 1, 'one factor per image');
  assert.throws(() => new nr.layers.RandomContrast({ factor: 1.5 }), /factor must be a number in \[0, 1\]/);
});

test('augmentation is the identity outside training, passes gradients, and repeats for a seed', () => {
  const layers = () => [
    new nr.layers.RandomFlip(),
    new nr.layers.RandomTranslation({ heightFactor: 0.2, widthFactor: 0.2 }),
    new nr.layers.RandomRotation({ factor: 0.1 }),
    new nr.layers.RandomZoom({ heightFactor: 0.2 }),
    new nr.layers.RandomContrast({ factor: 0.2 }),
  ];
  const x = nr.randu([2, 6, 6, 3], { dtype: 'float64' });
  x.requiresGrad = true;
  for (const layer of layers()) {
    const y = layer.apply(x);
    assert.equal(y, x, `${layer.className}: the input itself`);
    x.grad = null;
    layer.apply(x, { training: false }).mul(2).sum().backward();
    assert.ok(
      x.grad!.data().every((g) => g === 2),
      `${layer.className}: gradient passes through`,
    );
  }
  const run = () => layers().map((l) => Array.from(l.apply(x, { training: true }).data()));
  nr.setSeed(5);
  const a = run();
  nr.setSeed(5);
  assert.deepEqual(run(), a, 'same global seed, same augmentation');
  const seeded = () => Array.from(new nr.layers.RandomRotation({ factor: 0.3, seed: 12 }).apply(x, { training: true }).data());
  nr.setSeed(1);
  const b = seeded();
  nr.setSeed(2);
  assert.deepEqual(seeded(), b, 'a layer seed gives its own stream');
  assert.throws(
    () => new nr.layers.RandomTranslation({ heightFactor: 1.5, widthFactor: 0 }),
    /heightFactor must be a number or a pair \[lower, upper\]/,
  );
  assert.throws(() => new nr.layers.RandomZoom({ heightFactor: [-1, 0] }), /heightFactor must be/);
  assert.throws(
    () => new nr.layers.RandomRotation({ factor: 0.1, interpolation: 'cubic' as never }),
    /interpolation must be 'bilinear' or 'nearest'/,
  );
  assert.throws(
    () => new nr.layers.RandomFlip().apply(nr.ones([2, 8]), { training: true }),
    /RandomFlip "random_flip(_\d+)?" \(input shape \[2, 8\]\): expected input of rank 4/,
  );
});

test('Rescaling scales and offsets in training and inference, casting integer pixels', () => {
  const layer = new nr.layers.Rescaling({ scale: 1 / 127.5, offset: -1 });
  const pixels = nr.tensor([0, 127.5, 255], [1, 3], 'float32');
  assertClose(layer.apply(pixels), [-1, 0, 1], { atol: 1e-6 });
  assertClose(layer.apply(pixels, { training: true }), [-1, 0, 1], { atol: 1e-6 });
  const ints = nr.tensor([0, 255], [1, 2], 'int32');
  const scaled = new nr.layers.Rescaling({ scale: 1 / 255 }).apply(ints);
  assert.equal(scaled.dtype, 'float32');
  assertClose(scaled, [0, 1]);
  assert.throws(() => new nr.layers.Rescaling({ scale: Number.NaN }), /scale must be a finite number/);
  assert.deepEqual(layer.getConfig().offset, -1);
});

test('augmentation takes one image [H, W, C] as Keras does: the same draw as a batch of one', () => {
  const one = nr.randu([5, 6, 2], { dtype: 'float64' });
  const layers = (seed: number) => [
    new nr.layers.RandomFlip({ seed }),
    new nr.layers.RandomTranslation({ heightFactor: 0.3, widthFactor: 0.3, seed }),
    new nr.layers.RandomRotation({ factor: 0.2, seed }),
    new nr.layers.RandomZoom({ heightFactor: 0.3, seed }),
    new nr.layers.RandomContrast({ factor: 0.4, valueRange: [0, 1], seed }),
  ];
  const batched = layers(3).map((layer) => layer.apply(one.reshape([1, 5, 6, 2]), { training: true }));
  layers(3).forEach((layer, i) => {
    const y = layer.apply(one, { training: true });
    assert.deepEqual(y.shape, [5, 6, 2], layer.className);
    assert.deepEqual(Array.from(y.data()), Array.from(batched[i]!.data()), `${layer.className}: the same pixels as [1, 5, 6, 2]`);
    assert.notDeepEqual(Array.from(y.data()), Array.from(one.data()), `${layer.className} changed the image`);
    assert.equal(layer.apply(one), one, `${layer.className}: identity outside training`);
  });
  // Integer pixels come back as floats, as for a batch.
  assert.equal(new nr.layers.RandomRotation({ factor: 0.1 }).apply(nr.zeros([4, 4, 1], 'int32'), { training: true }).dtype, 'float32');
  // Any other rank is refused, and a symbolic [None, H, W] still lacks its channels axis.
  assert.throws(
    () => new nr.layers.RandomFlip().apply(nr.ones([1, 2, 4, 4, 1]), { training: true }),
    /expected input of rank 4 \[batch, height, width, channels\] or one image of rank 3 \[height, width, channels\], got \[1, 2, 4, 4, 1\]/,
  );
  assert.throws(
    () => new nr.layers.RandomFlip().apply(nr.Input({ shape: [28, 28] })),
    /expected input of rank 4 \[batch, height, width, channels\], got \(None, 28, 28\); add the channels axis/,
  );
});

test('augmentation option errors: a missing factor is named as required', () => {
  assert.throws(
    () => new nr.layers.RandomRotation({} as never),
    (e: Error) => {
      assert.ok(e instanceof nr.ConfigError);
      const where = /^RandomRotation "random_rotation(_\d+)?": /;
      assert.match(e.message, where);
      assert.equal(e.message.replace(where, ''), 'option factor is required: a number f (drawn from [-f, f]) or a pair [lower, upper]');
      return true;
    },
  );
  assert.throws(
    () => new nr.layers.RandomRotation({ factor: [0.2, 0.1] }),
    /factor must be a number or a pair \[lower, upper\] \(lower <= upper\) with finite values, got \[0.2,0.1\]/,
  );
  assert.throws(() => new nr.layers.RandomTranslation({ heightFactor: 0.1 } as never), /option widthFactor is required/);
  assert.throws(() => new nr.layers.RandomZoom({} as never), /option heightFactor is required/);
  assert.throws(
    () => new nr.layers.RandomZoom({ heightFactor: -1 }),
    /heightFactor must be a number or a pair \[lower, upper\] \(lower <= upper\) with values > -1, got -1/,
  );
  assert.throws(() => new nr.layers.RandomContrast({} as never), /option factor is required/);
});
