import { test } from 'node:test';
import { assert, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of the broadcasting binary ops and `where`. Each op is checked
 * on equal shapes, on shapes that broadcast both ways ([3,1,4] with [1,5,1]), on a lower-rank
 * operand ([4] with [2,3,4]) and with a scalar tensor ([]), so the gradient's reduction back to each
 * input's shape (unbroadcast) is exercised on both sides.
 */

const PAIRS: [number[], number[]][] = [
  [
    [2, 3],
    [2, 3],
  ],
  [
    [3, 1, 4],
    [1, 5, 1],
  ],
  [[4], [2, 3, 4]],
  [[2, 3, 4], [4]],
  [[], [2, 3]],
  [[3, 2], []],
  [[], []],
];

interface Case {
  name: string;
  fn: (a: nr.Tensor, b: nr.Tensor) => nr.Tensor;
  a: (shape: number[]) => nr.Tensor;
  b: (shape: number[]) => nr.Tensor;
}

const anyReal = (shape: number[]) => randomFloat64(shape, -2, 2);
const awayFromZero = (shape: number[]) => {
  const x = randomFloat64(shape, -2, 2);
  const d = x.data();
  for (let i = 0; i < d.length; i++) d[i] = (d[i]! < 0 ? -1 : 1) * (0.4 + Math.abs(d[i]!));
  return x;
};

const CASES: Case[] = [
  { name: 'add', fn: (a, b) => nr.add(a, b), a: anyReal, b: anyReal },
  { name: 'sub', fn: (a, b) => nr.sub(a, b), a: anyReal, b: anyReal },
  { name: 'mul', fn: (a, b) => nr.mul(a, b), a: anyReal, b: anyReal },
  { name: 'div', fn: (a, b) => nr.div(a, b), a: anyReal, b: awayFromZero },
  { name: 'pow (positive base)', fn: (a, b) => nr.pow(a, b), a: (s) => randomFloat64(s, 0.5, 2), b: (s) => randomFloat64(s, -2, 2) },
  { name: 'add method', fn: (a, b) => a.add(b).mul(b), a: anyReal, b: anyReal },
];

CASES.forEach((c, k) => {
  test(`gradcheck binary: ${c.name}`, () => {
    nr.setSeed(200 + k);
    for (const [sa, sb] of PAIRS) {
      gradCheck(c.fn, [c.a(sa), c.b(sb)], { label: `${c.name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}` });
    }
  });
});

test('gradcheck binary: ops with a plain number operand on either side', () => {
  nr.setSeed(210);
  const x = randomFloat64([2, 3], 0.5, 2);
  gradCheck((t) => nr.sub(1.5, t), [x], { label: '1.5 - x' });
  gradCheck((t) => nr.div(2, t), [x], { label: '2 / x' });
  gradCheck((t) => nr.pow(t, 3), [x], { label: 'x ** 3' });
  gradCheck((t) => nr.pow(t, -0.5), [x], { label: 'x ** -0.5' });
  gradCheck((t) => nr.pow(2.5, t), [x], { label: '2.5 ** x' });
  gradCheck((t) => t.mul(t), [x], { label: 'x * x (same tensor twice)' });
  gradCheck((t) => t.div(t.add(1)), [x], { label: 'x / (x + 1)' });
});

/** Fails unless every broadcast pair of a and b differs by more than `gap` (no ties, no near-ties). */
function assertNoTies(a: nr.Tensor, b: nr.Tensor, gap = 1e-3): void {
  const closest = nr.noGrad(() => nr.abs(nr.sub(a, b)).min().item());
  assert.ok(closest > gap, `test inputs must not (nearly) tie: closest pair differs by ${closest}`);
}

for (const op of ['maximum', 'minimum'] as const) {
  test(`gradcheck binary: ${op} with no ties`, () => {
    nr.setSeed(op === 'maximum' ? 220 : 221);
    for (const [sa, sb] of PAIRS) {
      const a = randomFloat64(sa, -1, 1);
      // b sits on a grid offset from a's range so that pairs never come within finite-difference reach.
      const b = randomFloat64(sb, -1, 1);
      const bd = b.data();
      for (let i = 0; i < bd.length; i++) bd[i] = Math.round(bd[i]! * 4) / 4 + 0.0625;
      const ad = a.data();
      for (let i = 0; i < ad.length; i++) ad[i] = Math.round(ad[i]! * 4) / 4 + (Math.abs(ad[i]! * 7919) % 0.1) + 0.1;
      assertNoTies(a, b);
      const fn = op === 'maximum' ? (x: nr.Tensor, y: nr.Tensor) => nr.maximum(x, y) : (x: nr.Tensor, y: nr.Tensor) => nr.minimum(x, y);
      gradCheck(fn, [a, b], { label: `${op} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}` });
    }
  });
}

test('maximum and minimum split the gradient 0.5/0.5 at ties, like PyTorch', () => {
  for (const op of ['maximum', 'minimum'] as const) {
    const a = nr.tensor([1, 2, 3, -1], undefined, 'float64');
    const b = nr.tensor([1, 0, 3, 5], undefined, 'float64');
    a.requiresGrad = true;
    b.requiresGrad = true;
    const out = op === 'maximum' ? nr.maximum(a, b) : nr.minimum(a, b);
    assert.deepEqual(Array.from(out.data()), op === 'maximum' ? [1, 2, 3, 5] : [1, 0, 3, -1]);
    out
      .mul(nr.tensor([1, 10, 100, 1000], undefined, 'float64'))
      .sum()
      .backward();
    // torch.maximum(a, b): grad_a = g * (a > b) + g/2 * (a == b).
    const wantA = op === 'maximum' ? [0.5, 10, 50, 0] : [0.5, 0, 50, 1000];
    const wantB = op === 'maximum' ? [0.5, 0, 50, 1000] : [0.5, 10, 50, 0];
    assert.deepEqual(Array.from(a.grad!.data()), wantA, `${op}: gradient of a`);
    assert.deepEqual(Array.from(b.grad!.data()), wantB, `${op}: gradient of b`);
  }
});

test('maximum against a broadcast scalar: ties with the scalar also split', () => {
  const a = nr.tensor(
    [
      [0, 1],
      [2, 0],
    ],
    undefined,
    'float64',
  );
  const b = nr.tensor(0, undefined, 'float64');
  a.requiresGrad = true;
  b.requiresGrad = true;
  nr.maximum(a, b).sum().backward();
  assert.deepEqual(Array.from(a.grad!.data()), [0.5, 1, 1, 0.5]);
  assert.deepEqual(b.grad!.shape, []);
  assert.equal(b.grad!.item(), 1);
});

test('gradcheck binary: where with a bool condition, broadcasting', () => {
  nr.setSeed(230);
  const cases: [number[], number[], number[]][] = [
    [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    [[2, 1, 4], [3, 1], []],
    [
      [3, 1],
      [1, 4],
      [2, 3, 4],
    ],
    [[], [2, 3], [3]],
  ];
  for (const [sc, sa, sb] of cases) {
    const condition = nr.randu(sc, { dtype: 'float64' }).greater(0.5);
    assert.equal(condition.dtype, 'bool');
    const a = randomFloat64(sa);
    const b = randomFloat64(sb);
    gradCheck((x, y) => nr.where(condition, x, y), [a, b], { label: `where ${JSON.stringify([sc, sa, sb])}` });
    gradCheck((x, y) => nr.where(condition, x.square(), y.exp()), [a, b], { label: `where of ops ${JSON.stringify([sc, sa, sb])}` });
  }
});

test('where routes the gradient by the condition, summing over broadcast axes', () => {
  const condition = nr.tensor([
    [true, false, true],
    [false, false, true],
  ]);
  const a = nr.tensor([1, 2, 3], undefined, 'float64');
  const b = nr.tensor(7, undefined, 'float64');
  a.requiresGrad = true;
  b.requiresGrad = true;
  nr.where(condition, a, b).sum().backward();
  assert.deepEqual(Array.from(a.grad!.data()), [1, 0, 2]);
  assert.deepEqual(b.grad!.shape, []);
  assert.equal(b.grad!.item(), 3);
});
