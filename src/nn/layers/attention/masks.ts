import { configError, formatShape, shapeError } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { formatLayerShape, type CallOptions, type LayerShape } from '../../layer.js';

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
      const role = ['query', 'value', 'key'][i];
      throw shapeError(own, {
        expected: `the mask of input ${i} (${role}) must be [batch, time] = ${formatShape(input.shape.slice(0, 2))}`,
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

/**
 * The input shapes of an attention layer as [query, value, key] (key defaults to value): a list of 2 or 3
 * shapes of rank 3 `[batch, time, features]`, value and key of one length. `rule` names what else the layer needs.
 */
export function attentionShapes(
  own: string,
  inputShape: LayerShape | readonly LayerShape[],
  rule: string,
  fits: (query: LayerShape, value: LayerShape, key: LayerShape) => boolean,
): [LayerShape, LayerShape, LayerShape] {
  const list = Array.isArray(inputShape[0]) ? (inputShape as readonly LayerShape[]) : null;
  if (list === null || list.length < 2 || list.length > 3) {
    throw configError(own, {
      expected: 'takes a list [query, value] or [query, value, key]',
      got: list === null ? `one input ${formatLayerShape(inputShape as LayerShape)}` : `a list of ${list.length}`,
      hint: 'for self-attention give the same tensor twice: layer.apply([x, x])',
    });
  }
  const [query, value, key = value] = list as [LayerShape, LayerShape, LayerShape?];
  const shown = list.map(formatLayerShape).join(', ');
  if ([query, value, key].some((s) => s.length !== 3) || !fits(query, value, key)) throw shapeError(own, { expected: rule, got: shown });
  if (value[1] !== null && key[1] !== null && value[1] !== key[1]) {
    throw shapeError(own, { expected: 'value and key must have the same time length', got: shown });
  }
  return [query, value, key];
}
