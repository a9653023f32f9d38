import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

/*
 * The conv layers checked through the shared layer test (shapes, config, float64 gradients) and
 * against a plain-loop reference written here from the definition, with TensorFlow's 'same' rule
 * (total padding max((out - 1) * stride + span - size, 0), the smaller half before).
 */

interface Geometry {
  strides: [number, number];
  dilation: [number, number];
  padding: 'valid' | 'same';
}

/** out[n, i, j, o] = sum over (p, q, c) of x[n, i*s + p*d - padTop, j*s + q*d - padLeft, c] * w[p, q, c, o]. */
function referenceConv(x: nr.Tensor, w: nr.Tensor, g: Geometry, depthwise = false): number[] {
  const [n, h, wd, c] = x.shape as number[];
  const [kh, kw, , m] = w.shape as number[];
  const outSize = (size: number, k: number, s: number, d: number) => {
    const span = (k - 1) * d + 1;
    const out = g.padding === 'same' ? Math.ceil(size / s) : Math.floor((size - span) / s) + 1;
    const total = Math.max((out - 1) * s + span - size, 0);
    return [out, g.padding === 'same' ? Math.floor(total / 2) : 0];
  };
  const [oh, top] = outSize(h!, kh!, g.strides[0], g.dilation[0]);
  const [ow, left] = outSize(wd!, kw!, g.strides[1], g.dilation[1]);
  const outChannels = depthwise ? c! * m! : m!;
  const xv = x.data();
  const wv = w.data();
  const out: number[] = [];
  for (let b = 0; b < n!; b++)
    for (let i = 0; i < oh!; i++)
      for (let j = 0; j < ow!; j++)
        for (let o = 0; o < outChannels; o++) {
          let sum = 0;
          for (let p = 0; p < kh!; p++)
            for (let q = 0; q < kw!; q++) {
              const row = i * g.strides[0] + p * g.dilation[0] - top!;
              const col = j * g.strides[1] + q * g.dilation[1] - left!;
              if (row < 0 || row >= h! || col < 0 || col >= wd!) continue;
              const at = ((b * h! + row) * wd! + col) * c!;
              if (depthwise) {
                const channel = Math.floor(o / m!);
                sum += xv[at + channel]! * wv[((p * kw! + q) * c! + channel) * m! + (o % m!)]!;
              } else {
                for (let k = 0; k < c!; k++) sum += xv[at + k]! * wv[((p * kw! + q) * c! + k) * m! + o]!;
              }
            }
          out.push(sum);
        }
  return out;
}

test('Conv2D passes the shared layer test (valid, same with stride 2 and an even kernel, dilation 2)', () => {
  runLayerTest(() => new nr.layers.Conv2D({ filters: 2, kernelSize: 3 }), { inputShape: [2, 5, 5, 2], expectedOutputShape: [2, 3, 3, 2] });
  runLayerTest(() => new nr.layers.Conv2D({ filters: 3, kernelSize: [2, 4], strides: 2, padding: 'same', activation: 'tanh' }), {
    inputShape: [1, 5, 6, 2],
    expectedOutputShape: [1, 3, 3, 3],
  });
  runLayerTest(() => new nr.layers.Conv2D({ filters: 2, kernelSize: 2, dilationRate: 2, padding: 'same', useBias: false }), {
    inputShape: [3, 4, 4, 1],
    expectedOutputShape: [3, 4, 4, 2],
  });
});

