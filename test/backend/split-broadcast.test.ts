import { test } from 'node:test';
import { assert } from '../helpers.js';
import { broadcastPattern, splitBroadcast } from '../../src/backend/native/index.js';

/*
 * The native binary kernel takes a broadcast as one (period, repeat) pattern; a per-image bias
 * [n, 1, 1, C] against [n, H, W, C] is not one, so it runs as n native calls, one per image.
 * The numbers it gives are checked on every backend by test/conformance/binary.test.ts.
 */

test('splitBroadcast: per-image offsets for a small operand whose axes are not one run', () => {
  assert.equal(broadcastPattern([4, 1, 1, 64], [4, 8, 8, 64], 4 * 8 * 8 * 64), null);
  assert.deepEqual(splitBroadcast([4, 1, 1, 64], [4, 8, 8, 64], 4 * 8 * 8 * 64), {
    inner: 4096,
    offsets: [0, 64, 128, 192],
    period: 64,
    repeat: 1,
  });
  // Axis 0 is looped; each slice [3, 90, 48] cycles through the 90 values, each repeated 48 times.
  assert.deepEqual(splitBroadcast([2, 1, 90, 1], [2, 3, 90, 48], 2 * 3 * 90 * 48), {
    inner: 12960,
    offsets: [0, 90],
    period: 90,
    repeat: 48,
  });
  // Leading axes the small operand lacks are looped with stride 0 too.
  assert.deepEqual(splitBroadcast([2, 1, 4096], [3, 2, 5, 4096], 3 * 2 * 5 * 4096)?.offsets, [0, 4096, 0, 4096, 0, 4096]);
});

test('splitBroadcast: null where one pattern does, or where slices would be small', () => {
  assert.equal(splitBroadcast([1, 1, 64], [4, 8, 8, 64], 4 * 8 * 8 * 64), null); // one run: broadcastPattern's case
  assert.equal(splitBroadcast([4, 1, 1, 8], [4, 2, 2, 8], 128), null); // slices of 32 elements
});
