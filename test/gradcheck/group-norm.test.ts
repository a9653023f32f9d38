import { test } from 'node:test';
import { assert, gradCheck, gradGradCheck, nr, randomFloat64 } from '../helpers.js';

test('gradcheck groupNorm w.r.t. x, gamma and beta: NHWC, rank 2, instance norm, a channel axis not last', () => {
  const cases: [number[], number, number][] = [
    [[2, 3, 2, 6], 3, -1],
    [[3, 8], 2, -1],
    [[2, 5, 4], 4, -1],
    [[2, 4, 3, 2], 2, 1],
  ];
  for (const [shape, groups, axis] of cases) {
    const channels = shape.at(axis)!;
    const x = randomFloat64(shape);
    const gamma = randomFloat64([channels], 0.5, 2);
    const beta = randomFloat64([channels]);
    const label = `groupNorm ${JSON.stringify(shape)} groups ${groups} axis ${axis}`;
    gradCheck((a, g, b) => nr.groupNorm(a, groups, g, b, { axis }), [x, gamma, beta], { label });
    gradCheck((a) => nr.groupNorm(a, groups, null, null, { axis, epsilon: 1e-5 }), [x], { label: `${label}, no gamma/beta` });
    gradGradCheck((a, g, b) => nr.groupNorm(a, groups, g, b, { axis }), [x, gamma, beta], { label: `${label} (second order)` });
  }
});

test('groupNorm rejects groups that do not divide the channels, wrong gamma shapes and the batch axis', () => {
  const x = nr.zeros([2, 3, 6]);
  assert.throws(
    () => nr.groupNorm(x, 4, null, null),
    (e: Error) => e instanceof nr.ConfigError && /groupNorm: groups must be a positive integer dividing the 6 channels/.test(e.message),
  );
  assert.throws(
    () => nr.groupNorm(x, 2, nr.ones([3]), null),
    (e: Error) => e instanceof nr.ShapeError && /gamma must have shape \[6\]/.test(e.message),
  );
  assert.throws(
    () => nr.groupNorm(x, 1, null, null, { axis: 0 }),
    (e: Error) => e instanceof nr.ConfigError && /not the batch axis/.test(e.message),
  );
  assert.throws(
    () => nr.groupNorm(nr.zeros([6]), 1, null, null),
    (e: Error) => e instanceof nr.ShapeError && /rank >= 2/.test(e.message),
  );
});

test('gradcheck timestepEmbedding w.r.t. fractional timesteps, and its bad options', () => {
  gradCheck((t) => nr.timestepEmbedding(t, 6, { maxPeriod: 50 }), [randomFloat64([3], 0, 5)], { label: 'timestepEmbedding' });
  assert.deepEqual(nr.timestepEmbedding(nr.tensor([3], [1], 'int32'), 5).shape, [1, 5]);
  assert.throws(
    () => nr.timestepEmbedding([1], 0),
    (e: Error) => e instanceof nr.ConfigError && /timestepEmbedding: dim must be a positive integer/.test(e.message),
  );
  assert.throws(
    () => nr.timestepEmbedding([1], 4, { maxPeriod: -1 }),
    (e: Error) => e instanceof nr.ConfigError && /maxPeriod/.test(e.message),
  );
});
