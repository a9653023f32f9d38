import { test } from 'node:test';
import { assert } from '../helpers.js';
import {
  clearBufferPool,
  freshBufferBytes,
  pooledBufferBytes,
  releaseFloat32,
  takeFloat32,
  trimBufferPool,
  watchTakes,
} from '../../src/core/index.js';
import { POOL_DEBUG } from '../../src/core/buffer-pool.js';

/* The buffer pool's own rules (src/core/buffer-pool.ts); training's use of it is tested in test/nn/training. */

test('trimBufferPool drops a size nobody asked for in the last 8 rounds and keeps the rest', () => {
  clearBufferPool();
  const [a, b] = [takeFloat32(100), takeFloat32(200)];
  releaseFloat32([a, b]);
  assert.equal(pooledBufferBytes(), 1200);
  // Rounds 1 to 8 ask for 100 only; 200 was last asked for before round 1 and stays through round 8.
  for (let round = 1; round <= 8; round++) {
    const again = takeFloat32(100);
    assert.equal(again, a, 'a pooled array of the size asked for comes back');
    releaseFloat32([again]);
    trimBufferPool();
    assert.equal(pooledBufferBytes(), 1200, `round ${round}`);
  }
  // The ninth round without it drops it.
  releaseFloat32([takeFloat32(100)]);
  trimBufferPool();
  assert.equal(pooledBufferBytes(), 400);
  const fresh = freshBufferBytes();
  assert.notEqual(takeFloat32(200), b, 'a trimmed array is not handed out again');
  assert.equal(freshBufferBytes() - fresh, 800);
  clearBufferPool();
});

test('watchTakes: a pooled array handed out leaves the watched set; fresh arrays and other buffers do not touch it', () => {
  clearBufferPool();
  const a = takeFloat32(64);
  const b = takeFloat32(64);
  releaseFloat32([a]);
  const given = new Set<ArrayBufferLike>([a.buffer, b.buffer]);
  const before = watchTakes(given);
  try {
    const taken = takeFloat32(64);
    assert.equal(taken, a);
    assert.ok(!given.has(a.buffer), 'the array taken again must leave the set');
    assert.ok(given.has(b.buffer));
    takeFloat32(64); // fresh: the pool is empty
    assert.equal(given.size, 1);
  } finally {
    assert.equal(watchTakes(before), given);
  }
  releaseFloat32([b]);
  takeFloat32(64);
  assert.ok(given.has(b.buffer), 'after watching ends, takes leave the set alone');
  clearBufferPool();
});

test('a large request with no free array of its size takes the smallest free one up to 4x larger, as a view', () => {
  clearBufferPool();
  const n = 20_000;
  const [twice, thrice, five] = [takeFloat32(2 * n), takeFloat32(3 * n), takeFloat32(5 * n)];
  twice.fill(7);
  releaseFloat32([five, thrice, twice]);
  const fresh = freshBufferBytes();
  const view = takeFloat32(n);
  assert.equal(view.length, n);
  assert.equal(view.buffer, twice.buffer, 'the smallest larger free array');
  assert.ok(
    view.every((v) => v === 0),
    'zero-filled like any array handed out',
  );
  assert.equal(twice[n], 7, 'only the view is filled');
  assert.equal(freshBufferBytes(), fresh);
  assert.equal(pooledBufferBytes(), 8 * n * 4);
  // Over 4x (5n for n) is too wasteful: a fresh array instead; so is a small request.
  releaseFloat32([takeFloat32(3 * n)]);
  const other = takeFloat32(n);
  assert.equal(other.buffer, thrice.buffer);
  assert.notEqual(takeFloat32(n).buffer, five.buffer);
  assert.equal(freshBufferBytes() - fresh, n * 4);
  releaseFloat32([takeFloat32(100)]);
  assert.equal(takeFloat32(50).length, 50);
  // Giving the view back returns the whole array to the pool, under its own size.
  const pooled = pooledBufferBytes();
  releaseFloat32([view]);
  assert.equal(pooledBufferBytes(), pooled + 2 * n * 4);
  assert.equal(takeFloat32(2 * n), twice);
  clearBufferPool();
});

test('a new large array for a caller that writes it whole owns its buffer, so the pool takes it back; a zeroed one is zeros', () => {
  clearBufferPool();
  const n = 70_000;
  const fresh = freshBufferBytes();
  const unzeroed = takeFloat32(n, false);
  assert.equal(unzeroed.length, n);
  assert.equal(unzeroed.byteOffset, 0);
  assert.equal(unzeroed.buffer.byteLength, n * 4);
  assert.equal(freshBufferBytes() - fresh, n * 4);
  unzeroed.fill(3);
  releaseFloat32([unzeroed]);
  assert.equal(pooledBufferBytes(), n * 4);
  // Taken again zeroed, it is cleared; a new zeroed array is zeros too.
  const again = takeFloat32(n);
  assert.equal(again, unzeroed);
  assert.ok(again.every((v) => v === 0));
  assert.ok(takeFloat32(n).every((v) => v === 0));
  clearBufferPool();
});

// Skipped under NEURONA_DEBUG_POOL=1, which would fill the 4 GiB with NaN.
test('an unzeroed request past what a Node Buffer holds (4 GiB) is a plain array, not a Buffer error', { skip: POOL_DEBUG }, () => {
  clearBufferPool();
  // 2^30 + 16 floats is 4 GiB + 64 bytes: Node 20's Buffer.allocUnsafeSlow refuses it.
  let big: Float32Array | undefined;
  try {
    big = takeFloat32(2 ** 30 + 16, false);
  } catch (error) {
    // A machine without 4 GiB to spare fails in the engine's own allocation, never in Buffer's check.
    assert.ok(!String(error).includes('ERR_OUT_OF_RANGE'), String(error));
  }
  if (big) assert.equal(big.length, 2 ** 30 + 16);
  big = undefined;
  clearBufferPool();
});
