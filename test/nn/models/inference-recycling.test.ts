import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';
import { clearBufferPool, pooledBufferBytes, setBufferPooling } from '../../../src/core/index.js';

/*
 * Inference through a functional model without a gradient tape gives each activation's storage
 * back to the buffer pool once its last reader has run (runGraph in src/nn/models/functional.ts).
 * These tests show that this changes no result and never recycles what can still be read: the
 * outputs, the inputs, storage shared with a live value (Flatten's view, Dropout's pass-through),
 * and anything a layer that does not declare itself stateless (a custom layer) saw or made.
 */

/** A custom layer that keeps every tensor it is given, as a debugging hook might. */
class Keeper extends nr.layers.Layer {
  readonly seen: { tensor: nr.Tensor; copy: Float32Array }[] = [];
  call(x: nr.Tensor): nr.Tensor {
    this.seen.push({ tensor: x, copy: Float32Array.from(x.data() as Float32Array) });
    return x.mul(2);
  }
}

function build(): { model: nr.Model; keeper: Keeper } {
  nr.setSeed(3);
  const L = nr.layers;
  const keeper = new Keeper();
  const input = nr.Input({ shape: [10, 10, 4] });
  const a = new L.Conv2D({ filters: 8, kernelSize: 3, padding: 'same' }).apply(input);
  const b = new L.Activation('relu').apply(new L.BatchNormalization().apply(a));
  const c = new L.Conv2D({ filters: 8, kernelSize: 1 }).apply(b);
  const sum = new L.Add().apply([a, c]);
  const kept = keeper.apply(new L.Dropout({ rate: 0.5 }).apply(sum));
  const pooled = new L.MaxPooling2D({ poolSize: 2 }).apply(kept);
  const flat = new L.Flatten().apply(pooled);
  const out = new L.Dense({ units: 5, activation: 'softmax' }).apply(flat);
  return { model: new nr.Model({ inputs: input, outputs: [out, flat] }), keeper };
}

const bitsOf = (t: nr.Tensor) => Array.from(new Uint32Array(Float32Array.from(t.data() as Float32Array).buffer));

test('predict recycles activations without changing a bit, and keeps outputs, inputs and what a custom layer holds', () => {
  nr.setSeed(11);
  const x = nr.randn([6, 10, 10, 4]);
  const xBits = bitsOf(x);
  setBufferPooling(false);
  const plain = build().model.predict<nr.Tensor[]>(x, { batchSize: 3 });
  setBufferPooling(true);
  clearBufferPool();
  try {
    const { model, keeper } = build();
    const first = model.predict<nr.Tensor[]>(x, { batchSize: 3 });
    assert.ok(pooledBufferBytes() > 0, 'the activations of the first batch were recycled');
    const firstBits = first.map(bitsOf);
    const second = model.predict<nr.Tensor[]>(x, { batchSize: 6 });
    first.forEach((t, i) => assert.deepEqual(bitsOf(t), bitsOf(plain[i]!), `output ${i} matches predict without recycling`));
    second.forEach((t, i) => assert.deepEqual(bitsOf(t), bitsOf(plain[i]!), `output ${i} of the second predict`));
    first.forEach((t, i) => assert.deepEqual(bitsOf(t), firstBits[i]!, `output ${i} of the first predict was not reused`));
    assert.deepEqual(bitsOf(x), xBits, 'the input was not reused');
    assert.equal(keeper.seen.length, 3);
    for (const { tensor, copy } of keeper.seen) assert.deepEqual(tensor.data(), copy, 'what the custom layer kept is intact');
  } finally {
    clearBufferPool();
  }
});

test('inference with the gradient tape on, or in training mode, recycles nothing', () => {
  const { model } = build();
  const x = nr.randn([2, 10, 10, 4]);
  clearBufferPool();
  model.apply(x);
  assert.equal(pooledBufferBytes(), 0, 'apply with the tape on');
  nr.noGrad(() => model.apply(x, { training: true }));
  assert.equal(pooledBufferBytes(), 0, 'training mode');
  nr.noGrad(() => model.apply(x));
  assert.ok(pooledBufferBytes() > 0, 'the same call without the tape, in inference, does recycle');
  clearBufferPool();
});

test("an activation given as a user's function may return a tensor it keeps: predict never recycles it", () => {
  const L = nr.layers;
  for (const make of [
    (fn: (x: nr.Tensor) => nr.Tensor) => new L.Dense({ units: 64, activation: fn }),
    (fn: (x: nr.Tensor) => nr.Tensor) => new L.Conv2D({ filters: 64, kernelSize: 1, activation: fn }),
    (fn: (x: nr.Tensor) => nr.Tensor) => new L.Activation({ activation: fn }),
  ]) {
    // A constant the function returns instead of a new tensor (a cache, a debugging hook).
    const kept = nr.ones([4, 1, 1, 64]);
    const input = nr.Input({ shape: [1, 1, 64] });
    const out = new L.Dense({ units: 3 }).apply(make(() => kept).apply(input));
    const model = new nr.Model({ inputs: input, outputs: out });
    const first = model.predict(nr.zeros([4, 1, 1, 64])) as nr.Tensor;
    // Other work between the calls takes whatever the pool was given.
    for (let i = 0; i < 4; i++) nr.zeros([4, 1, 1, 64]).add(5).data();
    const second = model.predict(nr.zeros([4, 1, 1, 64])) as nr.Tensor;
    assert.ok(
      (kept.data() as Float32Array).every((v) => v === 1),
      'the kept tensor was overwritten',
    );
    assert.deepEqual(Array.from(second.data() as Float32Array), Array.from(first.data() as Float32Array));
  }
});

/** conv -> BN -> ReLU -> Dropout -> Flatten -> Dense, as a Sequential (`plain`: a BN subclass, which never writes over its input). */
function sequential(plain: boolean): nr.Sequential {
  nr.setSeed(8);
  const L = nr.layers;
  class PlainBatchNormalization extends L.BatchNormalization {}
  return new nr.Sequential([
    new L.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', inputShape: [10, 10, 4] }),
    plain ? new PlainBatchNormalization() : new L.BatchNormalization(),
    new L.ReLU(),
    new L.Dropout({ rate: 0.5 }),
    new L.Flatten(),
    new L.Dense({ units: 5, activation: 'softmax' }),
  ]);
}

test('Sequential inference gives its values back once the next layer has read them; with the tape on or in training, nothing', () => {
  const x = nr.randn([6, 10, 10, 4]);
  const model = sequential(false);
  const before = bitsOf(x);
  clearBufferPool();
  const out = nr.noGrad(() => model.apply(x));
  // The conv output, which BN, ReLU, Dropout and Flatten passed along in place or as views: one 6x10x10x8 array.
  assert.equal(pooledBufferBytes(), 6 * 10 * 10 * 8 * 4);
  assert.deepEqual(bitsOf(x), before);
  const plain = sequential(true);
  clearBufferPool();
  const expected = nr.noGrad(() => plain.apply(x));
  // Without BN writing over the conv output, three arrays come back: the conv output, BN's product and its result.
  assert.equal(pooledBufferBytes(), 3 * 6 * 10 * 10 * 8 * 4);
  assert.deepEqual(bitsOf(out), bitsOf(expected));
  for (const run of [() => model.apply(x, { training: false }), () => nr.noGrad(() => model.apply(x, { training: true }))]) {
    clearBufferPool();
    run();
    assert.equal(pooledBufferBytes(), 0);
  }
  clearBufferPool();
});
