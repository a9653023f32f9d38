import { test } from 'node:test';
import { assert, assertClose, backendsUnderTest, float32Tolerance, gradCheck, nr, randomFloat64, withBackend } from '../helpers.js';

/*
 * The fused softmax crossentropy (nr.losses.FusedSoftmaxCrossentropy over src/ops/crossentropy.ts):
 * its loss value must be bit for bit Keras's clipped formula computed op by op on the probabilities,
 * and its gradient (sent straight to the logits) must equal autograd of that formula and of the
 * softmax, including soft targets, rows whose probabilities hit the clip, and rank-3 outputs. The
 * loss functions themselves, called on a softmax output, run the plain formula: nothing is fused
 * unless it is named.
 */

const EPSILON = 1e-7;

/** Keras's formula written with public ops: every op records its own gradient (no shortcut). */
function formula(targets: nr.Tensor, p: nr.Tensor): nr.Tensor {
  return targets
    .mul(nr.clip(p.div(p.sum(-1, true)), EPSILON, 1 - EPSILON).log())
    .sum(-1)
    .neg();
}

/** Logits with some rows so peaked that their probabilities are clipped at both ends. */
function logitsWithClippedRows(shape: number[], dtype: 'float32' | 'float64'): nr.Tensor {
  const x = nr.randu(shape, { low: -3, high: 3, dtype });
  const data = x.data();
  const classes = shape.at(-1)!;
  for (let j = 0; j < classes; j++) data[j] = j === 1 ? 40 : -5; // row 0: p[1] rounds to 1, the rest below eps
  if (data.length >= 2 * classes) data[classes + 2] = 25; // row 1: one dominant class, others clipped at eps
  return x;
}

function targetsFor(kind: 'one-hot' | 'soft', shape: number[], dtype: 'float32' | 'float64'): nr.Tensor {
  const classes = shape.at(-1)!;
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const data = new Float64Array(rows * classes);
  for (let r = 0; r < rows; r++) {
    if (kind === 'one-hot') data[r * classes + ((r * 7 + 1) % classes)] = 1;
    else for (let j = 0; j < classes; j++) data[r * classes + j] = (j + r + 1) / ((classes * (classes + 1)) / 2 + r * classes);
  }
  return nr.tensor(data, shape, dtype);
}

const fusedCategorical = new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.CategoricalCrossentropy());
const fusedSparse = new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.SparseCategoricalCrossentropy());

/** The per-sample fused losses of softmax(z), asserting that they are the one fused node. */
function fused(targets: nr.Tensor, z: nr.Tensor, loss = fusedCategorical): nr.Tensor {
  const perSample = loss.fn(targets, nr.softmax(z), z);
  // gradCheck also evaluates the loss without autograd: nothing is recorded then.
  if (nr.isGradEnabled()) {
    assert.equal((perSample as unknown as { _node: { op: string } })._node.op, 'softmaxCrossentropy', 'the fused node is recorded');
  }
  return perSample;
}

