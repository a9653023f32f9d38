import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr } from '../helpers.js';

const xs = [-5, -3, -2, -1.3, -0.5, -1e-3, 0, 1e-3, 0.4, 1, 2.2, 3, 5];
const input = () => nr.tensor(xs, [xs.length], 'float64');
const apply = (name: string) => Array.from(nr.activations.getActivation(name)(input()).data());
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** erf by its Maclaurin series (|x| <= 3) or continued fraction (|x| > 3): float64-accurate reference. */
function erf(x: number): number {
  const a = Math.abs(x);
  if (a <= 3) {
    let term = a;
    let sum = a;
    for (let n = 1; n < 200; n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let k = 60; k >= 1; k--) f = k / 2 / (a + f);
  return Math.sign(x) * (1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f));
}

test('reference erf is accurate', () => {
  assertClose([erf(0.5), erf(1), erf(2), erf(3.5)], [0.5204998778130465, 0.8427007929497149, 0.9953222650189527, 0.9999992569016276], {
    rtol: 1e-13,
  });
});

test('gelu is the exact-erf form to float64 precision (the fused kernel, not an approximation of erf)', () => {
  // 1 + erf(x / sqrt 2) keeps about 10 digits at x = -5 in the reference itself.
  assertClose(
    apply('gelu'),
    xs.map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))),
    { rtol: 1e-9, atol: 1e-300 },
  );
});

test('selu uses the Keras constants', () => {
  const alpha = 1.6732632423543772;
  const scale = 1.0507009873554805;
  assertClose(
    apply('selu'),
    xs.map((x) => (x > 0 ? scale * x : scale * alpha * (Math.exp(x) - 1))),
    { rtol: 1e-12, atol: 1e-15 },
  );
});

test('hard_sigmoid is Keras 3: clip(x / 6 + 0.5, 0, 1)', () => {
  assertClose(
    apply('hard_sigmoid'),
    xs.map((x) => Math.min(1, Math.max(0, x / 6 + 0.5))),
    { rtol: 1e-12 },
  );
  assertClose(apply('hardSigmoid'), apply('hard_sigmoid'));
});

test('relu6 and hard_silu (alias hard_swish) are Keras 3: clip(x, 0, 6) and x * relu6(x + 3) / 6', () => {
  const wide = [...xs, -8, 6.5, 7, 8.25];
  const relu6 = nr.activations.getActivation('relu6');
  assertClose(
    Array.from(relu6(nr.tensor(wide, undefined, 'float64')).data()),
    wide.map((x) => Math.min(6, Math.max(0, x))),
    { rtol: 0, atol: 0 },
  );
  const hardSilu = xs.map((x) => (x * Math.min(6, Math.max(0, x + 3))) / 6);
  assertClose(apply('hard_silu'), hardSilu, { rtol: 1e-12 });
  assertClose(apply('hardSwish'), hardSilu, { rtol: 1e-12 });
  assert.equal(nr.activations.activationName('hardSwish'), 'hard_swish');
  assert.equal(nr.activations.activationName('relu6'), 'relu6');
  assertClose(new nr.layers.Activation('relu6').apply(nr.tensor([[-1, 3, 9]])), [0, 3, 6]);
});

test('swish, silu, softsign, elu, softplus, sigmoid, tanh, relu, linear, exponential', () => {
  assertClose(
    apply('swish'),
    xs.map((x) => x * sigmoid(x)),
    { rtol: 1e-12, atol: 1e-15 },
  );
  assertClose(apply('silu'), apply('swish'));
  assertClose(
    apply('softsign'),
    xs.map((x) => x / (1 + Math.abs(x))),
    { rtol: 1e-12 },
  );
  assertClose(
    apply('elu'),
    xs.map((x) => (x > 0 ? x : Math.exp(x) - 1)),
    { rtol: 1e-12, atol: 1e-15 },
  );
  assertClose(
    apply('softplus'),
    xs.map((x) => Math.log1p(Math.exp(x))),
    { rtol: 1e-12, atol: 1e-15 },
  );
  assertClose(apply('sigmoid'), xs.map(sigmoid), { rtol: 1e-12 });
  assertClose(apply('tanh'), xs.map(Math.tanh), { rtol: 1e-12 });
  assertClose(
    apply('relu'),
    xs.map((x) => Math.max(0, x)),
  );
  assertClose(apply('linear'), xs);
  assertClose(apply('exponential'), xs.map(Math.exp), { rtol: 1e-12 });
});

test('the leaky_relu activation defaults to slope 0.2 (Keras activations.leaky_relu)', () => {
  assertClose(
    apply('leaky_relu'),
    xs.map((x) => (x >= 0 ? x : 0.2 * x)),
    { rtol: 1e-12 },
  );
  assertClose(apply('leakyRelu'), apply('leaky_relu'));
});

test('softmax activation normalises the last axis', () => {
  const y = nr.activations.getActivation('softmax')(
    nr.tensor(
      [
        [1, 2, 3],
        [0, 0, 0],
      ],
      undefined,
      'float64',
    ),
  );
  const e = [Math.exp(1), Math.exp(2), Math.exp(3)];
  const s = e[0]! + e[1]! + e[2]!;
  assertClose(y, [e[0]! / s, e[1]! / s, e[2]! / s, 1 / 3, 1 / 3, 1 / 3], { rtol: 1e-12 });
});

test('sign and step forward values', () => {
  assert.deepEqual(
    apply('sign'),
    xs.map((x) => (x === 0 ? 0 : Math.sign(x))),
  );
  assert.deepEqual(
    apply('step'),
    xs.map((x) => (x >= 0 ? 1 : 0)),
  );
});

test('smooth activations have correct gradients', () => {
  const smooth = [
    'gelu',
    'selu',
    'swish',
    'softsign',
    'elu',
    'softplus',
    'sigmoid',
    'tanh',
    'hard_sigmoid',
    'leaky_relu',
    'relu6',
    'hard_silu',
  ];
  for (const name of smooth) {
    gradCheck((x) => nr.activations.getActivation(name)(x), [nr.tensor([-2.5, -1.1, -0.3, 0.2, 0.9, 2.7], undefined, 'float64')], {
      label: name,
    });
  }
});

test('unknown names list the valid ones; names and functions resolve', () => {
  assert.throws(
    () => nr.activations.getActivation('relux'),
    (e: Error) =>
      e instanceof nr.ConfigError && e.message.includes('"relux"') && e.message.includes(nr.activations.ACTIVATION_NAMES.join(', ')),
  );
  const fn = (x: nr.Tensor) => x;
  assert.equal(nr.activations.getActivation(fn), fn);
  assert.equal(nr.activations.activationName('hardSigmoid'), 'hard_sigmoid');
  assert.equal(nr.activations.activationName(null), 'linear');
  for (const name of nr.activations.ACTIVATION_NAMES) assert.equal(typeof nr.activations.getActivation(name), 'function', name);
});
