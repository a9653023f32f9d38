import { test } from 'node:test';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from '../helpers.js';
import { encodeModel } from '../../src/interop/onnx-proto.js';

/*
 * Models exported by PyTorch 1.13 (test/fixtures/onnx/torch_export.py) import with outputs equal
 * to PyTorch's within 1e-4, train, and save and load like any neurona model.
 */

const FIXTURES = new URL('../fixtures/onnx/', import.meta.url).pathname;

function fixture(name: string): { input: nr.Tensor; output: number[]; outputShape: number[] } {
  const f = JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8'));
  return { input: nr.tensor(f.input, f.inputShape), output: f.output, outputShape: f.outputShape };
}

function assertTorchClose(name: string, y: nr.Tensor, want: number[], shape: number[]): void {
  assert.deepEqual(y.shape, shape, `${name}: shape`);
  // A fixture whose outputs are all near zero would pass any import: its values must matter.
  assert.ok(Math.max(...want.map(Math.abs)) > 0.05, `${name}: the fixture's outputs are too small to test anything`);
  const got = y.data() as Float32Array;
  for (let i = 0; i < want.length; i++) {
    assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * (Math.abs(want[i]!) + 1e-3), `${name}[${i}]: neurona ${got[i]}, PyTorch ${want[i]}`);
  }
}

for (const name of ['mlp', 'lenet', 'lstm', 'transformer']) {
  test(`PyTorch's ${name} imports with PyTorch's outputs`, async () => {
    const model = await nr.interop.fromOnnx(join(FIXTURES, `${name}.onnx`));
    const { input, output, outputShape } = fixture(name);
    assertTorchClose(name, model.predict(input) as nr.Tensor, output, outputShape);
  });
}

for (const name of ['resnet18', 'mobilenet_v2']) {
  const path = join(FIXTURES, `${name}.onnx`);
  const reason = existsSync(path) ? false : `${name}.onnx is not committed (45/9 MB): run torch_export.py --big to write it`;
  test(`torchvision's ${name} imports with PyTorch's outputs`, { skip: reason }, async () => {
    const model = await nr.interop.fromOnnx(path);
    const { input, output, outputShape } = fixture(name);
    assertTorchClose(name, model.predict(input) as nr.Tensor, output, outputShape);
  });
}

test('layout NHWC takes images channels last; save and load give bitwise-equal predictions', async () => {
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'lenet.onnx')));
  const model = await nr.interop.fromOnnx(bytes, { layout: 'NHWC' });
  const { input, output, outputShape } = fixture('lenet');
  const y = model.predict(input.transpose([0, 2, 3, 1])) as nr.Tensor;
  assertTorchClose('lenet NHWC', y, output, outputShape);
  const dir = mkdtempSync(join(tmpdir(), 'onnx-import-'));
  try {
    await model.save(dir);
    const loaded = await nr.loadModel(dir);
    assert.deepEqual(Array.from((loaded.predict(input.transpose([0, 2, 3, 1])) as nr.Tensor).data()), Array.from(y.data()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an imported model trains: its initializers are its weights', async () => {
  const model = await nr.interop.fromOnnx(join(FIXTURES, 'mlp.onnx'));
  assert.equal(model.countParams(), 8 * 16 + 16 + 16 * 16 + 16 + 16 * 3 + 3);
  nr.setSeed(3);
  const x = nr.randn([32, 8]);
  const y = nr.oneHot(
    nr.tensor(
      Array.from({ length: 32 }, (_, i) => i % 3),
      [32],
      'int32',
    ),
    3,
  );
  model.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 0.03 }),
    loss: new nr.losses.CategoricalCrossentropy({ fromLogits: true }),
  });
  const history = await model.fit(x, y, { epochs: 40, batchSize: 32, verbose: 0 });
  const loss = history.history.loss as number[];
  assert.ok(loss.at(-1)! < loss[0]! * 0.5, `loss ${loss[0]} -> ${loss.at(-1)}`);
});

