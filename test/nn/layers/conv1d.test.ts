import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertCloseToScale, fixture, tensorOf, type Encoded } from './sequence-fixture.js';

/*
 * Conv1D against PyTorch's Conv1d (test/fixtures/sequence/conv1d_torch.json, written by
 * conv1d_torch.py beside it): outputs and the gradients w.r.t. the input, the kernel and the bias,
 * for each padding, strides, dilation and groups; then the shared layer test and the misuse errors.
 */

interface ConvCase {
  name: string;
  filters: number;
  kernelSize: number;
  strides: number;
  padding: 'valid' | 'same' | 'causal';
  dilationRate: number;
  groups: number;
  activation: 'linear' | 'relu' | 'tanh';
  input: Encoded;
  kernel: Encoded;
  bias: Encoded;
  upstream: Encoded;
  output: Encoded;
  inputGrad: Encoded;
  kernelGrad: Encoded;
  biasGrad: Encoded;
}

test("Conv1D equals PyTorch's Conv1d: outputs and gradients w.r.t. input, kernel and bias (fixture)", () => {
  const cases = fixture.convs as ConvCase[];
  assert.equal(cases.length, 6);
  for (const c of cases) {
    for (const [dtype, tolerance] of [
      ['float32', 1e-5],
      ['float64', 1e-12],
    ] as const) {
      const { filters, kernelSize, strides, padding, dilationRate, groups, activation } = c;
      const layer = new nr.layers.Conv1D({ filters, kernelSize, strides, padding, dilationRate, groups, activation, dtype });
      const x = tensorOf(c.input, dtype);
      x.requiresGrad = true;
      layer.apply(x);
      layer.setWeights([tensorOf(c.kernel, dtype), tensorOf(c.bias, dtype)]);
      const y = layer.apply(x);
      y.mul(tensorOf(c.upstream, dtype)).sum().backward();
      const label = `${c.name} ${dtype}`;
      assertCloseToScale(y, c.output, tolerance, `${label} output`);
      assertCloseToScale(x.grad, c.inputGrad, tolerance, `${label} input gradient`);
      assertCloseToScale(layer.kernel!.grad, c.kernelGrad, tolerance, `${label} kernel gradient`);
      assertCloseToScale(layer.bias!.grad, c.biasGrad, tolerance, `${label} bias gradient`);
      assert.deepEqual(layer.computeOutputShape([null, ...c.input.shape.slice(1)]), [null, ...c.output.shape.slice(1)], label);
    }
  }
});

