import { test, type TestContext } from 'node:test';
import type { KernelName } from '../../src/backend/index.js';
import { assert, assertClose, backendsUnderTest, float32Tolerance, nr, withBackend } from '../helpers.js';
import { stridesOf } from '../../src/core/index.js';

/*
 * The conformance harness: every case runs once per backend in `backendsUnderTest()`, through the
 * public ops, and is compared with a float64 reference written out as plain loops in the test
 * itself. Inputs come from a small RNG local to the tests, so they do not depend on any backend's
 * fillUniform kernel.
 */

/**
 * Cases a backend is excused from, with the reason. This is the one visible place for exclusions
 * (docs/contributing.md, "How code is written", habit 5). Every backend must pass every case; the only
 * entries are two large convolution cases skipped on webgpu for time: SwiftShader, the software adapter
 * CI runs it on, spends 43 s on them, and they test how the CPU backends cut im2col into chunks, which
 * webgpu does not do (its shaders run the same code path on the smaller cases).
 */
const SWIFTSHADER_TIME = 'too slow on SwiftShader (43 s); the CPU chunking it tests does not exist on webgpu';
export const EXCLUSIONS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  webgpu: {
    'conv2d and backprops: LeNet-sized, im2col in chunks': SWIFTSHADER_TIME,
    'conv2dBiasActivation (nr.conv2d with bias and activation, and the kernel): 3x3 same over 40 channels (360 taps), 70 filters, 646 pixels':
      SWIFTSHADER_TIME,
  },
};

/** Registers `test('<name> [<backend>]')` for every backend under test, with that backend active. */
export function conformance(name: string, fn: (backend: string) => void): void {
  for (const backend of backendsUnderTest()) {
    test(`${name} [${backend}]`, (t: TestContext) => {
      const reason = EXCLUSIONS[backend]?.[name];
      if (reason) {
        t.skip(reason);
        return;
      }
      withBackend(backend, () => fn(backend));
    });
  }
}

/**
 * Which test file checks each kernel of KERNEL_NAMES. Typed as a full record, so a kernel added to
 * the list without a conformance test fails the typecheck (and registry.test.ts at run time).
 */
export const KERNEL_COVERAGE: Record<KernelName, string> = {
  unary: 'elementwise.test.ts',
  unaryGrad: 'elementwise.test.ts',
  binary: 'binary.test.ts',
  where: 'binary.test.ts',
  cast: 'elementwise.test.ts',
  reduce: 'reduce.test.ts',
  argReduce: 'reduce.test.ts',
  matmul: 'matmul.test.ts',
  matmulBiasActivation: 'fused.test.ts',
  gelu: 'gelu.test.ts',
  geluBackward: 'gelu.test.ts',
  softmax: 'reduce.test.ts',
  attentionSoftmax: 'attention.test.ts',
  attentionSoftmaxBackward: 'attention.test.ts',
  logSoftmax: 'reduce.test.ts',
  softmaxCrossentropyBackward: 'fused.test.ts',
  transpose: 'layout.test.ts',
  slice: 'layout.test.ts',
  concat: 'layout.test.ts',
  pad: 'layout.test.ts',
  gather: 'layout.test.ts',
  scatterAdd: 'layout.test.ts',
  sparseMatmul: 'sparse.test.ts',
  oneHot: 'layout.test.ts',
  conv2d: 'conv.test.ts',
  conv2dBiasActivation: 'conv.test.ts',
  conv2dBackpropInput: 'conv.test.ts',
  conv2dBackpropFilter: 'conv.test.ts',
  depthwiseConv2d: 'conv.test.ts',
  depthwiseConv2dBackpropInput: 'conv.test.ts',
  depthwiseConv2dBackpropFilter: 'conv.test.ts',
  pool2d: 'pool.test.ts',
  pool2dBackward: 'pool.test.ts',
  batchNormTraining: 'norm.test.ts',
  batchNormBackward: 'norm.test.ts',
  layerNorm: 'layer-norm.test.ts',
  layerNormBackward: 'layer-norm.test.ts',
  groupNorm: 'group-norm.test.ts',
  groupNormBackward: 'group-norm.test.ts',
  applyUpdate: 'optimizer.test.ts',
  lstmCell: 'recurrent.test.ts',
  lstmCellBackward: 'recurrent.test.ts',
  gruCell: 'recurrent.test.ts',
  gruCellBackward: 'recurrent.test.ts',
  simpleRnnCell: 'recurrent.test.ts',
  simpleRnnCellBackward: 'recurrent.test.ts',
  fillUniform: 'random.test.ts',
  fillNormal: 'random.test.ts',
};

