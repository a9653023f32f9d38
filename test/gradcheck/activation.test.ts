import { test } from 'node:test';
import { assert, assertClose, awayFromZero, gradCheck, gradGradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of the activation functions: the elementwise ones (sigmoid,
 * relu, leakyRelu, elu, softplus, gelu; kinked ones get inputs kept away from 0 so a finite difference
 * never straddles the kink) and softmax / logSoftmax along every axis.
 */

const SHAPES: number[][] = [[], [5], [3, 1, 4]];

const CASES: [string, (x: nr.Tensor) => nr.Tensor, (shape: number[]) => nr.Tensor][] = [
  ['sigmoid', (x) => nr.sigmoid(x), (s) => randomFloat64(s, -4, 4)],
  ['sigmoid (|x| up to 30)', (x) => nr.sigmoid(x), (s) => awayFromZero(s, 5, 25)],
  ['relu', (x) => nr.relu(x), (s) => awayFromZero(s)],
  // Both kinks: |x| in [0.1, 0.3) and in [5.7, 6.3) (x - 6 kept away from 0 as well).
  ['relu6', (x) => nr.relu6(x), (s) => awayFromZero(s, 0.1, 0.2)],
  ['relu6 near 6', (x) => nr.relu6(x.add(6)), (s) => awayFromZero(s, 0.1, 0.2)],
  ['leakyRelu (default alpha)', (x) => nr.leakyRelu(x), (s) => awayFromZero(s)],
  ['leakyRelu (alpha 0.2)', (x) => nr.leakyRelu(x, 0.2), (s) => awayFromZero(s)],
  ['elu (default alpha)', (x) => nr.elu(x), (s) => awayFromZero(s)],
  ['elu (alpha 0.5)', (x) => x.elu(0.5), (s) => awayFromZero(s)],
  ['softplus', (x) => nr.softplus(x), (s) => randomFloat64(s, -4, 4)],
  ['softplus (|x| from 15 to 17)', (x) => x.softplus(), (s) => awayFromZero(s, 15)],
  ['relu method then square', (x) => x.relu().square(), (s) => awayFromZero(s)],
  ['silu', (x) => nr.silu(x), (s) => randomFloat64(s, -4, 4)],
  ['silu (|x| up to 30)', (x) => nr.silu(x), (s) => awayFromZero(s, 5, 25)],
  // The gradient's own gradient goes through the differentiable form of silu' (higher-order training, e.g. WGAN-GP).
  ['silu gradient', (x) => nr.grad((t: nr.Tensor) => nr.silu(t).square().sum())(x)[0]!, (s) => randomFloat64(s, -4, 4)],
  ['gelu', (x) => nr.gelu(x), (s) => randomFloat64(s, -4, 4)],
  ['gelu (|x| from 5 to 9, the tails)', (x) => nr.gelu(x), (s) => awayFromZero(s, 5, 4)],
  ['gelu tanh form', (x) => nr.gelu(x, true), (s) => randomFloat64(s, -4, 4)],
  ['gelu tanh form (|x| from 3 to 6)', (x) => nr.gelu(x, true), (s) => awayFromZero(s, 3, 3)],
];

CASES.forEach(([name, fn, input], k) => {
  test(`gradcheck activation: ${name}`, () => {
    nr.setSeed(600 + k);
    for (const shape of SHAPES) gradCheck(fn, [input(shape)], { label: `${name} ${JSON.stringify(shape)}` });
  });
});

/** gelu'(v) = Phi(v) + v phi(v) at the points below, Phi(v) = (1 + erf(v / sqrt 2)) / 2 with erf from mpmath. */
const GELU_SLOPES = new Map([
  [-2, 0.5 * (1 - 0.9544997361036416) - (2 * Math.exp(-2)) / Math.sqrt(2 * Math.PI)],
  [-0.5, 0.5 * (1 - 0.3829249225480262) - (0.5 * Math.exp(-0.125)) / Math.sqrt(2 * Math.PI)],
  [0.5, 0.5 * (1 + 0.3829249225480262) + (0.5 * Math.exp(-0.125)) / Math.sqrt(2 * Math.PI)],
  [3, 0.5 * (1 + 0.9973002039367398) + (3 * Math.exp(-4.5)) / Math.sqrt(2 * Math.PI)],
]);

test('activation gradients at known points (the slopes, not only their consistency)', () => {
  const x = nr.tensor([-2, -0.5, 0.5, 3], undefined, 'float64');
  const slopes: [string, (t: nr.Tensor) => nr.Tensor, (v: number) => number][] = [
    ['relu', (t) => t.relu(), (v) => (v > 0 ? 1 : 0)],
    ['leakyRelu 0.2', (t) => t.leakyRelu(0.2), (v) => (v > 0 ? 1 : 0.2)],
    ['leakyRelu default', (t) => t.leakyRelu(), (v) => (v > 0 ? 1 : 0.01)],
    ['elu 0.5', (t) => t.elu(0.5), (v) => (v > 0 ? 1 : 0.5 * Math.exp(v))],
    ['sigmoid', (t) => t.sigmoid(), (v) => Math.exp(-v) / (1 + Math.exp(-v)) ** 2],
    ['softplus', (t) => t.softplus(), (v) => 1 / (1 + Math.exp(-v))],
    ['silu', (t) => nr.silu(t), (v) => (1 + Math.exp(-v) + v * Math.exp(-v)) / (1 + Math.exp(-v)) ** 2],
    // Phi(v) + v phi(v), with erf at the points from mpmath (30 digits).
    ['gelu', (t) => nr.gelu(t), (v) => GELU_SLOPES.get(v)!],
  ];
  for (const [name, fn, slope] of slopes) {
    const [g] = nr.grad((t) => fn(t).sum())(x);
    assertClose(g!.data(), Array.from(x.data(), slope), { rtol: 1e-12, atol: 1e-15, message: name });
  }
});
for (const [name, axis] of [
  ['last axis of a matrix', -1],
  ['axis 0 of a matrix', 0],
] as const) {
  test(`gradcheck softmax and logSoftmax: ${name}`, () => {
    nr.setSeed(340 + axis);
    const x = randomFloat64([4, 5], -3, 3);
    gradCheck((t) => nr.softmax(t, axis), [x], { label: `softmax ${name}` });
    gradCheck((t) => nr.logSoftmax(t, axis), [x], { label: `logSoftmax ${name}` });
  });
}

test('gradcheck softmax and logSoftmax: every axis of a rank-3 tensor', () => {
  nr.setSeed(345);
  for (const axis of [0, 1, 2, -1, -2]) {
    const x = randomFloat64([2, 3, 4], -3, 3);
    gradCheck((t) => nr.softmax(t, axis), [x], { label: `softmax [2,3,4] axis ${axis}` });
    gradCheck((t) => nr.logSoftmax(t, axis), [x], { label: `logSoftmax [2,3,4] axis ${axis}` });
    gradCheck((t) => t.softmax(axis).log(), [x], { label: `log(softmax) [2,3,4] axis ${axis}` });
  }
});

test('gradcheck softmax and logSoftmax: default axis is the last one, and a length-1 axis', () => {
  nr.setSeed(346);
  const x = randomFloat64([3, 4], -2, 2);
  gradCheck((t) => nr.softmax(t), [x], { label: 'softmax default axis' });
  gradCheck((t) => t.logSoftmax(), [x], { label: 'logSoftmax method default axis' });
  gradCheck((t) => nr.softmax(t, 1).mul(t), [randomFloat64([3, 1])], { label: 'softmax over a length-1 axis' });
  // softmax along axis 0 and along the last axis must differ: guard against an ignored axis.
  const a = nr.noGrad(() => nr.softmax(x, 0).data());
  const b = nr.noGrad(() => nr.softmax(x, -1).data());
  assert.notDeepEqual(Array.from(a), Array.from(b));
});

test('gradGradCheck gelu: second and third derivatives through the fused kernel, both forms', () => {
  nr.setSeed(620);
  for (const approximate of [false, true]) {
    const x = randomFloat64([7], -3, 3);
    gradGradCheck((t) => nr.gelu(t, approximate), [x], { label: `gelu approximate=${approximate}` });
    // The second derivative's own gradient: the backward node is differentiable again.
    gradGradCheck((t) => nr.grad((u: nr.Tensor) => nr.gelu(u, approximate).sum())(t)[0]!, [x], {
      label: `gelu' approximate=${approximate}`,
    });
  }
});
