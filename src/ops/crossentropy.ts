import { configError, formatShape, isFloat, shapeError } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { type Tensor, isGradEnabled, record } from '../tensor/index.js';
import { cast, clip, div, greaterEqual, lessEqual, log, logicalAnd, mul, neg, sub } from './elementwise.js';
import { empty, scratch } from './helpers.js';
import { sum } from './reduce.js';
import { expandDims } from './shape.js';

/*
 * Categorical crossentropy on probabilities: Keras's clipped formula, and the fused form of it for
 * the usual classifier head (Dense(softmax) + categorical crossentropy). The whole story:
 *
 * - `probabilityCrossentropy` is the formula, recorded op by op. Every call of the loss functions
 *   and Loss classes (nn/losses.ts) on probabilities runs it, whatever made the probabilities.
 * - `softmaxCrossentropy` is the fused op. Its VALUE is the same formula on the probabilities, bit
 *   for bit (the same kernels in the same order); its GRADIENT is one node from the loss straight to
 *   the logits the probabilities were computed from, which replaces the backward passes of the
 *   ten-odd ops of the formula and of the softmax. Keras takes the same shortcut (its softmax leaves
 *   the logits on its output, and the loss reads them).
 * - Only `model.compile` chooses the fused op: for an output that a built-in layer computes as a
 *   softmax over the last axis, with (sparse) categorical crossentropy on probabilities as its loss,
 *   it builds an `nn/losses.ts` FusedSoftmaxCrossentropy, and fit's training step hands it the output
 *   and the output's logits, read from the output's recorded softmax node (`recordedSoftmaxInput`).
 *   Evaluation, prediction and metrics see the probabilities and the plain formula.
 *
 * Not part of the public API (ops/index.ts does not re-export this file): users reach the fused op
 * by name as `nr.losses.FusedSoftmaxCrossentropy`.
 */

/** The same float bound the clip op compares with (a scalar operand takes the tensor's dtype). */
function asStored(value: number, dtype: string): number {
  return dtype === 'float32' ? Math.fround(value) : value;
}

/**
 * Keras's categorical crossentropy of probabilities along the last axis, one value per row:
 * `-sum(targets * log(clip(p / sum(p), epsilon, 1 - epsilon)))`, recorded op by op (so gradients
 * reach the probabilities, the targets and whatever made them). `targets` has the shape and dtype
 * of `probabilities` (the caller aligns them).
 */
export function probabilityCrossentropy(targets: Tensor, probabilities: Tensor, epsilon: number): Tensor {
  const p = probabilities;
  return neg(sum(mul(targets, log(clip(div(p, sum(p, -1, true)), epsilon, 1 - epsilon))), -1));
}

/**
 * The logits of `probabilities` when they are the output of the `softmax` op recorded for autograd
 * (the input of their graph node), else null: no node (grad mode off, or nothing below requires
 * grad) or another op. The node does not say over which axis the softmax ran; the caller knows it
 * (compile checked the layer that computes the output).
 */
export function recordedSoftmaxInput(probabilities: Tensor): Tensor | null {
  const node = probabilities._node;
  return node !== null && node.op === 'softmax' ? node.inputs[0]! : null;
}

/**
 * The fused softmax crossentropy: `probabilityCrossentropy(targets, probabilities, epsilon)`, where
 * `probabilities = softmax(logits)` over the last axis as the softmax op computed them. The value is
 * that formula's, bit for bit; the result is one node whose gradient goes to the logits alone:
 * `dy * (q * s - t * u)` (see the `softmaxCrossentropyBackward` kernel), which is exactly what
 * autograd of the formula and of the softmax gives in exact arithmetic. Because the node skips the
 * probabilities, they get no gradient from it: differentiate with respect to the logits or what
 * lies below them. The targets are constants (use `probabilityCrossentropy` for their gradient).
 */
export function softmaxCrossentropy(targets: Tensor, probabilities: Tensor, logits: Tensor, epsilon: number): Tensor {
  const p = probabilities;
  const where = 'softmaxCrossentropy';
  if (
    p.shape.length !== logits.shape.length ||
    p.shape.some((d, i) => d !== logits.shape[i]) ||
    targets.shape.length !== p.shape.length ||
    targets.shape.some((d, i) => d !== p.shape[i])
  ) {
    throw shapeError(where, {
      expected: 'targets, probabilities and logits must have one shape',
      got: `${formatShape(targets.shape)}, ${formatShape(p.shape)} and ${formatShape(logits.shape)}`,
    });
  }
  if (!isFloat(p.dtype) || targets.dtype !== p.dtype || logits.dtype !== p.dtype) {
    throw configError(where, {
      expected: 'targets, probabilities and logits must be floats of one dtype',
      got: `${targets.dtype}, ${p.dtype} and ${logits.dtype}`,
    });
  }
  if (targets.requiresGrad) {
    throw configError(where, {
      expected: 'the targets must be constants',
      got: 'targets that require grad',
      rule: 'the fused gradient goes to the logits alone',
      hint: 'use the categoricalCrossentropy loss for a gradient with respect to the targets',
    });
  }
  if (isGradEnabled() && logits.requiresGrad && recordedSoftmaxInput(p) !== logits) {
    throw configError(where, {
      expected: 'the probabilities must be softmax(logits) recorded for autograd',
      got:
        p._node === null
          ? 'probabilities with no graph node'
          : p._node.op === 'softmax'
            ? 'the softmax of another tensor'
            : `the output of '${p._node.op}'`,
      rule: 'the fused gradient is computed from the logits',
      hint: 'pass p = nr.softmax(logits) computed in this graph',
    });
  }
  // A scalar or empty batch has nothing to fuse: the formula gives its (empty) value.
  if (p.rank === 0 || p.size === 0) return probabilityCrossentropy(targets, p, epsilon);
  const classes = p.shape[p.rank - 1]!;
  const lower = asStored(epsilon, p.dtype);
  const upper = asStored(1 - epsilon, p.dtype);
  const { q, value } = formulaByKernels(targets, p, lower, upper);
  return record(
    'softmaxCrossentropy',
    value,
    [logits],
    (g, createGraph) => {
      if (createGraph) {
        // The kernel's formula from ops. q is recomputed from the recorded probabilities so that it
        // depends on the logits; the clip mask is piecewise constant.
        const passed = mul(targets, cast(logicalAnd(greaterEqual(q, lower), lessEqual(q, upper)), p.dtype));
        const normalised = div(p, sum(p, -1, true));
        return [mul(expandDims(g, -1), sub(mul(normalised, sum(passed, -1, true)), passed))];
      }
      const dx = empty(logits.shape, g.dtype);
      if (dx.size > 0) {
        kernels().softmaxCrossentropyBackward(
          q._data as Float32Array,
          targets._data as Float32Array,
          g._data as Float32Array,
          classes,
          lower,
          upper,
          dx._data as Float32Array,
        );
      }
      return [dx];
    },
    true,
  );
}

/**
 * `probabilityCrossentropy(targets, p)` as the very kernel calls its ops make (same
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
  const bound = (v: number) => {
    const t = empty([], p.dtype);
    t._data[0] = v;
    return t._data;
  };
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
