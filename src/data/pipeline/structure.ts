import { configError, formatShape, hostArray, isPlainObject, shapeError, show } from '../../core/index.js';
import { Tensor, fromStorage, noGrad } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';

/*
 * The elements of a Dataset are nested structures of tensors: one Tensor, an array (a tuple such as
 * `[x, y]`) or a plain object (`{image, label}`) of them, nested to any depth, as tf.data's nests.
 * These helpers flatten an element to its tensors in a fixed order and build it back, so that
 * batch, unbatch and fromTensorSlices work leaf by leaf on any structure.
 */

/** One element of a Dataset: a Tensor, or an array or object of elements. */
export type Element = Tensor | readonly Element[] | { readonly [key: string]: Element };

/** The tensors of an element, depth first (object keys in insertion order). */
export function leaves(element: Element, where: string): Tensor[] {
  const out: Tensor[] = [];
  const visit = (e: unknown): void => {
    if (e instanceof Tensor) out.push(e);
    else if (Array.isArray(e)) for (const child of e) visit(child);
    else if (isPlainObject(e)) for (const child of Object.values(e)) visit(child);
    else {
      throw configError(where, {
        expected: 'dataset elements must be Tensors, or arrays or plain objects of Tensors',
        got: show(e),
        hint: 'wrap numbers and arrays with nr.tensor(...)',
      });
    }
  };
  visit(element);
  return out;
}

/** `element` with its tensors replaced, in `leaves` order, by `values`. */
export function rebuild(element: Element, values: readonly Tensor[]): Element {
  let i = 0;
  const build = (e: Element): Element => {
    if (e instanceof Tensor) return values[i++]!;
    if (Array.isArray(e)) return e.map(build);
    return Object.fromEntries(Object.entries(e).map(([k, v]) => [k, build(v)]));
  };
  return build(element);
}

/** A description of an element's layout (keys and tensor shapes), for comparing elements and errors. */
export function signature(element: Element): string {
  if (element instanceof Tensor) return `${element.dtype}${formatShape(element.shape)}`;
  if (Array.isArray(element)) return `[${element.map(signature).join(', ')}]`;
  return `{${Object.entries(element)
    .map(([k, v]) => `${k}: ${signature(v)}`)
    .join(', ')}}`;
}

/** Rows share the source's storage: a row of a contiguous row-major tensor is one contiguous run. */
export function row(t: Tensor, index: number): Tensor {
  const size = t.size / t.shape[0]!;
  return fromStorage(hostArray(t._data).subarray(index * size, (index + 1) * size), t.shape.slice(1), t.dtype);
}

/** The length on axis 0 shared by every tensor of `element`, or a ShapeError naming both lengths. */
export function sharedLength(element: Element, where: string): number {
  const list = leaves(element, where);
  if (list.length === 0) throw configError(where, { expected: 'an element with at least one Tensor', got: show(element) });
  let n = -1;
  for (const [i, t] of list.entries()) {
    if (t.rank === 0) {
      throw shapeError(where, {
        expected: `every tensor needs an axis 0 to slice along, but tensor ${i} is a scalar`,
        hint: 'give tensors of rank >= 1 (samples on axis 0)',
      });
    }
    if (n < 0) n = t.shape[0]!;
    else if (t.shape[0] !== n) {
      throw shapeError(where, {
        expected: `every tensor must have the same length on axis 0 (${n}, that of tensor 0)`,
        got: `${formatShape(t.shape)} for tensor ${i}`,
      });
    }
  }
  return n;
}

/** Stacks same-layout elements into one batch element (a new axis 0 on every tensor). */
export function stackElements(elements: readonly Element[], where: string): Element {
  const first = elements[0]!;
  const layout = signature(first);
  const columns: Tensor[][] = leaves(first, where).map(() => []);
  for (const [k, e] of elements.entries()) {
    const list = leaves(e, where);
    if (list.length !== columns.length || signature(e) !== layout) {
      throw shapeError(where, {
        expected: `every element of a batch must have the layout of the batch's first element, ${layout}`,
        got: `${signature(e)} for element ${k} of the batch`,
        hint: 'map the elements to one shape first (e.g. resize images), or batch them one by one',
      });
    }
    list.forEach((t, i) => columns[i]!.push(t));
  }
  return rebuild(
    first,
    noGrad(() => columns.map((c) => ops.stack(c, 0))),
  );
}
