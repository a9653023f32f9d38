import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { assert, nr } from '../../helpers.js';

/*
 * SimpleRNN, LSTM, GRU and Bidirectional(LSTM) against PyTorch 1.13 (test/fixtures/sequence/rnn_torch.json,
 * written by rnn_torch.py beside it, which documents the Keras <-> PyTorch weight mapping): outputs,
 * final states and the gradients of a weighted sum of them with respect to the input, the initial
 * states and every weight, unmasked, with a padded batch, and with goBackwards.
 */

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  layer: 'LSTM' | 'GRU' | 'SimpleRNN' | 'Bidirectional';
  options: { units: number; returnSequences: boolean; returnState: boolean; goBackwards: boolean };
  x: Encoded;
  mask: number[][] | null;
  initialState: Encoded[];
  weights: Encoded[];
  lossWeights: Encoded[];
  outputs: Encoded[];
  grads: { x: Encoded; initialState: Encoded[]; weights: Encoded[] };
}
const { cases } = JSON.parse(readFileSync(new URL('../../fixtures/sequence/rnn_torch.json', import.meta.url), 'utf8')) as { cases: Case[] };

/** Every element within `tolerance` times the largest magnitude of the expected values. */
function assertNear(actual: nr.Tensor, expected: Encoded, tolerance: number, label: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${label}: shape`);
  const a = actual.data();
  const scale = Math.max(...expected.data.map(Math.abs));
  assert.ok(scale > 0, `${label}: a reference of zeros would test nothing`);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - expected.data[i]!));
  assert.ok(worst <= tolerance * scale, `${label}: max difference ${worst} > ${tolerance} x ${scale}`);
}

function run(c: Case, dtype: 'float32' | 'float64', tolerance: number): void {
  const L = nr.layers;
  const options = { ...c.options, dtype };
  const classes = { LSTM: L.LSTM, GRU: L.GRU, SimpleRNN: L.SimpleRNN } as Record<string, new (o: typeof options) => nr.layers.Layer>;
  const layer: nr.layers.Layer =
    c.layer === 'Bidirectional' ? new L.Bidirectional(new L.LSTM({ ...options }), { dtype }) : new classes[c.layer]!(options);
  const t = (e: Encoded) => nr.tensor(e.data, e.shape, dtype);
  const x = nr.variable(t(c.x));
  const states = c.initialState.map((s) => nr.variable(t(s)));
  const mask = c.mask === null ? null : nr.tensor(c.mask);
  const call = () =>
    layer.apply(x, { mask, ...(states.length > 0 ? { initialState: states } : {}) } as nr.layers.CallOptions) as unknown as nr.Tensor[];
  call();
  layer.setWeights(c.weights.map(t));
  const outs = call();
  assert.equal(outs.length, c.outputs.length, `${c.name}: number of outputs`);
  const loss = outs.map((o, k) => o.mul(t(c.lossWeights[k]!)).sum()).reduce((p, q) => p.add(q));
  loss.backward();
  const label = `${c.name} (${dtype})`;
  outs.forEach((o, k) => assertNear(o, c.outputs[k]!, tolerance, `${label} output ${k}`));
  assertNear(x.grad!, c.grads.x, tolerance, `${label} d input`);
  states.forEach((s, k) => assertNear(s.grad!, c.grads.initialState[k]!, tolerance, `${label} d initial state ${k}`));
  const weights = layer.trainableWeights;
  assert.equal(weights.length, c.grads.weights.length, `${label}: number of weights`);
  weights.forEach((w, k) => assertNear(w.grad!, c.grads.weights[k]!, tolerance, `${label} d ${w.name}`));
}

for (const c of cases) {
  test(`${c.name} equals PyTorch (fixture): outputs, states and every gradient`, () => {
    run(c, 'float32', 1e-5);
    run(c, 'float64', 1e-12);
  });
}

test('the fixture covers masks, goBackwards, returnState and Bidirectional', () => {
  assert.ok(cases.some((c) => c.mask !== null && c.options.goBackwards));
  assert.ok(cases.some((c) => c.layer === 'Bidirectional'));
  assert.deepEqual(new Set(cases.map((c) => c.layer)), new Set(['LSTM', 'GRU', 'SimpleRNN', 'Bidirectional']));
});