test('Conv2D computes the convolution, plus bias, then the activation (TensorFlow same padding)', () => {
  for (const [kernelSize, strides, padding, dilationRate, inputShape] of [
    [4, 2, 'same', 1, [2, 7, 8, 3]],
    [3, 1, 'valid', 2, [1, 7, 7, 2]],
    [[2, 3], [2, 1], 'same', 1, [1, 5, 6, 2]],
  ] as const) {
    const layer = new nr.layers.Conv2D({
      filters: 4,
      kernelSize,
      strides,
      padding,
      dilationRate,
      activation: 'relu',
      biasInitializer: 'random_normal',
    });
    const x = nr.randn([...inputShape]);
    const y = layer.apply(x);
    const g: Geometry = {
      strides: typeof strides === 'number' ? [strides, strides] : [...strides],
      dilation: [dilationRate, dilationRate],
      padding,
    };
    const bias = layer.bias!.data();
    const expected = referenceConv(x, layer.kernel!, g).map((v, i) => Math.max(0, v + bias[i % 4]!));
    assert.deepEqual(y.shape.slice(-1), [4]);
    assertClose(y, expected, { rtol: 1e-5, atol: 1e-5, message: `kernel ${kernelSize} strides ${strides} ${padding}` });
  }
});

test('Conv2D: a 2x2 kernel of ones sums each window (closed form)', () => {
  const layer = new nr.layers.Conv2D({
    filters: 1,
    kernelSize: 2,
    kernelInitializer: 'ones',
    biasInitializer: { className: 'Constant', config: { value: 0.5 } },
  });
  // x = 0..8 on a 3x3 grid: windows [0,1,3,4], [1,2,4,5], [3,4,6,7], [4,5,7,8].
  const y = layer.apply(nr.arange(9).reshape([1, 3, 3, 1]));
  assert.deepEqual(y.shape, [1, 2, 2, 1]);
  assertClose(y, [8.5, 12.5, 20.5, 24.5]);
  assert.deepEqual(
    layer.weights.map((w) => [w.name, w.shape]),
    [
      [`${layer.name}/kernel`, [2, 2, 1, 1]],
      [`${layer.name}/bias`, [1]],
    ],
  );
});

test('DepthwiseConv2D passes the shared layer test and orders output channels as c * multiplier + m', () => {
  runLayerTest(() => new nr.layers.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }), {
    inputShape: [2, 4, 4, 2],
    expectedOutputShape: [2, 4, 4, 4],
  });
  runLayerTest(() => new nr.layers.DepthwiseConv2D({ kernelSize: 2, strides: 2 }), {
    inputShape: [1, 5, 5, 3],
    expectedOutputShape: [1, 2, 2, 3],
  });
  const layer = new nr.layers.DepthwiseConv2D({ kernelSize: [3, 2], depthMultiplier: 3, strides: 2, padding: 'same', useBias: false });
  const x = nr.randn([2, 6, 5, 2]);
  const y = layer.apply(x);
  assert.deepEqual(y.shape, [2, 3, 3, 6]);
  assert.deepEqual(layer.kernel!.shape, [3, 2, 2, 3]);
  assertClose(y, referenceConv(x, layer.kernel!, { strides: [2, 2], dilation: [1, 1], padding: 'same' }, true), { rtol: 1e-5, atol: 1e-5 });
});

test('SeparableConv2D is a depthwise conv then a 1x1 conv, with Keras weight names and counts', () => {
  runLayerTest(() => new nr.layers.SeparableConv2D({ filters: 3, kernelSize: 3, depthMultiplier: 2, padding: 'same' }), {
    inputShape: [2, 4, 4, 2],
    expectedOutputShape: [2, 4, 4, 3],
  });
  const layer = new nr.layers.SeparableConv2D({ filters: 5, kernelSize: 3, depthMultiplier: 2, strides: 2, biasInitializer: 'ones' });
  const x = nr.randn([2, 7, 7, 3]);
  const y = layer.apply(x);
  assert.deepEqual(y.shape, [2, 3, 3, 5]);
  assert.deepEqual(
    layer.weights.map((w) => [w.name.split('/')[1], w.shape]),
    [
      ['depthwise_kernel', [3, 3, 3, 2]],
      ['pointwise_kernel', [1, 1, 6, 5]],
      ['bias', [5]],
    ],
  );
  assert.equal(layer.countParams(), 3 * 3 * 3 * 2 + 6 * 5 + 5);
  const depthwise = referenceConv(x, layer.depthwiseKernel!, { strides: [2, 2], dilation: [1, 1], padding: 'valid' }, true);
  const pointwise = referenceConv(nr.tensor(depthwise, [2, 3, 3, 6]), layer.pointwiseKernel!, {
    strides: [1, 1],
    dilation: [1, 1],
    padding: 'valid',
  });
  assertClose(
    y,
    pointwise.map((v) => v + 1),
    { rtol: 1e-5, atol: 1e-5 },
  );
});

