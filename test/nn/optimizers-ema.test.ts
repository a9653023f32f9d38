import { test } from 'node:test';
import { nr, assert } from '../helpers.js';

/*
 * Keras 3's use_ema / ema_momentum / ema_overwrite_frequency (keras/src/optimizers/base_optimizer.py):
 * after each update, average = m * average + (1 - m) * variable with m = 0 at the first step; every
 * ema_overwrite_frequency steps the variables take their averages; fit ends with
 * finalize_variable_values, which does the same. Checked against the recurrence in float64.
 */

const TARGET = [1, -2, 0.5];
const START = [0.3, 0.7, -1.1];

/** `steps` SGD steps (learning rate 0.1) on sum((w - TARGET)^2), with the given EMA options; the weights and averages after each. */
function run(steps: number, options: nr.optimizers.OptimizerOptions) {
  const w = nr.variable(nr.tensor(START));
  const sgd = new nr.optimizers.SGD({ learningRate: 0.1, ...options });
  const weights: number[][] = [];
  const averages: number[][] = [];
  for (let k = 0; k < steps; k++) {
    const [g] = nr.grad((v: nr.Tensor) => v.sub(nr.tensor(TARGET)).square().sum())(w);
    sgd.applyGradients([[g!, w]]);
    weights.push(Array.from(w.data()));
    averages.push(Array.from(sgd.getState().slots[0]!.average!.data()));
  }
  return { w, sgd, weights, averages };
}

/** The same in float64: w <- w - 0.1 * 2 (w - t); average_1 = w_1, average_k = m average_{k-1} + (1 - m) w_k. */
function reference(steps: number, m: number, overwriteEvery: number | null) {
  let w = [...START];
  let average = [0, 0, 0];
  const weights: number[][] = [];
  const averages: number[][] = [];
  for (let k = 0; k < steps; k++) {
    w = w.map((v, i) => v - 0.1 * 2 * (v - TARGET[i]!));
    const momentum = k === 0 ? 0 : m;
    average = average.map((a, i) => momentum * a + (1 - momentum) * w[i]!);
    if (overwriteEvery !== null && (k + 1) % overwriteEvery === 0) w = [...average];
    weights.push(w);
    averages.push(average);
  }
  return { weights, averages };
}

function close(actual: number[][], expected: number[][], what: string): void {
  actual.forEach((row, k) =>
    row.forEach((v, i) => {
      const e = expected[k]![i]!;
      assert.ok(Math.abs(v - e) <= 1e-6 * Math.max(1, Math.abs(e)), `${what}, step ${k + 1}, element ${i}: ${v} vs ${e}`);
    }),
  );
}

test('useEma: the moving average follows Keras’s recurrence (m = 0 at the first step) and leaves the weights alone', () => {
  const got = run(6, { useEma: true, emaMomentum: 0.9 });
  const want = reference(6, 0.9, null);
  close(got.averages, want.averages, 'average');
  close(got.weights, want.weights, 'weight');
  // After the first step the average is the updated weight itself.
  assert.deepEqual(got.averages[0], got.weights[0]);
  assert.notDeepEqual(got.averages[5], got.weights[5]);
});

test('emaOverwriteFrequency: every n steps the weights take their averages', () => {
  const got = run(6, { useEma: true, emaMomentum: 0.8, emaOverwriteFrequency: 3 });
  const want = reference(6, 0.8, 3);
  close(got.weights, want.weights, 'weight');
  close(got.averages, want.averages, 'average');
  assert.deepEqual(got.weights[2], got.averages[2]);
  assert.deepEqual(got.weights[5], got.averages[5]);
  assert.notDeepEqual(got.weights[3], got.averages[3]);
});

test('fit ends by putting the averages into the weights (finalizeVariableValues); without useEma nothing changes', async () => {
  const train = async (useEma: boolean) => {
    nr.setSeed(2);
    const model = new nr.Sequential([new nr.layers.Dense({ units: 2, inputShape: [3] })]);
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.05, useEma, emaMomentum: 0.9 }), loss: 'mse' });
    const x = nr.randn([32, 3]);
    const y = nr.randn([32, 2]);
    await model.fit(x, y, { epochs: 2, batchSize: 8, verbose: 0 });
    return model;
  };
  const ema = await train(true);
  const state = ema.optimizer!.getState();
  assert.equal(state.iterations, 8);
  ema.trainableWeights.forEach((w) => {
    const i = state.variables.indexOf(w);
    assert.deepEqual(Array.from(w.data()), Array.from(state.slots[i]!.average!.data()), `${w.name} is not its average`);
  });
  const plain = await train(false);
  assert.ok(plain.optimizer!.getState().slots.every((s) => !('average' in s)));
  assert.notDeepEqual(Array.from(plain.trainableWeights[0]!.data()), Array.from(ema.trainableWeights[0]!.data()));
});

test("useEma's options: Keras's spellings, the config round trip, the saved state, and errors that say what to write", () => {
  const adam = new nr.optimizers.Adam({ use_ema: true, ema_momentum: 0.95, ema_overwrite_frequency: 4 } as nr.optimizers.AdamOptions);
  assert.equal(adam.useEma, true);
  assert.equal(adam.emaMomentum, 0.95);
  assert.equal(adam.emaOverwriteFrequency, 4);
  const config = adam.getConfig();
  assert.equal(config.useEma, true);
  const again = new nr.optimizers.Adam(config as nr.optimizers.AdamOptions);
  assert.deepEqual(again.getConfig(), config);
  assert.equal(new nr.optimizers.SGD().getConfig().useEma, false);

  const { sgd, w } = run(3, { useEma: true, emaMomentum: 0.9 });
  const state = sgd.getState();
  const copy = new nr.optimizers.SGD({ learningRate: 0.1, useEma: true, emaMomentum: 0.9 });
  copy.setState(state, [w]);
  assert.deepEqual(Array.from(copy.getState().slots[0]!.average!.data()), Array.from(state.slots[0]!.average!.data()));

  assert.throws(() => new nr.optimizers.SGD({ useEma: true, emaMomentum: 1.5 }), /option "emaMomentum" must be a number in \[0, 1\]/);
  assert.throws(
    () => new nr.optimizers.SGD({ useEma: true, emaOverwriteFrequency: 0 }),
    /option "emaOverwriteFrequency" must be an integer >= 1 or null/,
  );
});

test('a variable first updated late, or never, keeps its weights as its average (Keras averages every variable every step)', () => {
  const a = nr.variable(nr.tensor([0]));
  const b = nr.variable(nr.tensor([5]));
  const c = nr.variable(nr.tensor([3]));
  const sgd = new nr.optimizers.SGD({ learningRate: 0, useEma: true, emaMomentum: 0.9 });
  sgd.build([c]);
  const one = nr.tensor([1]);
  for (let k = 0; k < 10; k++) sgd.applyGradients([[one, a]]);
  // b joins at step 11 (unfrozen, say) and c never gets a gradient: with learning rate 0 nothing moves.
  for (let k = 0; k < 10; k++)
    sgd.applyGradients([
      [one, a],
      [one, b],
      [null, c],
    ]);
  sgd.finalizeVariableValues([a, b, c]);
  // To float32 rounding of m * average + (1 - m) * w, as in Keras.
  close([[a.item(), b.item(), c.item()]], [[0, 5, 3]], 'finalized');
});
