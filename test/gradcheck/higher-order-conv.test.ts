import { test } from 'node:test';
import { assert, awayFromZero, gradCheck, gradGradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Higher-order gradients of the convolution, pooling, batch-norm and image ops (float64, against
 * central differences of first-order gradients, see gradGradCheck), and a WGAN-GP gradient penalty
 * through a small Conv2D + Dense critic whose gradient with respect to the weights is checked the
 * same way.
 */

const CONV: [string, number[], number[], nr.Conv2DOptions][] = [
  ['valid 3x3 stride 1', [1, 5, 6, 2], [3, 3, 2, 2], {}],
  ['same 2x2 stride 2 (pad after only), batch 2', [2, 5, 4, 2], [2, 2, 2, 3], { padding: 'same', strides: 2 }],
  ['same 3x3 dilation 2', [1, 5, 5, 2], [3, 3, 2, 2], { padding: 'same', dilationRate: 2 }],
  ['valid 2x3 stride 2', [1, 5, 6, 3], [2, 3, 3, 2], { strides: 2 }],
];

for (const [name, xs, ws, options] of CONV) {
  test(`second derivatives, conv2d: ${name}`, () => {
    nr.setSeed(2000);
    gradGradCheck((x, w) => nr.conv2d(x, w, options), [randomFloat64(xs), randomFloat64(ws)], { label: `conv2d ${name}` });
  });
}

test('second derivatives, conv2d with bias and activation (linear, sigmoid, tanh; relu away from the kink)', () => {
  nr.setSeed(2010);
  for (const activation of ['linear', 'sigmoid', 'tanh'] as const) {
    const options = { padding: 'same' as const, strides: [1, 2] as [number, number] };
    gradGradCheck(
      (x, w, b) => nr.conv2d(x, w, { ...options, bias: b, activation }),
      [randomFloat64([1, 4, 5, 2]), randomFloat64([3, 2, 2, 3]), randomFloat64([3])],
      { label: `conv2d bias ${activation}` },
    );
  }
  const w = nr.concat([randomFloat64([3, 3, 2, 1], 0.2, 1), randomFloat64([3, 3, 2, 1], -1, -0.2)], 3);
  gradGradCheck(
    (x, wv, b) => nr.conv2d(x, wv, { bias: b, activation: 'relu' }),
    [randomFloat64([1, 4, 5, 2], 0.5, 1.5), w, nr.tensor([0.1, -0.1], [2], 'float64')],
    { label: 'conv2d bias relu' },
  );
});

const DEPTHWISE: [string, number[], number[], nr.Conv2DOptions][] = [
  ['valid 3x3 multiplier 2', [1, 5, 5, 2], [3, 3, 2, 2], {}],
  ['same 2x2 stride 2, batch 2', [2, 5, 4, 3], [2, 2, 3, 1], { padding: 'same', strides: 2 }],
  ['same 3x3 dilation 2', [1, 5, 5, 2], [3, 3, 2, 1], { padding: 'same', dilationRate: 2 }],
];

for (const [name, xs, ws, options] of DEPTHWISE) {
  test(`second derivatives, depthwiseConv2d: ${name}`, () => {
    nr.setSeed(2020);
    gradGradCheck((x, w) => nr.depthwiseConv2d(x, w, options), [randomFloat64(xs), randomFloat64(ws)], {
      label: `depthwiseConv2d ${name}`,
    });
  });
}

const TRANSPOSE: [string, number[], number[], nr.Conv2DTransposeOptions][] = [
  ['valid 3x3 stride 1', [1, 3, 3, 2], [3, 3, 2, 2], {}],
  ['same 3x3 stride 2, batch 2', [2, 2, 3, 2], [3, 3, 3, 2], { padding: 'same', strides: 2 }],
  ['same 4x4 stride 2, outputPadding 1', [1, 2, 2, 2], [4, 4, 2, 2], { padding: 'same', strides: 2, outputPadding: 1 }],
];

for (const [name, xs, ws, options] of TRANSPOSE) {
  test(`second derivatives, conv2dTranspose: ${name}`, () => {
    nr.setSeed(2030);
    gradGradCheck((x, w) => nr.conv2dTranspose(x, w, options), [randomFloat64(xs), randomFloat64(ws)], {
      label: `conv2dTranspose ${name}`,
    });
  });
}

test('third derivative through conv2d: the conv kernels differentiate each other to any order', () => {
  // f(w) = sum(conv2d(x, w)^3) is a cubic in w; its third derivative along v is 6 * sum(conv2d(x, v)^3).
  nr.setSeed(2040);
  const x = randomFloat64([1, 4, 4, 2]);
  const w = randomFloat64([2, 2, 2, 2]);
  const v = randomFloat64([2, 2, 2, 2]);
  const f = (t: nr.Tensor) => nr.conv2d(x, t).pow(3).sum();
  const along = (fn: (t: nr.Tensor) => nr.Tensor) => (t: nr.Tensor) => nr.grad(fn)(t)[0]!.mul(v).sum();
  const third = along(along(f));
  const value = nr.grad(third)(w)[0]!.mul(v).sum().item();
  const expected = nr.conv2d(x, v).pow(3).sum().item() * 6;
  assert.ok(Math.abs(value - expected) < 1e-10 * Math.max(1, Math.abs(expected)), `${value} vs ${expected}`);
});

const POOL: [string, number[], nr.Pool2DOptions][] = [
  ['2x2 valid', [1, 4, 6, 2], { poolSize: 2 }],
  ['2x2 same, odd image, batch 2', [2, 5, 3, 2], { poolSize: 2, padding: 'same' }],
  ['3x3 stride 2 same (overlapping, padded both sides)', [1, 6, 7, 2], { poolSize: 3, strides: 2, padding: 'same' }],
  ['3x2 stride 1 valid', [1, 5, 4, 3], { poolSize: [3, 2], strides: 1 }],
  ['3x3 stride 2 ceilMode', [1, 4, 6, 2], { poolSize: 3, strides: 2, ceilMode: true }],
];

for (const [name, shape, options] of POOL) {
  test(`second derivatives, maxPool2d and avgPool2d: ${name}`, () => {
    // Distinct values 0.01 apart in a random order: no window has a (near) tie.
    nr.setSeed(2050);
    const size = shape.reduce((p, d) => p * d, 1);
    const keys = randomFloat64([size]).data();
    const ramp = Array.from({ length: size }, (_, i) => i)
      .sort((a, b) => keys[a]! - keys[b]!)
      .map((i) => (i - size / 2) * 0.01);
    const x = nr.tensor(ramp, shape, 'float64');
    gradGradCheck((a) => nr.maxPool2d(a, options), [x], { label: `maxPool2d ${name}` });
    gradGradCheck((a) => nr.avgPool2d(a, options), [x], { label: `avgPool2d ${name}` });
    gradGradCheck((a) => nr.maxPool2d(a.exp(), options), [x], { label: `maxPool2d of exp(x) ${name}` });
  });
}

test('second derivatives, batchNorm (training) w.r.t. x, gamma and beta: NHWC, axis 1, rank 2', () => {
  nr.setSeed(2060);
  for (const [shape, axis] of [
    [[2, 3, 2, 3], -1],
    [[2, 3, 2, 2], 1],
    [[5, 3], 1],
  ] as const) {
    const channels = shape[axis < 0 ? shape.length + axis : axis]!;
    const label = `batchNorm ${JSON.stringify(shape)} axis ${axis}`;
    gradGradCheck(
      (a, g, b) => nr.batchNorm(a, g, b, { axis }).output,
      [randomFloat64([...shape]), randomFloat64([channels], 0.5, 2), randomFloat64([channels])],
      { label },
    );
    gradGradCheck((a) => nr.batchNorm(a, null, null, { axis, epsilon: 0.01 }).output, [randomFloat64([...shape])], {
      label: `${label}, no gamma/beta`,
    });
  }
});

test('second derivatives, batchNormInference, zeroPad2d, crop2d and upSample2d', () => {
  nr.setSeed(2070);
  gradGradCheck(
    (a, m, v, g, b) => nr.batchNormInference(a, m, v, g, b),
    [randomFloat64([2, 2, 3, 3]), randomFloat64([3]), randomFloat64([3], 0.5, 2), randomFloat64([3], 0.5, 2), randomFloat64([3])],
    { label: 'batchNormInference' },
  );
  const x = awayFromZero([2, 3, 4, 2]);
  gradGradCheck(
    (a) =>
      nr.zeroPad2d(a, [
        [1, 2],
        [0, 1],
      ]),
    [x],
    { label: 'zeroPad2d' },
  );
  gradGradCheck(
    (a) =>
      nr.crop2d(a, [
        [1, 0],
        [1, 1],
      ]),
    [x],
    { label: 'crop2d' },
  );
  for (const mode of ['nearest', 'bilinear'] as const)
    gradGradCheck((a) => nr.upSample2d(a, [2, 3], mode), [x], { label: `upSample2d ${mode}` });
});

test('WGAN-GP: the gradient penalty of a Conv2D + Dense critic, differentiated with respect to the weights', () => {
  const previous = nr.floatx();
  nr.setFloatx('float64');
  try {
    nr.setSeed(2080);
    const critic = new nr.Sequential([
      new nr.layers.Conv2D({ filters: 3, kernelSize: 3, activation: 'tanh', inputShape: [5, 5, 1] }),
      new nr.layers.MaxPooling2D({ poolSize: 2, padding: 'same' }),
      new nr.layers.Flatten(),
      new nr.layers.Dense({ units: 4, activation: 'sigmoid' }),
      new nr.layers.Dense({ units: 1 }),
    ]);
    const real = randomFloat64([2, 5, 5, 1]);
    const fake = randomFloat64([2, 5, 5, 1]);
    const mix = randomFloat64([2, 1, 1, 1], 0, 1);
    const interpolated = real.mul(mix).add(fake.mul(nr.sub(1, mix)));
    critic.apply(interpolated);
    const weights = critic.trainableWeights;
    assert.equal(weights.length, 6);
    // penalty = mean over the batch of (||d critic / d x||_2 - 1)^2, at the interpolated images.
    const penalty = () => {
      const [dx] = nr.grad((x) => critic.apply(x).sum())(interpolated);
      return dx!.square().sum([1, 2, 3]).sqrt().sub(1).square().mean();
    };
    const [gKernel] = nr.grad(() => penalty())(weights[0]!);
    assert.ok(nr.abs(gKernel!).max().item() > 1e-6, 'the penalty depends on the conv kernel');
    gradCheck((..._ws: nr.Tensor[]) => penalty(), weights, { label: 'WGAN-GP penalty', eps: 1e-6, rtol: 1e-5, atol: 1e-8 });
  } finally {
    nr.setFloatx(previous);
  }
});
