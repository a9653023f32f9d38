import { test } from 'node:test';
import { assert, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central differences of the fused recurrent op for each cell, through every input it
 * differentiates (x, kernel, recurrent kernel, bias, initial states), with and without a mask
 * (padding at both ends and a fully masked row) and goBackwards.
 */

const CELLS = [
  ['lstm', 4, 2],
  ['gru', 3, 1],
  ['simpleRnn', 1, 1],
] as const;
const [BATCH, TIME, IN, UNITS] = [3, 4, 2, 3];
const MASK = nr.tensor(
  [
    [1, 1, 1, 0],
    [0, 1, 1, 1],
    [0, 0, 0, 0],
  ],
  undefined,
  'float64',
);

for (const [cell, gates, nStates] of CELLS) {
  for (const [label, options] of [
    ['plain', {}],
    ['masked', { mask: MASK }],
    ['goBackwards, masked', { mask: MASK, goBackwards: true }],
    ['zeroOutputForMask', { mask: MASK, zeroOutputForMask: true }],
  ] as const) {
    test(`gradcheck recurrent ${cell}: ${label}`, () => {
      nr.setSeed(1800 + gates);
      const x = randomFloat64([BATCH, TIME, IN], -1, 1);
      const w = randomFloat64([IN, gates * UNITS], -0.8, 0.8);
      const u = randomFloat64([UNITS, gates * UNITS], -0.8, 0.8);
      const b = randomFloat64(cell === 'gru' ? [2, gates * UNITS] : [gates * UNITS], -0.5, 0.5);
      const states = Array.from({ length: nStates }, () => randomFloat64([BATCH, UNITS], -1, 1));
      gradCheck(
        (xx, ww, uu, bb, ...ss) => nr.recurrentPacked(cell, xx!, ww!, uu!, bb!, { ...options, initialState: ss }),
        [x, w, u, b, ...states],
        { label: `${cell} ${label}` },
      );
    });
  }
}

test('recurrent: a fully masked row keeps its initial states and outputs zeros (no earlier output to repeat)', () => {
  const x = randomFloat64([3, 4, 2], -1, 1);
  const h0 = randomFloat64([3, 3], -1, 1);
  const c0 = randomFloat64([3, 3], -1, 1);
  const { sequence, states } = nr.recurrent('lstm', x, randomFloat64([2, 12], -1, 1), randomFloat64([3, 12]), null, {
    mask: MASK,
    initialState: [h0, c0],
  });
  const zeros = [0, 0, 0];
  assert.deepEqual((sequence.toArray() as number[][][])[2], [zeros, zeros, zeros, zeros]);
  assert.deepEqual((states[0]!.toArray() as number[][])[2], (h0.toArray() as number[][])[2]);
  assert.deepEqual((states[1]!.toArray() as number[][])[2], (c0.toArray() as number[][])[2]);
});
