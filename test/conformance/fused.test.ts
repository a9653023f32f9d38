import { assert, includeWebgpu, nr } from '../helpers.js';
import { kernels, kernelProvider } from '../../src/backend/index.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of the fused kernels of the training step, on every backend and against float64
 * reference loops: matmulBiasActivation (through nr.linear, which uses it where the active backend
 * provides it together with matmul, and is checked here whichever path it takes, plus the kernel
 * itself) and softmaxCrossentropyBackward (through the gradient of nr.losses.FusedSoftmaxCrossentropy,
 * plus the kernel itself on clipped probabilities and soft targets).
 */

const ACTIVATION: Record<string, (v: number) => number> = {
  linear: (v) => v,
  relu: (v) => (v < 0 ? 0 : v),
  sigmoid: (v) => 1 / (1 + Math.exp(-v)),
  tanh: Math.tanh,
};

function linearReference(x: number[], w: number[], b: number[] | null, m: number, k: number, n: number, activation: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x[i * k + p]! * w[p * n + j]!;
      out.push(ACTIVATION[activation]!(Math.fround(s) + (b ? b[j]! : 0)));
    }
  }
  return out;
}

// 403 x 300 x 520: on native with 2+ threads the threads pack A together (gemm_impl.h, kSharedAMinRows).
for (const [m, k, n] of [
  [1, 1, 1],
  [3, 7, 5],
  [17, 33, 1],
  [33, 17, 70],
  [130, 257, 65],
  [403, 300, 520],
] as const) {
  conformance(`matmulBiasActivation ${m}x${k}x${n} (nr.linear and the kernel)`, () => {
    const rng = new TestRandom(7000 + m + k + n);
    const x = randomTensor(rng, [m, k]);
    const w = randomTensor(rng, [k, n]);
    const b = randomTensor(rng, [n]);
    for (const activation of Object.keys(ACTIVATION)) {
      for (const bias of [b, null]) {
        const expected = linearReference(valuesOf(x), valuesOf(w), bias && valuesOf(bias), m, k, n, activation);
        assertConforms(
          nr.linear(x, w, bias, activation as nr.LinearActivation),
          expected,
          k,
          `nr.linear ${activation} bias=${bias !== null}`,
          [m, n],
        );
        if (kernelProvider('matmulBiasActivation') === kernelProvider('matmul')) {
          const out = new Float32Array(m * n);
          kernels().matmulBiasActivation(
            x.data() as Float32Array,
            w.data() as Float32Array,
            bias && (bias.data() as Float32Array),
            out,
            { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 },
            activation as nr.LinearActivation,
          );
          assertConforms(nr.tensor(out, [m, n]), expected, k, `kernel ${activation} bias=${bias !== null}`);
        }
      }
    }
  });
}

/** dx[r, j] = dy[r] * (q * sum(t * u) - t * u), u = lower <= q <= upper, in float64. */
function crossentropyBackwardReference(q: number[], t: number[], dy: number[], classes: number, lower: number, upper: number): number[] {
  const dx: number[] = [];
  for (let r = 0; r < dy.length; r++) {
    let s = 0;
    for (let j = 0; j < classes; j++) if (q[r * classes + j]! >= lower && q[r * classes + j]! <= upper) s += t[r * classes + j]!;
    for (let j = 0; j < classes; j++) {
      const v = q[r * classes + j]!;
      dx.push(dy[r]! * (v * s - (v >= lower && v <= upper ? t[r * classes + j]! : 0)));
    }
  }
  return dx;
}

for (const [rows, classes] of [
  [1, 1],
  [3, 7],
  [33, 10],
  [130, 17],
] as const) {
  conformance(`softmaxCrossentropyBackward ${rows}x${classes} (kernel, and the gradient of softmax + crossentropy)`, () => {
    const rng = new TestRandom(8000 + rows * classes);
    const lower = Math.fround(1e-7);
    const upper = Math.fround(1 - 1e-7);
    // Probabilities with exact hits on both clip bounds and values outside them.
    const qValues = new Float32Array(rows * classes);
    for (let i = 0; i < qValues.length; i++) qValues[i] = [lower, upper, 0, 1, 1e-9][rng.int(0, 12)] ?? rng.uniform(0, 1);
    const q = nr.tensor(qValues, [rows, classes]);
    const t = randomTensor(rng, [rows, classes], 0, 1);
    const dy = randomTensor(rng, [rows], -2, 2);
    const dx = new Float32Array(rows * classes);
    kernels().softmaxCrossentropyBackward(qValues, t.data() as Float32Array, dy.data() as Float32Array, classes, lower, upper, dx);
    const expected = crossentropyBackwardReference(valuesOf(q), valuesOf(t), valuesOf(dy), classes, lower, upper);
    assertConforms(nr.tensor(dx, [rows, classes]), expected, classes, 'kernel');

    // Through the loss: one-hot targets, logits peaked enough in some rows to clip.
    const logits = randomTensor(rng, [rows, classes], -3, 3);
    const data = logits.data();
    for (let r = 0; r < rows; r += 3) data[r * classes] = 30;
    const labels = Array.from({ length: rows }, () => rng.int(0, classes));
    const oneHot = nr.oneHot(nr.tensor(labels, [rows], 'int32'), classes);
    const fused = new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.CategoricalCrossentropy());
    const [grad] = nr.grad((z: nr.Tensor) => fused.fn(oneHot, nr.softmax(z), z).sum())(logits);
    const p = valuesOf(nr.softmax(logits));
    const reference = crossentropyBackwardReference(p, valuesOf(oneHot), new Array<number>(rows).fill(1), classes, lower, upper);
    assert.deepEqual(grad!.shape, [rows, classes]);
    assertConforms(grad!, reference, classes, 'gradient of the loss');
  });
}
