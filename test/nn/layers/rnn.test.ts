import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;
const X_SHAPE = [2, 3, 2];

test('SimpleRNN, LSTM and GRU pass the shared layer test', () => {
  runLayerTest(() => new L.LSTM({ units: 3 }), { inputShape: X_SHAPE, expectedOutputShape: [2, 3] });
  runLayerTest(() => new L.LSTM(2, { returnSequences: true, goBackwards: true }), { inputShape: X_SHAPE, expectedOutputShape: [2, 3, 2] });
  runLayerTest(() => new L.GRU({ units: 3, returnSequences: true }), { inputShape: X_SHAPE, expectedOutputShape: [2, 3, 3] });
  runLayerTest(() => new L.GRU({ units: 2, resetAfter: false, useBias: false }), { inputShape: X_SHAPE, expectedOutputShape: [2, 2] });
  runLayerTest(() => new L.SimpleRNN({ units: 3 }), { inputShape: X_SHAPE, expectedOutputShape: [2, 3] });
  runLayerTest(() => new L.SimpleRNN({ units: 2, activation: 'relu', returnSequences: true }), {
    inputShape: X_SHAPE,
    expectedOutputShape: [2, 3, 2],
  });
  runLayerTest(() => new L.LSTM({ units: 2, dropout: 0.5 }), { inputShape: X_SHAPE, expectedOutputShape: [2, 2], trainingDiffers: true });
});

