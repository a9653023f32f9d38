import { dtypeError, formatShape, shapeError, shapesEqual, type FloatArray } from '../core/index.js';
import { kernels, type UpdateParams, type UpdateRule } from '../backend/index.js';
import type { Tensor } from '../tensor/index.js';
import { castTo } from './helpers.js';

/**
 * One fused optimizer step, in place and outside autograd: `param` and each slot tensor are updated
 * from `grad` with `rule` (Keras 3's formulas; the slot order is the `applyUpdate` kernel's). Options
 * left out are unused by that rule. Optimizers call this once per variable and step.
 */
export function applyOptimizerUpdate(
  rule: UpdateRule,
  param: Tensor,
  grad: Tensor,
  slots: readonly Tensor[],
  options: Partial<UpdateParams>,
): void {
  const where = `applyOptimizerUpdate (${rule})`;
  if (param.dtype !== 'float32' && param.dtype !== 'float64') {
    throw dtypeError(where, { expected: 'the parameter must be float32 or float64', got: param.dtype });
  }
  [grad, ...slots].forEach((t, i) => {
    if (!shapesEqual(t.shape, param.shape)) {
      throw shapeError(where, {
        expected: `every gradient and slot must have the parameter's shape ${formatShape(param.shape)}`,
        got: `${formatShape(t.shape)} for ${i === 0 ? 'the gradient' : `slot ${i - 1}`}`,
      });
    }
  });
  slots.forEach((slot, i) => {
    if (slot.dtype !== param.dtype) {
      throw dtypeError(where, { expected: `slots must have the parameter's dtype ${param.dtype}`, got: `${slot.dtype} for slot ${i}` });
    }
  });
  kernels().applyUpdate(
    rule,
    param._data as FloatArray,
    castTo(grad, param.dtype)._data as FloatArray,
    slots.map((s) => s._data as FloatArray),
    {
      learningRate: 0,
      momentum: 0,
      nesterov: false,
      beta1: 0,
      beta2: 0,
      rho: 0,
      epsilon: 0,
      amsgrad: false,
      centered: false,
      ...options,
    },
  );
}
export type { UpdateParams, UpdateRule } from '../backend/index.js';
