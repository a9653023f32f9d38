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

/** offset + scale * (h / 2**32 - 0.5) with h = fmix32(i * 2654435761 + seed * 40503), stored as float32 (formula.py). */
export function formula(size: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = entry(i, seed, scale, offset);
  return out;
}

function entry(i: number, seed: number, scale: number, offset: number): number {
  // MurmurHash3's 32-bit finaliser; Math.imul keeps each product's low 32 bits, as numpy's masking does.
  let h = (Math.imul(i, 2654435761) + Math.imul(seed, 40503)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return offset + scale * ((h >>> 0) / 4294967296 - 0.5);
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

/**
 * Entry i (row-major in PyTorch's layout) of a PyTorch tensor, by its name and PyTorch shape:
 * formula.py's seed_of and spec_of.
 */
export function torchEntries(name: string, shape: readonly number[]): (i: number) => number {
  const size = shape.reduce((a, b) => a * b, 1);
  const leaf = name.slice(name.lastIndexOf('.') + 1);
  let [scale, offset] = [0.2, 0];
  if (leaf === 'weight' && shape.length > 1) scale = Math.sqrt(24 / (size / shape[0]!));
  else if (leaf === 'running_var') [scale, offset] = [1, 1];
  else if (leaf === 'weight') [scale, offset] = [0.4, 1];
  const seed = crc32(name) % 100003;
  return (i) => entry(i, seed, scale, offset);
}

/** The fixture's images (NCHW there) as an NHWC batch. */
export function referenceImages(ref: TorchReference, count = ref.logits.length): nr.Tensor {
  const size = ref.imageSize;
  const nchw = formula(count * 3 * size * size, ref.imageSeed, 2);
  return nr.tensor(nchw, [count, 3, size, size]).transpose([0, 2, 3, 1]);
}

// The maps below write each value straight into neurona's layout (no transposes of 100-million-entry tensors).

/** torch Conv2d weight `name` ([out, in, kh, kw]) as a Keras kernel [kh, kw, in, out]. */
export function convKernel(name: string, shape: readonly number[]): nr.Tensor {
  const [kh, kw, inputs, filters] = shape as [number, number, number, number];
  const at = torchEntries(name, [filters, inputs, kh, kw]);
  const out = new Float32Array(kh * kw * inputs * filters);
  let k = 0;
  for (let y = 0; y < kh; y++)
    for (let x = 0; x < kw; x++)
      for (let i = 0; i < inputs; i++) for (let o = 0; o < filters; o++) out[k++] = at(((o * inputs + i) * kh + y) * kw + x);
  return nr.tensor(out, shape);
}

/**
 * torch Linear weight `name` ([out, in]) as a Dense kernel [in, out]. After a flatten of
 * [channels, height, width] feature maps (`chw`), Keras's input row (h*W + w)*C + c is torch's
 * column c*H*W + h*W + w.
 */
export function denseKernel(name: string, shape: readonly number[], chw?: [number, number, number]): nr.Tensor {
  const [inputs, units] = shape as [number, number];
  const at = torchEntries(name, [units, inputs]);
  const out = new Float32Array(inputs * units);
  const [c, h, w] = chw ?? [inputs, 1, 1];
  for (let row = 0; row < inputs; row++) {
    const column = (row % c) * h * w + Math.floor(row / c);
    for (let u = 0; u < units; u++) out[row * units + u] = at(u * inputs + column);
  }
  return nr.tensor(out, shape);
}

export function vector(name: string, length: number): nr.Tensor {
  const at = torchEntries(name, [length]);
  return nr.tensor(
    Float32Array.from({ length }, (_, i) => at(i)),
    [length],
  );
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
