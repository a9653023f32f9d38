import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';

/*
 * neurona's float64 values and gradients against PyTorch's, from test/fixtures/ops.json (written by
 * test/fixtures/generate_ops.py; these tests never run Python). Gradients are of
 * sum(output * weights) with the weights stored in the fixture.
 */

/** Relative tolerance for float64 against PyTorch; the tiny atol only admits exact zeros vs ~1e-300. */
const RTOL = 1e-10;
const ATOL = 1e-300;

type Encoded = { shape: number[]; data: (number | string)[] };

interface FixtureCase {
  name: string;
  op: string;
  args: { axis?: number; axes?: number[]; keepDims?: boolean; alpha?: number; approximate?: 'none' | 'tanh' };
  dtype: 'float64' | 'int32';
  inputs: Encoded[];
  output: Encoded;
  weights?: Encoded;
  grads?: Encoded[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/ops.json', import.meta.url), 'utf8')) as {
  torch: string;
  cases: FixtureCase[];
};

function decode(values: (number | string)[]): number[] {
  return values.map((v) => (v === 'nan' ? NaN : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : (v as number)));
}

function toTensor(encoded: Encoded, dtype: nr.DType): nr.Tensor {
  return nr.tensor(decode(encoded.data), encoded.shape, dtype);
}

type Op = (inputs: nr.Tensor[], args: FixtureCase['args']) => nr.Tensor;

/** The neurona call for each op name the generator uses. */
const OPS: Record<string, Op> = {
  softmax: ([x], { axis }) => nr.softmax(x!, axis),
  logSoftmax: ([x], { axis }) => nr.logSoftmax(x!, axis),
  logsumexp: ([x], { axes, keepDims }) => nr.logsumexp(x!, axes, keepDims),
  sigmoid: ([x]) => nr.sigmoid(x!),
  softplus: ([x]) => nr.softplus(x!),
  elu: ([x], { alpha }) => nr.elu(x!, alpha),
  leakyRelu: ([x], { alpha }) => nr.leakyRelu(x!, alpha),
  gelu: ([x], { approximate }) => nr.gelu(x!, approximate === 'tanh'),
  matmul: ([a, b]) => nr.matmul(a!, b!),
  maximum: ([a, b]) => nr.maximum(a!, b!),
  minimum: ([a, b]) => nr.minimum(a!, b!),
  sum: ([x], { axes, keepDims }) => nr.sum(x!, axes, keepDims),
  mean: ([x], { axes, keepDims }) => nr.mean(x!, axes, keepDims),
  max: ([x], { axes, keepDims }) => nr.max(x!, axes, keepDims),
  mod: ([a, b]) => nr.mod(a!, b!),
  floorDiv: ([a, b]) => nr.floorDiv(a!, b!),
  round: ([x]) => nr.round(x!),
};

test('pytorch fixtures: the fixture loads and covers the promised ops', () => {
  assert.ok(fixture.cases.length >= 30, `only ${fixture.cases.length} cases`);
  const ops = new Set(fixture.cases.map((c) => c.op));
  for (const op of Object.keys(OPS)) assert.ok(ops.has(op), `no fixture case for ${op}`);
  for (const c of fixture.cases) assert.ok(OPS[c.op], `fixture case "${c.name}" uses unknown op ${c.op}`);
});

for (const c of fixture.cases) {
  test(`pytorch fixtures: ${c.name} (torch ${fixture.torch})`, () => {
    const op = OPS[c.op];
    assert.ok(op, `unknown op ${c.op}`);
    const inputs = c.inputs.map((x) => toTensor(x, c.dtype));
    const out = nr.noGrad(() => op(inputs, c.args));
    assert.deepEqual(out.shape, c.output.shape, 'output shape');
    assert.equal(out.dtype, c.dtype, 'output dtype');
    assertClose(out.data(), decode(c.output.data), { rtol: RTOL, atol: ATOL, message: `${c.name}: value` });
    if (!c.grads || !c.weights) return;
    const weights = toTensor(c.weights, 'float64');
    const { grads } = nr.valueAndGrad((...xs: nr.Tensor[]) => op(xs, c.args).mul(weights).sum())(...inputs);
    c.grads.forEach((expected, i) => {
      assert.deepEqual(grads[i]!.shape, expected.shape, `${c.name}: gradient ${i} shape`);
      assertClose(grads[i]!.data(), decode(expected.data), { rtol: RTOL, atol: ATOL, message: `${c.name}: gradient of input ${i}` });
    });
  });
}
