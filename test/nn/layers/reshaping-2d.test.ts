import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('ZeroPadding2D, Cropping2D and UpSampling2D pass the shared layer test', () => {
  runLayerTest(() => new nr.layers.ZeroPadding2D(), { inputShape: [2, 3, 3, 2], expectedOutputShape: [2, 5, 5, 2] });
  runLayerTest(
    () =>
      new nr.layers.ZeroPadding2D({
        padding: [
          [1, 0],
          [2, 3],
        ],
      }),
    { inputShape: [1, 2, 3, 1], expectedOutputShape: [1, 3, 8, 1] },
  );
  runLayerTest(() => new nr.layers.Cropping2D({ cropping: [1, 2] }), { inputShape: [2, 4, 6, 2], expectedOutputShape: [2, 2, 2, 2] });
  runLayerTest(() => new nr.layers.UpSampling2D(), { inputShape: [2, 2, 3, 2], expectedOutputShape: [2, 4, 6, 2] });
  runLayerTest(() => new nr.layers.UpSampling2D({ size: [3, 2], interpolation: 'bilinear' }), {
    inputShape: [1, 2, 3, 2],
    expectedOutputShape: [1, 6, 6, 2],
  });
});

test("ZeroPadding2D accepts Keras's three forms and pads with zeros", () => {
  const x = nr.ones([1, 1, 2, 1]);
  assert.deepEqual(new nr.layers.ZeroPadding2D({ padding: 1 }).apply(x).toArray(), [
    [
      [[0], [0], [0], [0]],
      [[0], [1], [1], [0]],
      [[0], [0], [0], [0]],
    ],
  ]);
  assert.deepEqual(new nr.layers.ZeroPadding2D({ padding: [0, 1] }).apply(x).toArray(), [[[[0], [1], [1], [0]]]]);
  assert.deepEqual(
    new nr.layers.ZeroPadding2D({
      padding: [
        [0, 1],
        [2, 0],
      ],
    })
      .apply(x)
      .toArray(),
    [
      [
        [[0], [0], [1], [1]],
        [[0], [0], [0], [0]],
      ],
    ],
  );
  assert.deepEqual(new nr.layers.ZeroPadding2D({ padding: 2 }).getConfig().padding, [
    [2, 2],
    [2, 2],
  ]);
  assert.deepEqual(new nr.layers.ZeroPadding2D({ padding: 2 }).computeOutputShape([null, 28, 28, 1]), [null, 32, 32, 1]);
  assert.throws(
    () => new nr.layers.ZeroPadding2D({ padding: -1 }),
    (e: Error) => e instanceof nr.ConfigError && /padding must be an integer >= 0/.test(e.message),
  );
  assert.throws(() => new nr.layers.ZeroPadding2D({ padding: [1, 2, 3] as never }), nr.ConfigError);
});

test('Cropping2D removes the given rows and columns', () => {
  const x = nr.arange(20).reshape([1, 4, 5, 1]);
  const y = new nr.layers.Cropping2D({
    cropping: [
      [1, 2],
      [0, 3],
    ],
  }).apply(x);
  assert.deepEqual(y.toArray(), [[[[5], [6]]]]);
  assert.throws(
    () => new nr.layers.Cropping2D({ cropping: 2 }).apply(nr.ones([1, 4, 9, 1])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.match(e.message, /^Cropping2D "cropping2d(_\d+)?" \(input shape \[1, 4, 9, 1\]\): cropping \[\[2,2\],\[2,2\]\] removes all/);
      assert.match(e.message, /removes all of the 4x9 input/);
      return true;
    },
  );
});

test("UpSampling2D repeats pixels (nearest) or interpolates (bilinear, Keras's half-pixel rule)", () => {
  const x = nr.tensor([1, 2, 3, 4], [1, 2, 2, 1]);
  assert.deepEqual(new nr.layers.UpSampling2D().apply(x).toArray(), [
    [
      [[1], [1], [2], [2]],
      [[1], [1], [2], [2]],
      [[3], [3], [4], [4]],
      [[3], [3], [4], [4]],
    ],
  ]);
  // Bilinear with half-pixel centres (TensorFlow's resize, as Keras uses): output pixel i samples
  // the input at (i + 0.5) / 2 - 0.5, clamped to the edge: 0, 0.25, 0.75, 1 along each axis.
  const row = (a: number, b: number) => [a, a * 0.75 + b * 0.25, a * 0.25 + b * 0.75, b];
  const top = row(1, 2);
  const bottom = row(3, 4);
  const expected = [0, 0.25, 0.75, 1].flatMap((t) => top.map((v, j) => v * (1 - t) + bottom[j]! * t));
  assertClose(new nr.layers.UpSampling2D({ interpolation: 'bilinear' }).apply(x), expected, { rtol: 1e-6 });
  assert.throws(() => new nr.layers.UpSampling2D({ interpolation: 'cubic' as never }), /interpolation must be 'nearest' or 'bilinear'/);
  assert.throws(() => new nr.layers.UpSampling2D({ size: 0 }), /size must be an integer >= 1/);
});
