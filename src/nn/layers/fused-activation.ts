import * as ops from '../../ops/index.js';
import { getActivation, type ActivationFn } from '../activations.js';

/**
 * Which of the activations that the fused ops (`ops.linear` for Dense, `ops.conv2d` with `activation`
 * for the convolutions) apply `fn` is, for the functions getActivation returns for them; null for any
 * other function, which the layer then applies after the fused op.
 */
export function fusedActivationOf(fn: ActivationFn): ops.LinearActivation | null {
  if (fn === getActivation('linear')) return 'linear';
  if (fn === ops.relu) return 'relu';
  if (fn === ops.sigmoid) return 'sigmoid';
  if (fn === ops.tanh) return 'tanh';
  return null;
}
