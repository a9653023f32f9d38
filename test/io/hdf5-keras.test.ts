import { test } from 'node:test';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nr, assert } from '../helpers.js';
import { assertSmallLoaded, pattern, smallModel } from './keras-h5-models.js';

/*
 * Keras weight files (both layouts) loaded into neurona models. The fixtures come from
 * test/fixtures/keras-h5/make_fixtures.py: element k of weight w of the file's n-th layer with
 * weights is n * 1000 + w * 100 + (k % 97) * 0.5, so each check says which layer, which weight
 * and which element order a value came from.
 */

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'keras-h5');
const fixture = (name: string) => join(FIXTURES, name);

const snapshot = (model: nr.Model) => model.weights.map((w) => Array.from(w.data() as Float32Array));

test('legacy .h5 (keras-applications layout): every weight lands in its layer, BN four arrays and Dense [in, out] included', async () => {
  const model = smallModel();
  await model.loadWeights(fixture('small.h5'));
  assertSmallLoaded(model);
});

test('legacy variants: gzip+shuffle chunks, layer_names split in layer_names0/1, a full-model .h5 (model_weights)', async () => {
  for (const name of ['small_gzip.h5', 'small_split.h5', 'small_full.h5']) {
    const model = smallModel();
    await model.loadWeights(fixture(name));
    assertSmallLoaded(model);
  }
});

test('legacy .h5 whose layer names differ from the model: loaded by order, as Keras load_weights(by_name=False)', async () => {
  const model = smallModel(false); // conv2d, batch_normalization, ... never the file's conv1_7, bn1_7, ...
  await model.loadWeights(fixture('small_renamed.h5'));
  assertSmallLoaded(model);
  const nested = smallModel(); // Keras 2's DenseNet names ("conv1/conv") are nested groups in the file
  await nested.loadWeights(fixture('small_slashes.h5'));
  assertSmallLoaded(nested);
});

test('Keras 3 .weights.h5: layers/<class>[_n]/vars/<i> in layer order; the optimizer group is ignored', async () => {
  const model = smallModel();
  await model.loadWeights(fixture('small.weights.h5'));
  assertSmallLoaded(model);
});

test('a nested model loads in both layouts (legacy: one group for the whole backbone; Keras 3: its own layers/ group)', async () => {
  const build = () => {
    const input = nr.Input([8, 8, 3]);
    const backbone = new nr.Sequential(
      [new nr.layers.Conv2D(4, 3, { name: 'conv', inputShape: [8, 8, 3] }), new nr.layers.BatchNormalization({ name: 'bn' })],
      { name: 'backbone' },
    );
    let x = backbone.apply(input);
    x = new nr.layers.GlobalAveragePooling2D({ name: 'gap' }).apply(x);
    x = new nr.layers.Dense(3, { name: 'head' }).apply(x);
    return { model: new nr.Model({ inputs: input, outputs: x }), backbone };
  };
  for (const [file, headNumber, bnNumber] of [
    ['nested.h5', 2, 1],
    ['nested.weights.h5', 3, 2],
  ] as const) {
    const { model, backbone } = build();
    await model.loadWeights(fixture(file));
    const [kernel, bias] = backbone.getLayer('conv').weights;
    assert.deepEqual(Array.from(kernel!.data() as Float32Array), pattern(1, 0, 108), file);
    assert.deepEqual(Array.from(bias!.data() as Float32Array), pattern(1, 1, 4), file);
    // Legacy numbers the backbone's six weights 0..5 within its one group; Keras 3 gives bn its own vars.
    const bn = backbone.getLayer('bn').weights;
    bn.forEach((w, i) => {
      const expected = file === 'nested.h5' ? pattern(1, 2 + i, 4) : pattern(bnNumber, i, 4);
      assert.deepEqual(Array.from(w.data() as Float32Array), expected, `${file} ${w.name}`);
    });
    const head = model.getLayer('head').weights;
    assert.deepEqual(Array.from(head[0]!.data() as Float32Array), pattern(headNumber, 0, 12), file);
  }
});

