import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

const { getInitializer, INITIALIZER_NAMES } = nr.initializers;
const values = (t: nr.Tensor) => Array.from(t.data());
const std = (v: number[]) => {
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  return Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length);
};

test('glorot_uniform stays within sqrt(6 / (fanIn + fanOut)) and fills it', () => {
  nr.setSeed(3);
  const w = getInitializer('glorot_uniform')([300, 200]);
  assert.deepEqual(w.shape, [300, 200]);
  const limit = Math.sqrt(6 / 500);
  const v = values(w);
  assert.ok(
    v.every((x) => Math.abs(x) <= limit),
    'within the limit',
  );
  assert.ok(Math.max(...v) > 0.99 * limit && Math.min(...v) < -0.99 * limit, 'reaches the limit');
  assert.ok(Math.abs(std(v) - limit / Math.sqrt(3)) < 0.01 * limit);
  // Conv kernels multiply fans by the receptive field: [3, 3, 16, 32] -> fanIn 144, fanOut 288.
  const conv = values(getInitializer('glorotUniform')([3, 3, 16, 32]));
  assert.ok(conv.every((x) => Math.abs(x) <= Math.sqrt(6 / 432)) && Math.max(...conv) > 0.95 * Math.sqrt(6 / 432));
});

test('he_normal has std sqrt(2 / fanIn), truncated at 2 standard deviations', () => {
  nr.setSeed(4);
  const fanIn = 400;
  const v = values(getInitializer('he_normal')([fanIn, 250]));
  const target = Math.sqrt(2 / fanIn);
  assert.ok(Math.abs(std(v) - target) < 0.02 * target, `std ${std(v)} vs ${target}`);
  // The untruncated stddev is target / 0.8796; samples are cut at twice that.
  const cut = (2 * target) / 0.87962566103423978;
  assert.ok(
    v.every((x) => Math.abs(x) <= cut + 1e-7),
    'truncated',
  );
  assert.ok(Math.max(...v.map(Math.abs)) > 0.97 * cut, 'truncation bound is the one expected');
});

test('zeros, ones, constant, and configured initializers', () => {
  assert.ok(values(getInitializer('zeros')([3, 2])).every((x) => x === 0));
  assert.ok(values(getInitializer('ones')([4])).every((x) => x === 1));
  assert.ok(values(getInitializer({ className: 'Constant', config: { value: 2.5 } })([2, 2])).every((x) => x === 2.5));
  nr.setSeed(1);
  const u = values(getInitializer({ className: 'RandomUniform', config: { minval: 2, maxval: 3 } })([1000]));
  assert.ok(u.every((x) => x >= 2 && x < 3));
  assert.equal(getInitializer('zeros')([2], 'float64').dtype, 'float64');
});

test('initializers are deterministic under nr.setSeed', () => {
  for (const name of ['glorot_uniform', 'glorot_normal', 'he_uniform', 'he_normal', 'lecun_normal', 'random_normal', 'truncated_normal']) {
    nr.setSeed(123);
    const a = values(getInitializer(name)([8, 5]));
    nr.setSeed(123);
    const b = values(getInitializer(name)([8, 5]));
    const c = values(getInitializer(name)([8, 5]));
    assert.deepEqual(a, b, name);
    assert.notDeepEqual(a, c, name);
  }
  nr.setSeed(9);
  const d1 = new nr.layers.Dense({ units: 3 });
  d1.apply(nr.ones([1, 4]));
  nr.setSeed(9);
  const d2 = new nr.layers.Dense({ units: 3 });
  d2.apply(nr.ones([1, 4]));
  assert.deepEqual(values(d1.kernel!), values(d2.kernel!));
});

test('an unknown initializer name lists the valid ones', () => {
  assert.throws(
    () => getInitializer('glorot'),
    (e: Error) => e instanceof nr.ConfigError && e.message.includes('"glorot"') && e.message.includes(INITIALIZER_NAMES.join(', ')),
  );
  assert.throws(
    () => new nr.layers.Dense({ units: 2, kernelInitializer: 'nope' }).apply(nr.ones([1, 2])),
    (e: Error) => e instanceof nr.ConfigError && /Dense "dense(_\d+)?" .*kernel.*unknown initializer "nope"/.test(e.message),
  );
});

test("VarianceScaling by Keras class name and config (EfficientNet's conv and dense initializers)", () => {
  nr.setSeed(5);
  // Conv kernel [3, 3, 16, 64]: fanOut = 9 * 64 = 576, so std sqrt(2 / 576) after truncation at 2 sigma.
  const conv = { className: 'VarianceScaling', config: { scale: 2, mode: 'fan_out', distribution: 'truncated_normal', seed: null } };
  const v = values(getInitializer(conv as never)([3, 3, 16, 64]));
  const target = Math.sqrt(2 / 576);
  assert.ok(Math.abs(std(v) - target) < 0.03 * target, `std ${std(v)} vs ${target}`);
  assert.ok(
    v.every((x) => Math.abs(x) <= (2 * target) / 0.87962566103423978 + 1e-7),
    'truncated',
  );
  // Dense kernel [64, 1000], scale 1/3 fan_out uniform: limit sqrt(3 * (1/3) / 1000).
  const dense = { className: 'VarianceScaling', config: { scale: 1 / 3, mode: 'fanOut', distribution: 'uniform' } };
  const u = values(getInitializer(dense as never)([64, 1000]));
  const limit = Math.sqrt(1 / 1000);
  assert.ok(u.every((x) => Math.abs(x) <= limit) && Math.max(...u) > 0.99 * limit);
  // Defaults: scale 1, fan_in, truncated normal (lecun_normal).
  assert.ok(Math.abs(std(values(getInitializer('variance_scaling')([400, 300]))) - Math.sqrt(1 / 400)) < 0.03 * Math.sqrt(1 / 400));
  for (const [config, pattern] of [
    [{ mode: 'fan_sideways' }, /VarianceScaling: mode must be one of 'fan_in', 'fan_out', 'fan_avg', got "fan_sideways"/],
    [{ distribution: 'cauchy' }, /distribution must be one of 'truncated_normal', 'untruncated_normal', 'uniform', got "cauchy"/],
    [{ scale: -1 }, /scale must be a positive number, got -1/],
    [{ scael: 2 }, /VarianceScaling: config keys are scale, mode, distribution, seed, got unknown key "scael"; did you mean 'scale'\?/],
    [{ seed: 7 }, /seed must be null, got 7; seed neurona once with nr.setSeed\(n\)/],
  ] as const) {
    assert.throws(() => getInitializer({ className: 'VarianceScaling', config } as never), pattern);
  }
});
