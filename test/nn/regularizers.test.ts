import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';

const w = () =>
  nr.tensor(
    [
      [1, -2],
      [0.5, -0.25],
    ],
    undefined,
    'float64',
  );
// sum |w| = 3.75, sum w^2 = 1 + 4 + 0.25 + 0.0625 = 5.3125

test('l1, l2 and l1_l2 penalties by hand', () => {
  assertClose([nr.regularizers.l1(0.1)(w()).item()], [0.375], { rtol: 1e-12 });
  assertClose([nr.regularizers.l2(0.1)(w()).item()], [0.53125], { rtol: 1e-12 });
  assertClose([nr.regularizers.l1l2({ l1: 0.1, l2: 0.01 })(w()).item()], [0.375 + 0.053125], { rtol: 1e-12 });
  assertClose([nr.regularizers.l1()(w()).item()], [0.0375], { rtol: 1e-12 });
  assertClose([nr.regularizers.getRegularizer('l2')!(w()).item()], [0.053125], { rtol: 1e-12 });
  assertClose([nr.regularizers.getRegularizer({ className: 'L1L2', config: { l1: 1, l2: 1 } })!(w()).item()], [3.75 + 5.3125], {
    rtol: 1e-12,
  });
  assertClose([nr.regularizers.getRegularizer('l1_l2')!(w()).item()], [0]);
  assert.equal(nr.regularizers.getRegularizer(null), null);
});

test('regularizer errors', () => {
  assert.throws(() => nr.regularizers.l2(-1), nr.ConfigError);
  assert.throws(
    () => nr.regularizers.getRegularizer('l3'),
    (e: Error) => e instanceof nr.ConfigError && /valid names are l1, l2, l1_l2/.test(e.message),
  );
});

test('layer.losses holds the penalties of the last apply, and they differentiate', () => {
  const layer = new nr.layers.Maxout({ units: 1, pieces: 2, kernelRegularizer: nr.regularizers.l1(0.5) });
  assert.equal(layer.losses.length, 0);
  layer.apply(nr.ones([2, 2]));
  layer.setWeights([
    nr.tensor([
      [1, -2],
      [3, 0.5],
    ]),
    nr.tensor([0, 0]),
  ]);
  layer.apply(nr.ones([2, 2]));
  assert.equal(layer.losses.length, 1);
  assertClose([layer.losses[0]!.item()], [0.5 * 6.5], { rtol: 1e-6 });
  layer.losses[0]!.backward();
  assertClose(layer.kernel!.grad!, [0.5, -0.5, 0.5, 0.5]);
  layer.trainable = false;
  layer.apply(nr.ones([2, 2]));
  assert.equal(layer.losses.length, 0, 'a frozen layer adds no penalty');
});
