import { test } from 'node:test';
import { assert, assertClose, awayFromZero, gradGradCheck, nr, randomFloat64 } from '../helpers.js';
import { record } from '../../src/tensor/index.js';

/*
 * Higher-order gradients: second derivatives of every elementwise, activation, binary, reduction,
 * shape and matmul op of the first-order gradcheck suite, checked in float64 against central
 * differences of first-order gradients (gradGradCheck, a Hessian-vector product), plus closed
 * forms, the API forms (nested grad, backward({createGraph}), grad options) and the error for an op
 * without a differentiable gradient rule. Convolutions, pooling, normalization and models are in
 * higher-order-conv.test.ts.
 */

const SHAPES: number[][] = [[], [5], [3, 1, 4]];
const anyReal = (shape: number[]) => randomFloat64(shape, -2, 2);
const positive = (shape: number[]) => randomFloat64(shape, 0.3, 2.5);

const UNARY: [string, (x: nr.Tensor) => nr.Tensor, (shape: number[]) => nr.Tensor][] = [
  ['neg', (x) => nr.neg(x), anyReal],
  ['abs', (x) => nr.abs(x), (s) => awayFromZero(s, 0.05, 1)],
  ['exp', (x) => nr.exp(x), anyReal],
  ['expm1', (x) => nr.expm1(x), anyReal],
  ['log', (x) => nr.log(x), positive],
  ['log1p', (x) => nr.log1p(x), (s) => randomFloat64(s, -0.7, 2)],
  ['sqrt', (x) => nr.sqrt(x), positive],
  ['rsqrt', (x) => nr.rsqrt(x), positive],
  ['square', (x) => nr.square(x), anyReal],
  ['reciprocal', (x) => nr.reciprocal(x), positive],
  ['reciprocal (negative inputs)', (x) => nr.reciprocal(x), (s) => randomFloat64(s, -2.5, -0.3)],
  ['sin', (x) => nr.sin(x), (s) => randomFloat64(s, -3, 3)],
  ['cos', (x) => nr.cos(x), (s) => randomFloat64(s, -3, 3)],
  ['tanh', (x) => nr.tanh(x), (s) => randomFloat64(s, -3, 3)],
  ['method chain x.exp().sin().tanh()', (x) => x.exp().sin().tanh(), anyReal],
  ['composition x * sin(x) + exp(-x^2)', (x) => x.mul(x.sin()).add(x.square().neg().exp()), anyReal],
  ['cast float64 and clone', (x) => nr.clone(nr.cast(x, 'float64')).mul(x), anyReal],
  ['sigmoid', (x) => nr.sigmoid(x), (s) => randomFloat64(s, -4, 4)],
  ['sigmoid (|x| from 5 to 12)', (x) => nr.sigmoid(x), (s) => awayFromZero(s, 5, 7)],
  ['relu', (x) => nr.relu(x), (s) => awayFromZero(s)],
  ['leakyRelu (default alpha)', (x) => nr.leakyRelu(x), (s) => awayFromZero(s)],
  ['leakyRelu (alpha 0.2)', (x) => nr.leakyRelu(x, 0.2), (s) => awayFromZero(s)],
  ['elu (default alpha)', (x) => nr.elu(x), (s) => awayFromZero(s)],
  ['elu (alpha 0.5)', (x) => x.elu(0.5), (s) => awayFromZero(s)],
  ['softplus', (x) => nr.softplus(x), (s) => randomFloat64(s, -4, 4)],
  ['softplus (|x| from 15 to 17)', (x) => x.softplus(), (s) => awayFromZero(s, 15)],
  ['relu method then square', (x) => x.relu().square(), (s) => awayFromZero(s)],
];

UNARY.forEach(([name, fn, input], k) => {
  test(`second derivatives, unary: ${name}`, () => {
    nr.setSeed(1100 + k);
    for (const shape of SHAPES) gradGradCheck(fn, [input(shape)], { label: `${name} ${JSON.stringify(shape)}` });
  });
});

