import { test } from 'node:test';
import { assert, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of the ops that move data. Their gradients are routing rules
 * (reshape back, inverse permutation, pad <-> slice, scatter-add for gather), so each case also
 * states the output shape it expects: a wrong shape would otherwise be "checked" consistently.
 */

function check(label: string, fn: (...xs: nr.Tensor[]) => nr.Tensor, inputs: nr.Tensor[], shape: number[]): void {
  const out = nr.noGrad(() => fn(...inputs));
  assert.deepEqual(out.shape, shape, `${label}: output shape`);
  gradCheck(fn, inputs, { label });
}

test('gradcheck shape: reshape (explicit and -1)', () => {
  nr.setSeed(400);
  const x = randomFloat64([2, 3, 4]);
  check('reshape [6,4]', (t) => nr.reshape(t, [6, 4]), [x], [6, 4]);
  check('reshape [-1,2]', (t) => nr.reshape(t, [-1, 2]), [x], [12, 2]);
  check('reshape [4,-1,1]', (t) => t.reshape([4, -1, 1]).mul(2), [x], [4, 6, 1]);
  check('reshape scalar to [1,1]', (t) => nr.reshape(t, [1, 1]), [randomFloat64([])], [1, 1]);
  // A reshape inside an expression whose other branch uses the original layout.
  check('reshape then add to a transpose', (t) => nr.reshape(t, [3, 2]).add(t.transpose()), [randomFloat64([2, 3])], [3, 2]);
});

test('gradcheck shape: flatten', () => {
  nr.setSeed(401);
  const x = randomFloat64([2, 3, 4]);
  check('flatten', (t) => nr.flatten(t), [x], [24]);
  check('flatten(1)', (t) => nr.flatten(t, 1), [x], [2, 12]);
  check('flatten(0, 1)', (t) => t.flatten(0, 1), [x], [6, 4]);
  check('flatten scalar', (t) => nr.flatten(t), [randomFloat64([])], [1]);
});

test('gradcheck shape: expandDims and squeeze', () => {
  nr.setSeed(402);
  const x = randomFloat64([3, 4]);
  check('expandDims 0', (t) => nr.expandDims(t, 0), [x], [1, 3, 4]);
  check('expandDims 1', (t) => nr.expandDims(t, 1), [x], [3, 1, 4]);
  check('expandDims -1', (t) => t.expandDims(-1), [x], [3, 4, 1]);
  const y = randomFloat64([1, 3, 1, 4]);
  check('squeeze all', (t) => nr.squeeze(t), [y], [3, 4]);
  check('squeeze axis 2', (t) => nr.squeeze(t, 2), [y], [1, 3, 4]);
  check('squeeze axes [0, -2]', (t) => t.squeeze([0, -2]), [y], [3, 4]);
  // Broadcasting against the squeezed result makes the incoming gradient non-trivial.
  check('squeeze then broadcast multiply', (t) => nr.squeeze(t).mul(t), [y], [1, 3, 3, 4]);
});

test('gradcheck shape: transpose (default, permutation, two axes)', () => {
  nr.setSeed(403);
  const x = randomFloat64([2, 3, 4]);
  check('transpose default', (t) => nr.transpose(t), [x], [4, 3, 2]);
  check('transpose [2,0,1]', (t) => nr.transpose(t, [2, 0, 1]), [x], [4, 2, 3]);
  check('transpose [1,2,0]', (t) => t.transpose([1, 2, 0]), [x], [3, 4, 2]);
  check('transpose [0,2,1]', (t) => t.transpose([0, 2, 1]), [x], [2, 4, 3]);
  check('transpose(0, 2)', (t) => nr.transpose(t, 0, 2), [x], [4, 3, 2]);
  check('transpose(-1, 1)', (t) => t.transpose(-1, 1), [x], [2, 4, 3]);
  check('transpose 4-D [3,1,0,2]', (t) => t.transpose([3, 1, 0, 2]), [randomFloat64([2, 3, 1, 5])], [5, 3, 2, 1]);
});

test('gradcheck shape: slice (with -1 sizes and negative begins)', () => {
  nr.setSeed(404);
  const x = randomFloat64([4, 5, 3]);
  check('slice [1,0,1] size [2,-1,-1]', (t) => nr.slice(t, [1, 0, 1], [2, -1, -1]), [x], [2, 5, 2]);
  check('slice [0,2] size [-1,2]', (t) => t.slice([0, 2], [-1, 2]), [x], [4, 2, 3]);
  check('slice begin 3 only', (t) => nr.slice(t, 3), [x], [1, 5, 3]);
  check('slice [-2,-3,0] size [1,2,3]', (t) => nr.slice(t, [-2, -3, 0], [1, 2, 3]), [x], [1, 2, 3]);
  // Two overlapping slices of one tensor: gradients must add where they overlap.
  check('overlapping slices', (t) => nr.slice(t, [0, 0, 0], [3, 5, 3]).mul(nr.slice(t, [1, 0, 0], [3, 5, 3])), [x], [3, 5, 3]);
});

test('gradcheck shape: pad', () => {
  nr.setSeed(405);
  check(
    'pad [[1,0],[2,1]]',
    (t) =>
      nr.pad(t, [
        [1, 0],
        [2, 1],
      ]),
    [randomFloat64([3, 4])],
    [4, 7],
  );
  check(
    'pad value 2.5 then square',
    (t) =>
      t
        .pad(
          [
            [0, 2],
            [1, 1],
            [0, 0],
          ],
          2.5,
        )
        .square(),
    [randomFloat64([2, 1, 3])],
    [4, 3, 3],
  );
  check('pad nothing', (t) => nr.pad(t, [[0, 0]]).mul(t), [randomFloat64([5])], [5]);
});

test('gradcheck shape: concat along axis 0 and 1 with three inputs', () => {
  nr.setSeed(406);
  const a = randomFloat64([2, 3]);
  const b = randomFloat64([1, 3]);
  const c = randomFloat64([4, 3]);
  check('concat axis 0', (x, y, z) => nr.concat([x, y, z], 0), [a, b, c], [7, 3]);
  const d = randomFloat64([2, 1]);
  const e = randomFloat64([2, 4]);
  check('concat axis 1', (x, y, z) => nr.concat([x, y, z], 1), [a, d, e], [2, 8]);
  check(
    'concat axis -1 of rank 3',
    (x, y, z) => nr.concat([x, y, z], -1).square(),
    [randomFloat64([2, 2, 1]), randomFloat64([2, 2, 3]), randomFloat64([2, 2, 2])],
    [2, 2, 6],
  );
  check('concat of a tensor with itself', (x) => nr.concat([x, x.exp(), x], 1), [randomFloat64([2, 2])], [2, 6]);
});

test('gradcheck shape: stack', () => {
  nr.setSeed(407);
  const xs = [randomFloat64([2, 3]), randomFloat64([2, 3]), randomFloat64([2, 3])];
  check('stack axis 0', (x, y, z) => nr.stack([x, y, z]), xs, [3, 2, 3]);
  check('stack axis 1', (x, y, z) => nr.stack([x, y, z], 1), xs, [2, 3, 3]);
  check('stack axis -1', (x, y, z) => nr.stack([x, y, z], -1).mul(x.expandDims(-1)), xs, [2, 3, 3]);
});

test('gradcheck shape: broadcastTo', () => {
  nr.setSeed(408);
  check('broadcastTo [3,1] -> [2,3,4]', (t) => nr.broadcastTo(t, [2, 3, 4]), [randomFloat64([3, 1])], [2, 3, 4]);
  check('broadcastTo [4] -> [2,3,4]', (t) => t.broadcastTo([2, 3, 4]), [randomFloat64([4])], [2, 3, 4]);
  check('broadcastTo [] -> [2,2]', (t) => nr.broadcastTo(t, [2, 2]), [randomFloat64([])], [2, 2]);
  check('broadcastTo [1,5,1] -> [3,5,2]', (t) => nr.broadcastTo(t, [3, 5, 2]), [randomFloat64([1, 5, 1])], [3, 5, 2]);
});

test('gradcheck shape: gather (repeated indices, axis 0 and 1, 2-D indices)', () => {
  nr.setSeed(409);
  const x = randomFloat64([4, 3]);
  check('gather axis 0 repeated', (t) => nr.gather(t, [2, 0, 2, 2, 3]), [x], [5, 3]);
  check('gather axis 1 repeated', (t) => t.gather([1, 1, 0], 1), [x], [4, 3]);
  const idx2 = nr.tensor(
    [
      [0, 3, 3],
      [1, 0, 3],
    ],
    undefined,
    'int32',
  );
  check('gather axis 0 with 2-D indices', (t) => nr.gather(t, idx2), [x], [2, 3, 3]);
  const y = randomFloat64([2, 4, 3]);
  check('gather axis 1 of rank 3 with 2-D indices', (t) => nr.gather(t, idx2, 1), [y], [2, 2, 3, 3]);
  check('gather axis -1', (t) => nr.gather(t, [2, 2, 0, 1], -1).square(), [y], [2, 4, 4]);
});

test('gather accumulates the gradient of repeated indices (scatter-add)', () => {
  const x = nr.tensor([10, 20, 30, 40], undefined, 'float64');
  x.requiresGrad = true;
  const picked = nr.gather(x, [2, 0, 2, 2]);
  assert.deepEqual(Array.from(picked.data()), [30, 10, 30, 30]);
  picked
    .mul(nr.tensor([1, 2, 3, 4], undefined, 'float64'))
    .sum()
    .backward();
  assert.deepEqual(Array.from(x.grad!.data()), [2, 0, 1 + 3 + 4, 0]);
});

test('gradcheck shape: a chain of shape ops (transpose, slice, pad, reshape, concat)', () => {
  nr.setSeed(410);
  const fn = (t: nr.Tensor) => {
    const u = t
      .transpose([1, 0, 2])
      .slice([0, 1, 0], [-1, 1, -1])
      .pad([
        [0, 0],
        [1, 1],
        [0, 0],
      ]);
    return nr.concat([u.reshape([3, -1]), t.reshape([3, -1]).mul(t.reshape([3, -1]))], 1);
  };
  check('chain', fn, [randomFloat64([2, 3, 2])], [3, 10]);
});
