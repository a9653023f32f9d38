import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

// Sample i has the feature value i, so a row tells which sample it came from; classes are i % 3,
// with class 2 rare (one sample in 10 is moved out of it).
const n = 30;
const x = nr.arange(0, n).reshape([n, 1]);
const labels = Array.from({ length: n }, (_, i) => (i % 10 === 2 ? 2 : i % 3 === 2 ? 0 : i % 3));
const sampleOf = (t: nr.Tensor) => Array.from(t.data(), Number);

test('makePairs: seeded, the asked fraction of same-class pairs, each pair labelled by its classes', () => {
  const p = nr.data.makePairs(x, labels, { numPairs: 400, positiveFraction: 0.25, seed: 3 });
  assert.deepEqual(p.a.shape, [400, 1]);
  assert.equal(p.same.dtype, 'float32');
  assert.equal(p.same.sum().item(), 100);
  const [ia, ib, same] = [sampleOf(p.a), sampleOf(p.b), sampleOf(p.same)];
  const [la, lb] = [sampleOf(p.labelsA), sampleOf(p.labelsB)];
  for (let k = 0; k < 400; k++) {
    assert.equal(la[k], labels[ia[k]!]);
    assert.equal(lb[k], labels[ib[k]!]);
    assert.equal(same[k], la[k] === lb[k] ? 1 : 0, `pair ${k}`);
    if (same[k] === 1) assert.notEqual(ia[k], ib[k], 'a positive pair joins two distinct samples');
  }
  // Classes are drawn uniformly: the rare class 2 (3 samples of 30) still anchors about a third of the positives.
  const rare = la.filter((c, k) => c === 2 && same[k] === 1).length;
  assert.ok(rare > 20 && rare < 50, `class 2 in ${rare} of 100 positive pairs`);
  // Positives are spread through the set, not all first.
  assert.ok(same.slice(0, 100).reduce((s, v) => s + v, 0) < 60);
  const again = nr.data.makePairs(x, labels, { numPairs: 400, positiveFraction: 0.25, seed: 3 });
  assert.deepEqual(sampleOf(again.a), ia);
  assert.deepEqual(sampleOf(again.b), ib);
  assert.notDeepEqual(sampleOf(nr.data.makePairs(x, labels, { numPairs: 400, seed: 4 }).a), ia);
  assert.equal(nr.data.makePairs(x, nr.tensor(labels).reshape([n, 1])).a.shape[0], n);
});

test('makeTriplets: the positive shares the anchor class, the negative does not, seeded', () => {
  const t = nr.data.makeTriplets(x, labels, { numTriplets: 200, seed: 9 });
  const [a, p, q] = [sampleOf(t.anchor), sampleOf(t.positive), sampleOf(t.negative)];
  assert.equal(a.length, 200);
  for (let k = 0; k < 200; k++) {
    assert.notEqual(a[k], p[k]);
    assert.equal(labels[a[k]!], labels[p[k]!]);
    assert.notEqual(labels[a[k]!], labels[q[k]!]);
  }
  assert.deepEqual(sampleOf(nr.data.makeTriplets(x, labels, { numTriplets: 200, seed: 9 }).negative), q);
});

test('the pairs feed a Dataset', async () => {
  const { a, b, same } = nr.data.makePairs(x, labels, { numPairs: 10, seed: 1 });
  const batches = await nr.data.Dataset.fromTensorSlices([[a, b], same])
    .batch(4)
    .toArray();
  assert.equal(batches.length, 3);
});

test('makePairs and makeTriplets reject labels that cannot make pairs', () => {
  assert.throws(
    () => nr.data.makePairs(x, [0, 1]),
    (e: Error) => e instanceof nr.ShapeError && /makePairs.*one class per sample.*x \[30, 1\] and labels \[2\]/s.test(e.message),
  );
  assert.throws(() => nr.data.makePairs(nr.ones([3, 1]), [1, 1, 1]), /makePairs.*at least 2 classes/s);
  assert.throws(() => nr.data.makeTriplets(nr.ones([3, 1]), [0, 1, 2]), /makeTriplets.*at least 2 samples/s);
  assert.throws(() => nr.data.makePairs(nr.ones([2, 1]), [0.5, 1]), /makePairs.*integer classes/s);
  assert.throws(() => nr.data.makePairs(x, labels, { positiveFraction: 2 }), /makePairs.*positiveFraction must be in \[0, 1\]/s);
  assert.throws(() => nr.data.makePairs(x, labels, { numPairs: 0 }), /numPairs/);
  assert.throws(() => nr.data.makeTriplets(x, labels, { numPairs: 3 } as never), /numTriplets/);
});
