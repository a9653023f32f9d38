import { show } from '../core/index.js';
import { Layer, SymbolicTensor, formatLayerShape } from './layer.js';

/**
 * A value where a model or fit wanted a tensor, a layer or a callback, as a message shows it: what
 * core's show() says (tensors by dtype and shape, class instances by class name), plus the two kinds
 * core cannot know: symbolic tensors (their shapes hold None) and layers, by name.
 */
export function describeValue(value: unknown): string {
  if (value instanceof SymbolicTensor) return `a SymbolicTensor of shape ${formatLayerShape(value.shape)}`;
  if (value instanceof Layer) return `the layer ${value.constructor.name} ${show(value.name)}`;
  // Arrays of plain values read best as JSON; arrays holding tensors or layers are described entry by entry.
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
    return `[${value.slice(0, 3).map(describeValue).join(', ')}${value.length > 3 ? `, ... (${value.length} in all)` : ''}]`;
  }
  return show(value);
}
