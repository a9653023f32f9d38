import { ownEntry } from '../../core/index.js';
import type * as ops from '../../ops/index.js';
import { activationName, type ActivationIdentifier } from '../activations.js';

/*
 * The activations that the fused ops apply themselves as they store their result (`ops.linear` for
 * Dense, `ops.conv2d` with `activation` for the convolutions), by name. A layer looks its activation
 * up here once, when it is made, from the identifier it was given: a built-in name (any spelling) or
 * none fuses; a function, even one that computes relu, is the user's own code and is applied as
 * given after the op. The kernels round exactly as the separate ops would, so fusing changes speed,
 * not numbers, on every backend.
 */
const FUSED_ACTIVATIONS: Readonly<Record<string, ops.LinearActivation>> = {
  linear: 'linear',
  relu: 'relu',
  sigmoid: 'sigmoid',
  tanh: 'tanh',
};

/** The fused op's activation for a layer's activation identifier, or null when the layer applies it after the op. */
export function fusedActivationOf(identifier: ActivationIdentifier): ops.LinearActivation | null {
  if (typeof identifier === 'function') return null;
  return ownEntry(FUSED_ACTIVATIONS, activationName(identifier)) ?? null;
}
