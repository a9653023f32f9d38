import { test } from 'node:test';
import { assert, backendsUnderTest, nr } from '../helpers.js';

/*
 * docs/architecture.md, "Determinism": the same seed and thread count give bitwise-identical training. Each backend
 * trains the same small CNN (conv, batch norm, pooling, dropout, dense; Adam) twice from setSeed(5)
 * and must end with identical weights and losses; with a thread pool, also at 1 and 2 threads.
 */

async function trainOnce(): Promise<{ weights: Float32Array[]; losses: number[] }> {
  nr.setSeed(5);
  const x = nr.randu([48, 10, 10, 3]);
  const y = x.mean([1, 2, 3]).greater(0.5).cast('int32');
  const model = new nr.Sequential([
    nr.Input({ shape: [10, 10, 3] }),
    new nr.layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new nr.layers.BatchNormalization(),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Conv2D({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new nr.layers.Flatten(),
    new nr.layers.Dropout({ rate: 0.3 }),
    new nr.layers.Dense({ units: 32, activation: 'relu' }),
    new nr.layers.Dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const history = await model.fit(x, y, { epochs: 3, batchSize: 16, verbose: 0 });
  return { weights: model.getWeights().map((w) => Float32Array.from(w.data() as Float32Array)), losses: history.history.loss! };
}

function assertIdentical(a: Awaited<ReturnType<typeof trainOnce>>, b: Awaited<ReturnType<typeof trainOnce>>, label: string): void {
  assert.deepEqual(a.losses, b.losses, `${label}: losses`);
  assert.equal(a.weights.length, b.weights.length);
  a.weights.forEach((w, i) => {
    const v = b.weights[i]!;
    assert.ok(w.length === v.length && w.every((value, j) => Object.is(value, v[j])), `${label}: weight ${i} differs`);
  });
}

for (const backend of backendsUnderTest()) {
  test(`determinism [${backend}]: two trainings from the same seed end bitwise identical`, async () => {
    const previous = nr.getBackend();
    const threads = nr.getNumThreads();
    nr.setBackend(backend);
    try {
      for (const n of backend === 'js' ? [threads] : [1, 2]) {
        nr.setNumThreads(n);
        const first = await trainOnce();
        const second = await trainOnce();
        assertIdentical(first, second, `${backend}, ${n} thread(s)`);
        assert.ok(first.losses.at(-1)! < first.losses[0]!, `${backend}: the loss falls (${first.losses.join(', ')})`);
      }
    } finally {
      nr.setNumThreads(threads);
      nr.setBackend(previous);
    }
  });
}
