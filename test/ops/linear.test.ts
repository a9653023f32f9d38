import { test } from 'node:test';
import { assert, assertClose, awayFromZero, backendsUnderTest, gradCheck, nr, randomFloat64, withBackend } from '../helpers.js';

/*
 * nr.linear, the fused dense op: its value must be bit for bit what matmul, add and the activation
 * give op by op (on every backend: js finishes the product in the matmulBiasActivation kernel,
 * native runs its own matmul and elementwise kernels), its single gradient node must agree with
 * float64 finite differences for the input, the kernel and the bias, and bad operands are rejected
 * with errors that name the op and the shapes.
 */

const ACTIVATIONS = ['linear', 'relu', 'sigmoid', 'tanh'] as const;

function opByOp(x: nr.Tensor, w: nr.Tensor, b: nr.Tensor | null, activation: (typeof ACTIVATIONS)[number]): nr.Tensor {
  const z = b ? nr.matmul(x, w).add(b) : nr.matmul(x, w);
  return activation === 'linear' ? z : activation === 'relu' ? z.relu() : activation === 'sigmoid' ? z.sigmoid() : z.tanh();
}

for (const backend of backendsUnderTest()) {
  for (const activation of ACTIVATIONS) {
    for (const [xShape, units, withBias] of [
      [[5, 7], 3, true],
      [[2, 4, 6], 9, true],
      [[33, 70], 20, false],
      [[130, 257], 65, true],
    ] as const) {
      const bias = withBias ? '' : ' (no bias)';
      test(`linear ${activation} ${JSON.stringify(xShape)} -> ${units}${bias}: same bits as matmul + add + activation [${backend}]`, () =>
        withBackend(backend, () => {
          nr.setSeed(70 + units);
          const x = nr.randu([...xShape], { low: -2, high: 2 });
          const w = nr.randu([xShape.at(-1)!, units], { low: -0.5, high: 0.5 });
          const b = withBias ? nr.randu([units], { low: -1, high: 1 }) : null;
          const fused = nr.linear(x, w, b, activation);
          const reference = opByOp(x, w, b, activation);
          assert.deepEqual(fused.shape, [...xShape.slice(0, -1), units]);
          assert.deepEqual(Array.from(fused.data()), Array.from(reference.data()));
        }));
    }
  }

  test(`linear gradients agree with matmul + add + activation in float32 [${backend}]`, () =>
    withBackend(backend, () => {
      nr.setSeed(80);
      const x = nr.randu([40, 30], { low: -1, high: 1 });
      const w = nr.randu([30, 300], { low: -0.3, high: 0.3 });
      const b = nr.randu([300], { low: -0.3, high: 0.3 });
      const weights = nr.randu([40, 300], { low: 0.5, high: 1.5 });
      for (const activation of ACTIVATIONS) {
        const fused = nr.valueAndGrad((xx, ww, bb) => nr.linear(xx, ww, bb, activation).mul(weights).sum())(x, w, b);
        const reference = nr.valueAndGrad((xx, ww, bb) => opByOp(xx, ww, bb, activation).mul(weights).sum())(x, w, b);
        fused.grads.forEach((g, i) =>
          assertClose(g, reference.grads[i]!, { rtol: 1e-5, atol: 1e-5, message: `${activation} gradient ${i}` }),
        );
      }
    }));
}

for (const activation of ACTIVATIONS) {
  test(`gradcheck linear ${activation}: input, kernel and bias (rank 2 and 3), and without bias`, () => {
    nr.setSeed(90);
    // relu: pre-activations kept away from its kink so no finite difference straddles it.
    const x = activation === 'relu' ? awayFromZero([4, 3], 0.2) : randomFloat64([4, 3]);
    const identity = nr.eye(3, 3, 'float64');
    const w = activation === 'relu' ? nr.concat([identity, identity.neg()], 1) : randomFloat64([3, 6]);
    const b = randomFloat64([6], -0.1, 0.1);
    gradCheck((xx, ww, bb) => nr.linear(xx, ww, bb, activation), [x, w, b], { label: `${activation} rank 2` });
    const x3 = activation === 'relu' ? awayFromZero([2, 2, 3], 0.2) : randomFloat64([2, 2, 3]);
    gradCheck((xx, ww, bb) => nr.linear(xx, ww, bb, activation), [x3, w, b], { label: `${activation} rank 3` });
    gradCheck((xx, ww) => nr.linear(xx, ww, null, activation), [x, w], { label: `${activation} no bias` });
  });
}

