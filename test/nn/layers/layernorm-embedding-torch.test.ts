import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assert, assertClose, backendsUnderTest, nr, withBackend } from '../../helpers.js';

/*
 * LayerNormalization and Embedding against PyTorch's LayerNorm and Embedding (float64, written by
 * test/fixtures/sequence/layernorm_embedding_torch.py beside its JSON): outputs and the gradients of
 * the input and of every weight, for loss = sum(output * upstream). float32 must agree within 1e-5
 * of each tensor's largest magnitude on every backend, float64 within 1e-12.
 */

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  layer: 'LayerNormalization' | 'Embedding';
  axis?: number[];
  epsilon?: number;
  inputDim?: number;
  outputDim?: number;
  input: Encoded;
  upstream: Encoded;
  output: Encoded;
  inputGrad?: Encoded;
  weights: Encoded[];
  weightGrads: Encoded[];
}
const fixture = new URL('../../fixtures/sequence/layernorm_embedding_torch.json', import.meta.url);
const { cases } = JSON.parse(readFileSync(fixture, 'utf8')) as { cases: Case[] };

function close(actual: nr.Tensor, expected: Encoded, relative: number, message: string): void {
  assert.deepEqual(actual.shape, expected.shape, `${message}: shape`);
  const largest = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assertClose(actual, expected.data, { rtol: 0, atol: relative * largest, message });
}

function run(c: Case, dtype: 'float32' | 'float64', relative: number, label: string): void {
  const layer =
    c.layer === 'Embedding'
      ? new nr.layers.Embedding({ inputDim: c.inputDim!, outputDim: c.outputDim!, dtype })
      : new nr.layers.LayerNormalization({
          axis: c.axis!,
          epsilon: c.epsilon!,
          center: c.weights.length > 0,
          scale: c.weights.length > 0,
          dtype,
        });
  const x = nr.tensor(c.input.data, c.input.shape, c.layer === 'Embedding' ? 'int32' : dtype);
  if (c.layer !== 'Embedding') x.requiresGrad = true;
  layer.apply(x);
  layer.setWeights(c.weights.map((w) => nr.tensor(w.data, w.shape, dtype)));
  const y = layer.apply(x);
  close(y, c.output, relative, `${label}: output`);
  y.mul(nr.tensor(c.upstream.data, c.upstream.shape, dtype))
    .sum()
    .backward();
  if (c.inputGrad) close(x.grad!, c.inputGrad, relative, `${label}: input gradient`);
  assert.equal(layer.trainableWeights.length, c.weightGrads.length, `${label}: weight count`);
  layer.trainableWeights.forEach((w, i) => close(w.grad!, c.weightGrads[i]!, relative, `${label}: gradient of ${w.name}`));
}

test("LayerNormalization and Embedding equal PyTorch's LayerNorm and Embedding: outputs and every gradient (fixture)", () => {
  assert.ok(cases.length >= 6 && cases.some((c) => c.layer === 'Embedding') && cases.some((c) => c.layer === 'LayerNormalization'));
  for (const c of cases) {
    run(c, 'float64', 1e-12, `${c.name} (float64)`);
    for (const backend of backendsUnderTest()) withBackend(backend, () => run(c, 'float32', 1e-5, `${c.name} (float32, ${backend})`));
  }
});
