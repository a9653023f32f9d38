import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';

test('tensor() from nested arrays infers shape and float32', () => {
  const t = nr.tensor([
    [1, 2, 3],
    [4, 5, 6],
  ]);
  assert.deepEqual(t.shape, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.equal(t.size, 6);
  assert.equal(t.rank, 2);
  assert.ok(t.data() instanceof Float32Array);
  assert.deepEqual(Array.from(t.data()), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(t.toArray(), [
    [1, 2, 3],
    [4, 5, 6],
  ]);
  const deep = nr.tensor([
    [[1], [2]],
    [[3], [4]],
  ]);
  assert.deepEqual(deep.shape, [2, 2, 1]);
  assert.deepEqual(deep.toArray(), [
    [[1], [2]],
    [[3], [4]],
  ]);
  // Integers in plain arrays are still float32 (the library default), as documented.
  assert.equal(nr.tensor([1, 2, 3]).dtype, 'float32');
  assert.equal(nr.tensor([0.5, 1.5]).dtype, 'float32');
  const bools = nr.tensor([
    [true, false],
    [false, true],
  ]);
  assert.equal(bools.dtype, 'bool');
  assert.ok(bools.data() instanceof Uint8Array);
  assert.deepEqual(Array.from(bools.data()), [1, 0, 0, 1]);
  assert.deepEqual(bools.toArray(), [
    [true, false],
    [false, true],
  ]);
});

test('tensor() from scalars, empty arrays, with an explicit shape or dtype', () => {
  const s = nr.tensor(3.5);
  assert.deepEqual(s.shape, []);
  assert.equal(s.rank, 0);
  assert.equal(s.size, 1);
  assert.equal(s.dtype, 'float32');
  assert.equal(s.item(), 3.5);
  assert.equal(s.toArray(), 3.5);
  const b = nr.tensor(true);
  assert.equal(b.dtype, 'bool');
  assert.equal(b.toArray(), true);
  assert.equal(b.item(), 1);
  const empty = nr.tensor([]);
  assert.deepEqual(empty.shape, [0]);
  assert.equal(empty.size, 0);
  assert.deepEqual(empty.toArray(), []);
  assert.deepEqual(nr.tensor([[]]).shape, [1, 0]);
  const shaped = nr.tensor([1, 2, 3, 4, 5, 6], [3, 2]);
  assert.deepEqual(shaped.shape, [3, 2]);
  assert.deepEqual(shaped.toArray(), [
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const ints = nr.tensor([1.9, -2.7, 3], undefined, 'int32');
  assert.equal(ints.dtype, 'int32');
  assert.deepEqual(Array.from(ints.data()), [1, -2, 3]);
  const f64 = nr.tensor([0.1], undefined, 'float64');
  assert.ok(f64.data() instanceof Float64Array);
  assert.equal(f64.item(), 0.1);
  // float32 rounding is visible in item().
  assert.equal(nr.tensor([0.1]).item(), Math.fround(0.1));
});

test('bool tensors store 0 or 1 whatever non-zero values they are made from', () => {
  // Every creation path must agree with cast(): non-zero -> true (stored as 1).
  const sources: [string, nr.Tensor, number[]][] = [
    ['tensor(typed array, bool)', nr.tensor(new Float32Array([0, 2, -1]), undefined, 'bool'), [0, 1, 1]],
    ['cast(bool)', nr.tensor([0, 2, -1]).cast('bool'), [0, 1, 1]],
    ['tensor(nested array, bool)', nr.tensor([0, 2, -1], undefined, 'bool'), [0, 1, 1]],
    ['full(value 2, bool)', nr.full([3], 2, 'bool'), [1, 1, 1]],
  ];
  for (const [label, t, bytes] of sources) {
    assert.equal(t.dtype, 'bool', label);
    assert.deepEqual(Array.from(t.data()), bytes, `${label}: stored bytes`);
  }
  const fromNested = nr.tensor([0, 2, -1], undefined, 'bool');
  assert.deepEqual(fromNested.toArray(), [false, true, true]);
  assert.equal(fromNested.sum().item(), 2, 'sum of a bool tensor counts its true values');
  assert.deepEqual(nr.full([2], 2, 'bool').toArray(), [true, true]);
});

test('tensor() from typed arrays copies and infers int32 for integer arrays, float32 otherwise', () => {
  const source = new Float32Array([1, 2, 3, 4, 5, 6]);
  const t = nr.tensor(source, [2, 3]);
  assert.equal(t.dtype, 'float32');
  assert.deepEqual(t.shape, [2, 3]);
  source[0] = 100;
  assert.equal(t.data()[0], 1, 'tensor() must copy a typed array');
  assert.deepEqual(nr.tensor(new Float32Array(4)).shape, [4]);
  for (const array of [
    new Int32Array([1, -2]),
    new Int16Array([1, -2]),
    new Int8Array([1, -2]),
    new Uint16Array([1, 2]),
    new Uint8Array([1, 2]),
    new Uint8ClampedArray([1, 2]),
  ]) {
    const it = nr.tensor(array);
    assert.equal(it.dtype, 'int32', `${array.constructor.name} -> int32`);
    assert.ok(it.data() instanceof Int32Array);
    assert.deepEqual(Array.from(it.data()), Array.from(array));
  }
  // Float64Array is not float64 unless asked: the default float dtype is float32.
  const wide = nr.tensor(new Float64Array([0.1, 2]));
  assert.equal(wide.dtype, 'float32');
  assert.equal(wide.data()[0], Math.fround(0.1));
  assert.equal(nr.tensor(new Float64Array([0.1]), undefined, 'float64').data()[0], 0.1);
  // tensor(t) copies a tensor, optionally converting it.
  const original = nr.tensor([1.5, 2.5]);
  const copy = nr.tensor(original);
  assert.notEqual(copy.data(), original.data());
  assert.deepEqual(copy.toArray(), [1.5, 2.5]);
  assert.deepEqual(nr.tensor(original, undefined, 'int32').toArray(), [1, 2]);
});

test('zeros, ones, full and eye', () => {
  const z = nr.zeros([2, 3]);
  assert.deepEqual(z.shape, [2, 3]);
  assert.equal(z.dtype, 'float32');
  assert.ok(Array.from(z.data()).every((v) => v === 0));
  const o = nr.ones([4], 'int32');
  assert.equal(o.dtype, 'int32');
  assert.deepEqual(o.toArray(), [1, 1, 1, 1]);
  const f = nr.full([2, 2], 7.25);
  assert.deepEqual(f.toArray(), [
    [7.25, 7.25],
    [7.25, 7.25],
  ]);
  assert.deepEqual(nr.full([3], 1, 'bool').toArray(), [true, true, true]);
  assert.deepEqual(nr.zeros([]).shape, []);
  assert.equal(nr.zeros([]).item(), 0);
  assert.equal(nr.zeros([0, 5]).size, 0);
  assert.deepEqual(nr.eye(3).toArray(), [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ]);
  assert.deepEqual(nr.eye(2, 3).toArray(), [
    [1, 0, 0],
    [0, 1, 0],
  ]);
  assert.deepEqual(nr.eye(3, 2).toArray(), [
    [1, 0],
    [0, 1],
    [0, 0],
  ]);
  assert.equal(nr.eye(2, 2, 'int32').dtype, 'int32');
});

test('randn and randu have the requested shape, dtype and distribution parameters', () => {
  nr.setSeed(1);
  const n = nr.randn([3, 4]);
  assert.deepEqual(n.shape, [3, 4]);
  assert.equal(n.dtype, 'float32');
  assert.equal(new Set(n.data()).size, 12, 'randn values should all differ');
  const u = nr.randu([1000], { low: 5, high: 6, dtype: 'float64' });
  assert.equal(u.dtype, 'float64');
  assert.ok(Array.from(u.data()).every((v) => v >= 5 && v < 6));
  const shifted = nr.randn([10_000], { mean: 10, std: 0.001 });
  assert.ok(Array.from(shifted.data()).every((v) => Math.abs(v - 10) < 0.01));
  assert.deepEqual(nr.randn([]).shape, []);
});

test('arange: integer, float and negative steps', () => {
  const a = nr.arange(5);
  assert.equal(a.dtype, 'int32');
  assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(nr.arange(2, 7).toArray(), [2, 3, 4, 5, 6]);
  assert.deepEqual(nr.arange(0, 10, 3).toArray(), [0, 3, 6, 9]);
  const f = nr.arange(1, 2, 0.25);
  assert.equal(f.dtype, 'float32');
  assert.deepEqual(f.toArray(), [1, 1.25, 1.5, 1.75]);
  // 0.1 steps: ten values, the last below 1 (the count must not drift to 11).
  const tenths = nr.arange(0, 1, 0.1);
  assert.equal(tenths.size, 10);
  assertClose(
    tenths,
    Array.from({ length: 10 }, (_, i) => i / 10),
    { rtol: 1e-6 },
  );
  const down = nr.arange(5, 0, -2);
  assert.equal(down.dtype, 'int32');
  assert.deepEqual(down.toArray(), [5, 3, 1]);
  assert.deepEqual(nr.arange(1, -1, -0.5).toArray(), [1, 0.5, 0, -0.5]);
  assert.deepEqual(nr.arange(0, -3).toArray(), [], 'a positive step with stop < start is empty');
  assert.deepEqual(nr.arange(3, 3).shape, [0]);
  assert.equal(nr.arange(0, 4, 1, 'float64').dtype, 'float64');
  assert.equal(nr.arange(0.5, 3).dtype, 'float32');
  assert.deepEqual(nr.arange(0.5, 3).toArray(), [0.5, 1.5, 2.5]);
});

test('item() on one-element tensors of any rank, and toArray() on each dtype', () => {
  assert.equal(nr.tensor([[4]]).item(), 4);
  assert.equal(nr.tensor([7], undefined, 'int32').item(), 7);
  assert.deepEqual(nr.tensor([[1, 2]], undefined, 'int32').toArray(), [[1, 2]]);
  assert.deepEqual(nr.zeros([2, 0, 3]).toArray(), [[], []]);
});

test('toString prints values, dtype and grad state', () => {
  assert.equal(
    String(
      nr.tensor([
        [1, 2],
        [3, 4],
      ]),
    ),
    'tensor([[1., 2.],\n        [3., 4.]], dtype=float32)',
  );
  assert.equal(String(nr.tensor(3)), 'tensor(3., dtype=float32)');
  assert.equal(String(nr.tensor([1, -2], undefined, 'int32')), 'tensor([1, -2], dtype=int32)');
  assert.equal(String(nr.tensor([true, false])), 'tensor([true, false], dtype=bool)');
  assert.equal(String(nr.tensor([0.1, 1 / 3])), 'tensor([0.1, 0.33333], dtype=float32)');
  assert.equal(String(nr.arange(10)), 'tensor([0, 1, 2, ..., 7, 8, 9], dtype=int32)');
  const x = nr.tensor([1, 2]);
  x.requiresGrad = true;
  assert.equal(String(x), 'tensor([1., 2.], dtype=float32, requiresGrad=true)');
  assert.equal(String(x.mul(2)), 'tensor([2., 4.], dtype=float32, gradFn=mul)');
  const big = String(nr.zeros([10, 10]));
  assert.equal(big.split('\n').length, 7, 'a 10x10 tensor shows 3 + ... + 3 rows');
  assert.ok(big.includes('...'));
});

test('reshape, flatten, expandDims and squeeze share storage; transpose, slice and concat copy', () => {
  const x = nr.arange(6).reshape([2, 3]);
  const shared = [x.reshape([3, 2]), x.reshape([-1]), x.flatten(), x.expandDims(0), x.reshape([1, 2, 3]).squeeze()];
  for (const view of shared) assert.equal(view.data(), x.data(), `${JSON.stringify(view.shape)} should share storage`);
  assert.deepEqual(x.reshape([3, 2]).toArray(), [
    [0, 1],
    [2, 3],
    [4, 5],
  ]);
  const t = x.transpose();
  assert.deepEqual(t.toArray(), [
    [0, 3],
    [1, 4],
    [2, 5],
  ]);
  assert.notEqual(t.data().buffer, x.data().buffer, 'transpose must copy');
  const s = x.slice([0, 1], [2, 2]);
  assert.deepEqual(s.toArray(), [
    [1, 2],
    [4, 5],
  ]);
  assert.notEqual(s.data().buffer, x.data().buffer, 'slice must copy');
  const c = nr.concat([x, x], 0);
  assert.notEqual(c.data().buffer, x.data().buffer, 'concat must copy');
});

test('Variable.assign updates in place: views made by reshape see the new values', () => {
  const initial = nr.zeros([2, 3]);
  const v = nr.variable(initial, { name: 'w' });
  assert.ok(v instanceof nr.Variable);
  assert.ok(v instanceof nr.Tensor);
  assert.equal(v.requiresGrad, true, 'a float variable requires grad by default');
  assert.equal(v.name, 'w');
  const view = v.reshape([6]);
  const storage = v.data();
  const returned = v.assign(
    nr.tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]),
  );
  assert.equal(returned, v);
  assert.equal(v.data(), storage, 'assign must write into the existing storage');
  assert.deepEqual(Array.from(view.data()), [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(Array.from(initial.data()), [0, 0, 0, 0, 0, 0], 'the variable must not alias the tensor it was made from');
  v.assign([
    [6, 5, 4],
    [3, 2, 1],
  ]);
  assert.deepEqual(Array.from(view.data()), [6, 5, 4, 3, 2, 1]);
  // The dtype is converted to the variable's.
  v.assign(
    nr.tensor(
      [
        [1, 1, 1],
        [2, 2, 2],
      ],
      undefined,
      'int32',
    ),
  );
  assert.equal(v.dtype, 'float32');
  assert.deepEqual(v.toArray(), [
    [1, 1, 1],
    [2, 2, 2],
  ]);
  // Shape check: wrong shapes are rejected with both shapes, and nothing is written.
  assert.throws(
    () => v.assign(nr.ones([3, 2])),
    (e: Error) => e instanceof nr.ShapeError && e.message.includes('[2, 3]') && e.message.includes('[3, 2]') && e.message.includes('"w"'),
  );
  assert.throws(() => v.assign(nr.ones([6])), nr.ShapeError);
  assert.deepEqual(v.toArray(), [
    [1, 1, 1],
    [2, 2, 2],
  ]);
  assert.equal(nr.variable(nr.ones([2]), { trainable: false }).requiresGrad, false);
});

test('a Variable trains through backward and assign', () => {
  const w = nr.variable(nr.tensor([1, 2, 3]));
  const loss = w.mul(w).sum();
  loss.backward();
  assert.deepEqual(w.grad!.toArray(), [2, 4, 6]);
  nr.noGrad(() => w.assign(w.sub(w.grad!.mul(0.5))));
  assert.deepEqual(w.toArray(), [0, 0, 0]);
});

test('noGrad disables recording and restores the mode afterwards, even after a throw', () => {
  const x = nr.tensor([1, 2, 3]);
  x.requiresGrad = true;
  assert.equal(nr.isGradEnabled(), true);
  const y = nr.noGrad(() => {
    assert.equal(nr.isGradEnabled(), false);
    return x.mul(2).add(1);
  });
  assert.equal(y.requiresGrad, false);
  assert.equal(y._node, null);
  assert.deepEqual(y.toArray(), [3, 5, 7]);
  assert.equal(nr.isGradEnabled(), true);
  assert.throws(
    () =>
      nr.noGrad(() => {
        throw new Error('inside');
      }),
    /inside/,
  );
  assert.equal(nr.isGradEnabled(), true, 'grad mode must be restored after an exception');
  // Nested noGrad keeps it off until the outermost returns.
  nr.noGrad(() => {
    nr.noGrad(() => undefined);
    assert.equal(nr.isGradEnabled(), false);
  });
  const z = x.mul(2);
  assert.equal(z.requiresGrad, true);
  assert.equal(z._node?.op, 'mul');
});

test('grad() and valueAndGrad() leave .grad alone and restore requiresGrad of the arguments', () => {
  const f = (a: nr.Tensor, b: nr.Tensor) => a.mul(a).mul(b).sum();
  const a = nr.tensor([1, 2, 3]);
  const b = nr.tensor([4, 5, 6]);
  b.requiresGrad = true;
  const previous = nr.tensor([9, 9, 9]);
  b.grad = previous;
  const { value, grads } = nr.valueAndGrad(f)(a, b);
  assert.equal(value.item(), 1 * 4 + 4 * 5 + 9 * 6);
  assert.equal(value.requiresGrad, false, 'the returned value is detached');
  assert.deepEqual(grads[0]!.toArray(), [8, 20, 36]);
  assert.deepEqual(grads[1]!.toArray(), [1, 4, 9]);
  assert.equal(a.grad, null, 'grad must not write .grad of an argument');
  assert.equal(b.grad, previous, 'grad must not replace .grad of an argument');
  assert.deepEqual(b.grad.toArray(), [9, 9, 9]);
  assert.equal(a.requiresGrad, false, 'requiresGrad of a must be restored');
  assert.equal(b.requiresGrad, true, 'requiresGrad of b must be restored');
  const [da] = nr.grad((x: nr.Tensor) => x.square().sum())(a);
  assert.deepEqual(da!.toArray(), [2, 4, 6]);
  assert.equal(a.requiresGrad, false);
  assert.equal(a.grad, null);
  // A gradient of an argument the result does not depend on is zeros of its shape.
  const unused = nr.grad((x: nr.Tensor, _y: nr.Tensor) => x.sum())(a, nr.ones([2, 2]));
  assert.deepEqual(unused[1]!.toArray(), [
    [0, 0],
    [0, 0],
  ]);
  // Flags are restored when the function throws, and grad mode stays as it was inside noGrad.
  assert.throws(
    () =>
      nr.grad(() => {
        throw new Error('boom');
      })(a),
    /boom/,
  );
  assert.equal(a.requiresGrad, false);
  const inside = nr.noGrad(() => {
    const [g] = nr.grad((x: nr.Tensor) => x.mul(3).sum())(a);
    return { g, enabled: nr.isGradEnabled() };
  });
  assert.deepEqual(inside.g!.toArray(), [3, 3, 3], 'grad works inside noGrad');
  assert.equal(inside.enabled, false);
});

test('a chain of 200,000 ops backpropagates without a stack overflow', () => {
  const x = nr.tensor([1.5, -2]);
  x.requiresGrad = true;
  let y = x;
  for (let i = 0; i < 200_000; i++) y = i % 2 === 0 ? y.add(1) : y.mul(1);
  assert.deepEqual(y.toArray(), [100_001.5, 99_998]);
  y.sum().backward();
  assert.deepEqual(x.grad!.toArray(), [1, 1]);
});

test('diamond graphs accumulate gradients: y = x*x + x*3 gives 2x + 3', () => {
  const x = nr.tensor([-2, 0, 0.5, 4]);
  x.requiresGrad = true;
  x.mul(x).add(x.mul(3)).sum().backward();
  assert.deepEqual(x.grad!.toArray(), [-1, 3, 4, 11]);
  // An intermediate used twice: z = 2x, y = z*z + z, dy/dx = (2z + 1) * 2.
  const w = nr.tensor([1, -1, 3]);
  w.requiresGrad = true;
  const z = w.mul(2);
  z.mul(z).add(z).sum().backward();
  assert.deepEqual(w.grad!.toArray(), [10, -6, 26]);
  // Gradients accumulate over backward calls, as in PyTorch.
  w.mul(5).sum().backward();
  assert.deepEqual(w.grad!.toArray(), [15, -1, 31]);
  // Many paths from one leaf: sum of x over 50 branches.
  const v = nr.tensor([2]);
  v.requiresGrad = true;
  let total = v.mul(0);
  for (let i = 1; i <= 50; i++) total = total.add(v.mul(i));
  total.sum().backward();
  assert.deepEqual(v.grad!.toArray(), [1275]);
});
