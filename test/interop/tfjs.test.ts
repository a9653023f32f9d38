import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { assert, nr } from '../helpers.js';

// tfjs's pure-JS backend (no tfjs-node here); its notice about tfjs-node goes to the console once.
await tf.setBackend('cpu');

type TfArtifacts = tf.io.ModelArtifacts;
type Sym = ReturnType<typeof nr.Input>;
// biome-ignore lint/suspicious/noExplicitAny: the cases edit arbitrary fields of parsed JSON
type JsonEdit = Record<string, any>;

async function tfArtifacts(model: tf.LayersModel): Promise<TfArtifacts> {
  let saved: TfArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, what: string): void {
  assert.equal(got.length, want.length, what);
  assert.ok(got.length > 0, what);
  for (let i = 0; i < got.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-5 * (1 + Math.abs(want[i]!)), `${what}[${i}]: ${got[i]} vs ${want[i]}`);
  }
}

/** Trains a few steps in tfjs, loads the saved artifacts into neurona and compares predictions on fresh inputs. */
async function tfjsToNeurona(build: () => tf.LayersModel, inputShape: number[], classes: number): Promise<nr.Model> {
  const model = build();
  model.compile({ optimizer: tf.train.adam(0.01), loss: 'categoricalCrossentropy' });
  const n = 8;
  const x = tf.randomNormal([n, ...inputShape], 0, 1, 'float32', 3);
  const y = tf.oneHot(
    tf.tensor1d(
      [0, 1, 2, 0, 1, 2, 0, 1].map((c) => c % classes),
      'int32',
    ),
    classes,
  );
  await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  const artifacts = await tfArtifacts(model);
  const ours = await nr.interop.fromTfjs(artifacts as never);
  const probe = tf.randomNormal([3, ...inputShape], 0, 1, 'float32', 4);
  const want = (model.predict(probe) as tf.Tensor).dataSync();
  const got = (ours.predict(nr.tensor(Array.from(probe.dataSync()), [3, ...inputShape])) as nr.Tensor).data();
  close(got as Float32Array, want, model.name);
  return ours;
}

/** A neurona model exported to TF.js and loaded with tf.loadLayersModel(fromMemory). */
async function loadInTfjs(model: nr.Model): Promise<tf.LayersModel> {
  const { modelJson, weightData } = await nr.interop.toTfjs(model);
  const json = JSON.parse(JSON.stringify(modelJson));
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weightData.slice().buffer,
    }),
  );
}

/** Exports a neurona model, loads it in tfjs and compares predictions. */
async function neuronaToTfjs(model: nr.Model, inputShape: number[]): Promise<void> {
  const loaded = await loadInTfjs(model);
  const x = nr.randn([3, ...inputShape]);
  const want = (model.predict(x) as nr.Tensor).data() as Float32Array;
  const got = (loaded.predict(tf.tensor(Array.from(x.data() as Float32Array), [3, ...inputShape])) as tf.Tensor).dataSync();
  close(got, want, model.name);
}

test('TF.js: the deck-001 MLP trained in tfjs loads into neurona, and back', async () => {
  const ours = await tfjsToNeurona(
    () =>
      tf.sequential({
        layers: [tf.layers.dense({ units: 8, activation: 'relu', inputShape: [4] }), tf.layers.dense({ units: 3, activation: 'softmax' })],
      }),
    [4],
    3,
  );
  assert.deepEqual(
    ours.layers.map((l) => l.className),
    ['Dense', 'Dense'],
  );
  await neuronaToTfjs(ours, [4]);
});

test('TF.js: the deck-004 CNNs (LeNet-like, BatchNormalization + Dropout, functional Add/Concatenate) both ways', async () => {
  const lenet = () =>
    tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 3, kernelSize: 3, activation: 'relu', inputShape: [8, 8, 1] }),
        tf.layers.maxPooling2d({ poolSize: 2 }),
        tf.layers.flatten(),
        tf.layers.dense({ units: 3, activation: 'softmax' }),
      ],
    });
  await neuronaToTfjs(await tfjsToNeurona(lenet, [8, 8, 1], 3), [8, 8, 1]);
  const bn = () =>
    tf.sequential({
      layers: [
        tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', inputShape: [6, 6, 2] }),
        tf.layers.batchNormalization(),
        tf.layers.activation({ activation: 'relu' }),
        tf.layers.averagePooling2d({ poolSize: 2 }),
        tf.layers.dropout({ rate: 0.25 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
  const withBn = await tfjsToNeurona(bn, [6, 6, 2], 2);
  // Training moved the moving statistics away from 0 and 1, so equal predictions mean they were carried.
  const mean = withBn.layers.find((l) => l.className === 'BatchNormalization')!.weights.find((w) => /moving_mean/.test(w.name))!;
  assert.ok(Math.max(...(mean.data() as Float32Array).map(Math.abs)) > 0);
  await neuronaToTfjs(withBn, [6, 6, 2]);
  const functional = () => {
    const input = tf.input({ shape: [6, 6, 1] });
    const a = tf.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(input) as tf.SymbolicTensor;
    const b = tf.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
    const sum = tf.layers.add().apply([a, b]) as tf.SymbolicTensor;
    const cat = tf.layers.concatenate().apply([sum, a]) as tf.SymbolicTensor;
    const pooled = tf.layers.maxPooling2d({ poolSize: 2 }).apply(cat) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: 3, activation: 'softmax' }).apply(tf.layers.flatten().apply(pooled)) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: out });
  };
  const fn = await tfjsToNeurona(functional, [6, 6, 1], 3);
  assert.equal(fn.className, 'Functional');
  await neuronaToTfjs(fn, [6, 6, 1]);
});