test('Conv2DTranspose passes the shared layer test and is the adjoint of Conv2D', () => {
  runLayerTest(() => new nr.layers.Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding: 'same' }), {
    inputShape: [2, 3, 3, 2],
    expectedOutputShape: [2, 6, 6, 2],
  });
  runLayerTest(() => new nr.layers.Conv2DTranspose({ filters: 3, kernelSize: [3, 2], strides: [2, 1] }), {
    inputShape: [1, 3, 4, 2],
    expectedOutputShape: [1, 7, 5, 3],
  });
  runLayerTest(() => new nr.layers.Conv2DTranspose({ filters: 1, kernelSize: 3, strides: 2, outputPadding: 1 }), {
    inputShape: [1, 3, 3, 2],
    expectedOutputShape: [1, 8, 8, 1],
  });
  // <conv(x), y> = <x, convT(y)> when both use the same kernel array, strides and padding.
  for (const padding of ['same', 'valid'] as const) {
    const conv = new nr.layers.Conv2D({ filters: 3, kernelSize: 3, strides: 2, padding, useBias: false, dtype: 'float64' });
    const transpose = new nr.layers.Conv2DTranspose({ filters: 2, kernelSize: 3, strides: 2, padding, useBias: false, dtype: 'float64' });
    const size = padding === 'same' ? 8 : 9;
    const x = nr.randn([2, size, size, 2], { dtype: 'float64' });
    const cx = conv.apply(x);
    const y = nr.randn(cx.shape, { dtype: 'float64' });
    transpose.apply(y);
    transpose.setWeights([conv.kernel!]);
    const ty = transpose.apply(y);
    assert.deepEqual(ty.shape, x.shape, padding);
    assertClose([cx.mul(y).sum().item()], [x.mul(ty).sum().item()], { rtol: 1e-10, message: `adjoint (${padding})` });
  }
});

test('conv layers: output shapes as Keras computes them', () => {
  const shape = (layer: nr.layers.Layer, input: (number | null)[]) => layer.computeOutputShape(input);
  assert.deepEqual(shape(new nr.layers.Conv2D({ filters: 10, kernelSize: 4, strides: 2, padding: 'same' }), [null, 32, 32, 3]), [
    null,
    16,
    16,
    10,
  ]);
  assert.deepEqual(shape(new nr.layers.Conv2D({ filters: 16, kernelSize: 5 }), [null, 32, 32, 1]), [null, 28, 28, 16]);
  assert.deepEqual(shape(new nr.layers.Conv2D({ filters: 8, kernelSize: 3, dilationRate: 2 }), [null, 9, 9, 1]), [null, 5, 5, 8]);
  assert.deepEqual(shape(new nr.layers.Conv2D({ filters: 8, kernelSize: 3, strides: 2 }), [null, null, 9, 1]), [null, null, 4, 8]);
  assert.deepEqual(shape(new nr.layers.Conv2DTranspose({ filters: 4, kernelSize: 3, strides: 2 }), [null, 7, 7, 8]), [null, 15, 15, 4]);
  assert.deepEqual(
    shape(new nr.layers.Conv2DTranspose({ filters: 4, kernelSize: 5, strides: 3, padding: 'same', outputPadding: 2 }), [null, 4, 4, 8]),
    [null, 12, 12, 4],
  );
});

