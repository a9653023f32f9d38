/*
 * The TypeScript side of test/fixtures/applications/formula.py: the same deterministic values, and
 * the maps from PyTorch's layouts to neurona's (Keras's), so a model filled here computes what the
 * fixture's torchvision model computed.
 */
import { readFileSync } from 'node:fs';
import { nr, assert } from '../helpers.js';

export interface TorchReference {
  imageSeed: number;
  imageSize: number;
  /** torchvision's trainable parameter count. */
  trainable?: number;
  logits: number[][];
}

export function readReference(file: string): Record<string, TorchReference> {
  return JSON.parse(readFileSync(new URL(`../fixtures/applications/${file}`, import.meta.url), 'utf8'));
}

/** offset + scale * (frac(sin((i + seed) * 12.9898) * 43758.5453) - 0.5), in float64, stored as float32. */
export function formula(size: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const s = Math.sin((i + seed) * 12.9898) * 43758.5453;
    out[i] = offset + scale * (s - Math.floor(s) - 0.5);
  }
  return out;
}

/** CRC-32 (zlib's polynomial) of an ASCII string. */
function crc32(text: string): number {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    crc ^= text.charCodeAt(i);
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** A PyTorch tensor's values by its name and (PyTorch) shape: formula.py's seed_of and spec_of. */
export function torchValues(name: string, shape: readonly number[]): Float32Array {
  const size = shape.reduce((a, b) => a * b, 1);
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  let [scale, offset] = [0.2, 0];
  if (leaf === 'weight' && shape.length > 1) scale = Math.sqrt(24 / (size / shape[0]!));
  else if (leaf === 'running_var') [scale, offset] = [1, 1];
  else if (leaf === 'weight') [scale, offset] = [0.4, 1];
  return formula(size, crc32(name) % 100003, scale, offset);
}

/** The fixture's images (NCHW there) as an NHWC batch. */
export function referenceImages(ref: TorchReference, count = ref.logits.length): nr.Tensor {
  const size = ref.imageSize;
  const nchw = formula(count * 3 * size * size, ref.imageSeed, 2);
  return nr.tensor(nchw, [count, 3, size, size]).transpose([0, 2, 3, 1]);
}

/** torch Conv2d weight `name` ([out, in, kh, kw]) for a Keras kernel of shape [kh, kw, in, out]. */
export function convKernel(name: string, [kh, kw, inputs, filters]: readonly number[]): nr.Tensor {
  return nr.tensor(torchValues(name, [filters!, inputs!, kh!, kw!]), [filters!, inputs!, kh!, kw!]).transpose([2, 3, 1, 0]);
}

/**
 * torch Linear weight `name` ([out, in]) for a Dense kernel of shape [in, out]. After a flatten of
 * [channels, height, width] feature maps (`chw`), torch's input index c*H*W + h*W + w becomes
 * Keras's (h*W + w)*C + c.
 */
export function denseKernel(name: string, [inputs, units]: readonly number[], chw?: [number, number, number]): nr.Tensor {
  const w = nr.tensor(torchValues(name, [units!, inputs!]), [units!, inputs!]);
  if (!chw) return w.transpose([1, 0]);
  const [c, h, ww] = chw;
  return w.reshape([units!, c, h, ww]).transpose([2, 3, 1, 0]).reshape([inputs!, units!]);
}

export function vector(name: string, length: number): nr.Tensor {
  return nr.tensor(torchValues(name, [length]), [length]);
}

/**
 * Fills a layer from torch tensors named `${prefix}.weight` etc.: Conv2D (kernel, bias if any),
 * Dense (kernel, bias; `chw` for a flatten before it), BatchNormalization (weight, bias, running
 * mean and variance, as gamma, beta, moving mean and variance).
 */
export function fillLayer(layer: nr.layers.Layer, prefix: string, chw?: [number, number, number]): void {
  const [kernel, ...rest] = layer.weights;
  const length = (i: number) => rest[i]!.shape[0]!;
  if (layer.className === 'BatchNormalization') {
    const names = ['weight', 'bias', 'running_mean', 'running_var'];
    setLayer(
      layer,
      names.map((n) => vector(`${prefix}.${n}`, kernel!.shape[0]!)),
    );
  } else if (layer.className === 'Conv2D') {
    setLayer(layer, [convKernel(`${prefix}.weight`, kernel!.shape), ...rest.map((_, i) => vector(`${prefix}.bias`, length(i)))]);
  } else {
    setLayer(layer, [denseKernel(`${prefix}.weight`, kernel!.shape, chw), ...rest.map((_, i) => vector(`${prefix}.bias`, length(i)))]);
  }
}

/** Assigns a layer's weights in its own order (kernel, bias; gamma, beta, moving mean, moving variance). */
export function setLayer(layer: nr.layers.Layer, values: readonly nr.Tensor[]): void {
  const weights = layer.weights;
  assert.equal(weights.length, values.length, `${layer.name}: ${weights.length} weights, ${values.length} values`);
  weights.forEach((w, i) => w.assign(values[i]!));
}

/**
 * Logits agree within 1e-4 relative to the row's largest logit (a logit near zero has no
 * relative precision of its own: its error comes from the sums that made its neighbours large).
 */
export function assertLogitsClose(actual: nr.Tensor, expected: number[][]): void {
  assert.deepEqual(actual.shape, [expected.length, expected[0]!.length]);
  const rows = actual.toArray() as number[][];
  expected.forEach((row, b) => {
    const scale = Math.max(...row.map(Math.abs));
    row.forEach((e, j) => {
      const a = rows[b]![j]!;
      assert.ok(Math.abs(a - e) <= 1e-4 * scale, `image ${b} logit ${j}: got ${a}, torchvision ${e} (row scale ${scale})`);
    });
  });
}
