import { test } from 'node:test';
import { assert, assertClose, backendsUnderTest, float32Tolerance, gradCheck, nr, randomFloat64, withBackend } from '../helpers.js';

/*
 * The classifier-head shortcut of categorical crossentropy (src/ops/crossentropy.ts): when yPred is
 * a recorded softmax output, the loss value must be bit for bit Keras's clipped formula computed op
 * by op, and the gradient (sent straight to the logits) must equal autograd of that formula and of
 * the softmax, including soft targets, rows whose probabilities hit the clip, and rank-3 outputs.
 */

const EPSILON = 1e-7;

/** Keras's formula written with public ops: every op records its own gradient (no shortcut). */
function formula(targets: nr.Tensor, p: nr.Tensor): nr.Tensor {
  return targets.mul(nr.clip(p.div(p.sum(-1, true)), EPSILON, 1 - EPSILON).log()).sum(-1).neg();
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
    else for (let j = 0; j < classes; j++) data[r * classes + j] = (j + r + 1) / (classes * (classes + 1) / 2 + r * classes);
  }
  return nr.tensor(data, shape, dtype);
}

for (const backend of backendsUnderTest()) {
  for (const shape of [[6, 5], [2, 3, 4], [7]]) {
    for (const kind of ['one-hot', 'soft'] as const) {
      test(`softmax + categorical crossentropy ${JSON.stringify(shape)} ${kind}: same value bits, same gradient [${backend}]`, () => withBackend(backend, () => {
        nr.setSeed(41);
        const logits = logitsWithClippedRows(shape, 'float32');
        const targets = targetsFor(kind, shape, 'float32');
        const fused = nr.valueAndGrad((z: nr.Tensor) => {
          const perSample = nr.losses.categoricalCrossentropy(targets, nr.softmax(z));
          assert.equal((perSample as unknown as { _node: { op: string } })._node.op, 'softmaxCrossentropy', 'the shortcut is taken');
          return perSample.mul(nr.arange(1, perSample.size + 1).reshape(perSample.shape)).sum();
        })(logits);
        const reference = nr.valueAndGrad((z: nr.Tensor) => {
          const perSample = formula(targets, nr.softmax(z));
          return perSample.mul(nr.arange(1, perSample.size + 1).reshape(perSample.shape)).sum();
        })(logits);
        assert.equal(fused.value.item(), reference.value.item(), 'loss value');
        assertClose(fused.grads[0]!, reference.grads[0]!, { ...float32Tolerance(shape.at(-1)!), message: 'dLoss/dlogits' });
      }));
    }
  }

  test(`the per-sample values equal the op-by-op formula exactly, also without autograd [${backend}]`, () => withBackend(backend, () => {
    nr.setSeed(42);
    const logits = logitsWithClippedRows([9, 10], 'float32');
    logits.requiresGrad = true;
    const targets = targetsFor('soft', [9, 10], 'float32');
    const recorded = nr.losses.categoricalCrossentropy(targets, nr.softmax(logits));
    const plain = nr.noGrad(() => formula(targets, nr.softmax(logits)));
    assert.deepEqual(Array.from(recorded.data()), Array.from(plain.data()));
  }));
}

for (const [name, targets] of [
  ['one-hot', targetsFor('one-hot', [4, 5], 'float64')],
  ['soft targets', targetsFor('soft', [4, 5], 'float64')],
  ['rank 3', targetsFor('soft', [2, 2, 3], 'float64')],
] as const) {
  test(`gradcheck softmax + categorical crossentropy (${name}), clipped rows included`, () => {
    nr.setSeed(43);
    const logits = logitsWithClippedRows([...targets.shape], 'float64');
    gradCheck((z) => nr.losses.categoricalCrossentropy(targets, nr.softmax(z)), [logits], { label: name });
  });
}

test('sparse categorical crossentropy on a softmax takes the shortcut with the same gradient', () => {
  nr.setSeed(44);
  const logits = randomFloat64([5, 4], -2, 2);
  const labels = nr.tensor([0, 3, 1, 1, 2], undefined, 'int32');
  const loss = (z: nr.Tensor) => {
    const perSample = nr.losses.sparseCategoricalCrossentropy(labels, nr.softmax(z));
    assert.equal((perSample as unknown as { _node: { op: string } })._node.op, 'softmaxCrossentropy', 'the shortcut is taken');
    return perSample.sum();
  };
  const fused = nr.grad(loss)(logits)[0]!;
  const reference = nr.grad((z: nr.Tensor) => formula(nr.oneHot(labels, 4, { dtype: 'float64' }), nr.softmax(z)).sum())(logits)[0]!;
  assertClose(fused, reference, { rtol: 1e-12, atol: 1e-14 });
  // dL/dz = softmax(z) - onehot for unclipped one-hot rows.
  const expected = nr.softmax(logits).sub(nr.oneHot(labels, 4, { dtype: 'float64' }));
  assertClose(fused, expected, { rtol: 1e-12, atol: 1e-14 });
});

test('the gradient with respect to the probabilities themselves is still exact (no shortcut then)', () => {
  // valueAndGrad of a computed tensor: the shortcut would skip it, so the loss is recorded op by op.
  nr.setSeed(45);
  const logits = randomFloat64([3, 4], -2, 2);
  logits.requiresGrad = true;
  const p = nr.softmax(logits);
  const targets = targetsFor('one-hot', [3, 4], 'float64');
  const [dp] = nr.grad((probabilities: nr.Tensor) => nr.losses.categoricalCrossentropy(targets, probabilities).sum())(p);
  // d/dp of -sum(t log(p / sum p)) = -t / p + sum(t) / sum(p) per row.
  const expected = targets.div(p).neg().add(targets.sum(-1, true).div(p.sum(-1, true)));
  assertClose(dp!, expected, { rtol: 1e-10, atol: 1e-12 });
});

test('targets that require grad get their gradient (no shortcut then)', () => {
  nr.setSeed(46);
  const logits = randomFloat64([3, 4], -2, 2);
  const targets = nr.softmax(randomFloat64([3, 4], -1, 1));
  const [dz, dt] = nr.grad((z: nr.Tensor, t: nr.Tensor) => nr.losses.categoricalCrossentropy(t, nr.softmax(z)).sum())(logits, targets);
  const [rz, rt] = nr.grad((z: nr.Tensor, t: nr.Tensor) => formula(t, nr.softmax(z)).sum())(logits, targets);
  assertClose(dz!, rz!, { rtol: 1e-12, atol: 1e-14 });
  assertClose(dt!, rt!, { rtol: 1e-12, atol: 1e-14 });
});

test('a softmax over another axis is not mistaken for the classifier head', () => {
  nr.setSeed(47);
  const logits = randomFloat64([3, 4], -2, 2);
  const targets = targetsFor('soft', [3, 4], 'float64');
  const [dz] = nr.grad((z: nr.Tensor) => nr.losses.categoricalCrossentropy(targets, nr.softmax(z, 0)).sum())(logits);
  const [reference] = nr.grad((z: nr.Tensor) => formula(targets, nr.softmax(z, 0)).sum())(logits);
  assertClose(dz!, reference!, { rtol: 1e-12, atol: 1e-14 });
});