test('linear forward against hand-computed values', () => {
  const x = nr.tensor([
    [1, -2],
    [0.5, 3],
  ]);
  const w = nr.tensor([
    [1, 2, -1],
    [0.5, -1, 1],
  ]);
  const b = nr.tensor([0, 1, -3]);
  // x @ w = [[0, 4, -3], [2, -2, 2.5]]; + b = [[0, 5, -6], [2, -1, -0.5]]
  assert.deepEqual(nr.linear(x, w, b).toArray(), [
    [0, 5, -6],
    [2, -1, -0.5],
  ]);
  assert.deepEqual(nr.linear(x, w, b, 'relu').toArray(), [
    [0, 5, 0],
    [2, 0, 0],
  ]);
});

test('linear on an empty batch gives an empty result and zero weight gradients', () => {
  const w = nr.variable(nr.ones([3, 2]));
  const b = nr.variable(nr.ones([2]));
  const { value, grads } = nr.valueAndGrad((ww, bb) => nr.linear(nr.zeros([0, 3]), ww, bb, 'relu').sum())(w, b);
  assert.equal(value.item(), 0);
  assert.deepEqual(
    grads.map((g) => Array.from(g.data())),
    [
      [0, 0, 0, 0, 0, 0],
      [0, 0],
    ],
  );
});

test('linear rejects bad operands with errors naming the op and the shapes', () => {
  const w = nr.ones([3, 2]);
  assert.throws(
    () => nr.linear(nr.ones([4, 5]), w),
    /linear: expected an input with last dimension 3 for the kernel \[3, 2\], got \[4, 5\]/,
  );
  assert.throws(() => nr.linear(nr.ones([4, 3]), nr.ones([3])), /linear: the kernel must be \[inFeatures, units\], got \[3\]/);
  assert.throws(() => nr.linear(nr.ones([4, 3]), w, nr.ones([3])), /linear: the bias must be \[2\] for the kernel \[3, 2\], got \[3\]/);
  assert.throws(() => nr.linear(nr.ones([4, 3], 'float64'), w), /linear: the kernel must have the input's dtype float64, got float32/);
  assert.throws(
    () => nr.linear(nr.ones([4, 3]), w, null, 'softmax' as never),
    /linear: activation must be one of 'linear', 'relu', 'sigmoid', 'tanh', got "softmax"/,
  );
  assert.throws(() => nr.linear(nr.ones([4, 3], 'int32'), w), /linear: expected a float input, got int32/);
});

test('Dense records one linear node for its fused activations (by name) and applies others, functions included, after it', () => {
  nr.setSeed(91);
  const x = nr.randu([4, 3]);
  const cases: [nr.activations.ActivationIdentifier, string][] = [
    ['relu', 'linear'],
    ['tanh', 'linear'],
    [undefined, 'linear'],
    ['softmax', 'softmax'],
    ['elu', 'elu'],
    ['Sigmoid' as never, 'linear'],
    [nr.relu, 'relu'],
    [(t: nr.Tensor) => t.tanh(), 'tanh'],
  ];
  for (const [activation, op] of cases) {
    const layer = new nr.layers.Dense({ units: 2, activation });
    const out = nr.valueAndGrad(() => {
      const y = layer.apply(x);
      assert.equal((y as unknown as { _node: { op: string } })._node.op, op, `Dense ${activation}`);
      return y.sum();
    });
    layer.apply(x); // builds the weights
    out(...layer.trainableWeights);
    const expected = nr.noGrad(() => {
      const z = nr.matmul(x, layer.kernel!).add(layer.bias!);
      return activation === undefined ? z : new nr.layers.Activation({ activation }).apply(z);
    });
    assert.deepEqual(Array.from(layer.apply(x).data()), Array.from(expected.data()), `Dense ${activation} value`);
  }
});

test('Conv2D, too, fuses its activation by name and applies a function after the convolution', () => {
  nr.setSeed(92);
  const x = nr.randu([1, 5, 5, 2]);
  for (const [activation, op] of [
    ['relu', 'conv2d'],
    ['tanh', 'conv2d'],
    [nr.relu, 'relu'],
  ] as const) {
    const layer = new nr.layers.Conv2D({ filters: 3, kernelSize: 3, padding: 'same', activation });
    layer.apply(x); // builds the weights
    nr.valueAndGrad(() => {
      const y = layer.apply(x);
      assert.equal(
        (y as unknown as { _node: { op: string } })._node.op,
        op,
        `Conv2D ${typeof activation === 'string' ? activation : 'relu function'}`,
      );
      return y.sum();
    })(...layer.trainableWeights);
  }
});
