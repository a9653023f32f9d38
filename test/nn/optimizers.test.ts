import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { nr, assert, assertClose } from '../helpers.js';
import * as optimizers from '../../src/nn/optimizers/index.js';
import { applyOptimizerUpdate } from '../../src/ops/index.js';

interface Case {
  optimizer: string;
  options: Record<string, unknown>;
  steps: [number[][], number[]][];
}
const fixture = JSON.parse(readFileSync('test/fixtures/optimizers.json', 'utf8')) as {
  problem: Record<string, number[] | number[][]>;
  cases: Case[];
};
const P = fixture.problem;
const t64 = (x: unknown) => nr.tensor(x as number[], undefined, 'float64');

/** Keras snake_case options (as the generator writes them) -> neurona camelCase. */
function camelOptions(options: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) {
    const key = k.replace(/_(\d|[a-z])/g, (_, c: string) => c.toUpperCase());
    if (key === 'learningRate' && typeof v === 'object' && v !== null) {
      const s = v as { class_name: string; config: Record<string, unknown> };
      out[key] = { className: s.class_name, config: camelOptions(s.config) };
    } else out[key] = v;
  }
  return out;
}

fixture.cases.forEach((c, index) => {
  test(`three steps equal the Keras formulas: ${c.optimizer} ${JSON.stringify(c.options)} #${index}`, () => {
    const optimizer = optimizers.getOptimizer({ className: c.optimizer, config: camelOptions(c.options) });
    const w = nr.variable(t64(P.w0), { name: 'w' });
    const b = nr.variable(t64(P.b0), { name: 'b' });
    const start = [w.data().slice(), b.data().slice()];
    c.steps.forEach((expected, step) => {
      // The gradient written out as in the generator: a * (x - c).
      const grads = nr.noGrad(() => [t64(P.a_w).mul(w.sub(t64(P.c_w))), t64(P.a_b).mul(b.sub(t64(P.c_b)))]);
      optimizer.apply(grads, [w, b]);
      [w, b].forEach((v, k) => {
        const want = t64(expected[k]).data();
        assertClose(v.data(), want, { rtol: 1e-12, atol: 1e-15, message: `step ${step + 1} ${v.name}` });
        // The default learning rates move the values only slightly, so compare the moves too.
        const moved = v.data().map((x, i) => x - start[k]![i]!);
        const wantMoved = want.map((x, i) => x - start[k]![i]!);
        assertClose(moved, wantMoved, { rtol: 1e-8, atol: 1e-15, message: `step ${step + 1} ${v.name} displacement` });
      });
      assert.equal(optimizer.iterations, step + 1);
    });
  });
});

test('Keras defaults', () => {
  const sgd = new optimizers.SGD();
  assert.deepEqual([sgd.learningRate, sgd.momentum, sgd.nesterov], [0.01, 0, false]);
  const adam = new optimizers.Adam();
  assert.deepEqual(
    [adam.learningRate, adam.beta1, adam.beta2, adam.epsilon, adam.amsgrad, adam.weightDecay],
    [0.001, 0.9, 0.999, 1e-7, false, null],
  );
  assert.equal(new optimizers.AdamW().weightDecay, 0.004);
  const rms = new optimizers.RMSprop();
  assert.deepEqual([rms.learningRate, rms.rho, rms.momentum, rms.epsilon, rms.centered], [0.001, 0.9, 0, 1e-7, false]);
  const adagrad = new optimizers.Adagrad();
  assert.deepEqual([adagrad.learningRate, adagrad.initialAccumulatorValue, adagrad.epsilon], [0.001, 0.1, 1e-7]);
  const adadelta = new optimizers.Adadelta();
  assert.deepEqual([adadelta.learningRate, adadelta.rho, adadelta.epsilon], [0.001, 0.95, 1e-7]);
});