test('Conv1D passes the shared layer test', () => {
  runLayerTest(() => new nr.layers.Conv1D(3, 2), { inputShape: [2, 5, 2], expectedOutputShape: [2, 4, 3] });
  runLayerTest(() => new nr.layers.Conv1D({ filters: 2, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'tanh' }), {
    inputShape: [1, 6, 2],
    expectedOutputShape: [1, 6, 2],
  });
  runLayerTest(() => new nr.layers.Conv1D({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', groups: 2, useBias: false }), {
    inputShape: [2, 5, 2],
    expectedOutputShape: [2, 3, 4],
  });
});

test("Conv1D: Keras's defaults, weight layout, list forms of the window and snake_case keys", () => {
  const layer = new nr.layers.Conv1D(8, 5);
  layer.apply(nr.ones([1, 20, 6]));
  assert.deepEqual(
    layer.weights.map((w) => [w.name, w.shape]),
    [
      ['conv1d/kernel', [5, 6, 8]],
      ['conv1d/bias', [8]],
    ].map(([n, s]) => [(n as string).replace('conv1d', layer.name), s]),
  );
  const config = layer.getConfig();
  assert.deepEqual(
    {
      kernelSize: config.kernelSize,
      strides: config.strides,
      padding: config.padding,
      dilationRate: config.dilationRate,
      groups: config.groups,
    },
    { kernelSize: [5], strides: [1], padding: 'valid', dilationRate: [1], groups: 1 },
  );
  const snake = new nr.layers.Conv1D({ filters: 4, kernel_size: [3], dilation_rate: [2], padding: 'CAUSAL', use_bias: false } as never);
  const camel = new nr.layers.Conv1D({ filters: 4, kernelSize: 3, dilationRate: 2, padding: 'causal', useBias: false });
  const { name: _a, ...s } = snake.getConfig();
  const { name: _b, ...c } = camel.getConfig();
  assert.deepEqual(s, c);
  // 'causal': output step t sees input steps <= t only.
  const causal = new nr.layers.Conv1D({ filters: 1, kernelSize: 3, padding: 'causal', kernelInitializer: 'ones', useBias: false });
  assert.deepEqual(causal.apply(nr.tensor([[[1], [2], [3], [4]]])).data(), Float32Array.from([1, 3, 6, 9]));
});

test('Conv1D misuse: errors name the layer, the rule and the fix', () => {
  const L = nr.layers;
  const throwsMatching = (fn: () => unknown, cls: new (...a: never[]) => Error, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e instanceof cls && pattern.test(e.message), pattern.source);
  throwsMatching(() => new L.Conv1D({ filters: 4, name: 'c' } as never), nr.ConfigError, /^Conv1D "c": kernelSize is required/);
  throwsMatching(() => new L.Conv1D(6, 3, { groups: 4, name: 'c' }), nr.ConfigError, /filters \(6\) must be divisible by groups \(4\)/);
  throwsMatching(
    () => new L.Conv1D(4, 3, { strides: 2, dilationRate: 2, name: 'c' }),
    nr.ConfigError,
    /^Conv1D "c": strides 2 cannot be combined with dilationRate 2/,
  );
  throwsMatching(() => new L.Conv1D(4, [3, 3] as never), nr.ConfigError, /kernelSize must be an integer >= 1 \(or a list of one\)/);
  throwsMatching(() => new L.Conv1D(4, 3, { padding: 'full' as never }), nr.ConfigError, /padding must be 'valid', 'same' or 'causal'/);
  throwsMatching(() => new L.Conv1D(4, 3, { dataFormat: 'channels_first' as never }), nr.ConfigError, /only dataFormat 'channels_last'/);
  throwsMatching(() => new L.Conv1D(4, 3, { kernel_sise: 3 } as never), nr.ConfigError, /did you mean 'kernel_size'/);
  throwsMatching(
    () => new L.Conv1D(4, 3, { groups: 2, name: 'c' }).apply(nr.ones([1, 8, 3])),
    nr.ShapeError,
    /^Conv1D "c" \(input shape \[1, 8, 3\]\): the input's 3 channels must be divisible by groups \(2\)/,
  );
  throwsMatching(
    () => new L.Conv1D(4, 5, { name: 'c' }).apply(nr.ones([1, 3, 2])),
    nr.ShapeError,
    /a kernel spanning 5 steps with 'valid' padding does not fit the 3 steps.*use padding 'same'/,
  );
  throwsMatching(
    () => new L.Conv1D(4, 3, { name: 'c' }).apply(nr.ones([2, 8])),
    nr.ShapeError,
    /expected input of rank 3 \[batch, steps, channels\]/,
  );
  const built = new L.Conv1D(4, 3, { name: 'c' });
  built.apply(nr.ones([1, 8, 2]));
  throwsMatching(() => built.apply(nr.ones([1, 8, 5])), nr.ShapeError, /expected input with 2 channels \(last axis\), got \[1, 8, 5\]/);
  throwsMatching(() => built.apply(nr.ones([1, 2, 2])), nr.ShapeError, /spanning 3 steps with 'valid' padding does not fit the 2 steps/);
});

test('a Conv1D model learns in fit: Conv1D, pooling, Masking and TimeDistributed together', async () => {
  nr.setSeed(7);
  // Whether the first half of a sequence sums higher than the second: a pattern along the steps.
  const x = nr.randn([64, 12, 2]);
  const halves = x.sum(2).reshape([64, 2, 6]).sum(2);
  const y = halves
    .slice([0, 0], [-1, 1])
    .greater(halves.slice([0, 1], [-1, 1]))
    .cast('float32');
  const model = new nr.Sequential([
    new nr.layers.Masking({ inputShape: [12, 2] }),
    new nr.layers.TimeDistributed(new nr.layers.Dense(4, { activation: 'tanh' })),
    new nr.layers.Conv1D(8, 3, { padding: 'causal', activation: 'relu' }),
    new nr.layers.MaxPooling1D(2),
    new nr.layers.Conv1D(8, 3, { strides: 1, padding: 'same', kernelRegularizer: 'l2' }),
    new nr.layers.GlobalAveragePooling1D(),
    new nr.layers.Dense(1, { activation: 'sigmoid' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.02 }), loss: 'binary_crossentropy' });
  const history = await model.fit(x, y, { epochs: 15, batchSize: 16, verbose: 0 });
  const losses = history.history.loss!;
  assert.ok(losses.at(-1)! < 0.7 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
});