test('second derivatives, unary: clip away from the bounds (inside and outside)', () => {
  nr.setSeed(1150);
  const x = nr.tensor([-1.2, -0.3, 0.1, 0.45, 0.9, -0.7], [2, 3], 'float64');
  gradGradCheck((t) => nr.clip(t, -0.5, 0.5).mul(t), [x], { label: 'clip' });
});

test('second derivatives, softmax and logSoftmax along every axis', () => {
  nr.setSeed(1160);
  for (const axis of [0, 1, -1]) {
    const x = randomFloat64([2, 3, 4], -3, 3);
    gradGradCheck((t) => nr.softmax(t, axis), [x], { label: `softmax axis ${axis}` });
    gradGradCheck((t) => nr.logSoftmax(t, axis), [x], { label: `logSoftmax axis ${axis}` });
  }
});

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
  [[], [2, 3]],
  [[3, 2], []],
];
const awayFromZeroBig = (shape: number[]) => awayFromZero(shape, 0.4, 1.6);

const BINARY: [string, (a: nr.Tensor, b: nr.Tensor) => nr.Tensor, (s: number[]) => nr.Tensor, (s: number[]) => nr.Tensor][] = [
  ['add', (a, b) => nr.add(a, b), anyReal, anyReal],
  ['sub', (a, b) => nr.sub(a, b), anyReal, anyReal],
  ['mul', (a, b) => nr.mul(a, b), anyReal, anyReal],
  ['div', (a, b) => nr.div(a, b), anyReal, awayFromZeroBig],
  ['pow (positive base)', (a, b) => nr.pow(a, b), (s) => randomFloat64(s, 0.5, 2), (s) => randomFloat64(s, -2, 2)],
  ['add method', (a, b) => a.add(b).mul(b), anyReal, anyReal],
];

BINARY.forEach(([name, fn, a, b], k) => {
  test(`second derivatives, binary: ${name}`, () => {
    nr.setSeed(1200 + k);
    for (const [sa, sb] of PAIRS) gradGradCheck(fn, [a(sa), b(sb)], { label: `${name} ${JSON.stringify(sa)} with ${JSON.stringify(sb)}` });
  });
});

test('second derivatives, binary: plain number operands', () => {
  nr.setSeed(1210);
  const x = randomFloat64([2, 3], 0.5, 2);
  for (const [label, fn] of [
    ['1.5 - x', (t: nr.Tensor) => nr.sub(1.5, t)],
    ['2 / x', (t: nr.Tensor) => nr.div(2, t)],
    ['x ** 3', (t: nr.Tensor) => nr.pow(t, 3)],
    ['x ** -0.5', (t: nr.Tensor) => nr.pow(t, -0.5)],
    ['2.5 ** x', (t: nr.Tensor) => nr.pow(2.5, t)],
    ['x / (x + 1)', (t: nr.Tensor) => t.div(t.add(1))],
  ] as const)
    gradGradCheck(fn, [x], { label });
});

test('second derivatives, binary: maximum and minimum without ties, and where', () => {
  nr.setSeed(1220);
  const a = nr.tensor([0.3, -0.8, 1.1, 0.05, -0.4, 0.7], [2, 3], 'float64');
  const b = nr.tensor([0.6, -0.2, 0.4], [3], 'float64');
  gradGradCheck((x, y) => nr.maximum(x, y), [a, b], { label: 'maximum' });
  gradGradCheck((x, y) => nr.minimum(x, y), [a, b], { label: 'minimum' });
  const condition = nr.tensor([
    [true, false, true],
    [false, false, true],
  ]);
  gradGradCheck((x, y) => nr.where(condition, x.square(), y.exp()), [a, b], { label: 'where of ops' });
  gradGradCheck((x, y) => nr.where(condition, x, y), [a, randomFloat64([])], { label: 'where broadcasting a scalar' });
});