test('schedules match their closed forms', () => {
  const exp = new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
  const stair = new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5, staircase: true });
  for (const s of [0, 1, 9, 10, 15, 37]) {
    assertClose([exp.call(s)], [0.1 * 0.5 ** (s / 10)], { rtol: 1e-14 });
    assertClose([stair.call(s)], [0.1 * 0.5 ** Math.floor(s / 10)], { rtol: 1e-14 });
  }
  const pw = new optimizers.PiecewiseConstantDecay({ boundaries: [10, 20], values: [1, 0.5, 0.1] });
  assert.deepEqual(
    [0, 10, 11, 20, 21, 1000].map((s) => pw.call(s)),
    [1, 1, 0.5, 0.5, 0.1, 0.1],
  );
  const cos = new optimizers.CosineDecay({ initialLearningRate: 0.2, decaySteps: 100, alpha: 0.1 });
  for (const s of [0, 25, 50, 100, 150]) {
    const f = Math.min(s, 100) / 100;
    assertClose([cos.call(s)], [0.2 * (0.9 * 0.5 * (1 + Math.cos(Math.PI * f)) + 0.1)], { rtol: 1e-14 });
  }
  const warm = new optimizers.CosineDecay({ initialLearningRate: 0, decaySteps: 100, warmupTarget: 0.4, warmupSteps: 10 });
  assertClose(
    [0, 5, 10, 60, 110, 500].map((s) => warm.call(s)),
    [0, 0.2, 0.4, 0.2, 0, 0],
    { rtol: 1e-14, atol: 1e-16 },
  );
});

test('a schedule drives learningRate through iterations', () => {
  const sgd = new optimizers.SGD({ learningRate: new optimizers.PiecewiseConstantDecay({ boundaries: [1], values: [0.5, 0.1] }) });
  const w = nr.variable(nr.tensor([0], undefined, 'float64'));
  const rates: number[] = [];
  for (let i = 0; i < 3; i++) {
    rates.push(sgd.learningRate);
    sgd.applyGradients([[nr.tensor([1], undefined, 'float64'), w]]);
  }
  assert.deepEqual(rates, [0.5, 0.5, 0.1]);
  assertClose(w.data(), [-1.1], { rtol: 1e-14 });
  assert.throws(() => {
    sgd.learningRate = 0.3;
  }, nr.ConfigError);
});

test('plain gradient descent converges on a quadratic', () => {
  const target = nr.tensor([3, -2, 0.5], undefined, 'float64');
  const w = nr.variable(nr.zeros([3], 'float64'));
  const sgd = new optimizers.SGD({ learningRate: 0.1 });
  const loss = (x: nr.Tensor) => x.sub(target).square().sum();
  for (let i = 0; i < 200; i++) {
    const { grads } = nr.valueAndGrad(loss)(w);
    sgd.applyGradients([[grads[0]!, w]]);
  }
  assertClose(w.data(), target.data(), { rtol: 1e-9, atol: 1e-9 });
  assert.equal(sgd.iterations, 200);
});

