import { test } from 'node:test';
import { assert, awayFromZero, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of the differentiable elementwise math ops, clip, cast and clone
 * (the activation functions are in activation.test.ts). abs gets inputs kept away from 0 so a finite
 * difference never straddles the kink; log-like functions get strictly positive inputs.
 */

const SHAPES: number[][] = [[], [5], [3, 1, 4]];

interface Case {
  name: string;
  fn: (x: nr.Tensor) => nr.Tensor;
  input: (shape: number[]) => nr.Tensor;
}

const anyReal = (shape: number[]) => randomFloat64(shape, -2, 2);
const positive = (shape: number[]) => randomFloat64(shape, 0.3, 2.5);

const CASES: Case[] = [
  { name: 'neg', fn: (x) => nr.neg(x), input: anyReal },
  { name: 'abs', fn: (x) => nr.abs(x), input: (s) => awayFromZero(s, 0.05, 1) },
  { name: 'exp', fn: (x) => nr.exp(x), input: anyReal },
  { name: 'expm1', fn: (x) => nr.expm1(x), input: anyReal },
  { name: 'log', fn: (x) => nr.log(x), input: positive },
  { name: 'log1p', fn: (x) => nr.log1p(x), input: (s) => randomFloat64(s, -0.7, 2) },
  { name: 'sqrt', fn: (x) => nr.sqrt(x), input: positive },
  { name: 'rsqrt', fn: (x) => nr.rsqrt(x), input: positive },
  { name: 'square', fn: (x) => nr.square(x), input: anyReal },
  { name: 'reciprocal', fn: (x) => nr.reciprocal(x), input: positive },
  { name: 'reciprocal (negative inputs)', fn: (x) => nr.reciprocal(x), input: (s) => randomFloat64(s, -2.5, -0.3) },
  { name: 'sin', fn: (x) => nr.sin(x), input: (s) => randomFloat64(s, -3, 3) },
  { name: 'cos', fn: (x) => nr.cos(x), input: (s) => randomFloat64(s, -3, 3) },
  { name: 'tanh', fn: (x) => nr.tanh(x), input: (s) => randomFloat64(s, -3, 3) },
  // The method forms go through the same op; checking one of them guards the prototype wiring.
  { name: 'method chain x.exp().sin().tanh()', fn: (x) => x.exp().sin().tanh(), input: anyReal },
];

CASES.forEach((c, k) => {
  test(`gradcheck unary: ${c.name}`, () => {
    nr.setSeed(100 + k);
    for (const shape of SHAPES) {
      gradCheck(c.fn, [c.input(shape)], { label: `${c.name} ${JSON.stringify(shape)}` });
    }
  });
});

test('gradcheck unary: a composition that reuses its input (x * sin(x) + exp(-x^2))', () => {
  nr.setSeed(199);
  const fn = (x: nr.Tensor) => x.mul(x.sin()).add(x.square().neg().exp());
  gradCheck(fn, [randomFloat64([2, 3], -2, 2)], { label: 'composition' });
});

test('gradcheck unary: clip with values away from the bounds, inside and outside', () => {
  nr.setSeed(150);
  const x = randomFloat64([4, 6], -1.5, 1.5);
  const d = x.data();
  // Keep every value at least 0.05 from -0.5 and 0.5.
  for (let i = 0; i < d.length; i++) {
    for (const bound of [-0.5, 0.5]) {
      if (Math.abs(d[i]! - bound) < 0.05) d[i] = bound + (d[i]! < bound ? -0.05 : 0.05);
    }
  }
  const inside = Array.from(d).filter((v) => v > -0.5 && v < 0.5).length;
  assert.ok(inside > 0 && inside < d.length, 'the input must have values both inside and outside [-0.5, 0.5]');
  gradCheck((t) => nr.clip(t, -0.5, 0.5), [x], { label: 'clip' });
  gradCheck((t) => t.clip(-0.5, 0.5).square(), [x], { label: 'clip method, squared' });
});

test('clip passes the gradient at the bounds themselves and blocks it outside (PyTorch clamp)', () => {
  const x = nr.tensor([-2, -1, 0, 1, 2], undefined, 'float64');
  x.requiresGrad = true;
  nr.clip(x, -1, 1).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [0, 1, 1, 1, 0]);
});

test('gradcheck unary: cast float64 -> float64 and clone', () => {
  nr.setSeed(151);
  gradCheck((t) => nr.cast(t, 'float64').square(), [randomFloat64([3, 4])], { label: 'cast float64' });
  gradCheck((t) => t.cast('float64').mul(t), [randomFloat64([2, 1, 3])], { label: 'cast method' });
  gradCheck((t) => nr.clone(t).mul(t), [randomFloat64([3, 4])], { label: 'clone' });
  gradCheck((t) => t.clone().exp(), [randomFloat64([])], { label: 'clone scalar' });
});

test('cast float64 -> float32 -> float64 passes the gradient through and back in float64', () => {
  const x = nr.tensor([0.5, -1.5, 2], undefined, 'float64');
  x.requiresGrad = true;
  const y = x.cast('float32');
  assert.equal(y.dtype, 'float32');
  assert.ok(y.requiresGrad);
  y.mul(3).sum().backward();
  assert.equal(x.grad!.dtype, 'float64');
  assert.deepEqual(Array.from(x.grad!.data()), [3, 3, 3]);
});

test('clone copies storage: the clone has its own buffer', () => {
  const x = nr.tensor([1, 2, 3], undefined, 'float64');
  const y = nr.clone(x);
  assert.notEqual(y.data(), x.data());
  assert.deepEqual(Array.from(y.data()), [1, 2, 3]);
});
