import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { nr, assert, assertClose } from '../helpers.js';

// Logits of Keras's MobileNetV2 and EfficientNetB0 as written out in PyTorch (float64) by
// test/fixtures/generate_keras_applications.py, with the same weights: each is drawn from a small
// integer generator seeded by its layer's name and its role, here as there. torchvision's own models
// are other definitions (padding, epsilons, stem), so this port of Keras's is the reference.
const expected = JSON.parse(readFileSync('test/fixtures/keras-applications.json', 'utf8')) as Record<string, number[][]>;

function nameSeed(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 2147483647;
  return h;
}

/** Park-Miller: every product stays below 2^47, so doubles give Python's integers exactly. */
function pattern(name: string, index: number, count: number): number[] {
  let state = ((nameSeed(name) + 7919 * index) % 2147483646) + 1;
  return Array.from({ length: count }, () => {
    state = (state * 48271) % 2147483647;
    return (state / 2147483647) * 2 - 1;
  });
}

const vector = (name: string, index: number, count: number, offset: number, scale: number) =>
  pattern(name, index, count).map((p) => offset + scale * p);

/** The script's value for one weight, by layer class and the weight's role. */
function weightValues(layer: nr.layers.Layer, role: string, shape: readonly number[]): number[] {
  const count = shape.reduce((a, b) => a * b, 1);
  const name = layer.name;
  if (role === 'kernel') {
    const fanIn = layer.className === 'DepthwiseConv2D' ? shape[0]! * shape[1]! : count / shape.at(-1)!;
    return pattern(name, 0, count).map((p) => (p * 2.4) / Math.sqrt(fanIn));
  }
  const roles: Record<string, () => number[]> = {
    bias: () => vector(name, 1, count, 0, 0.1),
    gamma: () => vector(name, 0, count, 1.1, 0.2),
    beta: () => vector(name, 1, count, 0, 0.1),
    moving_mean: () => vector(name, 2, count, 0, 0.1),
    moving_variance: () => vector(name, 3, count, 1, 0.5).map(Math.abs),
    mean: () => vector(name, 0, count, 0.45, 0.05),
    variance: () => vector(name, 1, count, 0.06, 0.01),
    count: () => [0],
  };
  const make = roles[role];
  assert.ok(make, `no rule for ${name}/${role}`);
  return make();
}

function setReferenceWeights(model: nr.Model): void {
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    layer.setWeights(
      weights.map((w) => nr.tensor(Float32Array.from(weightValues(layer, w.name.split('/').at(-1)!, w.shape)), [...w.shape])),
    );
  }
}

function images(n: number, size: number, low: number, high: number): nr.Tensor {
  const values = pattern('images', 0, n * size * size * 3).map((p) => low + (high - low) * ((p + 1) / 2));
  return nr.tensor(Float32Array.from(values), [n, size, size, 3]);
}

function checkLogits(model: nr.Model, x: nr.Tensor, reference: number[][]) {
  const logits = model.predict(x);
  const flat = reference.flat();
  const scale = Math.max(...flat.map(Math.abs));
  // float32 through some 150 layers against float64: relative to the largest logit.
  assertClose(logits, flat, { rtol: 1e-4, atol: 1e-4 * scale });
}

test("MobileNetV2: logits equal a PyTorch port of Keras's definition with the same weights (40x40, 10 classes)", async () => {
  const model = await nr.applications.MobileNetV2({ weights: null, inputShape: [40, 40, 3], classes: 10, classifierActivation: null });
  setReferenceWeights(model);
  checkLogits(model, images(2, 40, -1, 1), expected.MobileNetV2!);
});

test("EfficientNetB0: logits equal a PyTorch port of Keras's definition with the same weights (raw pixels, 40x40)", async () => {
  nr.layers.resetLayerNames(); // the stem's Normalization is unnamed in Keras: 'normalization' in a fresh session
  const model = await nr.applications.EfficientNetB0({ weights: null, inputShape: [40, 40, 3], classes: 10, classifierActivation: null });
  setReferenceWeights(model);
  checkLogits(model, images(2, 40, 0, 255), expected.EfficientNetB0!);
});
