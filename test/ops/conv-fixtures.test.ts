import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assert, assertClose, float32Tolerance, nr } from '../helpers.js';

/*
 * Forward values of conv2d ('same' with stride 2 and even kernels, i.e. TensorFlow's asymmetric
 * padding; dilation), depthwiseConv2d, conv2dTranspose (with outputPadding), max and average pooling
 * ('same' average excluding the padding), batchNorm (output, mean, biased variance) and upSample2d
 * (bilinear, nearest) against PyTorch, from test/fixtures/conv.json (written by
 * test/fixtures/generate_conv.py, which converts layouts and reproduces TensorFlow's padding).
 * Each case runs in float64 (tight tolerance) and in float32 (the shared float32 tolerance).
 */

type Encoded = { shape: number[]; data: number[] };

interface FixtureCase {
  name: string;
  op: string;
  args: Record<string, unknown>;
  inputs: Encoded[];
  outputs: Record<string, Encoded>;
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/conv.json', import.meta.url), 'utf8')) as { cases: FixtureCase[] };

/** The fixture stores 15 significant digits; float64 results must agree far beyond float32. */
const RTOL = 1e-12;
const ATOL = 1e-13;

type Pair = [number, number];

/** Runs a fixture case's op on its inputs; returns the named outputs. */
function apply(c: FixtureCase, inputs: nr.Tensor[]): Record<string, nr.Tensor> {
  const a = c.args;
  const conv = { strides: a.strides as Pair, padding: a.padding as nr.Padding, dilationRate: a.dilationRate as Pair | undefined };
  switch (c.op) {
    case 'conv2d':
      return { output: nr.conv2d(inputs[0]!, inputs[1]!, conv) };
    case 'depthwiseConv2d':
      return { output: nr.depthwiseConv2d(inputs[0]!, inputs[1]!, conv) };
    case 'conv2dTranspose':
      return { output: nr.conv2dTranspose(inputs[0]!, inputs[1]!, { ...conv, outputPadding: a.outputPadding as Pair | undefined }) };
    case 'maxPool2d':
    case 'avgPool2d': {
      const options = { poolSize: a.poolSize as Pair, strides: a.strides as Pair, padding: a.padding as nr.Padding };
      return { output: c.op === 'maxPool2d' ? nr.maxPool2d(inputs[0]!, options) : nr.avgPool2d(inputs[0]!, options) };
    }
    case 'batchNorm': {
      const { output, mean, variance } = nr.batchNorm(inputs[0]!, inputs[1]!, inputs[2]!, { epsilon: a.epsilon as number });
      return { output, mean, variance };
    }
    case 'upSample2d':
      return { output: nr.upSample2d(inputs[0]!, a.size as Pair, a.interpolation as nr.Interpolation) };
    default:
      throw new Error(`conv.json: unknown op ${c.op}`);
  }
}

/** How many products feed each output value (for the float32 tolerance). */
function reductionLength(c: FixtureCase): number {
  const [x, w] = c.inputs;
  if (c.op === 'conv2d' || c.op === 'conv2dTranspose') return w!.shape[0]! * w!.shape[1]! * w!.shape[2]!;
  if (c.op === 'depthwiseConv2d') return w!.shape[0]! * w!.shape[1]!;
  if (c.op === 'batchNorm') return x!.data.length / x!.shape.at(-1)!;
  if (c.op === 'avgPool2d') return (c.args.poolSize as Pair)[0] * (c.args.poolSize as Pair)[1];
  return 4;
}

test('conv.json covers every op it is meant to', () => {
  const ops = new Set(fixture.cases.map((c) => c.op));
  for (const op of ['conv2d', 'depthwiseConv2d', 'conv2dTranspose', 'maxPool2d', 'avgPool2d', 'batchNorm', 'upSample2d']) {
    assert.ok(ops.has(op), `no case for ${op}`);
  }
});

for (const c of fixture.cases) {
  test(`PyTorch fixture: ${c.name}`, () => {
    for (const dtype of ['float64', 'float32'] as const) {
      const inputs = c.inputs.map((e) => nr.tensor(e.data, e.shape, dtype));
      const outputs = apply(c, inputs);
      for (const [name, expected] of Object.entries(c.outputs)) {
        const actual = outputs[name]!;
        assert.deepEqual(actual.shape, expected.shape, `${c.name} ${dtype}: ${name} shape`);
        assert.equal(actual.dtype, dtype);
        const tolerance =
          dtype === 'float64'
            ? { rtol: RTOL, atol: ATOL }
            : // float32 inputs are rounded too, so allow a few times the reduction's rounding.
              float32Tolerance(4 * reductionLength(c));
        assertClose(actual.data(), expected.data, { ...tolerance, message: `${c.name} ${dtype}: ${name}` });
      }
    }
  });
}
