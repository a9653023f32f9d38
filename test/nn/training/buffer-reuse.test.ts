import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';
import {
  POOL_MIN_ELEMENTS,
  allocate,
  clearBufferPool,
  pooledBufferBytes,
  releaseFloat32,
  setBufferPooling,
} from '../../../src/core/index.js';
import { valueAndGradOfStep } from '../../../src/tensor/index.js';

/*
 * fit's training step hands the storage of its activations and gradients back to a pool that the
 * next step allocates from (src/core/buffer-pool.ts). These tests show that recycling changes no
 * result, never gives back storage that something can still read (weights, inputs, targets, views
 * of them), and that fit leaves nothing pooled.
 */

function bits(model: nr.Model): Uint32Array[] {
  return model.getWeights().map((w) => new Uint32Array(Float32Array.from(w.data() as Float32Array).buffer));
}

/** A CNN whose activations and gradients are well above the pooling threshold. */
function cnn(loss: nr.losses.LossName = 'sparse_categorical_crossentropy'): nr.Sequential {
  nr.setSeed(7);
  const model = new nr.Sequential([
    new nr.layers.Conv2D({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', inputShape: [12, 12, 2] }),
    new nr.layers.BatchNormalization(),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Dropout({ rate: 0.25 }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 32, activation: 'relu' }),
    new nr.layers.Dense({ units: 3, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss, metrics: ['accuracy'] });
  return model;
}

function data(): { x: nr.Tensor; y: nr.Tensor } {
  nr.setSeed(11);
  const x = nr.randn([96, 12, 12, 2]);
  const y = nr.tensor(
    Array.from({ length: 96 }, (_, i) => i % 3),
    [96],
    'int32',
  );
  return { x, y };
}

async function train(
  pooling: boolean,
  shuffle = true,
  oneHot = false,
): Promise<{ weights: Uint32Array[]; loss: number[]; pooledAfter: number; x: Float32Array }> {
  setBufferPooling(pooling);
  try {
    const { x, y: labels } = data();
    // Both losses on the Dense softmax head train through the fused loss compile chooses.
    const y = oneHot ? nr.oneHot(labels, 3) : labels;
    const xBefore = Float32Array.from(x.data() as Float32Array);
    const model = cnn(oneHot ? 'categorical_crossentropy' : 'sparse_categorical_crossentropy');
    const history = await model.fit(x, y, { epochs: 3, batchSize: 32, shuffle, verbose: 0 });
    assert.deepEqual(Array.from(x.data() as Float32Array), Array.from(xBefore), 'fit changed its input');
    return { weights: bits(model), loss: history.history.loss as number[], pooledAfter: pooledBufferBytes(), x: xBefore };
  } finally {
    setBufferPooling(true);
  }
}

test('fit with recycled step storage gives bit-identical weights and losses to fit without it', async () => {
  for (const [shuffle, oneHot] of [
    [true, false],
    [false, false],
    [true, true],
  ]) {
    const off = await train(false, shuffle, oneHot);
    const on = await train(true, shuffle, oneHot);
    const what = `shuffle ${shuffle}, one-hot ${oneHot}`;
    assert.deepEqual(on.loss, off.loss, what);
    assert.equal(on.weights.length, off.weights.length);
    on.weights.forEach((w, i) => assert.deepEqual(Array.from(w), Array.from(off.weights[i]!), `${what}: weight ${i} differs`));
    assert.equal(on.pooledAfter, 0, 'fit must leave nothing in the pool');
  }
});

test('the pool recycles a training step: storage given back is handed out again, zero-filled', async () => {
  const { x, y } = data();
  const model = cnn();
  await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0 });
  // trainOnBatch runs the same step without fit's final clear, so the pool is visible afterwards.
  model.trainOnBatch(x.slice([0], [32]), y.slice([0], [32]));
  const pooled = pooledBufferBytes();
  // The first conv's activation (32 x 12 x 12 x 16 floats) and its gradient at least.
  assert.ok(pooled >= 2 * 32 * 12 * 12 * 16 * 4, `pooled ${pooled} bytes`);
  const again = allocate('float32', 32 * 12 * 12 * 16) as Float32Array;
  assert.ok(
    again.every((v) => v === 0),
    'a recycled array must come back zero-filled',
  );
  assert.ok(pooledBufferBytes() < pooled, 'allocate must take from the pool');
  clearBufferPool();
  assert.equal(pooledBufferBytes(), 0);
});

test('a step never gives back storage of weights, inputs or views of them', () => {
  clearBufferPool();
  nr.setSeed(3);
  const n = POOL_MIN_ELEMENTS * 2;
  const w = nr.variable(nr.randn([n]));
  const x = nr.randn([n]);
  const wBefore = Float32Array.from(w.data() as Float32Array);
  // A reshape of the weight shares its storage and is a graph node; so is x * w (fresh storage).
  const step = valueAndGradOfStep(
    () =>
      w
        .reshape([2, n / 2])
        .reshape([n])
        .mul(x)
        .sum(),
    [w],
  );
  assert.equal(step.grads[0]!.size, n);
  step.release();
  const pooled = new Set<ArrayBufferLike>();
  const taken: Float32Array[] = [];
  for (let a = allocateIfPooled(n); a; a = allocateIfPooled(n)) {
    pooled.add(a.buffer);
    taken.push(a);
  }
  assert.ok(taken.length >= 2, `expected the product and the gradient in the pool, got ${taken.length}`);
  assert.ok(!pooled.has((w.data() as Float32Array).buffer), "the weight's storage was given back");
  assert.ok(!pooled.has((x.data() as Float32Array).buffer), "the input's storage was given back");
  assert.deepEqual(Array.from(w.data() as Float32Array), Array.from(wBefore));
  clearBufferPool();
});

test("a step also recycles the working arrays of its ops (a fused activation's gradient), and only inside a step", () => {
  nr.setSeed(5);
  const x = nr.randn([2, 4, 4, 3]);
  const w = nr.variable(nr.randn([3, 3, 3, 8]));
  const size = 2 * 4 * 4 * 8;
  const pooledAfterStep = (activation: 'relu' | 'linear') => {
    clearBufferPool();
    const step = valueAndGradOfStep(() => nr.conv2d(x, w, { padding: 'same', activation }).sum(), [w]);
    step.release();
    let count = 0;
    while (allocateIfPooled(size)) count++;
    return count;
  };
  // The conv output and its gradient either way; with relu also the gradient before the activation,
  // which no graph node holds (conv2d's backward makes it for its own use).
  const linear = pooledAfterStep('linear');
  assert.ok(linear >= 2, `linear: ${linear}`);
  assert.equal(pooledAfterStep('relu'), linear + 1);
  // Outside a training step nothing is handed to the pool.
  clearBufferPool();
  const { grads } = nr.valueAndGrad((v: nr.Tensor) => nr.conv2d(x, v, { padding: 'same', activation: 'relu' }).sum())(w);
  assert.equal(grads[0]!.size, w.size);
  assert.equal(pooledBufferBytes(), 0);
});

/** The next pooled array of `n` floats, or undefined when the pool has none left. */
function allocateIfPooled(n: number): Float32Array | undefined {
  const before = pooledBufferBytes();
  const a = allocate('float32', n) as Float32Array;
  return pooledBufferBytes() < before ? a : undefined;
}

test('releaseFloat32 skips small arrays and views into a larger buffer', () => {
  clearBufferPool();
  const big = new Float32Array(POOL_MIN_ELEMENTS * 3);
  releaseFloat32([new Float32Array(POOL_MIN_ELEMENTS - 1), big.subarray(0, POOL_MIN_ELEMENTS), big.subarray(POOL_MIN_ELEMENTS)]);
  assert.equal(pooledBufferBytes(), 0);
  releaseFloat32([new Float32Array(POOL_MIN_ELEMENTS)]);
  assert.equal(pooledBufferBytes(), POOL_MIN_ELEMENTS * 4);
  clearBufferPool();
});
