import { test } from 'node:test';
import { nr, assert } from '../helpers.js';

const sizes = (vars: readonly nr.Tensor[]) => vars.reduce((sum, v) => sum + v.size, 0);

// [model, default size, total as Keras prints it, trainable]. The trainable counts equal the
// learnable parameters of the original (TensorFlow) EfficientNets as other ports publish them;
// the rest are batch-norm statistics and the Normalization's 7 values.
const CASES = [
  ['EfficientNetB1', 240, 7_856_239, 7_794_184],
  ['EfficientNetB2', 260, 9_177_569, 9_109_994],
  ['EfficientNetB3', 300, 12_320_535, 12_233_232],
  ['EfficientNetB4', 380, 19_466_823, 19_341_616],
  ['EfficientNetB5', 456, 30_562_527, 30_389_784],
  ['EfficientNetB6', 528, 43_265_143, 43_040_704],
  ['EfficientNetB7', 600, 66_658_687, 66_347_960],
] as const;

// Each model is built once and dropped before the next: B7 alone holds 267 MB of weights.
for (const [name, size, total, trainable] of CASES) {
  test(`${name}: parameter counts as Keras prints them, default input ${size}x${size}`, async () => {
    const model = await nr.applications[name]({ weights: null });
    assert.equal(model.name, name.toLowerCase());
    assert.equal(model.countParams(), total);
    assert.equal(sizes(model.trainableWeights), trainable);
    assert.equal(sizes(model.nonTrainableWeights), total - trainable);
    assert.deepEqual(model.computeOutputShape([null, size, size, 3]), [null, 1000]);
    assert.deepEqual(model.layers[0]!.batchInputShape, [null, size, size, 3]);
  });
}
