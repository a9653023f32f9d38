import { configError } from '../core/index.js';
import type { Model } from '../nn/models/index.js';

/**
 * Loads an application's weights: `weights` is 'imagenet' (Keras's published file for `key`, with
 * or without the top) or the path of a weight file. Not built in this version: it raises.
 */
export async function loadApplicationWeights(model: Model, key: string, weights: string, includeTop: boolean): Promise<void> {
  const what = weights === 'imagenet' ? `ImageNet weights '${key}'${includeTop ? '' : ' without the top'}` : weights;
  throw configError(model.name, {
    expected: `loading weights (${what}) is not built yet`,
    hint: 'pass weights: null for a randomly initialised model',
  });
}
