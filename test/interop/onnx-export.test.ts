import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { assert, nr } from '../helpers.js';
import { lenet, version1, version2, version3, version4, version5 } from '../../src/cli/jobs/deck004.js';

/*
 * Every exported layer type and the deck-004 models run in ONNX Runtime with neurona's outputs
 * within 1e-5 relative. ONNX_EXPORT_DIR=<dir> keeps the files for test/fixtures/onnx/check_exported.py.
 */

const keep = process.env.ONNX_EXPORT_DIR;
if (keep) mkdirSync(keep, { recursive: true });

/** Small random weights so that every layer's output depends on all of them. */
function randomize(model: nr.Model, seed: number): void {
  nr.setSeed(seed);
  for (const layer of model.layers) {
    layer.setWeights(
      layer.getWeights().map((w, i) => {
        const moving = layer.className === 'BatchNormalization' && i >= 2;
        const r = nr.randu(w.shape, { low: moving ? 0.5 : -0.5, high: moving ? 1.5 : 0.5 });
        return layer.className === 'BatchNormalization' && i === 3 ? r.abs() : r;
      }),
    );
  }
}

async function compare(
  name: string,
  model: nr.Model,
  inputShape: number[],
  options: nr.interop.ToOnnxOptions = {},
  integers = 0,
): Promise<void> {
  const data = integers > 0 ? nr.randu(inputShape, { low: 0, high: integers }).floor() : nr.randn(inputShape);
  await compareAll(name, model, [data], options);
}

/** Feeds `inputs` to the model and to ONNX Runtime and compares every output. */
async function compareAll(name: string, model: nr.Model, inputs: nr.Tensor[], options: nr.interop.ToOnnxOptions = {}): Promise<void> {
  const bytes = await nr.interop.toOnnx(model, options);
  if (keep) writeFileSync(join(keep, `${name}.onnx`), bytes);
  const predicted = model.predict(inputs.length === 1 ? inputs[0]! : inputs) as nr.Tensor | nr.Tensor[];
  const expected = Array.isArray(predicted) ? predicted : [predicted];
  const session = await ort.InferenceSession.create(bytes);
  const nchw = (t: nr.Tensor) => options.layout === 'NCHW' && t.rank === 4;
  const feeds = Object.fromEntries(
    inputs.map((data, i) => {
      const fed = nchw(data) ? data.transpose([0, 3, 1, 2]) : data;
      return [session.inputNames[i]!, new ort.Tensor('float32', Float32Array.from(fed.data() as Float32Array), fed.shape)];
    }),
  );
  const results = await session.run(feeds);
  assert.equal(session.outputNames.length, expected.length, `${name}: number of outputs`);
  expected.forEach((e, o) => {
    const result = results[session.outputNames[o]!]!;
    const want = nchw(e) ? e.transpose([0, 3, 1, 2]) : e;
    assert.deepEqual([...result.dims], want.shape, `${name}: output ${o} shape`);
    const got = result.data as Float32Array;
    const ref = want.data() as Float32Array;
    const scale = Math.max(...Array.from(ref, Math.abs), 1e-6);
    for (let i = 0; i < ref.length; i++) {
      const err = Math.abs(got[i]! - ref[i]!);
      // 1e-5 relative to the output's largest value: float32 sums in another order differ by that much.
      assert.ok(err <= 1e-5 * scale, `${name}: output ${o}[${i}]: onnxruntime ${got[i]}, neurona ${ref[i]}`);
    }
  });
}

const seq = (shape: number[], ...layers: nr.layers.Layer[]) => new nr.Sequential([nr.Input({ shape }), ...layers]);
const L = nr.layers;
type Sym = nr.layers.SymbolicTensor;