test('Conv2D bad input: rank 2, wrong channels, kernel larger than the input, bad options', () => {
  nr.layers.resetLayerNames();
  const conv = new nr.layers.Conv2D({ filters: 8, kernelSize: 3 });
  assert.equal(conv.name, 'conv2d');
  assert.throws(
    () => conv.apply(nr.zeros([32, 784])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError, e.constructor.name);
      assert.match(
        e.message,
        new RegExp(
          String.raw`^Conv2D "conv2d" \(input shape \[32, 784\]\): ` +
            String.raw`expected input of rank 4 \[batch, height, width, channels\], got \[32, 784\]; reshape`,
        ),
      );
      return true;
    },
  );
  assert.equal(conv.built, false, 'a failed build creates no weights');
  conv.apply(nr.zeros([1, 5, 5, 3]));
  assert.throws(
    () => conv.apply(nr.zeros([1, 5, 5, 4])),
    /Conv2D "conv2d" \(input shape \[1, 5, 5, 4\]\): expected input with 3 channels \(last axis\), got \[1, 5, 5, 4\]/,
  );
  assert.throws(
    () => new nr.layers.Conv2D({ filters: 1, kernelSize: 5 }).apply(nr.zeros([1, 4, 4, 1])),
    (e: Error) =>
      e instanceof nr.ShapeError &&
      /kernel 5x5 with 'valid' padding does not fit the 4x4 input/.test(e.message) &&
      /padding 'same'/.test(e.message),
  );
  const input = nr.Input({ shape: [784] });
  assert.throws(
    () => new nr.layers.Conv2D({ filters: 1, kernelSize: 3 }).apply(input),
    /expected input of rank 4 \[batch, height, width, channels\], got \(None, 784\)/,
  );
  for (const kernelSize of [0, -1, 2.5, [3, 0]] as never[]) {
    assert.throws(
      () => new nr.layers.Conv2D({ filters: 1, kernelSize }),
      (e: Error) => e instanceof nr.ConfigError && /kernelSize must be an integer >= 1/.test(e.message),
      String(kernelSize),
    );
  }
  assert.throws(() => new nr.layers.Conv2D({ filters: 0, kernelSize: 3 }), /filters must be a positive integer, got 0/);
  assert.throws(() => new nr.layers.Conv2D({ filters: 1 } as never), /kernelSize is required/);
  assert.throws(() => new nr.layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'full' as never }), /padding must be 'valid' or 'same'/);
  assert.throws(
    () => new nr.layers.Conv2D({ filters: 1, kernelSize: 3, strides: 2, dilationRate: 2 }),
    /cannot be combined with dilationRate/,
  );
  assert.throws(
    () => new nr.layers.Conv2D({ filters: 1, kernelSize: 3, dataFormat: 'channels_first' as never }),
    /only dataFormat 'channels_last'/,
  );
  assert.throws(
    () => new nr.layers.Conv2DTranspose({ filters: 1, kernelSize: 3, strides: 2, outputPadding: 2 }),
    /outputPadding \[2, 2\] must be smaller than strides \[2, 2\]/,
  );
  assert.throws(() => new nr.layers.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 0 }), /depthMultiplier must be a positive integer/);
});

test('conv regularizers add penalties; configs keep them', () => {
  const layer = new nr.layers.Conv2D({
    filters: 2,
    kernelSize: 2,
    kernelRegularizer: nr.regularizers.l2(0.1),
    biasRegularizer: 'l1',
    biasInitializer: 'ones',
  });
  layer.apply(nr.ones([1, 3, 3, 1]));
  assert.equal(layer.losses.length, 2);
  const kernel = Array.from(layer.kernel!.data());
  assertClose([layer.losses[0]!.item(), layer.losses[1]!.item()], [0.1 * kernel.reduce((s, v) => s + v * v, 0), 0.01 * 2], { rtol: 1e-5 });
  assert.deepEqual(layer.getConfig().kernelRegularizer, { className: 'L2', config: { l2: 0.1 } });
  const separable = new nr.layers.SeparableConv2D({ filters: 2, kernelSize: 2, pointwiseRegularizer: 'l2' });
  separable.apply(nr.ones([1, 3, 3, 1]));
  assert.equal(separable.losses.length, 1);
});