test('every optimizer reduces the loss of a small least-squares problem', () => {
  for (const name of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta']) {
    const x = nr.tensor([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    const y = nr.tensor([[1], [2], [3]]);
    const w = nr.variable(nr.tensor([[0.5], [-0.5]]));
    const opt = optimizers.getOptimizer({ className: name, config: { learningRate: name === 'adadelta' ? 1 : 0.01 } });
    const loss = (v: nr.Tensor) => x.matmul(v).sub(y).square().mean();
    const first = loss(w).item();
    for (let i = 0; i < 20; i++) opt.applyGradients([[nr.grad(loss)(w)[0]!, w]]);
    assert.ok(loss(w).item() < first, `${name}: loss ${loss(w).item()} not below ${first}`);
  }
});

test('non-trainable variables and null gradients are left alone', () => {
  const frozen = nr.variable(nr.tensor([1, 2]), { trainable: false });
  const free = nr.variable(nr.tensor([1, 2]));
  const skipped = nr.variable(nr.tensor([5]));
  const adam = new optimizers.Adam({ learningRate: 0.1 });
  adam.applyGradients([
    [nr.tensor([1, 1]), frozen],
    [nr.tensor([1, 1]), free],
    [null, skipped],
  ]);
  assert.deepEqual(frozen.toArray(), [1, 2]);
  assert.deepEqual(skipped.toArray(), [5]);
  assert.notDeepEqual(free.toArray(), [1, 2]);
  assert.deepEqual(adam.getState().variables, [free]);
});

test('updates are in place and not recorded by autograd', () => {
  const w = nr.variable(nr.tensor([1, 2]));
  const storage = w.data();
  new optimizers.RMSprop({ momentum: 0.5 }).applyGradients([[nr.tensor([1, 1]), w]]);
  assert.equal(w.data(), storage);
  assert.equal(w.requiresGrad, true);
  assert.equal(w.grad, null);
});

test('getState/setState round-trips slots and the step', () => {
  const make = () => new optimizers.Adam({ learningRate: 0.1, amsgrad: true });
  const g = () => nr.tensor([0.3, -0.7], undefined, 'float64');
  const a = nr.variable(nr.tensor([1, 2], undefined, 'float64'));
  const b = nr.variable(nr.tensor([1, 2], undefined, 'float64'));
  const first = make();
  first.applyGradients([[g(), a]]);
  first.applyGradients([[g(), a]]);
  const state = first.getState();
  assert.equal(state.iterations, 2);
  assert.deepEqual(Object.keys(state.slots[0]!).sort(), ['m', 'v', 'vHat']);
  b.assign(a);
  const second = make();
  second.setState(state, [b]);
  first.applyGradients([[g(), a]]);
  second.applyGradients([[g(), b]]);
  assert.deepEqual(b.toArray(), a.toArray());
  assert.throws(() => make().setState({ iterations: 1, slots: [{ m: [0, 0] }] }, [b]), /needs slots \[m, v, vHat\]/);
});

test('getConfig round-trips through getOptimizer', () => {
  const sgd = new optimizers.SGD({
    learningRate: new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 5, decayRate: 0.9 }),
    momentum: 0.8,
    nesterov: true,
    clipnorm: 1,
  });
  const copy = optimizers.getOptimizer({ className: sgd.className, config: sgd.getConfig() });
  assert.deepEqual(copy.getConfig(), sgd.getConfig());
  assert.equal((copy.getConfig() as { momentum: number }).momentum, 0.8);
});

test('names are accepted in any case, snake_case or camelCase', () => {
  const cases: [string, string][] = [
    ['sgd', 'SGD'],
    ['SGD', 'SGD'],
    ['Adam', 'Adam'],
    ['adam_w', 'AdamW'],
    ['adamW', 'AdamW'],
    ['RMSprop', 'RMSprop'],
    ['rms_prop', 'RMSprop'],
    ['adagrad', 'Adagrad'],
    ['ADADELTA', 'Adadelta'],
  ];
  for (const [name, className] of cases) assert.equal(optimizers.getOptimizer(name).className, className, name);
  const instance = new optimizers.Adam();
  assert.equal(optimizers.getOptimizer(instance), instance);
});

test('an unknown optimizer name is a ConfigError listing the valid names', () => {
  assert.throws(
    () => optimizers.getOptimizer('adamax_typo'),
    (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError);
      for (const n of ['sgd', 'adam', 'adamw', 'rmsprop', 'adagrad', 'adadelta']) assert.match(e.message, new RegExp(`'${n}'`));
      assert.match(e.message, /adamax_typo/);
      return true;
    },
  );
});