test('each exported layer type runs in ONNX Runtime with neurona outputs', async () => {
  const cases: [string, nr.Model, number[]][] = [
    ['dense', seq([5], new L.Dense(4, { activation: 'tanh' }), new L.Dense(3, { activation: 'softmax' })), [3, 5]],
    [
      'activations',
      seq(
        [6],
        ...(
          [
            'relu',
            'sigmoid',
            'elu',
            'selu',
            'softplus',
            'softsign',
            'swish',
            'gelu',
            'hard_sigmoid',
            'relu6',
            'leaky_relu',
            'exponential',
          ] as const
        ).map((a) => new L.Activation(a)),
      ),
      [2, 6],
    ],
    ['relu-layers', seq([6], new L.ReLU({ maxValue: 2 }), new L.LeakyReLU({ negativeSlope: 0.1 }), new L.Softmax()), [2, 6]],
    [
      'conv2d',
      seq(
        [13, 12, 3],
        new L.Conv2D({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        new L.Conv2D({ filters: 2, kernelSize: [2, 3], dilationRate: 2 }),
      ),
      [2, 13, 12, 3],
    ],
    ['depthwise', seq([7, 7, 3], new L.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same' })), [2, 7, 7, 3]],
    [
      'separable',
      seq([7, 7, 3], new L.SeparableConv2D({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'sigmoid' })),
      [2, 7, 7, 3],
    ],
    [
      'conv-transpose',
      seq(
        [5, 4, 3],
        new L.Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }),
        new L.Conv2DTranspose({ filters: 2, kernelSize: 2, strides: 3 }),
      ),
      [2, 5, 4, 3],
    ],
    [
      'pooling',
      seq(
        [9, 9, 2],
        new L.MaxPooling2D({ poolSize: 3, strides: 2, padding: 'same' }),
        new L.AveragePooling2D({ poolSize: 2, padding: 'same' }),
        new L.GlobalAveragePooling2D(),
      ),
      [2, 9, 9, 2],
    ],
    ['global-max', seq([5, 5, 3], new L.GlobalMaxPooling2D({ keepdims: true }), new L.Flatten()), [2, 5, 5, 3]],
    [
      'batchnorm',
      seq([4, 4, 3], new L.BatchNormalization(), new L.Flatten(), new L.Dense(3), new L.BatchNormalization({ center: false })),
      [2, 4, 4, 3],
    ],
    ['layernorm', seq([3, 6], new L.LayerNormalization(), new L.Dropout(0.5), new L.Reshape([18])), [2, 3, 6]],
    ['padding', seq([4, 4, 2], new L.ZeroPadding2D({ padding: [1, 2] }), new L.Flatten()), [2, 4, 4, 2]],
  ];
  for (const [name, model, shape] of cases) {
    randomize(model, 1);
    await compare(name, model, shape);
  }
});

test('merge layers and Embedding export', async () => {
  const a = nr.Input({ shape: [6] });
  const h1 = new L.Dense(4).apply(a);
  const h2 = new L.Dense(4).apply(a);
  const merged = [new L.Add(), new L.Subtract(), new L.Multiply(), new L.Average(), new L.Maximum()].map((m) => m.apply([h1, h2]));
  const out = new L.Concatenate().apply(merged);
  const model = new nr.Model({ inputs: a, outputs: out });
  randomize(model, 2);
  await compare('merge', model, [3, 6]);
  const emb = seq([5], new L.Embedding({ inputDim: 10, outputDim: 3 }), new L.Flatten());
  randomize(emb, 3);
  await compare('embedding', emb, [2, 5], {}, 10);
});

test('recurrent layers export as ONNX LSTM, GRU and RNN', async () => {
  const cases: [string, nr.Model][] = [
    ['lstm', seq([5, 3], new L.LSTM(4, { returnSequences: true }), new L.LSTM(3))],
    ['gru', seq([5, 3], new L.GRU(4, { returnSequences: true }), new L.GRU(3, { resetAfter: false }))],
    ['simple-rnn', seq([5, 3], new L.SimpleRNN(4, { returnSequences: true }), new L.SimpleRNN(2, { useBias: false }))],
  ];
  for (const [name, model] of cases) {
    randomize(model, 6);
    await compare(name, model, [2, 5, 3]);
  }
});

test('MultiHeadAttention exports (self- and cross-attention)', async () => {
  const x = nr.Input({ shape: [5, 6] });
  const self = new L.MultiHeadAttention({ numHeads: 2, keyDim: 3 }).apply([x, x]);
  const cross = new L.MultiHeadAttention({ numHeads: 3, keyDim: 2, valueDim: 4, outputShape: 5 }).apply([self, x, new L.Dense(6).apply(x)]);
  const model = new nr.Model({ inputs: x, outputs: new L.LayerNormalization().apply(cross) });
  randomize(model, 7);
  await compare('attention', model, [3, 5, 6]);
});

test('attention masks, scores and the Attention layers export', async () => {
  const x = nr.Input({ shape: [4, 6] });
  const mask = nr.Input({ shape: [4, 4] });
  const mha = new L.MultiHeadAttention({ numHeads: 2, keyDim: 3 });
  const [out, scores] = mha.apply<Sym[]>([x, x], { attentionMask: mask, useCausalMask: true, returnAttentionScores: true });
  const model = new nr.Model({ inputs: [x, mask], outputs: [out!, scores!] });
  randomize(model, 8);
  // Row 3 of sample 0 attends to nothing: neurona and Keras give it uniform weights.
  const m = nr
    .randu([2, 4, 4])
    .greater(0.3)
    .cast('float32')
    .mul(nr.tensor([1, 1, 1, 0], [1, 4, 1]));
  await compareAll('mha-masks', model, [nr.randn([2, 4, 6]), m]);
  const q = nr.Input({ shape: [3, 5] });
  const v = nr.Input({ shape: [4, 5] });
  const layers: [string, nr.layers.Layer, Record<string, unknown>][] = [
    ['dot', new L.Attention(), {}],
    ['dot-scaled-causal', new L.Attention({ useScale: true }), { useCausalMask: true }],
    ['concat', new L.Attention({ scoreMode: 'concat', useScale: true }), { returnAttentionScores: true }],
    ['additive', new L.AdditiveAttention(), {}],
    ['additive-unscaled', new L.AdditiveAttention({ useScale: false }), { useCausalMask: true }],
  ];
  for (const [name, layer, options] of layers) {
    const y = layer.apply<Sym | Sym[]>([q, v, new L.Dense(5).apply(v)], options);
    const attention = new nr.Model({ inputs: [q, v], outputs: y });
    randomize(attention, 9);
    await compareAll(`attention-${name}`, attention, [nr.randn([2, 3, 5]), nr.randn([2, 4, 5])]);
  }
});

test('recurrent directions, states in and out, Bidirectional and TimeDistributed export', async () => {
  const cases: [string, nr.Model][] = [
    ['lstm-backwards', seq([5, 3], new L.LSTM(4, { returnSequences: true, goBackwards: true }), new L.GRU(3, { goBackwards: true }))],
    ['rnn-relu', seq([5, 3], new L.SimpleRNN(4, { activation: 'relu', returnSequences: true }), new L.GRU(2, { activation: 'sigmoid' }))],
    ...(['concat', 'sum', 'mul', 'ave'] as const).map((mergeMode): [string, nr.Model] => [
      `bidirectional-${mergeMode}`,
      seq([5, 3], new L.Bidirectional(new L.LSTM(4, { returnSequences: true }), { mergeMode }), new L.Bidirectional(new L.GRU(2))),
    ]),
    ['time-distributed', seq([5, 4], new L.TimeDistributed(new L.Dense(3, { activation: 'relu' })), new L.SimpleRNN(2))],
    ['time-distributed-conv', seq([3, 6, 6, 2], new L.TimeDistributed(new L.Conv2D(2, 3)), new L.TimeDistributed(new L.Flatten()))],
  ];
  for (const [name, model] of cases) {
    randomize(model, 10);
    await compare(name, model, name.includes('conv') ? [2, 3, 6, 6, 2] : [2, 5, name.startsWith('time') ? 4 : 3]);
  }
  // An encoder's states start a decoder; every output of both calls is compared.
  const source = nr.Input({ shape: [5, 3] });
  const target = nr.Input({ shape: [4, 2] });
  const [encoded, h, c] = new L.LSTM(4, { returnState: true }).apply<Sym[]>(source);
  const decoded = new L.LSTM(4, { returnSequences: true }).apply(target, { initialState: [h!, c!] });
  const both = new L.Bidirectional(new L.GRU(3, { returnSequences: true, returnState: true }), { mergeMode: null }).apply<Sym[]>(source);
  const model = new nr.Model({ inputs: [source, target], outputs: [encoded!, decoded, ...both] });
  randomize(model, 11);
  await compareAll('seq2seq-states', model, [nr.randn([2, 5, 3]), nr.randn([2, 4, 2])]);
});

test('1-D convolutions, poolings, reshaping and normalizations export', async () => {
  const cases: [string, nr.Model, number[]][] = [
    [
      'conv1d',
      seq(
        [11, 4],
        new L.Conv1D({ filters: 6, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu' }),
        new L.Conv1D({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', groups: 2 }),
        new L.MaxPooling1D({ poolSize: 2, padding: 'same' }),
        new L.AveragePooling1D({ poolSize: 2, strides: 1, padding: 'same' }),
        new L.Conv1D(3, 2),
      ),
      [2, 11, 4],
    ],
    [
      'sequence-reshaping',
      seq(
        [6, 3],
        new L.ZeroPadding1D([1, 2]),
        new L.Cropping1D([2, 1]),
        new L.UpSampling1D(3),
        new L.GlobalMaxPooling1D({ keepdims: true }),
        new L.GlobalAveragePooling1D(),
      ),
      [2, 6, 3],
    ],
    [
      'image-reshaping',
      seq(
        [5, 6, 2],
        new L.Cropping2D([
          [1, 0],
          [2, 1],
        ]),
        new L.UpSampling2D([2, 3]),
        new L.UpSampling2D({ size: 2, interpolation: 'bilinear' }),
      ),
      [2, 5, 6, 2],
    ],
    [
      'normalizations',
      seq(
        [4, 4, 6],
        new L.Rescaling({ scale: 0.5, offset: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6] }),
        new L.Normalization({ mean: 0.2, variance: 2 }),
        new L.GroupNormalization({ groups: 3 }),
        new L.UnitNormalization(),
        new L.MaskedConv2D({ filters: 3, kernelSize: 3, padding: 'same', maskType: 'A' }),
      ),
      [2, 4, 4, 6],
    ],
    ['maxout-positions', seq([5, 4], new L.Maxout({ units: 3, pieces: 2 }), new L.PositionEmbedding({ sequenceLength: 7 })), [2, 5, 4]],
    [
      'resampling',
      seq(
        [10, 9, 2],
        new L.CenterCrop({ height: 8, width: 7 }),
        new L.Resizing({ height: 5, width: 11 }),
        new L.Resizing({ height: 7, width: 4, interpolation: 'nearest' }),
        new L.AdaptiveAveragePooling2D([3, 3]),
      ),
      [2, 10, 9, 2],
    ],
    [
      'rnn-cell',
      seq([5, 3], new L.RNN(new L.LSTMCell(4), { returnSequences: true, goBackwards: true }), new L.RNN(new L.GRUCell(2))),
      [2, 5, 3],
    ],
  ];
  for (const [name, model, shape] of cases) {
    randomize(model, 12);
    await compare(name, model, shape);
  }
  // The reductions take their axes as an input from opset 18 on.
  for (const opset of [18, 21]) {
    await compare(`normalizations-opset${opset}`, cases[3]![1], [2, 4, 4, 6], { opset });
    await compare(`sequence-reshaping-opset${opset}`, cases[1]![1], [2, 6, 3], { opset });
  }
  const tokens = seq([6], new L.TokenAndPositionEmbedding({ vocabularySize: 9, sequenceLength: 8, embeddingDim: 4 }));
  randomize(tokens, 13);
  await compare('token-and-position', tokens, [2, 6], {}, 9);
  const a = nr.Input({ shape: [5] });
  const b = nr.Input({ shape: [5] });
  const distances = [new L.L1Distance(), new L.L2Distance(), new L.CosineSimilarity()].map((d) => d.apply([a, b]));
  await compareAll('distances', new nr.Model({ inputs: [a, b], outputs: new L.Concatenate().apply(distances) }), [
    nr.randn([3, 5]),
    nr.randn([3, 5]),
  ]);
});

test('the deck-004 models run in ONNX Runtime, NHWC and NCHW', async () => {
  const models: [string, nr.Model, number[]][] = [
    ['deck004-v1', version1([16, 16, 3]), [2, 16, 16, 3]],
    ['deck004-v2', version2([16, 16, 3]), [2, 16, 16, 3]],
    ['deck004-v3', version3([16, 16, 3]), [2, 16, 16, 3]],
    ['deck004-v4', version4([16, 16, 3]), [2, 16, 16, 3]],
    ['deck004-v5', version5([16, 16, 3]), [2, 16, 16, 3]],
    ['deck004-lenet', lenet(), [2, 28, 28, 1]],
  ];
  for (const [name, model, shape] of models) {
    randomize(model, 4);
    await compare(name, model, shape);
  }
  await compare('deck004-v5-nchw', models[4]![1], [2, 16, 16, 3], { layout: 'NCHW', opset: 13 });
});

test('model.save writes ONNX for an .onnx path; a layer with no ONNX form is a ConfigError naming it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onnx-'));
  try {
    const model = seq([3], new L.Dense(2));
    await model.save(join(dir, 'm.onnx'));
    const bytes = readFileSync(join(dir, 'm.onnx'));
    assert.deepEqual(new Uint8Array(bytes), await nr.interop.toOnnx(model));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const bad = seq([4], new L.Lambda((x: nr.Tensor) => x.mul(2)));
  await assert.rejects(
    nr.interop.toOnnx(bad),
    (e: Error) => e instanceof nr.ConfigError && /layer "lambda\w*" of class Lambda has no ONNX form/.test(e.message),
  );
  const masked = seq([5], new L.Embedding({ inputDim: 9, outputDim: 3, maskZero: true }), new L.LSTM(2));
  await assert.rejects(nr.interop.toOnnx(masked), /\(Embedding\) makes a mask for later layers, and ONNX has no masks/);
  await assert.rejects(nr.interop.toOnnx(seq([3], new L.Dense(2)), { opset: 9 }), /opset must be an integer from 13 to 21, got 9/);
});
