import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;
const steps = nr.tensor([
  [
    [1, 10],
    [2, 20],
    [3, 30],
  ],
]);

test('ZeroPadding1D, Cropping1D and UpSampling1D pass the shared layer test', () => {
  runLayerTest(() => new L.ZeroPadding1D(), { inputShape: [2, 3, 2], expectedOutputShape: [2, 5, 2] });
  runLayerTest(() => new L.ZeroPadding1D({ padding: [0, 2] }), { inputShape: [1, 2, 3], expectedOutputShape: [1, 4, 3] });
  runLayerTest(() => new L.Cropping1D(), { inputShape: [2, 4, 2], expectedOutputShape: [2, 2, 2] });
  runLayerTest(() => new L.Cropping1D([2, 0]), { inputShape: [1, 5, 1], expectedOutputShape: [1, 3, 1] });
  runLayerTest(() => new L.UpSampling1D({ size: 3 }), { inputShape: [2, 2, 2], expectedOutputShape: [2, 6, 2] });
});

test("ZeroPadding1D, Cropping1D and UpSampling1D: values, Keras's defaults and configs", () => {
  assert.deepEqual(new L.ZeroPadding1D([1, 2]).apply(steps).toArray(), [
    [
      [0, 0],
      [1, 10],
      [2, 20],
      [3, 30],
      [0, 0],
      [0, 0],
    ],
  ]);
  assert.deepEqual(new L.Cropping1D([1, 1]).apply(steps).toArray(), [[[2, 20]]]);
  assert.deepEqual(new L.Cropping1D({ cropping: [0, 1] }).apply(steps).toArray(), [
    [
      [1, 10],
      [2, 20],
    ],
  ]);
  assert.deepEqual(new L.UpSampling1D().apply(steps.slice([0, 0], [1, 2])).toArray(), [
    [
      [1, 10],
      [1, 10],
      [2, 20],
      [2, 20],
    ],
  ]);
  assert.deepEqual(new L.ZeroPadding1D().getConfig().padding, [1, 1]);
  assert.deepEqual(new L.Cropping1D().getConfig().cropping, [1, 1]);
  assert.equal(new L.UpSampling1D().getConfig().size, 2);
  assert.deepEqual(new L.Cropping1D(2).computeOutputShape([null, null, 4]), [null, null, 4]);
  // UpSampling1D's gradient sums the copies of each step.
  const x = nr.variable(nr.tensor([[[1], [2]]]));
  new L.UpSampling1D(3).apply(x).sum().backward();
  assert.deepEqual(x.grad?.toArray(), [[[3], [3]]]);
});

test('ZeroPadding1D, Cropping1D and UpSampling1D misuse: errors name the layer and the fix', () => {
  const throwsMatching = (fn: () => unknown, cls: new (...a: never[]) => Error, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e instanceof cls && pattern.test(e.message), pattern.source);
  throwsMatching(
    () => new L.ZeroPadding1D({ padding: -1, name: 'z' }),
    nr.ConfigError,
    /^ZeroPadding1D "z": padding must be an integer >= 0 or a pair/,
  );
  throwsMatching(
    () => new L.Cropping1D({ cropping: [1, 2, 3] as never }),
    nr.ConfigError,
    /cropping must be an integer >= 0 or a pair \[before, after\]/,
  );
  throwsMatching(() => new L.UpSampling1D({ size: 0, name: 'u' }), nr.ConfigError, /^UpSampling1D "u": size must be an integer >= 1/);
  throwsMatching(
    () => new L.Cropping1D({ cropping: [2, 1], name: 'c' }).apply(steps),
    nr.ShapeError,
    /^Cropping1D "c" \(input shape \[1, 3, 2\]\): cropping \[2, 1\] removes all 3 steps.*at least one must remain/,
  );
  throwsMatching(() => new L.ZeroPadding1D().apply(nr.ones([2, 3])), nr.ShapeError, /expected input of rank 3 \[batch, steps, channels\]/);
});