for (const backend of backendsUnderTest()) {
  for (const shape of [[6, 5], [2, 3, 4], [7]]) {
    for (const kind of ['one-hot', 'soft'] as const) {
      test(`softmax + categorical crossentropy ${JSON.stringify(shape)} ${kind}: same value bits, same gradient [${backend}]`, () =>
        withBackend(backend, () => {
          nr.setSeed(41);
          const logits = logitsWithClippedRows(shape, 'float32');
          const targets = targetsFor(kind, shape, 'float32');
          const weighted = (perSample: nr.Tensor) => perSample.mul(nr.arange(1, perSample.size + 1).reshape(perSample.shape)).sum();
          const viaFused = nr.valueAndGrad((z: nr.Tensor) => weighted(fused(targets, z)))(logits);
          const reference = nr.valueAndGrad((z: nr.Tensor) => weighted(formula(targets, nr.softmax(z))))(logits);
          assert.equal(viaFused.value.item(), reference.value.item(), 'loss value');
          assertClose(viaFused.grads[0]!, reference.grads[0]!, { ...float32Tolerance(shape.at(-1)!), message: 'dLoss/dlogits' });
        }));
    }
  }

  test(`the per-sample values equal the op-by-op formula exactly, also without autograd [${backend}]`, () =>
    withBackend(backend, () => {
      nr.setSeed(42);
      const logits = logitsWithClippedRows([9, 10], 'float32');
      logits.requiresGrad = true;
      const targets = targetsFor('soft', [9, 10], 'float32');
      const recorded = fused(targets, logits);
      const plain = nr.noGrad(() => formula(targets, nr.softmax(logits)));
      assert.deepEqual(Array.from(recorded.data()), Array.from(plain.data()));
      const probabilities = nr.noGrad(() => nr.softmax(logits));
      const unrecorded = nr.noGrad(() => fusedCategorical.fn(targets, probabilities, logits));
      assert.deepEqual(Array.from(unrecorded.data()), Array.from(plain.data()), 'without autograd');
    }));

  test(`the loss functions on a softmax output run the plain formula, same gradient bits [${backend}]`, () =>
    withBackend(backend, () => {
      nr.setSeed(48);
      const logits = logitsWithClippedRows([6, 5], 'float32');
      const targets = targetsFor('soft', [6, 5], 'float32');
      const labels = nr.tensor([0, 4, 1, 2, 3, 1], undefined, 'int32');
      const [viaLoss] = nr.grad((z: nr.Tensor) => {
        const perSample = nr.losses.categoricalCrossentropy(targets, nr.softmax(z));
        assert.notEqual((perSample as unknown as { _node: { op: string } })._node.op, 'softmaxCrossentropy', 'not fused unless named');
        return perSample.sum();
      })(logits);
      const [viaFormula] = nr.grad((z: nr.Tensor) => formula(targets, nr.softmax(z)).sum())(logits);
      assert.deepEqual(Array.from(viaLoss!.data()), Array.from(viaFormula!.data()));
      const [sparse] = nr.grad((z: nr.Tensor) => new nr.losses.SparseCategoricalCrossentropy().call(labels, nr.softmax(z)))(logits);
      const [sparseFormula] = nr.grad((z: nr.Tensor) => formula(nr.oneHot(labels, 5), nr.softmax(z)).mean())(logits);
      assert.deepEqual(Array.from(sparse!.data()), Array.from(sparseFormula!.data()));
    }));
}

for (const shape of [
  [6, 5],
  [2, 3, 4],
]) {
  test(`float64: the fused value is the formula's bits and its gradient the formula's autograd gradient ${JSON.stringify(shape)}`, () => {
    nr.setSeed(49);
    const logits = logitsWithClippedRows(shape, 'float64');
    const targets = targetsFor('soft', shape, 'float64');
    const viaFused = nr.valueAndGrad((z: nr.Tensor) => fused(targets, z).sum())(logits);
    const reference = nr.valueAndGrad((z: nr.Tensor) => formula(targets, nr.softmax(z)).sum())(logits);
    assert.equal(viaFused.value.item(), reference.value.item(), 'loss value');
    assertClose(viaFused.grads[0]!, reference.grads[0]!, { rtol: 1e-13, atol: 1e-15, message: 'dLoss/dlogits' });
  });
}

for (const [name, targets] of [
  ['one-hot', targetsFor('one-hot', [4, 5], 'float64')],
  ['soft targets', targetsFor('soft', [4, 5], 'float64')],
  ['rank 3', targetsFor('soft', [2, 2, 3], 'float64')],
] as const) {
  test(`gradcheck softmax + categorical crossentropy (${name}), clipped rows included`, () => {
    nr.setSeed(43);
    const logits = logitsWithClippedRows([...targets.shape], 'float64');
    gradCheck((z) => fused(targets, z), [logits], { label: name });
    gradCheck((z) => nr.losses.categoricalCrossentropy(targets, nr.softmax(z)), [logits], { label: `${name}, plain formula` });
  });
}

test('the fused sparse categorical crossentropy has the same gradient', () => {
  nr.setSeed(44);
  const logits = randomFloat64([5, 4], -2, 2);
  const labels = nr.tensor([0, 3, 1, 1, 2], undefined, 'int32');
  const fusedGrad = nr.grad((z: nr.Tensor) => fused(labels, z, fusedSparse).sum())(logits)[0]!;
  const reference = nr.grad((z: nr.Tensor) => formula(nr.oneHot(labels, 4, { dtype: 'float64' }), nr.softmax(z)).sum())(logits)[0]!;
  assertClose(fusedGrad, reference, { rtol: 1e-12, atol: 1e-14 });
  // dL/dz = softmax(z) - onehot for unclipped one-hot rows.
  const expected = nr.softmax(logits).sub(nr.oneHot(labels, 4, { dtype: 'float64' }));
  assertClose(fusedGrad, expected, { rtol: 1e-12, atol: 1e-14 });
});

