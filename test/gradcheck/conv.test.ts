import { test } from 'node:test';
import { assert, awayFromZero, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of the convolution, pooling, batch-norm and image ops with
 * respect to every input: strides 1 and 2, 'valid' and 'same' (asymmetric for even kernels), kernels
 * of 2 and 3 (and non-square), dilation 2, batches of 1 and 3, non-square images and channel counts
 * that are not multiples of 4. Each case also states the output shape it expects.
 */

interface ConvCase {
  name: string;
  x: number[];
  filter: number[];
  options: nr.Conv2DOptions;
  out: number[];
}

const CONV: ConvCase[] = [
  { name: 'valid 3x3 stride 1, batch 1', x: [1, 5, 7, 3], filter: [3, 3, 3, 2], options: {}, out: [1, 3, 5, 2] },
  { name: 'same 3x3 stride 1, batch 3', x: [3, 5, 4, 2], filter: [3, 3, 2, 3], options: { padding: 'same' }, out: [3, 5, 4, 3] },
  {
    name: 'same 2x2 stride 2 (pad after only)',
    x: [3, 5, 6, 3],
    filter: [2, 2, 3, 5],
    options: { padding: 'same', strides: 2 },
    out: [3, 3, 3, 5],
  },
  { name: 'valid 2x3 stride 2', x: [1, 7, 6, 5], filter: [2, 3, 5, 2], options: { strides: 2 }, out: [1, 3, 2, 2] },
  {
    name: 'same 3x3 stride 2, odd image',
    x: [1, 7, 5, 3],
    filter: [3, 3, 3, 2],
    options: { padding: 'same', strides: [2, 2] },
    out: [1, 4, 3, 2],
  },
  { name: 'same 2x2 stride 1 (even kernel)', x: [1, 4, 5, 3], filter: [2, 2, 3, 2], options: { padding: 'same' }, out: [1, 4, 5, 2] },
  { name: 'same 3x3 dilation 2', x: [1, 6, 7, 3], filter: [3, 3, 3, 2], options: { padding: 'same', dilationRate: 2 }, out: [1, 6, 7, 2] },
  { name: 'valid 2x2 dilation 2, batch 3', x: [3, 5, 4, 1], filter: [2, 2, 1, 3], options: { dilationRate: 2 }, out: [3, 3, 2, 3] },
  { name: '1x1', x: [3, 3, 2, 5], filter: [1, 1, 5, 3], options: {}, out: [3, 3, 2, 3] },
];

for (const c of CONV) {
  test(`gradcheck conv2d: ${c.name}`, () => {
    const x = randomFloat64(c.x);
    const w = randomFloat64(c.filter);
    assert.deepEqual(nr.conv2d(x, w, c.options).shape, c.out);
    gradCheck((a, b) => nr.conv2d(a, b, c.options), [x, w], { label: `conv2d ${c.name}` });
  });
}

// conv2d with a bias and an activation is one op with its own backward node (dz through the
// activation's output, then both backprops and the bias's sum): check it against the differences.
for (const activation of ['linear', 'sigmoid', 'tanh'] as const) {
  test(`gradcheck conv2d with bias and activation '${activation}'`, () => {
    const x = randomFloat64([2, 5, 6, 3]);
    const w = randomFloat64([3, 2, 3, 4]);
    const b = randomFloat64([4]);
    const options = { padding: 'same' as const, strides: [1, 2] as [number, number] };
    assert.deepEqual(nr.conv2d(x, w, { ...options, bias: b, activation }).shape, [2, 5, 3, 4]);
    gradCheck((xv, wv, bv) => nr.conv2d(xv, wv, { ...options, bias: bv, activation }), [x, w, b], { label: `conv2d bias ${activation}` });
  });
}

test("gradcheck conv2d with bias and activation 'relu', away from the kink", () => {
  // Positive pixels, an all-positive first filter and an all-negative second: every output of the
  // first is well above 0 and every one of the second well below, so both sides of relu are checked.
  const x = randomFloat64([2, 4, 5, 2], 0.5, 1.5);
  const w = nr.concat([randomFloat64([3, 3, 2, 1], 0.2, 1), randomFloat64([3, 3, 2, 1], -1, -0.2)], 3);
  const b = nr.tensor([0.1, -0.1], [2], 'float64');
  gradCheck((xv, wv, bv) => nr.conv2d(xv, wv, { bias: bv, activation: 'relu' }), [x, w, b], { label: 'conv2d bias relu' });
  const [, , db] = nr.grad((xv, wv, bv) => nr.conv2d(xv, wv, { bias: bv, activation: 'relu' }).sum())(x, w, b);
  assert.deepEqual(Array.from(db!.data()), [2 * 2 * 3, 0], 'the bias gradient counts the outputs that pass relu');
});

const DEPTHWISE: ConvCase[] = [
  { name: 'valid 3x3 multiplier 2, batch 1', x: [1, 5, 6, 3], filter: [3, 3, 3, 2], options: {}, out: [1, 3, 4, 6] },
  {
    name: 'same 2x2 stride 2, batch 3',
    x: [3, 5, 4, 3],
    filter: [2, 2, 3, 1],
    options: { padding: 'same', strides: 2 },
    out: [3, 3, 2, 3],
  },
  {
    name: 'same 3x2 stride [1, 2]',
    x: [1, 4, 7, 5],
    filter: [3, 2, 5, 1],
    options: { padding: 'same', strides: [1, 2] },
    out: [1, 4, 4, 5],
  },
  {
    name: 'same 3x3 dilation 2, multiplier 3',
    x: [1, 6, 5, 2],
    filter: [3, 3, 2, 3],
    options: { padding: 'same', dilationRate: 2 },
    out: [1, 6, 5, 6],
  },
  // 'valid' with stride 2 and even kernels: the last row or column of an odd remainder is never read.
  {
    name: 'valid 2x2 stride 2 (even kernel), multiplier 2, batch 1',
    x: [1, 6, 7, 3],
    filter: [2, 2, 3, 2],
    options: { strides: 2 },
    out: [1, 3, 3, 6],
  },
  {
    name: 'valid 4x2 stride 2 (even kernel), batch 3',
    x: [3, 7, 5, 2],
    filter: [4, 2, 2, 1],
    options: { padding: 'valid', strides: 2 },
    out: [3, 2, 2, 2],
  },
];

for (const c of DEPTHWISE) {
  test(`gradcheck depthwiseConv2d: ${c.name}`, () => {
    const x = randomFloat64(c.x);
    const w = randomFloat64(c.filter);
    assert.deepEqual(nr.depthwiseConv2d(x, w, c.options).shape, c.out);
    gradCheck((a, b) => nr.depthwiseConv2d(a, b, c.options), [x, w], { label: `depthwiseConv2d ${c.name}` });
  });
}

interface TransposeCase {
  name: string;
  x: number[];
  filter: number[];
  options: nr.Conv2DTransposeOptions;
  out: number[];
}

const TRANSPOSE: TransposeCase[] = [
  { name: 'valid 3x3 stride 1, batch 1', x: [1, 3, 4, 3], filter: [3, 3, 2, 3], options: {}, out: [1, 5, 6, 2] },
  {
    name: 'same 3x3 stride 2, batch 3',
    x: [3, 3, 2, 2],
    filter: [3, 3, 3, 2],
    options: { padding: 'same', strides: 2 },
    out: [3, 6, 4, 3],
  },
  { name: 'valid 2x2 stride 2', x: [1, 3, 2, 5], filter: [2, 2, 2, 5], options: { strides: 2 }, out: [1, 6, 4, 2] },
  {
    name: 'same 4x4 stride 2, outputPadding 1',
    x: [1, 3, 2, 2],
    filter: [4, 4, 3, 2],
    options: { padding: 'same', strides: 2, outputPadding: 1 },
    out: [1, 5, 3, 3],
  },
  {
    name: 'valid 3x2 stride 2, outputPadding [1, 0]',
    x: [1, 2, 3, 3],
    filter: [3, 2, 2, 3],
    options: { strides: 2, outputPadding: [1, 0] },
    out: [1, 6, 6, 2],
  },
  { name: 'same 3x3 dilation 2', x: [1, 4, 3, 2], filter: [3, 3, 3, 2], options: { padding: 'same', dilationRate: 2 }, out: [1, 4, 3, 3] },
];

for (const c of TRANSPOSE) {
  test(`gradcheck conv2dTranspose: ${c.name}`, () => {
    const x = randomFloat64(c.x);
    const w = randomFloat64(c.filter);
    assert.deepEqual(nr.conv2dTranspose(x, w, c.options).shape, c.out);
    gradCheck((a, b) => nr.conv2dTranspose(a, b, c.options), [x, w], { label: `conv2dTranspose ${c.name}` });
  });
}

test('conv2dTranspose is the adjoint of conv2d: <conv2d(y, w), x> = <y, conv2dTranspose(x, w)>', () => {
  for (const [options, ySize] of [
    [{ padding: 'same', strides: 2 }, [6, 8]],
    [{ strides: 2 }, [7, 7]],
    [{ padding: 'same', dilationRate: 2 }, [5, 6]],
  ] as const) {
    const w = randomFloat64([3, 3, 2, 4]);
    const y = randomFloat64([2, ...ySize, 2]);
    const x = randomFloat64(nr.conv2d(y, w, options).shape as number[]);
    const transposed = nr.conv2dTranspose(x, w, options);
    assert.deepEqual(transposed.shape, y.shape, `${JSON.stringify(options)}: shape`);
    const left = nr.conv2d(y, w, options).mul(x).sum().item();
    const right = y.mul(transposed).sum().item();
    assert.ok(Math.abs(left - right) < 1e-10 * Math.max(1, Math.abs(left)), `${JSON.stringify(options)}: ${left} vs ${right}`);
  }
});

interface PoolCase {
  name: string;
  x: number[];
  options: nr.Pool2DOptions;
  out: number[];
}

const POOL: PoolCase[] = [
  { name: '2x2 valid, batch 1', x: [1, 4, 6, 3], options: { poolSize: 2 }, out: [1, 2, 3, 3] },
  { name: '2x2 same, odd image, batch 3', x: [3, 5, 3, 2], options: { poolSize: 2, padding: 'same' }, out: [3, 3, 2, 2] },
  {
    name: '3x3 stride 2 same (overlapping, padded both sides)',
    x: [1, 6, 7, 3],
    options: { poolSize: 3, strides: 2, padding: 'same' },
    out: [1, 3, 4, 3],
  },
  { name: '3x2 stride 1 valid', x: [1, 5, 4, 5], options: { poolSize: [3, 2], strides: 1 }, out: [1, 3, 3, 5] },
  { name: '2x3 stride [1, 2] same', x: [3, 3, 5, 1], options: { poolSize: [2, 3], strides: [1, 2], padding: 'same' }, out: [3, 3, 3, 1] },
  {
    name: '3x3 stride 2 ceilMode (partial last windows)',
    x: [1, 6, 8, 2],
    options: { poolSize: 3, strides: 2, ceilMode: true },
    out: [1, 3, 4, 2],
  },
];

for (const c of POOL) {
  test(`gradcheck maxPool2d and avgPool2d: ${c.name}`, () => {
    // Distinct values 0.01 apart in a random order, so no window has a tie (or a near tie) that a
    // perturbation could flip.
    const size = c.x.reduce((p, d) => p * d, 1);
    const keys = randomFloat64([size]).data();
    const ramp = Array.from({ length: size }, (_, i) => i)
      .sort((a, b) => keys[a]! - keys[b]!)
      .map((i) => (i - size / 2) * 0.01);
    const x = nr.tensor(ramp, c.x, 'float64');
    assert.deepEqual(nr.maxPool2d(x, c.options).shape, c.out);
    assert.deepEqual(nr.avgPool2d(x, c.options).shape, c.out);
    gradCheck((a) => nr.maxPool2d(a, c.options), [x], { label: `maxPool2d ${c.name}` });
    gradCheck((a) => nr.avgPool2d(a, c.options), [x], { label: `avgPool2d ${c.name}` });
  });
}

test('gradcheck batchNorm (training) w.r.t. x, gamma and beta: NHWC, axis 1, rank 2', () => {
  for (const [shape, axis] of [
    [[3, 4, 3, 5], -1],
    [[2, 3, 4, 2], 1],
    [[7, 6], 1],
    [[1, 3, 2, 3], 3],
  ] as const) {
    const x = randomFloat64([...shape]);
    const channels = shape[axis < 0 ? shape.length + axis : axis]!;
    const gamma = randomFloat64([channels], 0.5, 2);
    const beta = randomFloat64([channels]);
    const label = `batchNorm ${JSON.stringify(shape)} axis ${axis}`;
    gradCheck((a, g, b) => nr.batchNorm(a, g, b, { axis }).output, [x, gamma, beta], { label });
    gradCheck((a) => nr.batchNorm(a, null, null, { axis, epsilon: 0.01 }).output, [x], { label: `${label}, no gamma/beta` });
  }
});

test('gradcheck batchNormInference w.r.t. x, mean, variance, gamma and beta', () => {
  const x = randomFloat64([3, 2, 4, 5]);
  const mean = randomFloat64([5]);
  const variance = randomFloat64([5], 0.5, 2);
  const gamma = randomFloat64([5], 0.5, 2);
  const beta = randomFloat64([5]);
  gradCheck((a, m, v, g, b) => nr.batchNormInference(a, m, v, g, b), [x, mean, variance, gamma, beta], { label: 'batchNormInference' });
  const y = randomFloat64([2, 3, 4]);
  const m1 = randomFloat64([3]);
  const v1 = randomFloat64([3], 0.5, 2);
  gradCheck((a, m, v) => nr.batchNormInference(a, m, v, null, null, { axis: 1 }), [y, m1, v1], { label: 'batchNormInference axis 1' });
});

test('gradcheck zeroPad2d and crop2d', () => {
  const x = randomFloat64([3, 4, 5, 3]);
  assert.deepEqual(
    nr.zeroPad2d(x, [
      [1, 2],
      [0, 3],
    ]).shape,
    [3, 7, 8, 3],
  );
  gradCheck(
    (a) =>
      nr.zeroPad2d(a, [
        [1, 2],
        [0, 3],
      ]),
    [x],
    { label: 'zeroPad2d' },
  );
  assert.deepEqual(
    nr.crop2d(x, [
      [1, 0],
      [2, 1],
    ]).shape,
    [3, 3, 2, 3],
  );
  gradCheck(
    (a) =>
      nr.crop2d(a, [
        [1, 0],
        [2, 1],
      ]),
    [x],
    { label: 'crop2d' },
  );
});

test('gradcheck upSample2d nearest and bilinear, square and non-square factors', () => {
  for (const size of [2, [3, 2]] as const) {
    const x = awayFromZero([2, 3, 4, 3]);
    const factors = typeof size === 'number' ? [size, size] : size;
    for (const mode of ['nearest', 'bilinear'] as const) {
      assert.deepEqual(nr.upSample2d(x, size, mode).shape, [2, 3 * factors[0]!, 4 * factors[1]!, 3]);
      gradCheck((a) => nr.upSample2d(a, size, mode), [x], { label: `upSample2d ${mode} ${JSON.stringify(size)}` });
    }
  }
});

test('gradcheck zeroPad2d, crop2d and upSample2d at batch 1', () => {
  const x = awayFromZero([1, 3, 5, 2]);
  for (const padding of [
    1,
    [
      [0, 2],
      [3, 1],
    ],
  ] as const) {
    const expected = typeof padding === 'number' ? [1, 5, 7, 2] : [1, 5, 9, 2];
    assert.deepEqual(nr.zeroPad2d(x, padding).shape, expected);
    gradCheck((a) => nr.zeroPad2d(a, padding), [x], { label: `zeroPad2d batch 1 ${JSON.stringify(padding)}` });
  }
  assert.deepEqual(
    nr.crop2d(x, [
      [1, 1],
      [0, 2],
    ]).shape,
    [1, 1, 3, 2],
  );
  gradCheck(
    (a) =>
      nr.crop2d(a, [
        [1, 1],
        [0, 2],
      ]),
    [x],
    { label: 'crop2d batch 1' },
  );
  for (const mode of ['nearest', 'bilinear'] as const) {
    assert.deepEqual(nr.upSample2d(x, [2, 3], mode).shape, [1, 6, 15, 2]);
    gradCheck((a) => nr.upSample2d(a, [2, 3], mode), [x], { label: `upSample2d ${mode} batch 1` });
  }
});