/** Distinct values with gaps well above the finite-difference step, so max/min never tie. */
function distinctValues(shape: number[]): nr.Tensor {
  const n = shape.reduce((p, d) => p * d, 1);
  const keys = randomFloat64([n]).data();
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => keys[i]! - keys[j]!);
  const values = new Array<number>(n);
  order.forEach((src, rank) => {
    values[src] = -1 + (2 * rank) / n + (0.3 / n) * Math.abs(Math.sin(src));
  });
  return nr.tensor(values, shape, 'float64');
}

type Reduction = (x: nr.Tensor, axes?: number | number[], keepDims?: boolean) => nr.Tensor;
const REDUCTIONS: [string, Reduction][] = [
  ['sum', (x, axes, keep) => nr.sum(x, axes, keep)],
  ['mean', (x, axes, keep) => nr.mean(x, axes, keep)],
  ['max', (x, axes, keep) => nr.max(x, axes, keep)],
  ['min', (x, axes, keep) => nr.min(x, axes, keep)],
  ['logsumexp', (x, axes, keep) => nr.logsumexp(x, axes, keep)],
];

REDUCTIONS.forEach(([name, reduce], k) => {
  test(`second derivatives, reduce: ${name} over all, one, adjacent and non-adjacent axes`, () => {
    nr.setSeed(1300 + k);
    for (const [axes, keepDims] of [
      [undefined, false],
      [1, false],
      [-1, true],
      [[0, 1], false],
      [[0, 2], true],
    ] as const) {
      gradGradCheck((t) => reduce(t, axes as number | number[] | undefined, keepDims), [distinctValues([2, 3, 4])], {
        label: `${name} axes ${JSON.stringify(axes)} keepDims ${keepDims}`,
      });
    }
    gradGradCheck((t) => reduce(t.mul(t), -1, true).mul(t).sum(0), [distinctValues([3, 4])], { label: `${name} in a chain` });
  });
});

test('second derivatives, shape ops: reshape, flatten, expandDims, squeeze, transpose, broadcastTo', () => {
  nr.setSeed(1400);
  const x = randomFloat64([2, 3, 4]);
  gradGradCheck((t) => nr.reshape(t, [6, 4]).mul(t.reshape([-1, 4])), [x], { label: 'reshape' });
  gradGradCheck((t) => nr.flatten(t, 1).exp(), [x], { label: 'flatten' });
  gradGradCheck((t) => nr.squeeze(nr.expandDims(t, 1)).mul(t), [x], { label: 'expandDims and squeeze' });
  gradGradCheck((t) => nr.transpose(t, [2, 0, 1]).mul(t.transpose(0, 1).transpose([2, 1, 0])), [x], { label: 'transpose' });
  gradGradCheck((t) => nr.broadcastTo(t, [2, 3, 4]).mul(t), [randomFloat64([3, 1])], { label: 'broadcastTo' });
});

test('second derivatives, shape ops: slice, pad, concat, stack, gather with repeated indices, a chain', () => {
  nr.setSeed(1401);
  const x = randomFloat64([4, 5, 3]);
  gradGradCheck((t) => nr.slice(t, [0, 0, 0], [3, 5, 3]).mul(nr.slice(t, [1, 0, 0], [3, 5, 3])), [x], { label: 'overlapping slices' });
  gradGradCheck(
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
    { label: 'pad' },
  );
  gradGradCheck((a, b) => nr.concat([a, b, a.exp()], 0), [randomFloat64([2, 3]), randomFloat64([1, 3])], { label: 'concat' });
  gradGradCheck((a, b) => nr.stack([a, b], -1).mul(a.expandDims(-1)), [randomFloat64([2, 3]), randomFloat64([2, 3])], { label: 'stack' });
  const y = randomFloat64([4, 3]);
  gradGradCheck((t) => nr.gather(t, [2, 0, 2, 2, 3]), [y], { label: 'gather axis 0' });
  gradGradCheck((t) => t.gather([1, 1, 0], 1).mul(t), [y], { label: 'gather axis 1' });
  gradGradCheck(
    (t) => {
      const u = t
        .transpose([1, 0, 2])
        .slice([0, 1, 0], [-1, 1, -1])
        .pad([
          [0, 0],
          [1, 1],
          [0, 0],
        ]);
      return nr.concat([u.reshape([3, -1]), t.reshape([3, -1]).mul(t.reshape([3, -1]))], 1);
    },
    [randomFloat64([2, 3, 2])],
    { label: 'chain' },
  );
});

