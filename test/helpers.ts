import assert from 'node:assert/strict';
import * as nr from '../src/index.js';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { availableBackends, probeWebgpu } from '../src/backend/index.js';
import { setNoticeSink } from '../src/core/index.js';

/**
 * The tolerance for comparing a backend with the float64 reference: float32 rounding grows with the
 * length of the reduction behind each value (sum, dot product). This is the one place it is stated.
 */
export function float32Tolerance(reductionLength = 1): { rtol: number; atol: number } {
  const eps = 1.1920929e-7;
  return { rtol: 4 * eps * Math.sqrt(Math.max(reductionLength, 1)) + 2 * eps, atol: 8 * eps * Math.sqrt(Math.max(reductionLength, 1)) };
}

/** Asserts |actual - expected| <= atol + rtol * |expected| elementwise (NaN matches NaN). */
export function assertClose(
  actual: ArrayLike<number> | nr.Tensor,
  expected: ArrayLike<number> | nr.Tensor,
  { rtol = 1e-6, atol = 1e-7, message = '' } = {},
): void {
  const a = actual instanceof nr.Tensor ? actual.data() : actual;
  const e = expected instanceof nr.Tensor ? expected.data() : expected;
  // A number or a Promise has no length, and two undefined lengths would compare equal: no vacuous pass.
  assert.ok(typeof a?.length === 'number' && typeof e?.length === 'number', `${message} assertClose takes tensors or arrays`);
  assert.equal(a.length, e.length, `${message} length ${a.length} vs ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y) && Number.isNaN(x)) continue;
    if (x === y) continue;
    const tol = atol + rtol * Math.abs(y);
    if (!(Math.abs(x - y) <= tol)) {
      assert.fail(`${message} element ${i}: got ${x}, expected ${y} (|diff| ${Math.abs(x - y)} > tol ${tol})`);
    }
  }
}

/**
 * The names of every backend that can run here: conformance tests loop over them.
 * NEURONA_TEST_BACKENDS (a comma list) keeps only those named: the child runs of test/backend/native.test.ts
 * that exercise one native path leave out the backends that path does not touch.
 */
export function backendsUnderTest(): string[] {
  const all = webgpuUnderTest && webgpuState().ok ? [...availableBackends(), 'webgpu'] : availableBackends();
  const only = process.env.NEURONA_TEST_BACKENDS?.split(',');
  return only ? all.filter((name) => only.includes(name)) : all;
}

/** The software Vulkan driver Debian's chromium ships: Dawn finds an adapter through it on machines without a GPU. */
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
let webgpuUnderTest = false;
let webgpuProbe: { ok: boolean; reason: string } | null = null;

/**
 * Whether the webgpu backend starts here (and why not): the `webgpu` module (NEURONA_WEBGPU_MODULE
 * or the package) and an adapter, SwiftShader's when its ICD file exists and VK_ICD_FILENAMES is unset.
 */
export function webgpuState(): { ok: boolean; reason: string } {
  if (webgpuProbe) return webgpuProbe;
  if (!process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
  const probe = probeWebgpu();
  webgpuProbe = probe.ok ? { ok: true, reason: '' } : { ok: false, reason: probe.reason };
  return webgpuProbe;
}

/**
 * Called by a test file whose kernels webgpu implements: its conformance cases then run on webgpu too,
 * or one skipped test says why webgpu is unavailable.
 */
export function includeWebgpu(): void {
  // A run limited to other backends (native.test.ts's children) skips the probe, which starts a device.
  const only = process.env.NEURONA_TEST_BACKENDS?.split(',');
  if (only && !only.includes('webgpu')) return;
  webgpuUnderTest = true;
  const state = webgpuState();
  if (!state.ok) test('webgpu backend', (t) => t.skip(`webgpu unavailable: ${state.reason}`));
}

/** Runs `fn` with the named backend active, restoring the previous one afterwards. */
export function withBackend<T>(name: string, fn: () => T): T {
  const previous = nr.getBackend();
  nr.setBackend(name);
  try {
    return fn();
  } finally {
    nr.setBackend(previous);
  }
}

/** A float64 tensor of the given shape with values drawn from U[low, high) by a seeded stream. */
export function randomFloat64(shape: number[], low = -1, high = 1): nr.Tensor {
  return nr.randu(shape, { low, high, dtype: 'float64' });
}

/** Values drawn from U[-range, range) and pushed to |x| >= margin, away from kinks at 0. */
export function awayFromZero(shape: number[], margin = 0.05, range = 2): nr.Tensor {
  const x = randomFloat64(shape, -range, range);
  const d = x.data();
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    d[i] = (v < 0 ? -1 : 1) * (margin + Math.abs(v));
  }
  return x;
}

/**
 * Checks the gradients of `fn` with respect to each input against central finite differences in
 * float64. Non-scalar outputs are contracted with fixed random weights so every output element
 * contributes. Inputs must be float64 tensors (they are perturbed in place and restored).
 */
export function gradCheck(
  fn: (...xs: nr.Tensor[]) => nr.Tensor,
  inputs: nr.Tensor[],
  { eps = 1e-6, rtol = 1e-5, atol = 1e-7, label = 'gradCheck' } = {},
): void {
  for (const x of inputs) assert.equal(x.dtype, 'float64', `${label}: inputs must be float64`);
  const probe = nr.noGrad(() => fn(...inputs));
  const weights = nr.randu([...probe.shape], { low: 0.5, high: 1.5, dtype: 'float64' });
  const objective = (...xs: nr.Tensor[]) =>
    fn(...xs)
      .cast('float64')
      .mul(weights)
      .sum();
  const { grads } = nr.valueAndGrad(objective)(...inputs);
  inputs.forEach((x, k) => {
    const numeric = centralDifferences(x, eps, () => nr.noGrad(() => objective(...inputs)).item());
    assertClose(grads[k]!.data(), numeric, { rtol, atol, message: `${label}: gradient of input ${k} ${JSON.stringify(x.shape)}` });
  });
}

/**
 * Checks the second derivatives of `fn` in float64. With h(xs) = sum(weights * phi(fn(xs))), where
 * phi(u) = u^2 + sin(u), and fixed random directions v_k, S(xs) = sum_k <dh/dx_k, v_k> is computed
 * from first-order gradients alone, and its gradient (a Hessian-vector product of h) by nesting
 * `nr.grad`; the nested result must match central differences of S. phi'' >= 1 makes the gradient
 * flowing into fn depend on the inputs (and phi is not undone by any op, as a square is by sqrt),
 * so the check fails unless fn's gradient rule is itself differentiable, for linear ops too.
 */
export function gradGradCheck(
  fn: (...xs: nr.Tensor[]) => nr.Tensor,
  inputs: nr.Tensor[],
  { eps = 1e-5, rtol = 1e-5, atol = 1e-6, label = 'gradGradCheck' } = {},
): void {
  for (const x of inputs) assert.equal(x.dtype, 'float64', `${label}: inputs must be float64`);
  const probe = nr.noGrad(() => fn(...inputs));
  const weights = nr.randu([...probe.shape], { low: 0.5, high: 1.5, dtype: 'float64' });
  const directions = inputs.map((x) => nr.randu([...x.shape], { low: -1, high: 1, dtype: 'float64' }));
  const h = (...xs: nr.Tensor[]) => {
    const u = fn(...xs).cast('float64');
    return u.square().add(u.sin()).mul(weights).sum();
  };
  const projected = (...xs: nr.Tensor[]) =>
    nr
      .grad(h)(...xs)
      .map((g, k) => g.mul(directions[k]!).sum())
      .reduce((a, b) => a.add(b));
  const analytic = nr.grad(projected)(...inputs);
  const numericS = (): number =>
    nr
      .grad(h)(...inputs)
      .reduce((total, g, k) => {
        const gd = g.data();
        const vd = directions[k]!.data();
        let dot = 0;
        for (let i = 0; i < gd.length; i++) dot += gd[i]! * vd[i]!;
        return total + dot;
      }, 0);
  inputs.forEach((x, k) => {
    const numeric = centralDifferences(x, eps, numericS);
    assertClose(analytic[k]!.data(), numeric, {
      rtol,
      atol,
      message: `${label}: second derivative, input ${k} ${JSON.stringify(x.shape)}`,
    });
  });
}

/** d f / d x[i] for every element of the float64 tensor x, by central differences (x is restored). */
function centralDifferences(x: nr.Tensor, eps: number, f: () => number): Float64Array {
  const values = x.data() as Float64Array;
  const numeric = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const saved = values[i]!;
    values[i] = saved + eps;
    const plus = f();
    values[i] = saved - eps;
    const minus = f();
    values[i] = saved;
    numeric[i] = (plus - minus) / (2 * eps);
  }
  return numeric;
}

export { nr, assert };

/** Runs `body` with neurona's notices captured instead of printed: its value and the lines, each once, as shown. */
export function captureNotices<T>(body: () => T): { value: T; notices: string[] } {
  const notices: string[] = [];
  const previous = setNoticeSink((line) => notices.push(line));
  try {
    return { value: body(), notices };
  } finally {
    setNoticeSink(previous);
  }
}
