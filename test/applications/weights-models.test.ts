import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type nr, assert } from '../helpers.js';
import { openHdf5, type Hdf5Group } from '../../src/io/hdf5.js';
import { APPLICATION_MODELS } from '../fixtures/keras-h5/application-models.js';

/*
 * Every nr.applications model loads a Keras-layout file of its own (without the top) with every
 * weight in the right layer. The files come from test/fixtures/keras-h5/make_application_fixtures.py,
 * which computes each layer's weights from Keras's rules; every element of weight i of the file's
 * n-th layer with weights is n * 10 + i (the element order inside a weight is the small fixtures'
 * check, test/io/hdf5-keras.test.ts). Each model is built once, and one at a time.
 */

const DIR = join(import.meta.dirname, '..', 'fixtures', 'keras-h5', 'applications');
/** neurona's weight names where Keras's differ. */
const KERAS_NAME: Record<string, Record<string, string>> = { DepthwiseConv2D: { kernel: 'depthwise_kernel' } };
const KERAS3 = ['mobilenet_v2_1.0_224', 'efficientnetb0'];

for (const { key, build } of APPLICATION_MODELS) {
  test(`${key}: every weight of the Keras file lands in its layer`, async () => {
    const path = join(DIR, `${key}_notop.h5`);
    const file = openHdf5(readFileSync(path), path);
    // The file's layers with weights, in order, and the value each of their weights holds.
    const expected: { name: string; values: Map<string, number> }[] = [];
    for (const name of file.attrs().layer_names as string[]) {
      const weights = (file.get(name) as Hdf5Group).attrs().weight_names as string[];
      if (weights.length === 0) continue;
      const n = expected.length + 1;
      const short = (w: string) => w.slice(name.length + 1).replace(/:0$/, '');
      expected.push({ name, values: new Map(weights.map((w, i) => [short(w), n * 10 + i])) });
    }
    const model = await build();
    await model.loadWeights(path);
    check(model, expected);
    // Keras 3's layout for two of them: the same values, found by class counters instead of names.
    if (KERAS3.includes(key)) {
      for (const w of model.weights) w.assign(w.mul(0));
      await model.loadWeights(join(DIR, `${key}_notop.weights.h5`));
      check(model, expected);
    }
  });
}

/** Every weight of every layer with weights holds the value the file gives it (all its elements). */
function check(model: nr.Model, expected: { name: string; values: Map<string, number> }[]): void {
  const layers = model.layers.filter((l) => l.weights.length > 0);
  assert.equal(layers.length, expected.length, 'layers with weights');
  let checked = 0;
  layers.forEach((layer, k) => {
    const { name, values } = expected[k]!;
    // Automatic names (InceptionV3's) depend on what the process built before; Keras's order decides then.
    if (!/^(conv2d|batch_normalization)(_\d+)?$/.test(name)) assert.equal(layer.name, name);
    assert.equal(layer.weights.length, values.size, `${layer.name}: weight count`);
    for (const weight of layer.weights) {
      const short = weight.name.slice(weight.name.lastIndexOf('/') + 1);
      const value = values.get(KERAS_NAME[layer.className]?.[short] ?? short);
      assert.ok(value !== undefined, `${layer.name}: the file has no ${short}`);
      const data = weight.data() as Float32Array;
      for (let i = 0; i < data.length; i++) {
        if (data[i] !== value) assert.fail(`${weight.name}[${i}] is ${data[i]}, the file's ${name}/${short} holds ${value}`);
      }
      checked++;
    }
  });
  assert.ok(checked > 10, `${checked} weights checked`);
}
