import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

/*
 * What autograd must not do: record piecewise-constant ops (their outputs are constants, as in
 * PyTorch where sign/floor/... of a leaf give zero gradient and comparisons/argmax give tensors that
 * do not require grad), and what it must do across calls: accumulate into `.grad` until reset.
 */

function leaf(values: number[], shape?: number[]): nr.Tensor {
  const x = nr.tensor(values, shape, 'float64');
  x.requiresGrad = true;
  return x;
}

const CONSTANT_OUTPUTS: [string, (x: nr.Tensor) => nr.Tensor][] = [
  ['sign', (x) => nr.sign(x)],
  ['floor', (x) => nr.floor(x)],
  ['ceil', (x) => x.ceil()],
  ['round', (x) => nr.round(x)],
  ['equal', (x) => nr.equal(x, 0.5)],
  ['notEqual', (x) => x.notEqual(x)],
  ['less', (x) => nr.less(x, 0)],
  ['lessEqual', (x) => x.lessEqual(1)],
  ['greater', (x) => nr.greater(x, x.mul(2))],
  ['greaterEqual', (x) => x.greaterEqual(0)],
  ['logicalNot', (x) => nr.logicalNot(x.greater(0))],
  ['logicalAnd', (x) => nr.logicalAnd(x.greater(0), x.less(1))],
  ['argmax (all)', (x) => nr.argmax(x)],
  ['argmax (axis 1)', (x) => x.argmax(1)],
  ['argmax (axis 0, keepDims)', (x) => nr.argmax(x, 0, true)],
  ['argmin (axis -1)', (x) => nr.argmin(x, -1)],
  ['floorDiv', (x) => nr.floorDiv(x, 0.7)],
  ['mod', (x) => nr.mod(x, 0.7)],
];

for (const [name, fn] of CONSTANT_OUTPUTS) {
  test(`non-differentiable: ${name} of a tensor that requires grad gives a constant`, () => {
    const x = leaf([-1.5, 0.5, 2.25, -0.25, 3, 0], [2, 3]);
    // Sanity: a differentiable op on the same input does record, so the check below can fail.
    assert.equal(x.mul(2).requiresGrad, true);
    const y = fn(x);
    assert.equal(y.requiresGrad, false, `${name}: output must not require grad`);
    assert.equal(y._node, null, `${name}: output must not record a graph node`);
    assert.throws(() => y.sum().backward(), nr.NeuronaError, `${name}: backward from a constant must throw`);
  });
}

test('non-differentiable: comparisons give bool and argmax gives int32 outputs', () => {
  const x = leaf([1, 5, 2, 7, 0, 3], [2, 3]);
  assert.equal(x.greater(2).dtype, 'bool');
  assert.equal(x.equal(2).dtype, 'bool');
  assert.equal(x.argmax(1).dtype, 'int32');
  assert.deepEqual(Array.from(x.argmax(1).data()), [1, 0]);
  assert.deepEqual(Array.from(x.argmin().data()), [4]);
});

test('non-differentiable ops inside a graph act as constants: d/dx [x * sign(x)] = sign(x)', () => {
  const x = leaf([-2, 3, -0.5, 1]);
  x.mul(x.sign()).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [-1, 1, -1, 1]);
  x.grad = null;
  // floor(x) is treated as a constant c: d/dx [x * c] = c.
  x.mul(nr.floor(x)).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [-2, 3, -1, 1]);
  x.grad = null;
  // A mask from a comparison: d/dx sum(x * (x > 0)) = (x > 0).
  x.mul(x.greater(0).cast('float64')).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [0, 1, 0, 1]);
});

test('noGrad: ops inside it record nothing', () => {
  const x = leaf([1, 2, 3]);
  const y = nr.noGrad(() => x.square().sum());
  assert.equal(y.requiresGrad, false);
  assert.equal(y._node, null);
  assert.equal(x.square().sum().requiresGrad, true);
});

test('gradients accumulate into .grad across two backward() calls, and x.grad = null resets', () => {
  const x = leaf([1, -2, 3]);
  assert.equal(x.grad, null);
  x.square().sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [2, -4, 6]);
  // A second, different graph from the same leaf adds to what is there.
  x.mul(3).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [5, -1, 9]);
  x.grad = null;
  x.square().sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [2, -4, 6]);
});

test('backward() twice on the same graph accumulates twice the gradient (PyTorch with retain_graph)', () => {
  const x = leaf([0.5, -1]);
  const w = leaf([2, 4]);
  const loss = x.mul(w).sum();
  loss.backward();
  loss.backward();
  assert.deepEqual(Array.from(x.grad!.data()), [4, 8]);
  assert.deepEqual(Array.from(w.grad!.data()), [1, -2]);
  assert.equal(x.grad!.dtype, 'float64');
  assert.deepEqual(x.grad!.shape, [2]);
});

test('gradients accumulate within one graph when a leaf is used several times', () => {
  const x = leaf([3]);
  // y = x * x + x * 2 + x -> dy/dx = 2x + 3
  x.mul(x).add(x.mul(2)).add(x).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [9]);
});

test('accumulation keeps each leaf separate and leaves non-participating leaves alone', () => {
  const a = leaf([1, 2]);
  const b = leaf([3, 4]);
  a.mul(b).sum().backward();
  a.sum().backward();
  assert.deepEqual(Array.from(a.grad!.data()), [4, 5]);
  assert.deepEqual(Array.from(b.grad!.data()), [1, 2]);
  b.grad = null;
  a.sum().backward();
  assert.equal(b.grad, null);
  assert.deepEqual(Array.from(a.grad!.data()), [5, 6]);
});

test('valueAndGrad does not touch .grad', () => {
  const x = leaf([1, 2]);
  x.sum().backward();
  const { grads } = nr.valueAndGrad((t) => t.square().sum())(x);
  assert.deepEqual(Array.from(grads[0]!.data()), [2, 4]);
  assert.deepEqual(Array.from(x.grad!.data()), [1, 1]);
});
