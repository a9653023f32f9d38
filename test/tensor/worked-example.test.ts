import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';

/*
 * The course's worked example (seed deck 001): a two-neuron network
 *   f = S(w20 + w21 * tanh(w10 + w11 * x1 + w12 * x2)),   e = 1/2 (y - f)^2,   S the sigmoid,
 * built from tensor ops on five scalar leaves, with every partial derivative compared to its closed
 * form computed in plain JavaScript.
 */

const X1 = 0.5;
const X2 = -1.2;
const Y = 1;
const WEIGHTS = { w10: 0.1, w11: -0.3, w12: 0.8, w20: 0.2, w21: 0.7 };
type Name = keyof typeof WEIGHTS;
const NAMES: Name[] = ['w10', 'w11', 'w12', 'w20', 'w21'];

/** Closed forms in float64 (inputs optionally rounded first, to compare with float32 tensors). */
function closedForm(round: (v: number) => number) {
  const [x1, x2, y] = [round(X1), round(X2), round(Y)];
  const w = Object.fromEntries(NAMES.map((n) => [n, round(WEIGHTS[n])])) as Record<Name, number>;
  const S = (z: number) => 1 / (1 + Math.exp(-z));
  const zg = w.w10 + w.w11 * x1 + w.w12 * x2;
  const g = Math.tanh(zg);
  const zf = w.w20 + w.w21 * g;
  const f = S(zf);
  const dS = S(zf) * (1 - S(zf));
  const dTanh = 1 - Math.tanh(zg) ** 2;
  const e = 0.5 * (y - f) ** 2;
  const dw20 = -(y - f) * dS;
  const dw21 = dw20 * g;
  const dw10 = dw20 * w.w21 * dTanh;
  return { e, f, grads: { w10: dw10, w11: dw10 * x1, w12: dw10 * x2, w20: dw20, w21: dw21 } as Record<Name, number> };
}

function runNetwork(dtype: 'float32' | 'float64') {
  const scalar = (v: number) => nr.tensor(v, undefined, dtype);
  const w = Object.fromEntries(
    NAMES.map((n) => {
      const t = scalar(WEIGHTS[n]);
      t.requiresGrad = true;
      return [n, t];
    }),
  ) as Record<Name, nr.Tensor>;
  const x1 = scalar(X1);
  const x2 = scalar(X2);
  const y = scalar(Y);
  const g = w.w10.add(w.w11.mul(x1)).add(w.w12.mul(x2)).tanh();
  const f = w.w20.add(w.w21.mul(g)).sigmoid();
  const e = y.sub(f).square().mul(0.5);
  e.backward();
  return { w, f, e };
}

for (const [dtype, rtol, round] of [
  ['float64', 1e-12, (v: number) => v],
  ['float32', 1e-6, Math.fround],
] as const) {
  test(`worked example (deck 001) in ${dtype}: e and all five partial derivatives match the closed forms`, () => {
    const { w, f, e } = runNetwork(dtype);
    const want = closedForm(round);
    assert.equal(e.dtype, dtype);
    assert.deepEqual(e.shape, []);
    assertClose([f.item()], [want.f], { rtol, atol: 0, message: `${dtype} f` });
    assertClose([e.item()], [want.e], { rtol, atol: 0, message: `${dtype} e` });
    for (const n of NAMES) {
      const grad = w[n].grad;
      assert.ok(grad, `${dtype}: ${n}.grad was not filled`);
      assert.equal(grad.dtype, dtype, `${dtype}: ${n}.grad dtype`);
      assert.deepEqual(grad.shape, [], `${dtype}: ${n}.grad shape`);
      assertClose([grad.item()], [want.grads[n]], { rtol, atol: 0, message: `${dtype} de/d${n}` });
    }
  });
}

test('worked example: the closed forms themselves agree with central finite differences of e', () => {
  // Guards the reference: a slip in a closed form above would otherwise be shared by both checks.
  const want = closedForm((v) => v);
  const h = 1e-6;
  for (const n of NAMES) {
    const at = (delta: number) => {
      const saved = WEIGHTS[n];
      WEIGHTS[n] = saved + delta;
      const { e } = closedForm((v) => v);
      WEIGHTS[n] = saved;
      return e;
    };
    const numeric = (at(h) - at(-h)) / (2 * h);
    assertClose([want.grads[n]], [numeric], { rtol: 1e-7, atol: 1e-10, message: `finite difference de/d${n}` });
  }
  // And the example is not degenerate: every partial is non-zero and the error is positive.
  for (const n of NAMES) assert.ok(Math.abs(want.grads[n]) > 1e-3, `de/d${n} = ${want.grads[n]}`);
  assert.ok(want.e > 0.01);
});
