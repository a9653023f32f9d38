import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

/*
 * The pooling that torchvision's AlexNet and GoogLeNet need beyond Keras's: ceil-mode max and
 * average pooling and adaptive average pooling, against PyTorch (test/fixtures/pooling-torch.json,
 * written by generate_pooling_torch.py beside it).
 */

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  op: 'max' | 'avg' | 'adaptiveAvg' | 'maxSame';
  poolSize?: [number, number];
  strides?: [number, number];
  outputSize?: [number, number];
  input: Encoded;
  expected: Encoded;
}
const { cases } = JSON.parse(readFileSync(new URL('../../fixtures/pooling-torch.json', import.meta.url), 'utf8')) as { cases: Case[] };

function layerFor(c: Case, dtype: 'float32' | 'float64'): nr.layers.Layer {
  if (c.op === 'adaptiveAvg') return new nr.layers.AdaptiveAveragePooling2D({ outputSize: c.outputSize!, dtype });
  // PyTorch's MaxPool2d(3, stride=1, padding=1) pads with -inf on each side: Keras's 'same'.
  if (c.op === 'maxSame') return new nr.layers.MaxPooling2D({ poolSize: c.poolSize!, strides: c.strides!, padding: 'same', dtype });
  const options = { poolSize: c.poolSize!, strides: c.strides!, ceilMode: true, dtype };
  return c.op === 'max' ? new nr.layers.MaxPooling2D(options) : new nr.layers.AveragePooling2D(options);
}

test("ceilMode pooling and AdaptiveAveragePooling2D equal PyTorch's (fixture)", () => {
  for (const c of cases) {
    const label = `${c.op} [${c.input.shape}] -> [${c.expected.shape}]`;
    const y64 = layerFor(c, 'float64').apply(nr.tensor(c.input.data, c.input.shape, 'float64'));
    assert.deepEqual(y64.shape, c.expected.shape, label);
    assertClose(y64, c.expected.data, { rtol: 1e-12, atol: 1e-13, message: label });
    const layer = layerFor(c, 'float32');
    assertClose(layer.apply(nr.tensor(c.input.data, c.input.shape)), c.expected.data, {
      rtol: 1e-5,
      atol: 1e-6,
      message: `${label} float32`,
    });
    assert.deepEqual(layer.computeOutputShape([null, ...c.input.shape.slice(1)]), [null, ...c.expected.shape.slice(1)], label);
  }
  // The op takes the option too.
  assert.deepEqual(nr.maxPool2d(nr.ones([1, 8, 8, 1]), { poolSize: 3, strides: 2, ceilMode: true }).shape, [1, 4, 4, 1]);
});

test('ceilMode pooling and AdaptiveAveragePooling2D pass the shared layer test', () => {
  runLayerTest(() => new nr.layers.MaxPooling2D({ poolSize: 3, strides: 2, ceilMode: true }), {
    inputShape: [2, 6, 7, 2],
    expectedOutputShape: [2, 3, 3, 2],
  });
  runLayerTest(() => new nr.layers.AveragePooling2D({ poolSize: [4, 2], strides: [3, 2], ceilMode: true }), {
    inputShape: [1, 6, 5, 2],
    expectedOutputShape: [1, 2, 3, 2],
  });
  runLayerTest(() => new nr.layers.AdaptiveAveragePooling2D({ outputSize: [2, 3] }), {
    inputShape: [2, 5, 4, 2],
    expectedOutputShape: [2, 2, 3, 2],
  });
  runLayerTest(() => new nr.layers.AdaptiveAveragePooling2D(2), { inputShape: [1, 4, 6, 1], expectedOutputShape: [1, 2, 2, 1] });
});

test("ceilMode is written to the config only when set, and refused with 'same' padding", () => {
  assert.equal('ceilMode' in new nr.layers.MaxPooling2D().getConfig(), false);
  assert.equal(new nr.layers.MaxPooling2D({ ceilMode: true }).getConfig().ceilMode, true);
  assert.throws(
    () => new nr.layers.MaxPooling2D({ poolSize: 3, padding: 'same', ceilMode: true, name: 'p' }),
    (e: Error) => e instanceof nr.ConfigError && /MaxPooling2D "p": ceilMode applies to padding 'valid'/.test(e.message),
  );
  assert.throws(() => new nr.layers.MaxPooling2D({ ceilMode: 1 as never }), nr.ConfigError);
  assert.throws(() => new nr.layers.AdaptiveAveragePooling2D({ outputSize: 0 }), nr.ConfigError);
  assert.throws(() => new nr.layers.AdaptiveAveragePooling2D({ outputSize: [2, 2, 2] as never }), nr.ConfigError);
  // A window that does not fit at all is still an error, as for 'valid'.
  assert.throws(() => new nr.layers.MaxPooling2D({ poolSize: 5, ceilMode: true }).apply(nr.ones([1, 4, 4, 1])), nr.ShapeError);
});
