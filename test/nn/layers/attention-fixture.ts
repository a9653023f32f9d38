import { readFileSync } from 'node:fs';
import { assert, nr } from '../../helpers.js';

/*
 * The cases of test/fixtures/sequence/attention_torch.json (written by attention_torch.py beside it):
 * Keras's attention layers computed in PyTorch 1.13 in float64, with every gradient. `checkCase` runs
 * one through our layer in float32 and compares output, scores and gradients within 1e-5 of the
 * largest magnitude of each.
 */

interface Encoded {
  shape: number[];
  values: number[];
}
export interface AttentionCase {
  name: string;
  layer: 'MultiHeadAttention' | 'Attention' | 'AdditiveAttention';
  options: Record<string, unknown>;
  causal: boolean;
  selfAttention?: boolean;
  attentionMask?: Encoded | null;
  masks: number[][] | null;
  inputs: Record<string, Encoded>;
  weights: { name: string; shape: number[]; values: number[] }[];
  dy: number[];
  ds: number[];
  output: Encoded;
  scores: Encoded;
  gradients: Record<string, number[]>;
}

export const ATTENTION_CASES = (
  JSON.parse(readFileSync(new URL('../../fixtures/sequence/attention_torch.json', import.meta.url), 'utf8')) as { cases: AttentionCase[] }
).cases;

function assertWithin(actual: nr.Tensor, expected: number[], label: string): void {
  const values = actual.data();
  assert.equal(values.length, expected.length, `${label}: size`);
  assert.ok(expected.length > 0, `${label}: nothing to compare`);
  // A gradient that is 0 in exact arithmetic (the key bias: softmax ignores a shift shared by a row) is
  // float64 noise in the reference and float32 noise here; it is held to 1e-5 of a unit magnitude.
  const scale = Math.max(...expected.map(Math.abs), 1e-30) < 1e-12 ? 1 : Math.max(...expected.map(Math.abs));
  let worst = 0;
  expected.forEach((e, i) => (worst = Math.max(worst, Math.abs(values[i]! - e) / scale)));
  assert.ok(worst <= 1e-5, `${label}: worst error ${worst.toExponential(2)} of the largest magnitude ${scale.toExponential(2)}`);
}

/** Runs one fixture case through a fresh layer from `make` and checks it against PyTorch's numbers. */
export function checkCase(c: AttentionCase, make: (c: AttentionCase) => nr.layers.Layer): void {
  const layer = make(c);
  const order = c.selfAttention ? ['query', 'query'] : ['query', 'value', ...('key' in c.inputs ? ['key'] : [])];
  const leaves = Object.fromEntries(Object.entries(c.inputs).map(([k, v]) => [k, nr.tensor(v.values, v.shape)]));
  const inputs = order.map((k) => leaves[k]!);
  layer.apply(inputs);
  assert.deepEqual(
    layer.weights.map((w) => [w.name.slice(layer.name.length + 1), w.shape]),
    c.weights.map((w) => [w.name, w.shape]),
    `${c.name}: weight names, shapes and order`,
  );
  layer.setWeights(c.weights.map((w) => nr.tensor(w.values, w.shape)));
  const options: Record<string, unknown> = { returnAttentionScores: true, useCausalMask: c.causal };
  if (c.attentionMask) options.attentionMask = nr.tensor(c.attentionMask.values, c.attentionMask.shape);
  if (c.masks) options.mask = c.masks.map((m, i) => nr.tensor(m, [inputs[i]!.shape[0]!, inputs[i]!.shape[1]!]));
  const names = Object.keys(c.inputs);
  const grads = nr.grad((...xs: nr.Tensor[]) => {
    const list = order.map((k) => xs[names.indexOf(k)]!);
    const [out, scores] = layer.apply<nr.Tensor[]>(list, options);
    return nr.add(nr.sum(nr.mul(out!, nr.tensor(c.dy, out!.shape))), nr.sum(nr.mul(scores!, nr.tensor(c.ds, scores!.shape))));
  });
  const [out, scores] = layer.apply<nr.Tensor[]>(inputs, options);
  assert.deepEqual(out!.shape, c.output.shape, `${c.name}: output shape`);
  assert.deepEqual(scores!.shape, c.scores.shape, `${c.name}: scores shape`);
  assertWithin(out!, c.output.values, `${c.name}: output`);
  assertWithin(scores!, c.scores.values, `${c.name}: scores`);
  const inputGrads = grads(...names.map((k) => leaves[k]!));
  names.forEach((k, i) => assertWithin(inputGrads[i]!, c.gradients[k]!, `${c.name}: gradient of ${k}`));
  const weightGrads = nr.grad(() => {
    const [o, s] = layer.apply<nr.Tensor[]>(inputs, options);
    return nr.add(nr.sum(nr.mul(o!, nr.tensor(c.dy, o!.shape))), nr.sum(nr.mul(s!, nr.tensor(c.ds, s!.shape))));
  })(...layer.weights);
  c.weights.forEach((w, i) => assertWithin(weightGrads[i]!, c.gradients[w.name]!, `${c.name}: gradient of ${w.name}`));
}