const RESNET = join(FIXTURES, 'resnet18.onnx');
test('resnet18 fine-tunes: frozen base, new head', {
  skip: existsSync(RESNET) ? false : 'resnet18.onnx absent (torch_export.py --big)',
}, async () => {
  const base = await nr.interop.fromOnnx(RESNET, { outputs: ['/Flatten_output_0'] });
  base.trainable = false;
  const inputs = nr.Input({ shape: [3, 64, 64] });
  // The random base's features run to the hundreds: the head normalises them first.
  const features = new nr.layers.LayerNormalization().apply(base.apply(inputs));
  const outputs = new nr.layers.Dense({ units: 1, activation: 'sigmoid' }).apply(features);
  const model = new nr.Model({ inputs, outputs });
  assert.equal(model.trainableWeights.length, 4);
  nr.setSeed(5);
  // Two classes of noisy image: the red channel raised, or the blue one.
  const labels = Array.from({ length: 16 }, (_, i) => i % 2);
  const images = labels.map((c) => nr.randn([3, 64, 64]).add(nr.tensor(c ? [0, 0, 1] : [1, 0, 0], [3, 1, 1])));
  const x = nr.stack(images, 0);
  const y = nr.tensor(labels, [16, 1]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.005 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  const history = await model.fit(x, y, { epochs: 20, batchSize: 16, verbose: 0 });
  const loss = history.history.loss as number[];
  const accuracy = (await model.evaluate(x, y, { verbose: 0 })).accuracy as number;
  assert.ok(accuracy >= 0.9 && loss.at(-1)! < loss[0]!, `loss ${loss.join(', ')}, accuracy ${accuracy}`);
});

test('bad files are FormatErrors naming what is wrong', async () => {
  const unsupported = encodeModel({
    irVersion: 8,
    opset: 17,
    producer: 'test',
    graph: {
      name: 'g',
      nodes: [{ name: 'nms_1', opType: 'NonMaxSuppression', domain: '', inputs: ['x'], outputs: ['y'], attributes: [] }],
      initializers: [],
      inputs: [{ name: 'x', elemType: 1, shape: [null, 4] }],
      outputs: [{ name: 'y', elemType: 1, shape: [null, 4] }],
    },
  });
  await assert.rejects(
    nr.interop.fromOnnx(unsupported),
    (e: Error) =>
      e instanceof nr.FormatError && /node "nms_1" \(NonMaxSuppression\): the operator NonMaxSuppression is not supported/.test(e.message),
  );
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'mlp.onnx')));
  await assert.rejects(
    nr.interop.fromOnnx(bytes.subarray(0, bytes.length - 7)),
    (e: Error) => e instanceof nr.FormatError && /fromOnnx: .* at byte \d+/.test(e.message),
  );
  await assert.rejects(nr.interop.fromOnnx(join(FIXTURES, 'absent.onnx')), /fromOnnx: cannot read .*absent.onnx \(no such file|ENOENT/);
  await assert.rejects(
    nr.interop.fromOnnx(bytes, { layout: 'NWHC' as never }),
    (e: Error) => e instanceof nr.ConfigError && /layout must be 'NCHW' or 'NHWC', got "NWHC"/.test(e.message),
  );
});

test('an imported model exports back to ONNX: PyTorch files round-trip through neurona into ONNX Runtime', async () => {
  const ort = await import('onnxruntime-node');
  for (const name of ['mlp', 'lenet', 'lstm', 'transformer']) {
    const model = await nr.interop.fromOnnx(join(FIXTURES, `${name}.onnx`));
    // opset 18 also checks that attributes PyTorch's opset 13 wrote (ReduceMean's axes) become inputs
    const session = await ort.InferenceSession.create(await nr.interop.toOnnx(model, { opset: name === 'transformer' ? 18 : 17 }));
    const { input, output, outputShape } = fixture(name);
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', Float32Array.from(input.data() as Float32Array), input.shape) };
    const result = (await session.run(feeds))[session.outputNames[0]!]!;
    assertTorchClose(`${name} via neurona`, nr.tensor(Array.from(result.data as Float32Array), [...result.dims]), output, outputShape);
  }
});

test('recurrent nodes in every direction, with initial states, import: neurona exports round-trip', async () => {
  const L = nr.layers;
  nr.setSeed(21);
  const x = nr.Input({ shape: [6, 3] });
  const h0 = nr.Input({ shape: [4] });
  const backwards = new L.LSTM(4, { returnSequences: true, goBackwards: true }).apply(x);
  const both = new L.Bidirectional(new L.GRU(3, { returnSequences: true })).apply(backwards);
  const started = new L.SimpleRNN(4).apply(both, { initialState: [h0] });
  const model = new nr.Model({ inputs: [x, h0], outputs: started });
  for (const layer of model.layers) layer.setWeights(layer.getWeights().map((w) => nr.randu(w.shape, { low: -0.6, high: 0.6 })));
  const imported = await nr.interop.fromOnnx(await nr.interop.toOnnx(model));
  const inputs = [nr.randn([2, 6, 3]), nr.randn([2, 4])];
  const want = model.predict(inputs) as nr.Tensor;
  const got = imported.predict(inputs) as nr.Tensor;
  assert.deepEqual(got.shape, want.shape);
  const w = want.data() as Float32Array;
  got.data().forEach((v, i) => assert.ok(Math.abs(v - w[i]!) <= 1e-5, `output ${i}: imported ${v}, neurona ${w[i]}`));
  assert.ok(Math.max(...Array.from(w, Math.abs)) > 0.05, 'the outputs are too small to test anything');
});