test("padding in any case ('SAME', 'Valid') means the same as lowercase, as Keras lowercases it", () => {
  const x = nr.randu([1, 5, 5, 2], { dtype: 'float64' });
  for (const [given, padding, size] of [
    ['SAME', 'same', 3],
    ['Valid', 'valid', 2],
  ] as const) {
    const upper = new nr.layers.Conv2D({ filters: 2, kernelSize: 3, strides: 2, padding: given as never, dtype: 'float64' });
    const lower = new nr.layers.Conv2D({ filters: 2, kernelSize: 3, strides: 2, padding, dtype: 'float64' });
    const y = upper.apply(x);
    lower.apply(x);
    lower.setWeights(upper.getWeights());
    assert.deepEqual(y.shape, [1, size, size, 2], given);
    assertClose(y, lower.apply(x), { rtol: 1e-12, message: given });
    assert.equal(upper.getConfig().padding, padding, 'the config holds the lowercase word');
  }
  assert.deepEqual(
    new nr.layers.DepthwiseConv2D({ kernelSize: 2, padding: 'SAME' as never }).apply(nr.zeros([1, 3, 3, 1])).shape,
    [1, 3, 3, 1],
  );
  assert.deepEqual(new nr.layers.MaxPooling2D({ poolSize: 2, padding: 'Same' as never }).apply(nr.zeros([1, 3, 3, 1])).shape, [1, 2, 2, 1]);
  assert.deepEqual(
    new nr.layers.AveragePooling2D({ poolSize: 2, padding: 'VALID' as never }).apply(nr.zeros([1, 3, 3, 1])).shape,
    [1, 1, 1, 1],
  );
  assert.throws(
    () => new nr.layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'FULL' as never }),
    /padding must be 'valid' or 'same', got "FULL"/,
  );
});

test("conv layers read their window once: later calls check the tensors in the op, in the layer's name", () => {
  nr.layers.resetLayerNames();
  const conv = new nr.layers.Conv2D({ filters: 2, kernelSize: 3 });
  conv.apply(nr.zeros([1, 5, 5, 1]));
  assert.throws(
    () => conv.apply(nr.zeros([1, 2, 2, 1])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError, e.constructor.name);
      assert.equal(
        e.message,
        'Conv2D "conv2d" (input shape [1, 2, 2, 1]): kernel 3x3 with \'valid\' padding does not fit the 2x2 input ' +
          "[1, 2, 2, 1]; use padding 'same', a smaller kernel, or a larger input",
      );
      return true;
    },
  );
  // The ops trust the window the constructor read, so it cannot be changed afterwards.
  assert.throws(() => {
    (conv.strides as unknown as number[])[0] = 0;
  }, TypeError);
  assert.throws(() => {
    (conv.kernelSize as unknown as number[])[0] = 0;
  }, TypeError);
  const transpose = new nr.layers.Conv2DTranspose({ filters: 1, kernelSize: 2, padding: 'same', outputPadding: 0, name: 'up' });
  assert.throws(
    () => transpose.apply(nr.zeros([1, 4, 4, 1])),
    (e: Error) =>
      e instanceof nr.ConfigError &&
      /^Conv2DTranspose "up" \(input shape \[1, 4, 4, 1\]\): kernel 2x2 with strides \[1, 1\], padding 'same'/.test(e.message) &&
      /and outputPadding \[0, 0\] gives a 3x3 output .*; change outputPadding/.test(e.message),
  );
  assert.equal(transpose.built, false, 'the output size is checked before any weight is made');
});
