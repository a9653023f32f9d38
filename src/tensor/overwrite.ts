import { hostMirrorOf, type DType } from '../core/index.js';
import type { Tensor } from './tensor.js';

/*
 * Writing a result over an input that nothing else reads (PyTorch's `inplace=True` ReLU, decided
 * here by the model instead of the user). A functional or Sequential model knows when a value is
 * read by one layer only and was made by a layer whose gradient rule never reads its own output
 * (BatchNormalization, Add); it then offers that value to the layer that reads it, and an op that
 * can write over its input (relu, relu6, add) takes the offer. A CNN block conv -> batch norm ->
 * ReLU then keeps two image-sized tensors for its backward pass instead of three.
 */

let offered: Tensor | null = null;

/**
 * @internal Runs `fn` (one layer's call) with `t`'s storage offered to the first op in it that
 * reads `t` and can write its result there; the offer ends with `fn`. The caller guarantees that
 * nothing reads `t` after that op: no other layer, no code outside the model, and no gradient rule
 * (the op that made `t` must not read its output in its backward pass).
 */
export function withOverwritable<T>(t: Tensor, fn: () => T): T {
  const before = offered;
  offered = t;
  try {
    return fn();
  } finally {
    offered = before;
  }
}

/**
 * @internal For ops that can write their result, of `dtype`, over an input: whether `t` was offered
 * (see `withOverwritable`) and its storage can take the result: a float32 result into float32 host
 * storage (not on a device: a shader may not read and write one buffer). A true answer takes
 * the offer, so a second op reading `t` gets false.
 */
export function takeOverwrite(t: Tensor, dtype: DType = t.dtype): boolean {
  if (offered !== t || t.dtype !== dtype || dtype !== 'float32') return false;
  if (!(t._data instanceof Float32Array) || hostMirrorOf(t._data) !== undefined) return false;
  offered = null;
  return true;
}
