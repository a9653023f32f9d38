import { nr, assert } from '../helpers.js';

/*
 * The models that test/fixtures/keras-h5/make_fixtures.py writes weights for. Element k of weight w
 * of the file's n-th layer with weights is n * 1000 + w * 100 + (k % 97) * 0.5.
 */

export function pattern(layerNumber: number, weightIndex: number, size: number): number[] {
  return Array.from({ length: size }, (_, k) => layerNumber * 1000 + weightIndex * 100 + (k % 97) * 0.5);
}

/** The model the small fixtures hold: conv1, bn1, relu1, dw1, bn2 (scale: false), gap, predictions. */
export function smallModel(names = true): nr.Model {
  const n = (name: string) => (names ? { name } : {});
  const input = nr.Input([8, 8, 3]);
  let x = new nr.layers.Conv2D(4, 3, n('conv1')).apply(input);
  x = new nr.layers.BatchNormalization(n('bn1')).apply(x);
  x = new nr.layers.ReLU(n('relu1')).apply(x);
  x = new nr.layers.DepthwiseConv2D(3, { depthMultiplier: 2, ...n('dw1') }).apply(x);
  x = new nr.layers.BatchNormalization({ scale: false, ...n('bn2') }).apply(x);
  x = new nr.layers.GlobalAveragePooling2D(n('gap')).apply(x);
  x = new nr.layers.Dense(5, n('predictions')).apply(x);
  return new nr.Model({ inputs: input, outputs: x });
}

/** Every weight of the small model, by layer, in Keras's order, with the value the fixtures give it. */
export function assertSmallLoaded(model: nr.Model): void {
  const expected: [number, string[]][] = [
    [1, ['kernel', 'bias']],
    [2, ['gamma', 'beta', 'moving_mean', 'moving_variance']],
    [3, ['kernel', 'bias']],
    [4, ['beta', 'moving_mean', 'moving_variance']],
    [5, ['kernel', 'bias']],
  ];
  const layers = model.layers.filter((l) => l.weights.length > 0);
  assert.equal(layers.length, expected.length);
  layers.forEach((layer, i) => {
    const [number, names] = expected[i]!;
    const byName = new Map(layer.weights.map((w) => [w.name.slice(w.name.lastIndexOf('/') + 1), w]));
    assert.deepEqual([...byName.keys()].sort(), [...names].sort(), `weights of ${layer.name}`);
    names.forEach((name, w) => {
      const variable = byName.get(name)!;
      assert.deepEqual(Array.from(variable.data() as Float32Array), pattern(number, w, variable.size), `${layer.name}/${name}`);
    });
  });
  // The Dense kernel is [in, out] row-major: kernel[i][j] = 5000 + (5i + j) * 0.5 (i < 8, j < 5).
  const kernel = model.getLayer(layers[4]!.name).weights[0]!;
  assert.deepEqual(kernel.shape, [8, 5]);
  assert.equal((kernel.data() as Float32Array)[1 * 5 + 2], 5000 + 7 * 0.5);
}