test("Keras's weight names, shapes and defaults (orthogonal recurrent kernel, unitForgetBias, GRU's two biases)", () => {
  nr.setSeed(3);
  const x = nr.randn([2, 4, 5]);
  const lstm = new L.LSTM({ units: 3, name: 'lstm' });
  lstm.apply(x);
  assert.deepEqual(
    lstm.weights.map((w) => [w.name, w.shape]),
    [
      ['lstm/kernel', [5, 12]],
      ['lstm/recurrent_kernel', [3, 12]],
      ['lstm/bias', [12]],
    ],
  );
  assertClose(lstm.bias!, [0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
  // Orthogonal: U U^T = I for a [3, 12] kernel (rows orthonormal).
  const u = lstm.recurrentKernel!;
  assertClose(nr.matmul(u, u, { transposeB: true }), nr.eye(3).data(), { atol: 1e-5 });
  const gru = new L.GRU({ units: 3 });
  gru.apply(x);
  assert.deepEqual(gru.bias!.shape, [2, 9]);
  const old = new L.GRU({ units: 3, resetAfter: false });
  old.apply(x);
  assert.deepEqual(old.bias!.shape, [9]);
  assert.deepEqual(new L.SimpleRNN(4).getConfig().units, 4);
  assert.equal(new L.LSTM({ units: 2, return_sequences: true, go_backwards: true } as never).returnSequences, true);
});

/** The same layer with its activations given as functions, which takes the per-step composition of ops. */
function perStepTwin(layer: nr.layers.Layer): nr.layers.Layer {
  const config = { ...layer.getConfig(), name: `${layer.name}_twin` };
  const tanh = (t: nr.Tensor) => nr.tanh(t);
  const sigmoid = (t: nr.Tensor) => nr.sigmoid(t);
  const twin = new (layer.constructor as new (c: object) => nr.layers.Layer)({
    ...config,
    activation: tanh,
    ...('recurrentActivation' in config ? { recurrentActivation: sigmoid } : {}),
  });
  return twin;
}

for (const [name, make] of [
  ['LSTM', () => new L.LSTM({ units: 3, returnSequences: true, returnState: true })],
  ['GRU', () => new L.GRU({ units: 3, returnSequences: true, returnState: true })],
  ['SimpleRNN', () => new L.SimpleRNN({ units: 3, returnSequences: true, returnState: true })],
  ['LSTM goBackwards', () => new L.LSTM({ units: 3, returnSequences: true, returnState: true, goBackwards: true })],
  ['GRU zeroOutputForMask', () => new L.GRU({ units: 3, returnSequences: true, returnState: true, zeroOutputForMask: true })],
] as const) {
  test(`${name}: the fused op and the per-step composition agree (outputs, states and gradients, with a mask and initial state)`, () => {
    nr.setSeed(18);
    const layer = make();
    const x = nr.randn([3, 5, 2]);
    const mask = nr.tensor([
      [1, 1, 1, 0, 0],
      [0, 0, 1, 1, 1],
      [1, 0, 1, 0, 1],
    ]);
    layer.apply(x);
    const twin = perStepTwin(layer);
    twin.apply(x);
    twin.setWeights(layer.getWeights());
    const stateCount = name.startsWith('LSTM') ? 2 : 1;
    const initialState = Array.from({ length: stateCount }, () => nr.randn([3, 3]));
    const run = (l: nr.layers.Layer) => {
      const xv = nr.variable(x);
      const states = initialState.map((s) => nr.variable(s));
      const outs = l.apply(xv, { mask, initialState: states } as nr.layers.CallOptions) as unknown as nr.Tensor[];
      const loss = outs.map((o, k) => o.mul(k + 1).sum()).reduce((a, b) => a.add(b));
      loss.backward();
      return { outs, grads: [xv.grad!, ...states.map((s) => s.grad!), ...l.trainableWeights.map((w) => nr.tensor(w.grad!))] };
    };
    const fused = run(layer);
    const composed = run(twin);
    assert.equal(fused.outs.length, 1 + stateCount);
    fused.outs.forEach((o, k) => assertClose(o, composed.outs[k]!.data(), { atol: 1e-5, message: `output ${k}` }));
    fused.grads.forEach((g, k) => assertClose(g, composed.grads[k]!.data(), { atol: 1e-5, message: `gradient ${k}` }));
  });
}

test('recurrent layers reject what they do not support, saying what to change', () => {
  assert.throws(() => new L.LSTM({ units: 2, stateful: true }), /LSTM "[^"]+": stateful: true is not supported.*initialState/);
  assert.throws(() => new L.GRU({ units: 0 }), /GRU "[^"]+": units must be a positive integer, got 0/);
  assert.throws(() => new L.SimpleRNN({ units: 2, dropout: 1 }), /dropout must be a number in \[0, 1\)/);
  assert.throws(() => new L.LSTM({ units: 2, unitsForget: true } as never), /unitForgetBias/);
  const lstm = new L.LSTM({ units: 2 });
  assert.throws(() => lstm.apply(nr.zeros([2, 3])), /expected input of rank 3 \[batch, time, features\], got \[2, 3\].*Embedding/);
  assert.throws(
    () => lstm.apply(nr.zeros([2, 3, 4]), { initialState: [nr.zeros([2, 2])] } as nr.layers.CallOptions),
    /initialState must be a list of 2 tensors \(\[h, c\]\) \[batch, 2\], got 1/,
  );
  assert.throws(
    () => lstm.apply(nr.zeros([2, 3, 4]), { initialState: [nr.zeros([2, 2]), nr.zeros([3, 2])] } as nr.layers.CallOptions),
    /each initial state must be \[2, 2\], got \[3, 2\]/,
  );
});

test('recurrent layers survive a save and load with bitwise-equal predictions', async () => {
  nr.setSeed(7);
  const input = nr.Input({ shape: [5, 3] });
  let x = new L.LSTM({ units: 4, returnSequences: true, unitForgetBias: false, biasInitializer: 'random_normal' }).apply(input);
  x = new L.GRU({ units: 3, returnSequences: true, goBackwards: true }).apply(x);
  x = new L.GRU({ units: 3, returnSequences: true, resetAfter: false }).apply(x);
  x = new L.SimpleRNN({ units: 2, activation: 'relu' }).apply(x);
  const model = new nr.Model({ inputs: input, outputs: x });
  const probe = nr.randn([2, 5, 3]);
  const before = model.predict(probe).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-rnn-'));
  try {
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    const after = loaded.predict(probe).data();
    assert.ok(before.some((v) => v !== 0));
    for (let i = 0; i < before.length; i++) assert.ok(Object.is(after[i], before[i]), `prediction ${i}: ${after[i]} vs ${before[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("Orthogonal (the recurrent kernels' default): orthonormal rows or columns times gain, for tall, wide and 3-D shapes", () => {
  nr.setSeed(11);
  const init = nr.initializers.getInitializer({ className: 'Orthogonal', config: { gain: 2 } });
  for (const shape of [
    [6, 3],
    [3, 8],
    [2, 2, 5],
  ]) {
    const w = nr.reshape(init(shape), [shape.slice(0, -1).reduce((a, b) => a * b, 1), shape.at(-1)!]);
    const [rows, cols] = w.shape as [number, number];
    // Q^T Q = gain^2 I over the shorter side.
    const gram = rows >= cols ? nr.matmul(w, w, { transposeA: true }) : nr.matmul(w, w, { transposeB: true });
    const n = Math.min(rows, cols);
    assertClose(gram, nr.mul(nr.eye(n), 4).data(), { atol: 1e-5, message: JSON.stringify(shape) });
  }
  assert.throws(() => nr.initializers.getInitializer('orthogonal')([4]), /Orthogonal: the shape must have at least 2 axes/);
});

test('dropout and recurrentDropout act in training only, with finite gradients through every weight', () => {
  nr.setSeed(12);
  for (const layer of [
    new L.LSTM({ units: 3, dropout: 0.3, recurrentDropout: 0.3 }),
    new L.GRU({ units: 3, recurrentDropout: 0.5 }),
    new L.SimpleRNN({ units: 3, dropout: 0.5, recurrentDropout: 0.5 }),
  ]) {
    const x = nr.randn([4, 5, 2]);
    const inference = layer.apply(x);
    assertClose(layer.apply(x), inference.data(), { rtol: 0, atol: 0 });
    const trained = layer.apply(x, { training: true });
    assert.ok(
      trained.data().some((v, i) => v !== inference.data()[i]),
      `${layer.className}: training must differ`,
    );
    layer.apply(x, { training: true }).sum().backward();
    for (const w of layer.trainableWeights) assert.ok(w.grad!.data().every(Number.isFinite), `${w.name} gradient`);
  }
});
