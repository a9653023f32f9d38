import { readFileSync } from 'node:fs';
import { nr, assert, assertClose } from '../helpers.js';

/*
 * Logits of Keras's MobileNetV2, EfficientNetB0, InceptionV3 and DenseNet121 as written out in
 * PyTorch (float64) by test/fixtures/generate_keras_applications.py, with the same weights: each
 * is drawn from a small integer generator seeded by its layer's name and its role, here as there.
 * torchvision's own models are other definitions (padding, epsilons, stems), so this port of
 * Keras's is the reference.
 */
export const expectedLogits = JSON.parse(readFileSync('test/fixtures/keras-applications.json', 'utf8')) as Record<string, number[][]>;

function nameSeed(name: string): number {
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.charCodeAt(0)) % 2147483647;
  return h;
}

/**
 * `count` values in (-1, 1) from the Park-Miller generator, each passed through `f` and rounded to
 * float32. Every product stays below 2^47, so doubles give Python's integers exactly.
 */
function pattern(name: string, index: number, count: number, f: (p: number) => number): Float32Array {
  let state = ((nameSeed(name) + 7919 * index) % 2147483646) + 1;
  const out = new Float32Array(count);
  for (let j = 0; j < count; j++) {
    state = (state * 48271) % 2147483647;
    out[j] = f((state / 2147483647) * 2 - 1);
  }
  return out;
}

/** The script's value for one weight, by layer class and the weight's role. */
function weightValues(layer: nr.layers.Layer, role: string, shape: readonly number[]): Float32Array {
  const count = shape.reduce((a, b) => a * b, 1);
  const name = layer.name;
  const vector = (index: number, offset: number, scale: number) => pattern(name, index, count, (p) => offset + scale * p);
  if (role === 'kernel') {
    const fanIn = layer.className === 'DepthwiseConv2D' ? shape[0]! * shape[1]! : count / shape.at(-1)!;
    const amplitude = Math.sqrt(fanIn);
    return pattern(name, 0, count, (p) => (p * 2.4) / amplitude);
  }
  // Batch normalization without scale (InceptionV3) has no gamma: the others move up one index.
  const first = layer.weights.some((w) => w.name.endsWith('/gamma')) ? 0 : -1;
  const roles: Record<string, () => Float32Array> = {
    bias: () => vector(1, 0, 0.1),
    gamma: () => vector(0, 1.1, 0.2),
    beta: () => vector(first + 1, 0, 0.1),
    moving_mean: () => vector(first + 2, 0, 0.1),
    moving_variance: () => vector(first + 3, 1, 0.5).map(Math.abs),
    mean: () => vector(0, 0.45, 0.05),
    variance: () => vector(1, 0.06, 0.01),
    count: () => new Float32Array(1),
  };
  const make = roles[role];
  assert.ok(make, `no rule for ${name}/${role}`);
  return make();
}

/** Gives every weight of `model` the script's value. */
export function setReferenceWeights(model: nr.Model): void {
  for (const layer of model.layers) {
    const weights = layer.weights;
    if (weights.length === 0) continue;
    layer.setWeights(
      weights.map((w) => nr.tensor(Float32Array.from(weightValues(layer, w.name.split('/').at(-1)!, w.shape)), [...w.shape])),
    );
  }
}

/** The script's images: [n, size, size, 3] with values in [low, high]. */
export function referenceImages(n: number, size: number, low: number, high: number): nr.Tensor {
  return nr.tensor(
    pattern('images', 0, n * size * size * 3, (p) => low + (high - low) * ((p + 1) / 2)),
    [n, size, size, 3],
  );
}

/** float32 through up to some 300 layers against float64: compared relative to the largest logit. */
export function assertReferenceLogits(model: nr.Model, x: nr.Tensor, reference: number[][]): void {
  const flat = reference.flat();
  const scale = Math.max(...flat.map(Math.abs));
  assertClose(model.predict(x), flat, { rtol: 1e-4, atol: 1e-4 * scale });
}