/** Lengths that are not multiples of any vector width, plus one past the typical unroll sizes. */
export const ODD_LENGTHS = [1, 3, 7, 17, 33, 1031] as const;

/** mulberry32: a tiny deterministic generator, independent of neurona's own stream. */
export class TestRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
  }

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low));
  }
}

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((p, d) => p * d, 1);
}

/** A float32 tensor of U[low, high) values from the test RNG. */
export function randomTensor(rng: TestRandom, shape: readonly number[], low = -1, high = 1): nr.Tensor {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = rng.uniform(low, high);
  return nr.tensor(data, [...shape], 'float32');
}

/** A float32 tensor whose values are drawn from `values` (to force ties and exact cases). */
export function pickTensor(rng: TestRandom, shape: readonly number[], values: readonly number[], dtype: nr.DType = 'float32'): nr.Tensor {
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = values[rng.int(0, values.length)]!;
  return nr.tensor(data, [...shape], dtype);
}

/** The values of a tensor as plain float64 numbers. */
export function valuesOf(t: nr.Tensor): number[] {
  return Array.from(t.data() as ArrayLike<number>);
}

/**
 * Asserts a float32 result matches a float64 reference to float32 rounding: the reference is
 * rounded to float32 first (so overflow to Infinity and underflow are what float32 gives), then
 * compared with the one shared tolerance for this reduction length.
 */
export function assertConforms(
  actual: nr.Tensor,
  expected: ArrayLike<number>,
  reductionLength: number,
  message: string,
  expectedShape?: readonly number[],
): void {
  if (expectedShape) assert.deepEqual(actual.shape, expectedShape, `${message}: shape`);
  assert.equal(actual.dtype, 'float32', `${message}: dtype`);
  const rounded = Array.from(expected, (v) => Math.fround(v));
  assertClose(actual.data(), rounded, { ...float32Tolerance(reductionLength), message });
}

/** Asserts exact equality of values (NaN equals NaN; -0 equals 0), dtype and shape. */
export function assertExact(
  actual: nr.Tensor,
  expected: ArrayLike<number>,
  dtype: nr.DType,
  message: string,
  expectedShape?: readonly number[],
): void {
  if (expectedShape) assert.deepEqual(actual.shape, expectedShape, `${message}: shape`);
  assert.equal(actual.dtype, dtype, `${message}: dtype`);
  const a = actual.data();
  assert.equal(a.length, expected.length, `${message}: length`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = expected[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x !== y) assert.fail(`${message}: element ${i}: got ${x}, expected ${y}`);
  }
}

export { stridesOf };

/** The multi-index of flat position `flat` in `shape`. */
export function unravel(flat: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let i = shape.length - 1; i >= 0; i--) {
    const d = shape[i]!;
    index[i] = flat % d;
    flat = Math.floor(flat / d);
  }
  return index;
}

/** NumPy's broadcast shape, written independently of src/. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    assert.ok(da === db || da === 1 || db === 1, `test bug: ${a} and ${b} do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Flat position in an operand of `shape` for an output multi-index (broadcast dims read index 0). */
export function broadcastOffset(outIndex: readonly number[], shape: readonly number[]): number {
  const strides = stridesOf(shape);
  const lead = outIndex.length - shape.length;
  let offset = 0;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] !== 1) offset += outIndex[lead + i]! * strides[i]!;
  }
  return offset;
}

/** Elementwise `f(a, b)` with broadcasting, in float64, by walking every output index. */
export function broadcastReference(
  a: ArrayLike<number>,
  aShape: readonly number[],
  b: ArrayLike<number>,
  bShape: readonly number[],
  f: (x: number, y: number) => number,
): { data: Float64Array; shape: number[] } {
  const shape = broadcastShape(aShape, bShape);
  const data = new Float64Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) {
    const index = unravel(i, shape);
    data[i] = f(a[broadcastOffset(index, aShape)]!, b[broadcastOffset(index, bShape)]!);
  }
  return { data, shape };
}
