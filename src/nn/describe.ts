import { formatShape, show } from '../core/index.js';
import { Tensor } from '../tensor/index.js';
import { Layer, SymbolicTensor, formatLayerShape } from './layer.js';

/**
 * A value where a model or fit wanted a tensor, a layer or a callback, as a message shows it: tensors
 * by shape and layers by name rather than by their storage (show() alone would print a tensor's data
 * as JSON), and instances of other classes by class name.
 */
export function describeValue(value: unknown): string {
  if (value instanceof Tensor) return `a Tensor of shape ${formatShape(value.shape)}`;
  if (value instanceof SymbolicTensor) return `a SymbolicTensor of shape ${formatLayerShape(value.shape)}`;
  if (value instanceof Layer) return `the layer ${value.constructor.name} ${show(value.name)}`;
  // Arrays of plain values read best as JSON; arrays holding tensors or layers are described entry by entry.
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
    return `[${value.slice(0, 3).map(describeValue).join(', ')}${value.length > 3 ? `, ... (${value.length} in all)` : ''}]`;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype) {
    const name = (value as object).constructor?.name || 'object';
    return `${/^[aeiou]/i.test(name) ? 'an' : 'a'} ${name}`;
  }
  return show(value);
}