test('the gradient of the loss with respect to softmax probabilities themselves is exact', () => {
  // valueAndGrad of a computed tensor: the loss, recorded op by op, reaches it.
  nr.setSeed(45);
  const logits = randomFloat64([3, 4], -2, 2);
  logits.requiresGrad = true;
  const p = nr.softmax(logits);
  const targets = targetsFor('one-hot', [3, 4], 'float64');
  const [dp] = nr.grad((probabilities: nr.Tensor) => nr.losses.categoricalCrossentropy(targets, probabilities).sum())(p);
  // d/dp of -sum(t log(p / sum p)) = -t / p + sum(t) / sum(p) per row.
  const expected = targets
    .div(p)
    .neg()
    .add(targets.sum(-1, true).div(p.sum(-1, true)));
  assertClose(dp!, expected, { rtol: 1e-10, atol: 1e-12 });
});

test('targets that require grad get their gradient from the loss, and the fused loss refuses them', () => {
  nr.setSeed(46);
  const logits = randomFloat64([3, 4], -2, 2);
  const targets = nr.softmax(randomFloat64([3, 4], -1, 1));
  const [dz, dt] = nr.grad((z: nr.Tensor, t: nr.Tensor) => nr.losses.categoricalCrossentropy(t, nr.softmax(z)).sum())(logits, targets);
  const [rz, rt] = nr.grad((z: nr.Tensor, t: nr.Tensor) => formula(t, nr.softmax(z)).sum())(logits, targets);
  assertClose(dz!, rz!, { rtol: 1e-12, atol: 1e-14 });
  assertClose(dt!, rt!, { rtol: 1e-12, atol: 1e-14 });
  assert.throws(
    () => nr.grad((z: nr.Tensor, t: nr.Tensor) => fusedCategorical.call(t, nr.softmax(z), z))(logits, targets),
    (e: Error) =>
      e instanceof nr.ConfigError &&
      new RegExp(
        'softmaxCrossentropy: the targets must be constants, got targets that require grad ' +
          String.raw`\(the fused gradient goes to the logits alone\)`,
      ).test(e.message),
  );
});

test('the fused loss refuses probabilities that are not the recorded softmax of the logits, and fromLogits losses', () => {
  nr.setSeed(50);
  const logits = randomFloat64([3, 4], -2, 2);
  const targets = targetsFor('one-hot', [3, 4], 'float64');
  const refused = (fn: (z: nr.Tensor) => nr.Tensor, pattern: RegExp) =>
    assert.throws(
      () => nr.grad((z: nr.Tensor) => fn(z).sum())(logits),
      (e: Error) => e instanceof nr.ConfigError && pattern.test(e.message),
    );
  refused(
    (z) => fusedCategorical.fn(targets, nr.softmax(z.mul(2)), z),
    /softmaxCrossentropy: the probabilities must be softmax\(logits\) recorded for autograd, got the softmax of another tensor/,
  );
  refused((z) => fusedCategorical.fn(targets, nr.softmax(randomFloat64([3, 4])), z), /got probabilities with no graph node/);
  refused((z) => fusedCategorical.fn(targets, z.sigmoid(), z), /got the output of 'sigmoid'/);
  assert.throws(
    () => fusedCategorical.fn(targets, nr.softmax(logits), randomFloat64([3, 5])),
    /softmaxCrossentropy: targets, probabilities and logits must have one shape, got \[3, 4\], \[3, 4\] and \[3, 5\]/,
  );
  assert.throws(
    () => new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.CategoricalCrossentropy({ fromLogits: true })),
    /FusedSoftmaxCrossentropy: the loss must take probabilities, got CategoricalCrossentropy with fromLogits: true/,
  );
  assert.throws(
    () => new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.MeanSquaredError() as never),
    /FusedSoftmaxCrossentropy: the loss must be a CategoricalCrossentropy or SparseCategoricalCrossentropy, got /,
  );
});

test('the loss on a softmax over another axis differentiates through that softmax', () => {
  nr.setSeed(47);
  const logits = randomFloat64([3, 4], -2, 2);
  const targets = targetsFor('soft', [3, 4], 'float64');
  const [dz] = nr.grad((z: nr.Tensor) => nr.losses.categoricalCrossentropy(targets, nr.softmax(z, 0)).sum())(logits);
  const [reference] = nr.grad((z: nr.Tensor) => formula(targets, nr.softmax(z, 0)).sum())(logits);
  assertClose(dz!, reference!, { rtol: 1e-12, atol: 1e-14 });
});