test('bad options are ConfigErrors naming the option', () => {
  const bad: [() => unknown, string][] = [
    [() => new optimizers.SGD({ learningRate: -0.1 }), 'learningRate'],
    [() => new optimizers.Adam({ learningRate: Number.NaN }), 'learningRate'],
    [() => new optimizers.SGD({ momentum: 1.5 }), 'momentum'],
    [() => new optimizers.SGD({ momentum: -0.1 }), 'momentum'],
    [() => new optimizers.RMSprop({ momentum: 2 }), 'momentum'],
    [() => new optimizers.Adam({ beta1: 1 }), 'beta1'],
    [() => new optimizers.RMSprop({ rho: -1 }), 'rho'],
    [() => new optimizers.Adagrad({ epsilon: -1 }), 'epsilon'],
    [() => new optimizers.AdamW({ weightDecay: -1 }), 'weightDecay'],
    [() => new optimizers.SGD({ clipnorm: 1, clipvalue: 1 }), 'clipvalue'],
    [() => new optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 0, decayRate: 0.5 }), 'decaySteps'],
    [() => new optimizers.PiecewiseConstantDecay({ boundaries: [1, 2], values: [1, 2] }), 'values'],
  ];
  for (const [make, option] of bad) {
    assert.throws(make, (e: unknown) => e instanceof nr.ConfigError && e.message.includes(`"${option}"`), option);
  }
  const w = nr.variable(nr.tensor([1, 2]));
  assert.throws(() => new optimizers.SGD().applyGradients([[nr.tensor([1, 2, 3]), w]]), nr.ShapeError);
});

test('setState checks every slot shape before assigning anything', () => {
  const a = nr.variable(nr.tensor([1, 2]), { name: 'a' });
  const b = nr.variable(nr.tensor([3, 4, 5]), { name: 'b' });
  const optimizer = new nr.optimizers.Adam();
  optimizer.apply([nr.tensor([1, 1]), nr.tensor([1, 1, 1])], [a, b]);
  const before = optimizer.getState();
  const saved = before.slots.map((s) => Object.fromEntries(Object.entries(s).map(([k, t]) => [k, Array.from(t.data())])));
  const bad = before.slots.map((s, i) =>
    Object.fromEntries(Object.entries(s).map(([k, t]) => [k, i === 1 ? nr.zeros([2]) : nr.full([...t.shape], 9)])),
  );
  assert.throws(() => optimizer.setState({ iterations: 5, slots: bad }, [a, b]), nr.ShapeError);
  const after = optimizer.getState();
  assert.equal(after.iterations, before.iterations);
  after.slots.forEach((s, i) => Object.entries(s).forEach(([k, t]) => assert.deepEqual(Array.from(t.data()), saved[i]![k])));
});

test('the fused update op names the rule and which tensor does not fit the parameter', () => {
  const param = nr.ones([3]);
  assert.throws(
    () => applyOptimizerUpdate('sgd', param, nr.ones([3]), [nr.ones([2])], {}),
    (e: Error) =>
      e instanceof nr.ShapeError && /^applyOptimizerUpdate \(sgd\): .* parameter's shape \[3\], got \[2\] for slot 0$/.test(e.message),
  );
  assert.throws(
    () => applyOptimizerUpdate('sgd', param, nr.ones([1, 3]), [], {}),
    (e: Error) => e instanceof nr.ShapeError && /got \[1, 3\] for the gradient$/.test(e.message),
  );
  assert.throws(
    () => applyOptimizerUpdate('adam', param, nr.ones([3]), [nr.ones([3]), nr.ones([3], 'float64')], {}),
    (e: Error) =>
      e instanceof nr.DTypeError &&
      /^applyOptimizerUpdate \(adam\): slots must have the parameter's dtype float32, got float64 for slot 1$/.test(e.message),
  );
  assert.throws(
    () => applyOptimizerUpdate('sgd', nr.ones([3], 'int32'), nr.ones([3]), [], {}),
    (e: Error) => e instanceof nr.DTypeError && /the parameter must be float32 or float64, got int32$/.test(e.message),
  );
});