test('TF.js: Embedding and the recurrent layers (LSTM, GRU, SimpleRNN) both ways', async () => {
  const rnn = () =>
    tf.sequential({
      layers: [
        tf.layers.embedding({ inputDim: 7, outputDim: 3, inputShape: [5] }),
        tf.layers.lstm({ units: 4, returnSequences: true }),
        tf.layers.gru({ units: 3, returnSequences: true }),
        tf.layers.simpleRNN({ units: 2 }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
  const model = rnn();
  const artifacts = await tfArtifacts(model);
  const ours = await nr.interop.fromTfjs(artifacts as never);
  const tokens = [1, 4, 6, 0, 2, 3, 3, 5, 1, 0];
  const want = (model.predict(tf.tensor2d(tokens, [2, 5])) as tf.Tensor).dataSync();
  close((ours.predict(nr.tensor(tokens, [2, 5], 'int32')) as nr.Tensor).data() as Float32Array, want, 'rnn');
  const loaded = await loadInTfjs(ours);
  close((loaded.predict(tf.tensor2d(tokens, [2, 5])) as tf.Tensor).dataSync(), want, 'rnn back in tfjs');
});

test('TF.js: more layers exported from neurona load in tfjs with equal predictions', async () => {
  nr.setSeed(5);
  const input = nr.Input({ shape: [8, 8, 2] });
  let x = new nr.layers.ZeroPadding2D(1).apply(input) as Sym;
  x = new nr.layers.DepthwiseConv2D(3, { activation: 'relu' }).apply(x) as Sym;
  x = new nr.layers.SeparableConv2D(3, 3, { padding: 'same' }).apply(x) as Sym;
  x = new nr.layers.LeakyReLU({ negativeSlope: 0.2 }).apply(x) as Sym;
  const up = new nr.layers.Conv2DTranspose(4, 3, { strides: 2, padding: 'same' }).apply(x) as Sym;
  const pooled = new nr.layers.GlobalMaxPooling2D().apply(up) as Sym;
  const other = new nr.layers.GlobalAveragePooling2D().apply(up) as Sym;
  const merged = [
    new nr.layers.Multiply().apply([pooled, other]),
    new nr.layers.Maximum().apply([pooled, other]),
    new nr.layers.Average().apply([pooled, other]),
  ] as Sym[];
  let y = new nr.layers.Concatenate().apply(merged) as Sym;
  y = new nr.layers.LayerNormalization().apply(y) as Sym;
  y = new nr.layers.Reshape([3, 4]).apply(y) as Sym;
  y = new nr.layers.Flatten().apply(y) as Sym;
  y = new nr.layers.ReLU().apply(new nr.layers.Dense(5).apply(y) as Sym) as Sym;
  y = new nr.layers.Softmax().apply(y) as Sym;
  const model = new nr.Model({ inputs: input, outputs: y });
  await neuronaToTfjs(model, [8, 8, 2]);
  const back = await nr.interop.fromTfjs(await nr.interop.toTfjs(model));
  const probe = nr.randn([2, 8, 8, 2]);
  assert.deepEqual((back.predict(probe) as nr.Tensor).data(), (model.predict(probe) as nr.Tensor).data());
});

test('TF.js: saveTfjs writes model.json and one shard that fromTfjs reads back bit for bit', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-'));
  try {
    nr.setSeed(2);
    const model = new nr.Sequential([nr.Input({ shape: [5] }), new nr.layers.Dense(4, 'tanh'), new nr.layers.Dense(2)]);
    await nr.interop.saveTfjs(model, join(dir, 'm'));
    const json = JSON.parse(readFileSync(join(dir, 'm', 'model.json'), 'utf8'));
    assert.equal(json.format, 'layers-model');
    assert.deepEqual(json.weightsManifest[0].paths, ['group1-shard1of1.bin']);
    assert.deepEqual(
      json.weightsManifest[0].weights.map((w: { name: string }) => w.name),
      ['dense/kernel', 'dense/bias', 'dense_1/kernel', 'dense_1/bias'].map((n) =>
        n.replace('dense', model.layers[0]!.name).replace(`${model.layers[0]!.name}_1`, model.layers[1]!.name),
      ),
    );
    const x = nr.randn([3, 5]);
    for (const source of [join(dir, 'm'), join(dir, 'm', 'model.json')]) {
      const back = await nr.interop.fromTfjs(source);
      assert.deepEqual((back.predict(x) as nr.Tensor).data(), (model.predict(x) as nr.Tensor).data());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TF.js: bad files are FormatErrors that say what is wrong', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-bad-'));
  try {
    const model = new nr.Sequential([nr.Input({ shape: [3] }), new nr.layers.Dense(2, { name: 'out' })]);
    const { modelJson, weightData } = await nr.interop.toTfjs(model);
    const edit = (f: (j: JsonEdit) => void) => {
      const j = JSON.parse(JSON.stringify(modelJson));
      f(j);
      return j;
    };
    const cases: [JsonEdit, Uint8Array, RegExp][] = [
      [edit((j) => (j.modelTopology.config.layers[0].class_name = 'Blur')), weightData, /layer "out" \(Blur\): an unsupported layer class/],
      [
        edit((j) => (j.modelTopology.config.layers[0].config.kernel_constraint = { class_name: 'MaxNorm', config: {} })),
        weightData,
        /option kernel_constraint: neurona has no constraints/,
      ],
      [
        edit((j) => (j.modelTopology.config.layers[0].config.fancy = 3)),
        weightData,
        /layer "out" \(Dense\): option fancy is not one neurona's Dense takes/,
      ],
      [
        edit((j) => (j.modelTopology.config.layers[0].config.data_format = 'channels_first')),
        weightData,
        /option data_format .*only its default/,
      ],
      [
        edit((j) => (j.weightsManifest[0].weights[0].shape = [2, 3])),
        weightData,
        /weight out\/kernel: the manifest's out\/kernel has shape \[2,3\], the model's \[3,2\]/,
      ],
      [
        edit((j) => j.weightsManifest[0].weights.pop()),
        weightData.slice(0, 24),
        /layer "out" would create weight "bias" of shape \[2\], more values than the 6 the weights file holds/,
      ],
      [modelJson, weightData.slice(0, 20), /describes 32 bytes of weights, the shards hold 20/],
      [edit((j) => (j.weightsManifest[0].paths = ['../x.bin'])), weightData, /a shard path must be a file name/],
      [edit((j) => (j.weightsManifest[0].weights[0].dtype = 'float16')), weightData, /dtype float32 or int32/],
    ];
    for (const [json, data, pattern] of cases) {
      await assert.rejects(nr.interop.fromTfjs({ modelJson: json as never, weightData: data }), (e: Error) => {
        assert.ok(e instanceof nr.FormatError, `${e.constructor.name}: ${e.message}`);
        assert.match(e.message, pattern);
        return true;
      });
    }
    const noise = new nr.Sequential([nr.Input({ shape: [3] }), new nr.layers.GaussianNoise(0.1, { name: 'noise' })]);
    await assert.rejects(
      nr.interop.toTfjs(noise),
      (e: Error) =>
        e instanceof nr.FormatError && /layer "noise" \(GaussianNoise\): the layer class has no TF.js counterpart/.test(e.message),
    );
    const gru = new nr.Sequential([nr.Input({ shape: [4, 2] }), new nr.layers.GRU(3, { name: 'g' })]);
    await assert.rejects(
      nr.interop.toTfjs(gru),
      (e: Error) =>
        e instanceof nr.FormatError &&
        /layer "g" \(GRU\): TF.js's GRU has no reset_after: true; build the GRU with resetAfter: false/.test(e.message),
    );
    writeFileSync(join(dir, 'model.json'), '{"modelTopology": ');
    await assert.rejects(
      nr.interop.fromTfjs(dir),
      (e: Error) => e instanceof nr.FormatError && /model\.json: is not valid UTF-8 JSON/.test(e.message),
    );
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    await assert.rejects(
      nr.interop.fromTfjs(dir),
      (e: Error) => e instanceof nr.FormatError && /group1-shard1of1\.bin: cannot read the file/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TF.js: the deck-004 models v1 to v3 and the LeNet export and load in tfjs; v4 and v5 say what TF.js lacks', async () => {
  const { lenet, version1, version2, version3, version4 } = await import('../../src/cli/jobs/deck004.js');
  nr.setSeed(10);
  for (const model of [version1([16, 16, 3]), version2([16, 16, 3]), version3([16, 16, 3])]) await neuronaToTfjs(model, [16, 16, 3]);
  await neuronaToTfjs(lenet(), [28, 28, 1]);
  await assert.rejects(
    nr.interop.toTfjs(version4([16, 16, 3])),
    /layer "augmentation" \(Sequential\): a nested model, which the TF\.js export does not carry; export to \.keras or ONNX/,
  );
});