const MATMUL: [string, number[], number[], nr.MatmulOptions?][] = [
  ['2-D', [3, 4], [4, 5]],
  ['transposeA', [4, 3], [4, 5], { transposeA: true }],
  ['transposeB', [3, 4], [5, 4], { transposeB: true }],
  ['both transposed', [4, 3], [5, 4], { transposeA: true, transposeB: true }],
  ['1-D on the left', [4], [4, 5]],
  ['1-D dot 1-D', [4], [4]],
  ['batched', [3, 2, 4], [3, 4, 5]],
  ['batch broadcasting', [2, 1, 3, 4], [5, 4, 2]],
  ['batched both transposed, broadcast', [1, 4, 3], [2, 5, 4], { transposeA: true, transposeB: true }],
];

test('second derivatives, matmul in every form (and x @ x, a chain)', () => {
  nr.setSeed(1500);
  for (const [name, sa, sb, options] of MATMUL) {
    gradGradCheck((a, b) => nr.matmul(a, b, options), [randomFloat64(sa), randomFloat64(sb)], { label: `matmul ${name}` });
  }
  gradGradCheck((x) => x.matmul(x, { transposeB: true }), [randomFloat64([3, 3])], { label: 'x @ x^T' });
  gradGradCheck((x, y) => x.matmul(y).tanh().matmul(y, { transposeB: true }), [randomFloat64([3, 3]), randomFloat64([3, 2])], {
    label: 'chain',
  });
});

test('second derivatives, linear (the fused dense op) with every activation, rank 3, no bias', () => {
  nr.setSeed(1510);
  for (const activation of ['linear', 'sigmoid', 'tanh'] as const) {
    const [x, w, b] = [randomFloat64([4, 3]), randomFloat64([3, 2]), randomFloat64([2])];
    gradGradCheck((xx, ww, bb) => nr.linear(xx, ww, bb, activation), [x, w, b], { label: `linear ${activation}` });
    gradGradCheck((xx, ww) => nr.linear(xx, ww, null, activation), [randomFloat64([2, 2, 3]), w], { label: `linear ${activation} rank 3` });
  }
  // relu away from its kink: positive inputs, one all-positive and one all-negative unit.
  const w = nr.tensor(
    [
      [0.5, -0.4],
      [0.3, -0.9],
      [0.8, -0.2],
    ],
    undefined,
    'float64',
  );
  gradGradCheck(
    (xx, ww, bb) => nr.linear(xx, ww, bb, 'relu'),
    [randomFloat64([4, 3], 0.5, 1.5), w, nr.tensor([0.1, -0.1], undefined, 'float64')],
    { label: 'linear relu' },
  );
});

test('second derivatives, categorical crossentropy on a softmax (the fused gradient to the logits)', () => {
  nr.setSeed(1520);
  const targets = nr.tensor(
    [
      [0, 1, 0],
      [0.2, 0.3, 0.5],
    ],
    undefined,
    'float64',
  );
  const fused = new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.CategoricalCrossentropy());
  gradGradCheck((z) => fused.fn(targets, z.softmax(), z), [randomFloat64([2, 3], -2, 2)], { label: 'fused crossentropy(softmax)' });
  gradGradCheck((z) => nr.losses.categoricalCrossentropy(targets, z.softmax()), [randomFloat64([2, 3], -2, 2)], {
    label: 'crossentropy(softmax)',
  });
  gradGradCheck((z) => nr.losses.categoricalCrossentropy(targets, z, { fromLogits: true }), [randomFloat64([2, 3], -2, 2)], {
    label: 'from logits',
  });
});

