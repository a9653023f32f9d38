import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { Input, Model } from '../../../src/nn/models/index.js';

const { Conv2D, BatchNormalization, Activation, Add, Concatenate, Dense } = nr.layers;

// Keras's model.layers for this block (the order keras.applications.ResNet50 lists its first block in):
// layers by decreasing depth from the output, equal depths in the order the walk from the output met them.
test('model.layers follows Keras: a residual block lists the shortcut conv after the main path, as Keras does', () => {
  const input = Input({ shape: [8, 8, 4], name: 'in' });
  const shortcut = new BatchNormalization({ name: '0_bn' }).apply(new Conv2D({ filters: 8, kernelSize: 1, name: '0_conv' }).apply(input));
  let x = new Conv2D({ filters: 2, kernelSize: 1, name: '1_conv' }).apply(input);
  x = new Activation({ activation: 'relu', name: '1_relu' }).apply(new BatchNormalization({ name: '1_bn' }).apply(x));
  x = new Conv2D({ filters: 2, kernelSize: 3, padding: 'same', name: '2_conv' }).apply(x);
  x = new Activation({ activation: 'relu', name: '2_relu' }).apply(new BatchNormalization({ name: '2_bn' }).apply(x));
  x = new BatchNormalization({ name: '3_bn' }).apply(new Conv2D({ filters: 8, kernelSize: 1, name: '3_conv' }).apply(x));
  const out = new Add({ name: 'add' }).apply([shortcut, x]);
  const model = new Model({ inputs: input, outputs: out });
  const names = model.layers.map((l) => l.name);
  assert.deepStrictEqual(names, ['in', '1_conv', '1_bn', '1_relu', '2_conv', '2_bn', '2_relu', '0_conv', '3_conv', '0_bn', '3_bn', 'add']);
  // The order is the model's: a saved and rebuilt model lists its layers the same way.
  const again = Model.fromConfig(model.getConfig()) as Model;
  assert.deepStrictEqual(
    again.layers.map((l) => l.name),
    names,
  );
});

test('model.layers follows Keras: a second input used late comes late, an unused one first at depth 0', () => {
  const a = Input({ shape: [3], name: 'a' });
  const b = Input({ shape: [2], name: 'b' });
  const h = new Dense({ units: 4, name: 'h' }).apply(new Dense({ units: 4, name: 'g' }).apply(a));
  const out = new Dense({ units: 1, name: 'out' }).apply(new Concatenate({ name: 'cat' }).apply([h, b]));
  const model = new Model({ inputs: [a, b], outputs: out });
  assert.deepStrictEqual(
    model.layers.map((l) => l.name),
    ['a', 'g', 'h', 'b', 'cat', 'out'],
  );
  // Predictions take the inputs in the order given, whatever the layer order.
  const y = model.predict([nr.ones([1, 3]), nr.ones([1, 2])]) as nr.Tensor;
  assert.deepStrictEqual(y.shape, [1, 1]);
});
