import { includeWebgpu, nr } from '../helpers.js';
import { ODD_LENGTHS, TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

/*
 * Conformance of the gelu and geluBackward kernels, through nr.gelu and its gradient, in both forms:
 * every backend against a float64 reference written here independently of the kernels (erfc by its
 * Maclaurin series and continued fraction).
 */

includeWebgpu();

/** erfc(z) for z >= 0 in float64: 1 - erf(z) from the Maclaurin series below 3, the continued fraction above. */
function erfc(z: number): number {
  if (z < 3) {
    let term = z;
    let sum = z;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-300; n++) {
      term *= (-z * z) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = 0;
  for (let k = 80; k >= 1; k--) f = k / 2 / (z + f);
  return Math.exp(-z * z) / Math.sqrt(Math.PI) / (z + f);
}

/** The standard normal's CDF. */
function phiCdf(x: number): number {
  return x < 0 ? 0.5 * erfc(-x * Math.SQRT1_2) : 1 - 0.5 * erfc(x * Math.SQRT1_2);
}

const TANH_SCALE = Math.sqrt(2 / Math.PI);

interface Form {
  value: (x: number) => number;
  slope: (x: number) => number;
}

const FORMS: Record<'erf' | 'tanh', Form> = {
  erf: {
    value: (x) => (x === -Infinity ? NaN : x * phiCdf(x)),
    slope: (x) => phiCdf(x) + (x * Math.exp(-0.5 * x * x)) / Math.sqrt(2 * Math.PI),
  },
  tanh: {
    // 0.5 x (1 + tanh u) = x / (1 + e^(-2u)), the same function without cancellation.
    value: (x) => (x === -Infinity ? NaN : x / (1 + Math.exp(-2 * TANH_SCALE * (x + 0.044715 * x ** 3)))),
    slope: (x) => {
      const t = Math.tanh(TANH_SCALE * (x + 0.044715 * x ** 3));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * TANH_SCALE * (1 + 3 * 0.044715 * x * x);
    },
  },
};

const SPECIAL = [
  0,
  -0,
  1e-30,
  -1e-30,
  1e-8,
  -1e-8,
  0.5,
  -0.5,
  -0.7518,
  1,
  -1,
  3,
  -3,
  5,
  -5,
  8,
  -8,
  9.5,
  -9.5,
  12,
  -12,
  13.5,
  -13.5,
  20,
  -20,
  40,
  -40,
  1e6,
  -1e6,
  Infinity,
  -Infinity,
  NaN,
];

for (const [name, form] of Object.entries(FORMS)) {
  const approximate = name === 'tanh';

  conformance(`gelu (${name} form) matches its float64 reference at odd lengths`, () => {
    const rng = new TestRandom(name.length * 31);
    for (const n of ODD_LENGTHS) {
      const x = randomTensor(rng, [n], -6, 6);
      assertConforms(nr.gelu(x, approximate), valuesOf(x).map(form.value), 1, `gelu ${name} n=${n}`, [n]);
    }
  });

  conformance(`gelu (${name} form) at special values: zeros, tails, infinities, NaN`, () => {
    // Repeated past the native cut-off, so that the vector loops see them too.
    const values = Array.from({ length: 9 }, () => SPECIAL).flat();
    const x = nr.tensor(values, [values.length], 'float32');
    assertConforms(nr.gelu(x, approximate), valuesOf(x).map(form.value), 1, `gelu ${name} specials`);
  });

  conformance(`gelu (${name} form) gradient matches dy * gelu'(x)`, () => {
    const rng = new TestRandom(name.length * 17 + 5);
    for (const n of ODD_LENGTHS) {
      const x = randomTensor(rng, [n], -6, 6);
      const dy = randomTensor(rng, [n], -2, 2);
      const [dx] = nr.grad((t: nr.Tensor) => nr.gelu(t, approximate).mul(dy).sum())(x);
      const dyValues = valuesOf(dy);
      const expected = valuesOf(x).map((v, i) => dyValues[i]! * form.slope(v));
      assertConforms(dx!, expected, 1, `gelu ${name} gradient n=${n}`, [n]);
    }
  });
}

conformance('gelu of an int32 tensor is float32, as for other float-valued activations', () => {
  const y = nr.gelu(nr.tensor([-2, 0, 3], [3], 'int32'));
  assertConforms(y, [-2, 0, 3].map(FORMS.erf.value), 1, 'gelu int32', [3]);
});