test("closed forms: d2(x^3) = 6x, sin'' = -sin, exp'' = exp, log'' = -1/x^2, and d3(x^4) = 24x", () => {
  const x = nr.tensor([2, -0.5, 1.25], undefined, 'float64');
  const second = (f: (t: nr.Tensor) => nr.Tensor) =>
    nr.grad((t) =>
      nr
        .grad((u) => f(u).sum())(t)[0]!
        .sum(),
    )(x)[0]!;
  const xs = Array.from(x.data());
  assertClose(
    second((t) => t.pow(3)),
    xs.map((v) => 6 * v),
    { rtol: 1e-12 },
  );
  assertClose(
    second((t) => t.mul(t).mul(t)),
    xs.map((v) => 6 * v),
    { rtol: 1e-12 },
  );
  assertClose(
    second((t) => t.sin()),
    xs.map((v) => -Math.sin(v)),
    { rtol: 1e-12 },
  );
  assertClose(
    second((t) => t.exp()),
    xs.map((v) => Math.exp(v)),
    { rtol: 1e-12 },
  );
  assertClose(
    second((t) => t.abs().add(1).log()),
    xs.map((v) => -1 / (Math.abs(v) + 1) ** 2),
    { rtol: 1e-12 },
  );
  assertClose(
    second((t) => t.tanh()),
    xs.map((v) => -2 * Math.tanh(v) * (1 - Math.tanh(v) ** 2)),
    { rtol: 1e-12 },
  );
  const third = nr.grad((a) =>
    nr
      .grad((b) =>
        nr
          .grad((c) => c.pow(4).sum())(b)[0]!
          .sum(),
      )(a)[0]!
      .sum(),
  )(x)[0]!;
  assertClose(
    third,
    xs.map((v) => 24 * v),
    { rtol: 1e-12 },
  );
  // The example, float64 scalar: 12.
  assert.equal(
    nr
      .grad((t) =>
        nr
          .grad((y) => y.pow(3).sum())(t)[0]!
          .sum(),
      )(nr.tensor([2], undefined, 'float64'))[0]!
      .item(),
    12,
  );
});

test('Hessian-vector product of f(x) = x^T A x / 2 + sum(x^4) / 12 is A_sym v + x^2 v, and matches differences of gradients', () => {
  nr.setSeed(1600);
  const a = randomFloat64([4, 4]);
  const x = randomFloat64([4]);
  const v = randomFloat64([4]);
  const f = (t: nr.Tensor) => t.matmul(a).mul(t).sum().mul(0.5).add(t.pow(4).sum().div(12));
  const hvp = nr.grad((t) => nr.grad(f)(t)[0]!.mul(v).sum())(x)[0]!;
  const ad = a.data();
  const xd = x.data();
  const vd = v.data();
  const expected = [0, 1, 2, 3].map(
    (i) => [0, 1, 2, 3].reduce((s, j) => s + 0.5 * (ad[i * 4 + j]! + ad[j * 4 + i]!) * vd[j]!, 0) + xd[i]! ** 2 * vd[i]!,
  );
  assertClose(hvp, expected, { rtol: 1e-12, atol: 1e-14 });
  // (grad f(x + e v) - grad f(x - e v)) / 2e
  const e = 1e-5;
  const at = (sign: number) =>
    nr
      .grad(f)(x.add(v.mul(sign * e)))[0]!
      .data();
  const plus = at(1);
  const minus = at(-1);
  assertClose(
    hvp,
    Array.from(plus, (p, i) => (p - minus[i]!) / (2 * e)),
    { rtol: 1e-7, atol: 1e-9 },
  );
});