test('a file of another model is a FormatError naming the layer, the weight and both shapes; nothing is assigned', async () => {
  const cases: [string, RegExp][] = [
    ['bad_shape.h5', /layer "predictions" \(Dense\) weight "predictions\/kernel".*\[8, 6\].*\[8, 5\]/],
    ['bad_shape.weights.h5', /layer "predictions" \(Dense\) weight "predictions\/kernel".*\[8, 6\].*\[8, 5\]/],
    ['bad_missing.h5', /4 layers with weights, model ".*" has 5.*not in the file: "predictions"/],
    ['bad_extra.h5', /6 layers with weights, model ".*" has 5.*not in the model: "fc2"/],
    ['bad_count.h5', /layer "bn1" \(BatchNormalization\) has 4 weights.*has 3/],
    ['bad_extra.weights.h5', /no layer for: \/layers\/dense_1\/vars/],
  ];
  for (const [file, message] of cases) {
    const model = smallModel();
    const before = snapshot(model);
    await assert.rejects(model.loadWeights(fixture(file)), (e: Error) => {
      assert.ok(e instanceof nr.FormatError, `${file}: ${e.name}`);
      assert.match(e.message, message, file);
      assert.ok(e.message.includes(fixture(file)), `${file}: the message names the file`);
      return true;
    });
    assert.deepEqual(snapshot(model), before, `${file}: nothing was assigned`);
  }
});

test('a legacy file into a model it does not fit by name or by order names both sides', async () => {
  const input = nr.Input([4]);
  const model = new nr.Model({ inputs: input, outputs: new nr.layers.Dense(2, { name: 'only' }).apply(input) });
  await assert.rejects(model.loadWeights(fixture('small.h5')), (e: Error) => {
    assert.ok(e instanceof nr.FormatError);
    assert.match(e.message, /not in the file: "only".*not in the model: "conv1", "bn1", "dw1", "bn2", "predictions"/);
    return true;
  });
});

test('truncated, damaged and non-HDF5 files are FormatErrors naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'neurona-keras-h5-'));
  const bytes = new Uint8Array(await readFile(fixture('small.h5')));
  const notHdf5 = join(dir, 'text.h5');
  await writeFile(notHdf5, 'not an hdf5 file at all');
  const zeroedTail = join(dir, 'zeroed.h5');
  await writeFile(
    zeroedTail,
    Uint8Array.from(bytes, (b, i) => (i > bytes.length / 3 ? 0 : b)),
  );
  // Found by test/io/hdf5.fuzz.ts: one changed address byte links the re_lu group into itself (a cycle).
  const cyclic = new Uint8Array(await readFile(fixture('small.weights.h5')));
  cyclic[13018] = 128;
  const cyclicPath = join(dir, 'cyclic.weights.h5');
  await writeFile(cyclicPath, cyclic);
  const cases: [string, RegExp][] = [
    [cyclicPath, /groups nest more than 64 deep at \/layers\/re_lu/],
    [fixture('truncated.h5'), /is truncated: its HDF5 superblock says the file is 24768 bytes, it has 12384/],
    [notHdf5, /not an HDF5 file/],
    [zeroedTail, /damaged or truncated|past the end|not a Keras weight file|layer_names lists/],
  ];
  for (const [path, message] of cases) {
    const model = smallModel();
    const before = snapshot(model);
    await assert.rejects(model.loadWeights(path), (e: Error) => {
      assert.ok(e instanceof nr.FormatError, `${path}: ${e.name} ${e.message}`);
      assert.match(e.message, message, path);
      assert.ok(e.message.includes(path), `${path}: the message names the file`);
      return true;
    });
    assert.deepEqual(snapshot(model), before);
  }
});

test('model.saveWeights writes .weights.h5 in the Keras 3 layout, and .safetensors loading is unchanged', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'neurona-keras-h5-'));
  const model = smallModel();
  await model.loadWeights(fixture('small.h5'));
  await model.saveWeights(join(dir, 'x.weights.h5'));
  const fromH5 = smallModel(false); // other layer names: the Keras 3 layout goes by class and order
  await fromH5.loadWeights(join(dir, 'x.weights.h5'));
  assertSmallLoaded(fromH5);
  await model.saveWeights(join(dir, 'x.safetensors'));
  const copy = smallModel();
  await copy.loadWeights(join(dir, 'x.safetensors'));
  assertSmallLoaded(copy);
  await copyFile(fixture('small.h5'), join(dir, 'upper.H5')); // the extension decides, in any case
  const other = smallModel();
  await other.loadWeights(join(dir, 'upper.H5'));
  assertSmallLoaded(other);
});
