import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertCloseToScale, fixture, tensorOf, type Encoded } from './sequence-fixture.js';

/*
 * The 1-D poolings against PyTorch (test/fixtures/sequence/conv1d_torch.json, written by
 * conv1d_torch.py): outputs and input gradients, Keras's 'same' padding (average of the steps
 * inside the sequence), and GlobalAveragePooling1D's mean over unmasked steps.
 */

interface PoolCase {
  layer: 'MaxPooling1D' | 'AveragePooling1D';
  poolSize: number;
  strides: number;
  padding: 'valid' | 'same';
  input: Encoded;
  upstream: Encoded;
  output: Encoded;
  inputGrad: Encoded;
}

const L = nr.layers;

/** Output and input gradient of `layer` against the fixture's, within `tolerance` of the largest magnitude. */
function checkAgainst(
  layer: nr.layers.Layer,
  c: { input: Encoded; upstream: Encoded; output: Encoded; inputGrad: Encoded },
  label: string,
) {
  const dtype = layer.dtype;
  const x = tensorOf(c.input, dtype);
  x.requiresGrad = true;
  const y = layer.apply(x);
  y.mul(tensorOf(c.upstream, dtype)).sum().backward();
  const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
  assertCloseToScale(y, c.output, tolerance, `${label} ${dtype} output`);
  assertCloseToScale(x.grad, c.inputGrad, tolerance, `${label} ${dtype} input gradient`);
}

test("MaxPooling1D and AveragePooling1D equal PyTorch's, 'same' padding as Keras (fixture)", () => {
  const cases = fixture.pools as PoolCase[];
  assert.equal(cases.length, 5);
  for (const c of cases) {
    for (const dtype of ['float32', 'float64'] as const) {
      const layer = new L[c.layer]({ poolSize: c.poolSize, strides: c.strides, padding: c.padding, dtype });
      const label = `${c.layer} ${c.poolSize}/${c.strides} ${c.padding}`;
      checkAgainst(layer, c, label);
      assert.deepEqual(layer.computeOutputShape([null, ...c.input.shape.slice(1)]), [null, ...c.output.shape.slice(1)], label);
    }
  }
});

test('GlobalAveragePooling1D averages the unmasked steps; GlobalMaxPooling1D (fixture)', () => {
  const { maskedAverage, globalMax } = fixture as Record<
    string,
    { input: Encoded; mask: Encoded; upstream: Encoded; output: Encoded; inputGrad: Encoded }
  >;
  for (const dtype of ['float32', 'float64'] as const) {
    const mask = tensorOf(maskedAverage!.mask, 'float32');
    const average = new L.GlobalAveragePooling1D({ dtype });
    // The mask comes in as the call option and, in a model, from the layer before (see the Masking tests).
    const x = tensorOf(maskedAverage!.input, dtype);
    x.requiresGrad = true;
    const y = average.apply(x, { mask });
    y.mul(tensorOf(maskedAverage!.upstream, dtype)).sum().backward();
    const tolerance = dtype === 'float32' ? 1e-5 : 1e-12;
    assertCloseToScale(y, maskedAverage!.output, tolerance, `masked average ${dtype}`);
    assertCloseToScale(x.grad, maskedAverage!.inputGrad, tolerance, `masked average gradient ${dtype}`);
    assert.equal(nr.getMask(y), null, 'the mask stops at the global pooling');
    checkAgainst(new L.GlobalMaxPooling1D({ dtype }), globalMax!, 'GlobalMaxPooling1D');
  }
  // A bool mask works too; a masked step's NaN does not reach the mean.
  const x = nr.tensor([[[1], [Number.NaN], [5]]]);
  assert.deepEqual(new L.GlobalAveragePooling1D().apply(x, { mask: nr.tensor([[1, 0, 1]]).notEqual(0) }).toArray(), [[3]]);
  assert.deepEqual(new L.GlobalAveragePooling1D({ keepdims: true }).apply(x.slice([0, 0, 0], [1, 1, 1])).shape, [1, 1, 1]);
});

test('the 1-D poolings pass the shared layer test', () => {
  runLayerTest(() => new L.MaxPooling1D(), { inputShape: [2, 5, 2], expectedOutputShape: [2, 2, 2] });
  runLayerTest(() => new L.MaxPooling1D(3, 2, 'same'), { inputShape: [2, 5, 2], expectedOutputShape: [2, 3, 2] });
  runLayerTest(() => new L.AveragePooling1D({ poolSize: 2, strides: 1 }), { inputShape: [1, 4, 3], expectedOutputShape: [1, 3, 3] });
  runLayerTest(() => new L.AveragePooling1D({ poolSize: 3, padding: 'same' }), { inputShape: [2, 7, 1], expectedOutputShape: [2, 3, 1] });
  runLayerTest(() => new L.GlobalAveragePooling1D(), { inputShape: [2, 4, 3], expectedOutputShape: [2, 3] });
  runLayerTest(() => new L.GlobalMaxPooling1D({ keepdims: true }), { inputShape: [2, 4, 3], expectedOutputShape: [2, 1, 3] });
});

test("the 1-D poolings: Keras's defaults and configs, snake_case keys, misuse errors", () => {
  const pool = new L.MaxPooling1D();
  assert.deepEqual([pool.poolSize, pool.strides, pool.padding], [2, 2, 'valid']);
  const { name: _n, ...config } = new L.AveragePooling1D({ pool_size: [3], strides: null, padding: 'SAME' } as never).getConfig();
  assert.deepEqual(config, { trainable: true, dtype: 'float32', poolSize: [3], strides: [3], padding: 'same' });
  assert.equal(new L.GlobalMaxPooling1D({ keepdims: true }).getConfig().keepdims, true);
  const throwsMatching = (fn: () => unknown, cls: new (...a: never[]) => Error, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e instanceof cls && pattern.test(e.message), pattern.source);
  throwsMatching(
    () => new L.MaxPooling1D({ poolSize: 0, name: 'p' }),
    nr.ConfigError,
    /^MaxPooling1D "p": poolSize must be an integer >= 1/,
  );
  throwsMatching(() => new L.MaxPooling1D({ padding: 'causal' as never }), nr.ConfigError, /padding must be 'valid', 'same', got/);
  throwsMatching(() => new L.AveragePooling1D({ pool_sise: 2 } as never), nr.ConfigError, /did you mean 'pool_size'/);
  throwsMatching(
    () => new L.MaxPooling1D({ poolSize: 4, name: 'p' }).apply(nr.ones([1, 3, 2])),
    nr.ShapeError,
    /^MaxPooling1D "p" \(input shape \[1, 3, 2\]\): a pool spanning 4 steps with 'valid' padding does not fit the 3 steps/,
  );
  throwsMatching(
    () => new L.GlobalAveragePooling1D({ name: 'g' }).apply(nr.ones([2, 3, 2]), { mask: nr.ones([2, 4]) }),
    nr.ShapeError,
    /^GlobalAveragePooling1D "g" \(input shape \[2, 3, 2\]\): the mask must be \[batch, steps\] = \[2, 3\], got \[2, 4\]/,
  );
  throwsMatching(
    () => new L.GlobalMaxPooling1D().apply(nr.ones([2, 3, 2, 1])),
    nr.ShapeError,
    /rank 3 \[batch, steps, channels\].*2-D layer/,
  );
});
