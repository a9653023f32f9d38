import {
  dtypeError,
  shapeError,
  formatShape,
  hostArray,
  hostArrayAsync,
  isFloat,
  sizeOf,
  type DType,
  type TypedArray,
} from '../core/index.js';

/**
 * A gradient rule recorded by an op: maps the output's gradient to one gradient per input. With
 * `createGraph` true (a higher-order gradient was requested) the rule runs in grad mode and must
 * build its result from differentiable ops, so that the gradient is itself differentiable; with it
 * false it may call kernels directly (the fast first-order path).
 */
export type BackwardFn = (gradient: Tensor, createGraph: boolean) => readonly (Tensor | null)[];

/** The record an op leaves on its output while grad mode is on. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  readonly backward: BackwardFn;
  /** Whether `backward` honours `createGraph`; a higher-order gradient through a node without it raises. */
  readonly differentiable: boolean;
  /** The order in which nodes were recorded (a custom training step recycles only its own nodes' storage). */
  readonly serial: number;
}

export type NestedArray = number | boolean | readonly NestedArray[];

/**
 * An n-dimensional array of one dtype, stored as a contiguous row-major typed array that JavaScript
 * owns (the garbage collector frees it: nothing needs disposing). Tensors are immutable; ops return
 * new tensors, and `reshape`-like ops share storage.
 *
 * Create them with `nr.tensor`, `nr.zeros`, `nr.randn`, ...; the arithmetic methods (`add`,
 * `matmul`, `sum`, ...) are listed in docs/tensors.md.
 *
 * ```ts
 * const x = nr.tensor([[1, 2], [3, 4]]);
 * x.shape;        // [2, 2]
 * x.sum().item(); // 10
 * ```
 */
export class Tensor {
  /** @internal The storage; read it through `data()`. */
  _data: TypedArray;
  /** @internal Set by ops in grad mode; null for leaves and constants. */
  _node: GradNode | null = null;
  private _requiresGrad = false;
  readonly shape: readonly number[];
  readonly dtype: DType;
  /** Gradient accumulated by `backward()` (leaves that require grad only). */
  grad: Tensor | null = null;

  /** @internal Use `nr.tensor` and the other creation functions. */
  constructor(data: TypedArray, shape: readonly number[], dtype: DType) {
    this._data = data;
    this.shape = shape;
    this.dtype = dtype;
  }

  /** Number of elements. */
  get size(): number {
    return this._data.length;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /**
   * Whether gradients flow to this tensor. Set it on a leaf (`x.requiresGrad = true`) to have
   * `backward()` fill `x.grad`; only float tensors can require grad.
   */
  get requiresGrad(): boolean {
    return this._requiresGrad;
  }

  set requiresGrad(value: boolean) {
    if (value && !isFloat(this.dtype)) {
      throw dtypeError('requiresGrad', {
        expected: 'only float tensors can require gradients',
        got: `a ${this.dtype} tensor ${formatShape(this.shape)}`,
        hint: "cast it first with .cast('float32')",
      });
    }
    if (!value && this._node) {
      throw shapeError('requiresGrad', {
        expected: 'cannot turn off gradients of a computed tensor',
        hint: 'use .detach() for a constant copy',
      });
    }
    this._requiresGrad = value;
  }

  /** @internal Marks an op's output as part of the graph (skips the leaf checks). */
  _setNode(node: GradNode): void {
    this._node = node;
    this._requiresGrad = true;
  }

  /** The values as a typed array (Float32Array for float32, Int32Array, Uint8Array for bool). Do not mutate it. */
  data(): TypedArray {
    return hostArray(this._data);
  }

  /**
   * `data()` without blocking the thread: where the values live on a GPU (the webgpu backend) they are
   * read back asynchronously, so a browser's main thread can await them; elsewhere it resolves at once.
   */
  dataAsync(): Promise<TypedArray> {
    return hostArrayAsync(this._data);
  }

  /** The values as nested arrays (a number for a scalar; booleans for a bool tensor). */
  toArray(): NestedArray {
    const values = hostArray(this._data);
    const asBool = this.dtype === 'bool';
    const shape = this.shape;
    if (shape.length === 0) return asBool ? values[0] === 1 : values[0]!;
    const build = (axis: number, offset: number, stride: number): NestedArray[] => {
      const out: NestedArray[] = [];
      const step = stride / shape[axis]!;
      for (let i = 0; i < shape[axis]!; i++) {
        const start = offset + i * step;
        out.push(axis === shape.length - 1 ? (asBool ? values[start] === 1 : values[start]!) : build(axis + 1, start, step));
      }
      return out;
    };
    return build(0, 0, sizeOf(shape));
  }

  /** The single value of a one-element tensor. */
  item(): number {
    if (this._data.length !== 1) {
      throw shapeError('item', {
        expected: 'expected a tensor with exactly one element',
        got: `shape ${formatShape(this.shape)}`,
        hint: 'reduce it first (e.g. .sum())',
      });
    }
    return hostArray(this._data)[0]!;
  }

  toString(): string {
    return formatTensor(this);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return formatTensor(this);
  }
}

/** `tensor([[1, 2], [3, 4]], dtype=float32)`, eliding the middle of long axes like NumPy. */
function formatTensor(t: Tensor): string {
  const edge = 3;
  const values = hostArray(t._data);
  const fmt = (v: number): string => {
    if (t.dtype === 'bool') return v ? 'true' : 'false';
    if (t.dtype === 'int32') return String(v);
    return Number.isInteger(v) ? `${v}.` : Number(v.toPrecision(5)).toString();
  };
  const shape = t.shape;
  const build = (axis: number, offset: number, stride: number): string => {
    if (axis === shape.length) return fmt(values[offset]!);
    const n = shape[axis]!;
    const step = stride / n;
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      if (n > 2 * edge && i === edge) {
        parts.push('...');
        i = n - edge - 1;
        continue;
      }
      parts.push(build(axis + 1, offset + i * step, step));
    }
    const sep = axis === shape.length - 1 ? ', ' : `,\n${' '.repeat(axis + 8)}`;
    return `[${parts.join(sep)}]`;
  };
  const body = shape.length === 0 ? fmt(values[0]!) : build(0, 0, sizeOf(shape));
  const grad = t._node ? `, gradFn=${t._node.op}` : t.requiresGrad ? ', requiresGrad=true' : '';
  return `tensor(${body}, dtype=${t.dtype}${grad})`;
}
