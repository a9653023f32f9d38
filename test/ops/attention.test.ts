import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';

/* nr.scaledDotProductAttention's values by hand, its dropout and the errors of bad operands. */

test('scaledDotProductAttention: causal attention of equal keys averages the values seen so far', () => {
  const q = nr.ones([1, 2, 4]);
  const out = nr.scaledDotProductAttention(
    q,
    q,
    nr.tensor([
      [
        [1, 2],
        [3, 4],
      ],
    ]),
    { causal: true },
  );
  assert.deepEqual(out.toArray(), [
    [
      [1, 2],
      [2, 3],
    ],
  ]);
});

test('scaledDotProductAttention: the default scale is 1 / sqrt(d) and a fully masked query gives zeros, not NaN', () => {
  const q = nr.tensor([
    [
      [2, 0],
      [1, 1],
    ],
  ]);
  const k = nr.tensor([
    [
      [1, 0],
      [0, 1],
    ],
  ]);
  const v = nr.tensor([[[10], [20]]]);
  const [out, probs] = nr.scaledDotProductAttention(q, k, v, {
    mask: nr.tensor([
      [1, 1],
      [0, 0],
    ]),
    returnScores: true,
  });
  const p = 1 / (1 + Math.exp(-2 / Math.SQRT2));
  assertClose(probs, [p, 1 - p, 0, 0], { rtol: 1e-6 });
  assertClose(out, [10 * p + 20 * (1 - p), 0], { rtol: 1e-6 });
  // A boolean mask reads the same way.
  const [, boolProbs] = nr.scaledDotProductAttention(q, k, v, {
    mask: nr.tensor([
      [true, true],
      [false, false],
    ]),
    returnScores: true,
  });
  assert.deepEqual(Array.from(boolProbs.data()), Array.from(probs.data()));
});

test('scaledDotProductAttention: dropout drops probabilities only when training, scaling the rest', () => {
  nr.setSeed(18);
  const q = nr.zeros([1, 64, 2]);
  const v = nr.ones([1, 64, 1]);
  const [inference] = nr.scaledDotProductAttention(q, q, v, { dropout: 0.5, returnScores: true });
  assertClose(inference, new Array(64).fill(1), { rtol: 1e-6 });
  const [training, probs] = nr.scaledDotProductAttention(q, q, v, { dropout: 0.5, training: true, returnScores: true });
  // Every probability is 1/64 before dropout; the outputs count kept keys times 2/64.
  assertClose(probs, new Array(64 * 64).fill(1 / 64), { rtol: 1e-6 });
  const values = Array.from(training.data());
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  assert.ok(Math.abs(mean - 1) < 0.1, `mean ${mean}`);
  assert.ok(
    values.some((x) => Math.abs(x - 1) > 0.1),
    'training dropped nothing',
  );
  for (const x of values) assert.ok(Math.abs(x * 32 - Math.round(x * 32)) < 1e-4, `${x} is not a count of kept keys times 2/64`);
});

test('scaledDotProductAttention: bad operands and options are errors naming the op and the shapes', () => {
  const q = nr.ones([2, 3, 4]);
  assert.throws(
    () => nr.scaledDotProductAttention(q, nr.ones([2, 5, 3]), nr.ones([2, 5, 4])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.match(e.message, /scaledDotProductAttention: .*query \[2, 3, 4\], key \[2, 5, 3\], value \[2, 5, 4\]/);
      return true;
    },
  );
  assert.throws(() => nr.scaledDotProductAttention(q, q, nr.ones([2, 4, 4])), /value \[2, 4, 4\]/);
  assert.throws(
    () => nr.scaledDotProductAttention(q, q, q, { mask: nr.ones([3, 2]) }),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.match(e.message, /a mask that broadcasts to the scores' shape \[2, 3, 3\].*got \[3, 2\]/);
      return true;
    },
  );
  assert.throws(() => nr.scaledDotProductAttention(q, q, q, { dropout: 1 }), /dropout must be a number in \[0, 1\), got 1/);
  assert.throws(() => nr.scaledDotProductAttention(q, q, q, { scale: Number.NaN }), /scale must be a finite number/);
  assert.throws(() => nr.scaledDotProductAttention(q, q, q.cast('int32')), nr.DTypeError);
  assert.throws(() => nr.scaledDotProductAttention(q, q, q.cast('float64')), /one dtype/);
});
