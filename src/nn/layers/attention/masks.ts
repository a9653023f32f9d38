import { formatShape, shapeError } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { CallOptions } from '../../layer.js';

/** The call keywords the attention layers share (Keras's names), beside `training`. */
export interface AttentionCallOptions extends CallOptions {
  /** The inputs' masks `[batch, time]` in input order, null where an input has none (Layer.apply fills it). */
  mask?: Tensor | null | readonly (Tensor | null)[];
  /** Query i attends to keys j <= i only. */
  useCausalMask?: boolean;
  /** Also return the attention probabilities. */
  returnAttentionScores?: boolean;
}

/** The masks of [query, value, key] as float32 1/0 tensors `[batch, time]`, null where there is none. */
export function inputMasks(own: string, inputs: readonly Tensor[], options: AttentionCallOptions): (Tensor | null)[] {
  const given = options.mask ?? null;
  const list = given === null ? [] : Array.isArray(given) ? (given as readonly (Tensor | null)[]) : [given as Tensor];
  return inputs.map((input, i) => {
    const mask = list[i] ?? null;
    if (mask === null) return null;
    if (mask.rank !== 2 || mask.shape[0] !== input.shape[0] || mask.shape[1] !== input.shape[1]) {
      throw shapeError(own, {
        expected: `the mask of input ${i} (${['query', 'value', 'key'][i]}) must be [batch, time] = [${input.shape.slice(0, 2).join(', ')}]`,
        got: formatShape(mask.shape),
      });
    }
    return mask.dtype === 'float32' ? mask : ops.cast(ops.notEqual(mask, 0), 'float32');
  });
}

/**
 * Keras's `_compute_attention_mask` without the causal part (the attention op applies that): the
 * query's mask `[batch, Tq, 1]`, the value's and key's `[batch, 1, Tk]` and the `attentionMask`, all
 * multiplied; null when there is none of them.
 */
export function attentionMask(
  own: string,
  inputs: readonly Tensor[],
  options: AttentionCallOptions,
  attention: Tensor | null,
): Tensor | null {
  const [queryMask, valueMask, keyMask] = inputMasks(own, inputs, options);
  let mask: Tensor | null = attention === null ? null : ops.cast(ops.notEqual(attention, 0), 'float32');
  const and = (m: Tensor) => (mask = mask === null ? m : ops.mul(mask, m));
  if (queryMask) and(ops.expandDims(queryMask, -1));
  if (valueMask) and(ops.expandDims(valueMask, -2));
  if (keyMask && keyMask !== valueMask) and(ops.expandDims(keyMask, -2));
  return mask;
}
