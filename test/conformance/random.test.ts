import { assert, assertClose, float32Tolerance, nr, withBackend } from '../helpers.js';
import { ODD_LENGTHS, conformance, valuesOf } from './harness.js';

/*
 * Conformance of fillUniform and fillNormal through nr.randu and nr.randn: a seed reproduces the
 * same bits, every backend draws the same stream as js (to float32 rounding), and 200k samples have
 * the right moments. Bounds are six standard errors, so a correct kernel fails about once in 10^8
 * runs, and the seeds are fixed, so in practice never.
 */

const SAMPLES = 200_000;
const SIGMAS = 6;

function bytesOf(t: nr.Tensor): Uint8Array {
  const d = t.data();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

function moments(values: ArrayLike<number>): { mean: number; variance: number } {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i]!;
  const mean = sum / values.length;
  let squares = 0;
  for (let i = 0; i < values.length; i++) squares += (values[i]! - mean) ** 2;
  return { mean, variance: squares / (values.length - 1) };
}

function within(value: number, expected: number, standardError: number, label: string): void {
  assert.ok(
    Math.abs(value - expected) <= SIGMAS * standardError,
    `${label}: ${value} is more than ${SIGMAS} standard errors (${standardError}) from ${expected}`,
  );
}

for (const [name, draw] of [
  ['randu', (shape: number[], dtype: nr.DType) => nr.randu(shape, { low: -2, high: 3, dtype })],
  ['randn', (shape: number[], dtype: nr.DType) => nr.randn(shape, { mean: 1.5, std: 2, dtype })],
] as const) {
  conformance(`${name}: setSeed gives the same bits twice, for odd lengths and both float dtypes`, () => {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const length of [...ODD_LENGTHS, 0]) {
        nr.setSeed(1234 + length);
        const first = draw([length], dtype);
        const firstAgain = draw([3, 1], dtype);
        nr.setSeed(1234 + length);
        const second = draw([length], dtype);
        const secondAgain = draw([3, 1], dtype);
        assert.equal(first.dtype, dtype);
        assert.deepEqual(bytesOf(second), bytesOf(first), `${name} ${dtype} length ${length}: same seed, same bits`);
        assert.deepEqual(bytesOf(secondAgain), bytesOf(firstAgain), `${name} ${dtype} length ${length}: the stream continues identically`);
        if (length > 1) {
          nr.setSeed(4321 + length);
          assert.notDeepEqual(bytesOf(draw([length], dtype)), bytesOf(first), `${name}: another seed, other values`);
        }
      }
    }
  });

  conformance(`${name}: the same seed draws the same stream as the js backend`, (backend) => {
    nr.setSeed(99);
    const here = draw([1031], 'float32');
    nr.setSeed(99);
    const reference = withBackend('js', () => draw([1031], 'float32'));
    assertClose(here.data(), reference.data(), { ...float32Tolerance(1), message: `${name} on ${backend} vs js` });
  });
}

conformance('randu: 200k samples lie in [low, high) with mean and variance of U(low, high)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    nr.setSeed(2024);
    const [low, high] = [-2, 3];
    const values = valuesOf(nr.randu([SAMPLES], { low, high, dtype }));
    assert.ok(
      values.every((v) => v >= low && v < high),
      `${dtype}: every sample in [${low}, ${high})`,
    );
    const { mean, variance } = moments(values);
    const width = high - low;
    within(mean, (low + high) / 2, width / Math.sqrt(12 * SAMPLES), `${dtype} uniform mean`);
    // Var of (x - mu)^2 for a uniform: width^4 / 80 - (width^2 / 12)^2 = width^4 / 180.
    within(variance, width ** 2 / 12, Math.sqrt(width ** 4 / 180 / SAMPLES), `${dtype} uniform variance`);
    // Each tenth of the interval holds a tenth of the samples.
    const bins = new Array<number>(10).fill(0);
    for (const v of values) bins[Math.min(9, Math.floor(((v - low) / width) * 10))]!++;
    for (const count of bins) within(count / SAMPLES, 0.1, Math.sqrt(0.09 / SAMPLES), `${dtype} uniform decile`);
  }
  nr.setSeed(7);
  assert.ok(
    valuesOf(nr.randu([1031])).every((v) => v >= 0 && v < 1),
    'default range is [0, 1)',
  );
});

conformance('randn: 200k samples have the mean, variance and shape of N(mean, std^2)', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    nr.setSeed(2025);
    const [mu, sigma] = [1.5, 2];
    const values = valuesOf(nr.randn([SAMPLES], { mean: mu, std: sigma, dtype }));
    assert.ok(values.every(Number.isFinite), `${dtype}: every sample finite`);
    const { mean, variance } = moments(values);
    within(mean, mu, sigma / Math.sqrt(SAMPLES), `${dtype} normal mean`);
    // Var of (x - mu)^2 for a normal is 2 sigma^4.
    within(variance, sigma ** 2, Math.sqrt((2 * sigma ** 4) / SAMPLES), `${dtype} normal variance`);
    const inside = values.filter((v) => Math.abs(v - mu) < sigma).length / SAMPLES;
    within(inside, 0.682689492, Math.sqrt((0.682689492 * 0.317310508) / SAMPLES), `${dtype} normal mass within one std`);
    const skew = values.reduce((s, v) => s + ((v - mean) / sigma) ** 3, 0) / SAMPLES;
    within(skew, 0, Math.sqrt(6 / SAMPLES), `${dtype} normal skewness`);
  }
});
