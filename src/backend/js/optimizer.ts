import type { FloatArray } from '../../core/index.js';
import type { UpdateParams, UpdateRule } from '../kernels.js';

/*
 * Fused optimizer steps: one pass over a variable instead of a chain of elementwise ops with a
 * temporary array each. The arithmetic follows the op-by-op formulas in src/nn/optimizers/ term for
 * term, so float64 results are bit-identical to them; float32 is rounded once per stored value.
 */

function sgd(w: FloatArray, g: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
  const lr = p.learningRate;
  const n = w.length;
  if (p.momentum === 0) {
    for (let i = 0; i < n; i++) w[i] = w[i]! - g[i]! * lr;
    return;
  }
  const m = slots[0]!;
  const mu = p.momentum;
  for (let i = 0; i < n; i++) {
    const mi = m[i]! * mu - g[i]! * lr;
    m[i] = mi;
    const stored = m[i]!; // the slot's own rounding, as the op version reads it back
    w[i] = p.nesterov ? w[i]! + (stored * mu - g[i]! * lr) : w[i]! + stored;
  }
}

function adam(w: FloatArray, g: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
  const [m, v, vHat] = slots as [FloatArray, FloatArray, FloatArray | undefined];
  const { learningRate: alpha, beta1, beta2, epsilon } = p;
  const a1 = 1 - beta1;
  const a2 = 1 - beta2;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    m[i] = m[i]! + (gi - m[i]!) * a1;
    v[i] = v[i]! + (gi * gi - v[i]!) * a2;
    let vi = v[i]!;
    if (vHat) {
      if (vi > vHat[i]! || Number.isNaN(vi)) vHat[i] = vi;
      vi = vHat[i]!;
    }
    w[i] = w[i]! - (m[i]! * alpha) / (Math.sqrt(vi) + epsilon);
  }
}

function rmsprop(w: FloatArray, g: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
  const { learningRate: lr, rho, epsilon, momentum, centered } = p;
  const v = slots[0]!;
  const mom = momentum > 0 ? slots[1]! : undefined;
  const avg = centered ? slots[momentum > 0 ? 2 : 1]! : undefined;
  const n = w.length;
  for (let i = 0; i < n; i++) {
    const gi = g[i]!;
    v[i] = v[i]! * rho + gi * gi * (1 - rho);
    let denominator: number;
    if (avg) {
      avg[i] = avg[i]! * rho + gi * (1 - rho);
      denominator = v[i]! - avg[i]! * avg[i]! + epsilon;
    } else {
      denominator = v[i]! + epsilon;
    }
    const increment = (gi * lr) / Math.sqrt(denominator);
    if (mom) {
      mom[i] = mom[i]! * momentum + increment;
      w[i] = w[i]! - mom[i]!;
    } else {
      w[i] = w[i]! - increment;
    }
  }
}

function adagrad(w: FloatArray, g: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
  const acc = slots[0]!;
  const { learningRate: lr, epsilon } = p;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    acc[i] = acc[i]! + gi * gi;
    w[i] = w[i]! - (gi * lr) / Math.sqrt(acc[i]! + epsilon);
  }
}

function adadelta(w: FloatArray, g: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
  const [accGrad, accDelta] = slots as [FloatArray, FloatArray];
  const { learningRate: lr, rho, epsilon } = p;
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    accGrad[i] = accGrad[i]! * rho + gi * gi * (1 - rho);
    const delta = -((Math.sqrt(accDelta[i]! + epsilon) * gi) / Math.sqrt(accGrad[i]! + epsilon));
    accDelta[i] = accDelta[i]! * rho + delta * delta * (1 - rho);
    w[i] = w[i]! + delta * lr;
  }
}

const RULES: Record<UpdateRule, (w: FloatArray, g: FloatArray, slots: readonly FloatArray[], p: UpdateParams) => void> = {
  sgd,
  adam,
  rmsprop,
  adagrad,
  adadelta,
};

export function applyUpdate(rule: UpdateRule, param: FloatArray, grad: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
  RULES[rule](param, grad, slots, p);
}
