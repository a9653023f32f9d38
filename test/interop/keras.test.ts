import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unzipSync, zipSync } from 'fflate';
import { assert, nr } from '../helpers.js';
import { modelFromKerasConfig, modelToKerasConfig } from '../../src/interop/keras-config.js';

// biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary fields of parsed JSON
type JsonEdit = Record<string, any>;

const dir = join(import.meta.dirname, '..', 'fixtures', 'keras');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
  string,
  { x: number[]; xShape: number[]; y: number[]; yShape: number[] }
>;

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  assert.ok(got.length > 0, what);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

for (const name of ['cnn', 'functional', 'sequence']) {
  test(`.keras: Keras 3's ${name} archive loads with numpy's outputs (1e-5)`, async () => {
    const model = await nr.interop.fromKeras(join(dir, `${name}.keras`));
    const { x, xShape, y, yShape } = expected[name]!;
    const out = model.predict(nr.tensor(x, xShape)) as nr.Tensor;
    assert.deepEqual(out.shape, yShape);
    close(out.data() as Float32Array, y, name);
    const fromBytes = await nr.interop.fromKeras(new Uint8Array(readFileSync(join(dir, `${name}.keras`))));
    assert.deepEqual((fromBytes.predict(nr.tensor(x, xShape)) as nr.Tensor).data(), out.data());
  });
}

