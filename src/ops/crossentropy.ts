import { isFloat } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, mayBypassIntermediates, record } from '../tensor/index.js';
import { cast, clip, div, greaterEqual, lessEqual, log, logicalAnd, mul, neg, sub } from './elementwise.js';
import { empty, scratch } from './helpers.js';
import { sum } from './reduce.js';
import { expandDims } from './shape.js';

/*
 * Categorical crossentropy on probabilities, with a shortcut for the usual classifier head
 * (Dense(softmax) + categorical crossentropy). Keras does the same (its softmax leaves the logits on
 * its output, and the loss uses them); here the loss VALUE stays Keras's clipped formula on the
 * probabilities, bit for bit, and only the gradient takes the shortcut: one node from the loss to
 * the logits replaces the backward passes of the ten-odd ops of the formula and of the softmax.
 * Not part of the public API (ops/index.ts does not re-export this file); nn/losses.ts uses it.
 */

/** The logits of each softmax output over its last axis that was recorded for autograd. */
const softmaxLogits = new WeakMap<Tensor, Tensor>();

/** Called by `softmax` when it recorded `probabilities = softmax(logits, last axis)`. */
export function rememberSoftmaxLogits(probabilities: Tensor, logits: Tensor): void {
  softmaxLogits.set(probabilities, logits);
}

/** The same float bound the clip op compares with (a scalar operand takes the tensor's dtype). */
function asStored(value: number, dtype: string): number {
  return dtype === 'float32' ? Math.fround(value) : value;
}

/**
 * Keras's categorical crossentropy of probabilities along the last axis, one value per row:
 * `-sum(targets * log(clip(p / sum(p), epsilon, 1 - epsilon)))`. `targets` has the shape and dtype
 * of `probabilities` (the caller aligns them). When `probabilities` is a recorded softmax output and
 * the targets are constants, the result is one node whose gradient goes to the logits:
 * `dy * (q * s - t * u)` (see the `softmaxCrossentropyBackward` kernel), which is exactly what
 * autograd of the formula and of the softmax gives in exact arithmetic. Otherwise the formula is
 * recorded op by op.
 */
export function probabilityCrossentropy(targets: Tensor, probabilities: Tensor, epsilon: number): Tensor {
  const p = probabilities;
  const clippedLoss = (q: Tensor) => neg(sum(mul(targets, log(clip(q, epsilon, 1 - epsilon))), -1));
  const logits = softmaxLogits.get(p);
  if (logits === undefined || !mayBypassIntermediates() || targets.requiresGrad || !isFloat(p.dtype)
    || targets.dtype !== p.dtype || p.rank === 0 || p.size === 0) {
    return clippedLoss(div(p, sum(p, -1, true)));
  }
  const classes = p.shape[p.rank - 1]!;
  const lower = asStored(epsilon, p.dtype);
  const upper = asStored(1 - epsilon, p.dtype);
  const { q, value } = formulaByKernels(targets, p, lower, upper);
  return record('softmaxCrossentropy', value, [logits], (g, createGraph) => {
    if (createGraph) {
      // The kernel's formula from ops. q is recomputed from the recorded probabilities so that it
      // depends on the logits; the clip mask is piecewise constant.
      const passed = mul(targets, cast(logicalAnd(greaterEqual(q, lower), lessEqual(q, upper)), p.dtype));
      const normalised = div(p, sum(p, -1, true));
      return [mul(expandDims(g, -1), sub(mul(normalised, sum(passed, -1, true)), passed))];
    }
    const dx = empty(logits.shape, g.dtype);
    if (dx.size > 0) {
      kernels().softmaxCrossentropyBackward(q._data as Float32Array, targets._data as Float32Array, g._data as Float32Array,
        classes, lower, upper, dx._data as Float32Array);
    }
    return [dx];
  }, true);
}

/**
 * `clippedLoss(p / sum(p))` of `probabilityCrossentropy` as the very kernel calls its ops make (same
 * kernels, operands and shapes, so the same bits on every backend), without the ops' bookkeeping:
 * this runs on every training step of a classifier. Also returns the normalised probabilities q.
 */
function formulaByKernels(targets: Tensor, p: Tensor, lower: number, upper: number): { q: Tensor; value: Tensor } {
  const table = kernels();
  const shape = p.shape;
  const classes = shape[shape.length - 1]!;
  const view = { outer: p.size / classes, length: classes, inner: 1 };
  const keptShape = [...shape.slice(0, -1), 1];
  const rowShape = shape.slice(0, -1);
  const rowSums = scratch(keptShape, p.dtype);
  table.reduce('sum', p._data, view, rowSums._data);
  const q = scratch(shape, p.dtype);
  table.binary('div', p._data, shape, rowSums._data, keptShape, q._data, shape);
  // clip(q, lower, upper) = minimum(maximum(q, lower), upper) with scalar operands of q's dtype.
  const bound = (v: number) => { const t = empty([], p.dtype); t._data[0] = v; return t._data; };
  const raised = scratch(shape, p.dtype);
  table.binary('maximum', q._data, shape, bound(lower), [], raised._data, shape);
  const clipped = scratch(shape, p.dtype);
  table.binary('minimum', raised._data, shape, bound(upper), [], clipped._data, shape);
  const logs = scratch(shape, p.dtype);
  table.unary('log', clipped._data, logs._data, 0);
  const products = scratch(shape, p.dtype);
  table.binary('mul', targets._data, shape, logs._data, shape, products._data, shape);
  const sums = scratch(rowShape, p.dtype);
  table.reduce('sum', products._data, view, sums._data);
  const value = empty(rowShape, p.dtype);
  table.unary('neg', sums._data, value._data, 0);
  return { q, value };
}