test('valueAndGrad nested: the inner value and gradients are differentiable', () => {
  const x = nr.tensor([0.5, 2], undefined, 'float64');
  // d/dx [value + sum(grad)] of f = sum(x^3): 3x^2 + 6x.
  const [g] = nr.grad((t) => {
    const { value, grads } = nr.valueAndGrad((u) => u.pow(3).sum())(t);
    return value.add(grads[0]!.sum());
  })(x);
  assertClose(g!, [3 * 0.25 + 3, 12 + 12], { rtol: 1e-12 });
  // The arguments' requiresGrad is left as it was.
  assert.equal(x.requiresGrad, false);
});

test('backward({createGraph: true}): .grad is differentiable and a second backward adds the second derivative', () => {
  const x = nr.tensor([1.5, -0.5], undefined, 'float64');
  x.requiresGrad = true;
  x.pow(3).sum().backward({ createGraph: true });
  const first = x.grad!;
  assert.equal(first.requiresGrad, true);
  assertClose(first, [6.75, 0.75], { rtol: 1e-12 });
  x.grad = null;
  first.sum().backward();
  assertClose(x.grad!, [9, -3], { rtol: 1e-12 });
  // With an explicit output gradient too: d/dx sum(g * d/dx x^2) with g = [2, 3] -> 2 * g.
  const y = nr.tensor([1, 1], undefined, 'float64');
  y.requiresGrad = true;
  y.square().backward(nr.tensor([2, 3], undefined, 'float64'), { createGraph: true });
  const gy = y.grad!;
  y.grad = null;
  gy.sum().backward();
  assertClose(y.grad!, [4, 6], { rtol: 1e-12 });
});

test('grad options: createGraph true at the top level, false when nested', () => {
  const w = nr.tensor([3], undefined, 'float64');
  w.requiresGrad = true;
  // d/dx (w x^2) = 2 w x, which depends on w: its derivative with respect to w is 2x.
  const [dx] = nr.grad((x) => x.square().mul(w).sum(), { createGraph: true })(nr.tensor([2], undefined, 'float64'));
  assert.equal(dx!.requiresGrad, true);
  dx!.sum().backward();
  assert.equal(w.grad!.item(), 4);
  // First-order by default at the top level: the gradient is a constant.
  const [plain] = nr.grad((x) => x.square().mul(w).sum())(nr.tensor([2], undefined, 'float64'));
  assert.equal(plain!.requiresGrad, false);
  // createGraph false inside another grad opts out (PyTorch's autograd.grad default): a constant.
  const [outer] = nr.grad((x) =>
    nr
      .grad((y) => y.pow(3).sum(), { createGraph: false })(x)[0]!
      .mul(x)
      .sum(),
  )(nr.tensor([2], undefined, 'float64'));
  assert.equal(outer!.item(), 12);
});

test('a higher-order gradient through an op without a differentiable rule raises naming the op', () => {
  // A custom op recorded with a kernel-style rule that does not build its result from ops.
  const twice = (t: nr.Tensor) =>
    record(
      'customTwice',
      nr.noGrad(() => t.mul(2)),
      [t],
      (g) => [nr.noGrad(() => g.mul(2))],
    );
  const x = nr.tensor([1, 2], undefined, 'float64');
  assert.deepEqual(
    Array.from(
      nr
        .grad((t) => twice(t).square().sum())(x)[0]!
        .data(),
    ),
    [8, 16],
    'first order works',
  );
  assert.throws(
    () =>
      nr.grad((t) =>
        nr
          .grad((u) => twice(u).square().sum())(t)[0]!
          .sum(),
      )(x),
    (e: unknown) => e instanceof nr.NeuronaError && /'customTwice'/.test((e as Error).message) && /higher-order/.test((e as Error).message),
  );
  const y = nr.tensor([1, 2], undefined, 'float64');
  y.requiresGrad = true;
  assert.throws(() => twice(y).square().sum().backward({ createGraph: true }), /'customTwice'/);
});