test('.keras: damaged archives are FormatErrors that name the problem', async () => {
  const bytes = new Uint8Array(readFileSync(join(dir, 'functional.keras')));
  const files = unzipSync(bytes);
  const config = JSON.parse(new TextDecoder().decode(files['config.json']));
  const rezip = (change: (c: JsonEdit) => void, extra: Record<string, Uint8Array | undefined> = {}) => {
    const c = JSON.parse(JSON.stringify(config));
    change(c);
    const out: Record<string, Uint8Array> = { ...files, 'config.json': new TextEncoder().encode(JSON.stringify(c)) };
    for (const [k, v] of Object.entries(extra)) {
      if (v) out[k] = v;
      else delete out[k];
    }
    return zipSync(out);
  };
  const out = (c: JsonEdit) => c.config.layers[5];
  const cases: [Uint8Array, RegExp][] = [
    [rezip((c) => (out(c).class_name = 'Blur')), /config\.json: layer "out" \(Blur\): an unsupported layer class/],
    [
      rezip((c) => (out(c).config.units = 3)),
      /layer "out" \(Dense\) weight "out\/kernel": the file's \/layers\/dense_2\/vars\/0 has shape \[8, 2\], the model's weight \[8, 3\]/,
    ],
    [
      rezip((c) => {
        c.config.layers.push({
          ...out(c),
          name: 'more',
          config: { ...out(c).config, name: 'more' },
          inbound_nodes: [{ args: [{ class_name: '__keras_tensor__', config: { keras_history: ['out', 0, 0] } }], kwargs: {} }],
        });
        c.config.output_layers = [['more', 0, 0]];
      }),
      /layer "more" \(Dense\) has 2 weights, the file's layers\/dense_3\/vars does not exist/,
    ],
    [
      rezip((c) => (out(c).config.kernel_constraint = { class_name: 'NonNeg', config: {} })),
      /layer "out" \(Dense\): option kernel_constraint: neurona has no constraints/,
    ],
    [
      rezip((c) => (out(c).inbound_nodes[0].args[0].config.keras_history = ['nowhere', 0, 0])),
      /layer "out" consumes \["nowhere",0,0\], which no layer of the model produces/,
    ],
    [
      rezip(() => {}, { 'config.json': new TextEncoder().encode(JSON.stringify(config).slice(0, 300)) }),
      /config\.json: is not valid UTF-8 JSON/,
    ],
    [rezip(() => {}, { 'model.weights.h5': undefined }), /the archive has no model\.weights\.h5/],
    [
      rezip(() => {}, { 'metadata.json': new TextEncoder().encode('{"keras_version": "2.15.0"}') }),
      /metadata\.json: a Keras 3 archive, got "2\.15\.0"/,
    ],
    [bytes.slice(0, bytes.length >> 1), /is not a readable zip archive/],
    [rezip(() => {}, { 'model.weights.h5': files['model.weights.h5']!.slice(0, 600) }), /model\.weights\.h5/],
  ];
  // Found by the fuzz harness: a Sequential whose config gives no input shape builds nothing to load into.
  const noShape = { class_name: 'Sequential', config: { name: 's', layers: [{ class_name: 'Dense', config: { name: 'd', units: 2 } }] } };
  assert.throws(
    () => modelFromKerasConfig(noShape, 'config.json'),
    (e: Error) => e instanceof nr.FormatError && /^config\.json: model "s" has no input shape \(no InputLayer/.test(e.message),
  );
  for (const [archive, pattern] of cases) {
    await assert.rejects(nr.interop.fromKeras(archive), (e: Error) => {
      assert.ok(e instanceof nr.FormatError, `${e.constructor.name}: ${e.message}`);
      assert.match(e.message, pattern);
      return true;
    });
  }
});

/** Every layer the formats carry, in one functional image model and one sequence model. */
function kerasZoo(): nr.Model[] {
  const L = nr.layers;
  type Sym = ReturnType<typeof nr.Input>;
  const input = nr.Input({ shape: [8, 8, 2] });
  const on = (layer: { apply: (x: never) => unknown }, x: Sym | Sym[]) => layer.apply(x as never) as Sym;
  let x = on(new L.ZeroPadding2D(1), input);
  x = on(new L.Conv2D(3, 3, { activation: 'relu', kernelRegularizer: 'l2' }), x);
  x = on(new L.BatchNormalization(), x);
  x = on(new L.DepthwiseConv2D(3, { padding: 'same' }), x);
  x = on(new L.SeparableConv2D(3, 3, { padding: 'same' }), x);
  x = on(new L.LeakyReLU({ negativeSlope: 0.2 }), x);
  x = on(new L.AveragePooling2D(2), x);
  const up = on(new L.Conv2DTranspose(4, 3, { strides: 2, padding: 'same' }), x);
  const a = on(new L.GlobalMaxPooling2D(), up);
  const b = on(new L.GlobalAveragePooling2D(), on(new L.MaxPooling2D(2), up));
  const merged = [L.Add, L.Subtract, L.Multiply, L.Average, L.Maximum].map((M) => on(new M(), [a, b]));
  let y = on(new L.Concatenate(), merged);
  y = on(new L.LayerNormalization(), on(new L.Dropout(0.3), y));
  y = on(new L.Flatten(), on(new L.Reshape([5, 4]), y));
  y = on(new L.Softmax(), on(new L.ReLU(), on(new L.Dense(4), y)));
  const image = new nr.Model({ inputs: input, outputs: on(new L.Activation('tanh'), y) });
  const sequence = new nr.Sequential([
    nr.Input({ shape: [6], dtype: 'int32' }),
    new L.Embedding(9, 4),
    new L.LSTM(5, { returnSequences: true }),
    new L.GRU(4, { returnSequences: true }),
    new L.SimpleRNN(3),
    new L.Dense(2, 'softmax'),
  ]);
  return [image, sequence];
}

test('.keras: every layer the format carries survives the Keras 3 config both ways (weights copied)', () => {
  nr.setSeed(4);
  const inputs = [nr.randn([2, 8, 8, 2]), nr.tensor([1, 2, 3, 4, 5, 6, 0, 8, 7, 1, 2, 3], [2, 6], 'int32')];
  kerasZoo().forEach((model, i) => {
    const config = JSON.parse(JSON.stringify(modelToKerasConfig(model, 'keras3')));
    assert.equal(config.class_name, i === 0 ? 'Functional' : 'Sequential');
    const layer = config.config.layers[1];
    assert.equal(layer.module, 'keras.layers');
    assert.deepEqual(layer.config.dtype, {
      module: 'keras',
      class_name: 'DTypePolicy',
      config: { name: 'float32' },
      registered_name: null,
    });
    if (i === 0) assert.equal(layer.inbound_nodes[0].args[0].class_name, '__keras_tensor__');
    const back = modelFromKerasConfig(config, 'config.json');
    assert.deepEqual(
      back.layers.map((l) => l.className),
      model.layers.map((l) => l.className),
    );
    back.setWeights(model.getWeights());
    assert.deepEqual((back.predict(inputs[i]!) as nr.Tensor).data(), (model.predict(inputs[i]!) as nr.Tensor).data());
  });
});

test('.keras: neurona -> .keras -> neurona gives bitwise-equal predictions; model.save writes the same format', async () => {
  nr.setSeed(8);
  const inputs = [nr.randn([2, 8, 8, 2]), nr.tensor([1, 2, 3, 4, 5, 6, 0, 8, 7, 1, 2, 3], [2, 6], 'int32')];
  const models = kerasZoo();
  for (const [i, model] of models.entries()) {
    const bytes = await nr.interop.toKeras(model);
    const files = unzipSync(bytes);
    assert.deepEqual(Object.keys(files).sort(), ['config.json', 'metadata.json', 'model.weights.h5']);
    const meta = JSON.parse(new TextDecoder().decode(files['metadata.json']));
    assert.match(meta.keras_version, /^3\.\d+\.\d+$/);
    assert.match(meta.date_saved, /^\d{4}-\d\d-\d\d@\d\d:\d\d:\d\d$/);
    const back = await nr.interop.fromKeras(bytes);
    assert.deepEqual((back.predict(inputs[i]!) as nr.Tensor).data(), (model.predict(inputs[i]!) as nr.Tensor).data());
  }
  const out = mkdtempSync(join(tmpdir(), 'keras-'));
  try {
    const path = join(out, 'zoo.keras');
    await models[0]!.save(path);
    // KERAS_EXPORT_DIR keeps the file for make_keras.py, which reads it back with zipfile and h5py.
    if (process.env.KERAS_EXPORT_DIR) await models[0]!.save(join(process.env.KERAS_EXPORT_DIR, 'zoo.keras'));
    const back = await nr.interop.fromKeras(path);
    assert.deepEqual((back.predict(inputs[0]!) as nr.Tensor).data(), (models[0]!.predict(inputs[0]!) as nr.Tensor).data());
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('.keras: the deck-004 models (v4 and v5 with their augmentation Sequential nested) round-trip bitwise', async () => {
  const { lenet, version1, version2, version3, version4, version5 } = await import('../../src/cli/jobs/deck004.js');
  nr.setSeed(9);
  const x = nr.randn([2, 16, 16, 3]);
  for (const [name, model] of [
    ['v1', version1([16, 16, 3])],
    ['v2', version2([16, 16, 3])],
    ['v3', version3([16, 16, 3])],
    ['v4', version4([16, 16, 3])],
    ['v5', version5([16, 16, 3])],
  ] as const) {
    const back = await nr.interop.fromKeras(await nr.interop.toKeras(model));
    assert.deepEqual((back.predict(x) as nr.Tensor).data(), (model.predict(x) as nr.Tensor).data(), name);
    assert.deepEqual(
      back.layers.map((l) => l.className),
      model.layers.map((l) => l.className),
      name,
    );
  }
  const config = JSON.parse(new TextDecoder().decode(unzipSync(await nr.interop.toKeras(version4([16, 16, 3])))['config.json']));
  const nested = config.config.layers.find((l: { class_name: string }) => l.class_name === 'Sequential');
  // As Keras writes a model used as a layer: its own model config, with the call's inbound node.
  assert.deepEqual(
    nested.config.layers.map((l: { class_name: string }) => l.class_name),
    ['RandomFlip', 'RandomTranslation'],
  );
  assert.deepEqual(nested.config.build_input_shape, [null, 16, 16, 3]);
  assert.equal(nested.inbound_nodes.length, 1);
  const digits = lenet();
  const image = nr.randn([1, 28, 28, 1]);
  const again = await nr.interop.fromKeras(await nr.interop.toKeras(digits));
  assert.deepEqual((again.predict(image) as nr.Tensor).data(), (digits.predict(image) as nr.Tensor).data());
});
