import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;

test("Masking: the mask is any(step != maskValue) over the features, and masked steps are zeroed, as Keras's", () => {
  const x = nr.tensor([
    [
      [1, 2],
      [-1, -1],
      [-1, 3],
    ],
    [
      [-1, -1],
      [0, 0],
      [-1, -1],
    ],
  ]);
  const y = new L.Masking({ maskValue: -1 }).apply(x);
  assert.deepEqual(nr.getMask(y)?.toArray(), [
    [1, 0, 1],
    [0, 1, 0],
  ]);
  assert.equal(nr.getMask(y)?.dtype, 'float32');
  assert.deepEqual(y.shape, [2, 3, 2]);
  // Multiplied by the mask as Keras does, so a masked -1 becomes -0.
  assertClose(
    y.data(),
    [
      [
        [1, 2],
        [0, 0],
        [-1, 3],
      ],
      [
        [0, 0],
        [0, 0],
        [0, 0],
      ],
    ].flat(2),
  );
  // The default maskValue is 0, positional as in Keras, and mask_value is its snake_case key.
  assert.equal(new L.Masking().maskValue, 0);
  assert.equal(new L.Masking(-1).maskValue, -1);
  assert.equal(new L.Masking({ mask_value: 2 } as never).getConfig().maskValue, 2);
  // The gradient flows through the kept steps only.
  const v = nr.variable(
    nr.tensor([
      [
        [0, 0],
        [2, 3],
      ],
    ]),
  );
  new L.Masking().apply(v).sum().backward();
  assert.deepEqual(v.grad?.toArray(), [
    [
      [0, 0],
      [1, 1],
    ],
  ]);
});

test('Masking: the mask reaches the layers after it, in a functional model and eagerly', () => {
  const input = nr.Input({ shape: [4, 2] });
  const masked = new L.Masking().apply(input);
  const dense = new L.Dense({ units: 2 });
  const pooled = new L.GlobalAveragePooling1D().apply(dense.apply(masked));
  dense.setWeights([nr.eye(2), nr.zeros([2])]);
  const model = new nr.Model({ inputs: input, outputs: pooled });
  const x = nr.tensor([
    [
      [1, 2],
      [3, 4],
      [0, 0],
      [0, 0],
    ],
  ]);
  // The mean of the two real steps, not of all four.
  assertClose(model.predict(x), [2, 3]);
  assertClose(new L.GlobalAveragePooling1D().apply(new L.Masking().apply(x)), [2, 3]);
});

test('Masking passes the shared layer test', () => {
  runLayerTest(() => new L.Masking(), { inputShape: [2, 3, 2], expectedOutputShape: [2, 3, 2] });
  runLayerTest(() => new L.Masking({ maskValue: 0.5 }), { inputShape: [2, 4], expectedOutputShape: [2, 4] });
});

test('Masking misuse: errors name the layer and the rule', () => {
  assert.throws(
    () => new L.Masking({ maskValue: 'pad' as never, name: 'm' }),
    (e: Error) => e instanceof nr.ConfigError && /^Masking "m": maskValue must be a finite number/.test(e.message),
  );
  assert.throws(
    () => new L.Masking({ name: 'm' }).apply(nr.ones([3])),
    (e: Error) => e instanceof nr.ShapeError && /^Masking "m" \(input shape \[3\]\): expected input of rank 2 or more/.test(e.message),
  );
  assert.throws(
    () => new L.Masking({ mask_valu: 0 } as never),
    (e: Error) => e instanceof nr.ConfigError && /did you mean 'mask_value'/.test(e.message),
  );
});
