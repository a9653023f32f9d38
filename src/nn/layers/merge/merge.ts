import { configError, dtypeError, formatShape, is, shapeError } from '../../../core/index.js';
import { ones, type Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  formatLayerShape,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  declareLayerOptions,
  type OwnOptionChecks,
} from '../../layer.js';

/*
 * Merge layers take a list of inputs (`new nr.layers.Add().apply([a, b])`, eagerly or on symbolic
 * tensors) and combine them into one. The elementwise ones broadcast as Keras does: shapes are
 * aligned from the right and a dimension of 1 stretches to the other's size.
 */

const formatShapes = (shapes: readonly LayerShape[]) => shapes.map(formatLayerShape).join(', ');

/** The base of the merge layers: checks the list of inputs once, in build and in call. */
abstract class Merge extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  /** How many inputs the layer takes (Subtract: exactly 2). */
  protected readonly minInputs: number = 2;
  protected readonly maxInputs: number = Number.POSITIVE_INFINITY;

  constructor(options?: LayerOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  /** How errors name the layer: `Add "add"`. */
  protected get where(): string {
    return `${this.className} "${this.name}"`;
  }

  override get takesInputList(): boolean {
    return true;
  }

  override get supportsMasking(): boolean {
    return true;
  }

  /** As Keras: the output is masked where any input is (the masks that are given, ANDed). */
  override computeMask(_inputs: Tensor | readonly Tensor[], mask: CallOptions['mask']): Tensor | null {
    const given = Array.isArray(mask) ? mask.filter((m): m is Tensor => m !== null) : mask ? [mask as Tensor] : [];
    return given.length === 0 ? null : given.reduce((a, b) => ops.mul(a, b));
  }

  /** The list of input shapes, after checking that it is a list of the right length. */
  protected shapeList(inputShape: LayerShape | readonly LayerShape[]): LayerShape[] {
    const shapes = inputShape as readonly unknown[];
    if (!shapes.every((s) => Array.isArray(s))) {
      throw configError(this.where, {
        expected: 'expects a list of inputs',
        got: `one input of shape ${formatLayerShape(inputShape as LayerShape)}`,
        hint: 'call apply([a, b, ...])',
      });
    }
    const count = this.minInputs === this.maxInputs ? `exactly ${this.minInputs}` : `at least ${this.minInputs}`;
    if (shapes.length < this.minInputs || shapes.length > this.maxInputs) {
      throw configError(this.where, {
        expected: `expects ${count} inputs`,
        got: `${shapes.length} (shapes ${formatShapes(shapes as unknown as LayerShape[])})`,
      });
    }
    return shapes as unknown as LayerShape[];
  }

  override build(inputShape: LayerShape | readonly LayerShape[]): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape as LayerShape);
  }

  /** Keras's broadcasting of two shapes: aligned right, 1 stretches, null (unknown) stays unknown. */
  override computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const shapes = this.shapeList(inputShape);
    const batches = new Set(shapes.map((s) => s[0]).filter((d) => d !== null && d !== undefined));
    if (batches.size > 1) {
      throw shapeError(this.where, {
        expected: 'cannot merge inputs with different batch sizes',
        got: `shapes ${formatShapes(shapes)}`,
        hint: 'give every input the same batch size',
      });
    }
    return shapes.reduce((a, b) => {
      const [long, short] = a.length >= b.length ? [a, b] : [b, a];
      const lead = long.slice(0, long.length - short.length);
      const tail = short.map((j, k) => {
        const i = long[long.length - short.length + k]!;
        if (i === null || j === null) return i === 1 ? j : j === 1 ? i : null;
        if (i === 1) return j;
        if (j === 1 || i === j) return i;
        throw shapeError(this.where, {
          expected: `inputs have incompatible shapes ${formatShapes(shapes)}`,
          rule: 'each dimension must be equal or 1, aligned from the right',
        });
      });
      return [...lead, ...tail];
    });
  }

  override call(inputs: Tensor | readonly Tensor[], _options: CallOptions): Tensor {
    const list = Array.isArray(inputs) ? (inputs as readonly Tensor[]) : [inputs as Tensor];
    this.computeOutputShape(list.map((t) => t.shape));
    return this.merge(list);
  }

  /** Combines the checked inputs. */
  protected abstract merge(inputs: readonly Tensor[]): Tensor;
}

/** A merge that folds the list from the left with one broadcasting binary op. */
abstract class ElementwiseMerge extends Merge {
  protected abstract readonly combine: (a: Tensor, b: Tensor) => Tensor;

  protected merge(inputs: readonly Tensor[]): Tensor {
    let out = inputs[0]!;
    for (let i = 1; i < inputs.length; i++) out = this.combine(out, inputs[i]!);
    return out;
  }
}

/** Declares that a merge layer has no options of its own (so a misspelt one fails) and registers it for model loading. */
function registerMerge(cls: new (options?: LayerOptions) => Merge, name: string): void {
  declareLayerOptions(cls, {});
  registerLayer(cls, name);
}

/**
 * Adds a list of inputs elementwise (broadcasting as Keras). Input: a list of tensors of the same
 * (or broadcastable) shape; output: that shape. Used for residual connections.
 *
 * ```ts
 * const sum = new nr.layers.Add().apply([nr.ones([2, 3]), nr.full([2, 3], 2)]);
 * sum.toArray(); // [[3, 3, 3], [3, 3, 3]]
 * ```
 */
export class Add extends ElementwiseMerge {
  protected readonly combine = ops.add;

  /** @internal add's gradient reads neither its inputs nor its output, and it may write over an input. */
  override get outputOverwritable(): boolean {
    return this.constructor === Add;
  }

  /** @internal */
  override get overwritesInput(): boolean {
    return this.constructor === Add;
  }
}
registerMerge(Add, 'Add');

/**
 * Subtracts the second input from the first: exactly two inputs, `a - b`.
 *
 * ```ts
 * new nr.layers.Subtract().apply([nr.full([1, 2], 5), nr.ones([1, 2])]).toArray(); // [[4, 4]]
 * ```
 */
export class Subtract extends ElementwiseMerge {
  protected override readonly maxInputs = 2;
  protected readonly combine = ops.sub;
}
registerMerge(Subtract, 'Subtract');

/**
 * Multiplies a list of inputs elementwise (broadcasting as Keras).
 *
 * ```ts
 * new nr.layers.Multiply().apply([nr.full([1, 2], 3), nr.full([1, 2], 2)]).toArray(); // [[6, 6]]
 * ```
 */
export class Multiply extends ElementwiseMerge {
  protected readonly combine = ops.mul;
}
registerMerge(Multiply, 'Multiply');

/**
 * The elementwise mean of a list of inputs.
 *
 * ```ts
 * new nr.layers.Average().apply([nr.full([1, 2], 1), nr.full([1, 2], 4)]).toArray(); // [[2.5, 2.5]]
 * ```
 */
export class Average extends ElementwiseMerge {
  protected readonly combine = ops.add;

  protected override merge(inputs: readonly Tensor[]): Tensor {
    return ops.mul(super.merge(inputs), 1 / inputs.length);
  }
}
registerMerge(Average, 'Average');

/**
 * The elementwise maximum of a list of inputs.
 *
 * ```ts
 * new nr.layers.Maximum().apply([nr.tensor([[1, 5]]), nr.tensor([[3, 2]])]).toArray(); // [[3, 5]]
 * ```
 */
export class Maximum extends ElementwiseMerge {
  protected readonly combine = ops.maximum;
}
registerMerge(Maximum, 'Maximum');

export interface ConcatenateOptions extends LayerOptions {
  /** The axis to join along (default -1, the channels of NHWC images). */
  axis?: number;
}

/**
 * Joins a list of inputs along `axis` (default -1). All inputs have one rank, and every dimension
 * but `axis` must match; the output's `axis` is the sum of theirs.
 *
 * ```ts
 * new nr.layers.Concatenate().apply([nr.ones([2, 3]), nr.zeros([2, 1])]).shape; // [2, 4]
 * ```
 */
export class Concatenate extends Merge {
  /** Checked by the options declaration below (an integer); its range depends on the inputs' rank. */
  readonly axis: number = this.options<ConcatenateOptions>().axis ?? -1;

  constructor(axis: number, options?: Omit<ConcatenateOptions, 'axis'>);
  constructor(options?: ConcatenateOptions);
  constructor(...args: unknown[]) {
    super(...(args as [LayerOptions]));
  }

  override computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const shapes = this.shapeList(inputShape);
    const rank = shapes[0]!.length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 1 || axis >= rank) {
      throw shapeError(this.where, {
        expected: `axis ${this.axis} is out of range for inputs of rank ${rank}`,
        got: `shapes ${formatShapes(shapes)}`,
        hint: `use an axis in 1..${rank - 1} or -${rank - 1}..-1 (the batch axis cannot be joined)`,
      });
    }
    const mismatch = shapes.some(
      (s) => s.length !== rank || s.some((d, i) => i !== axis && d !== null && shapes[0]![i] !== null && d !== shapes[0]![i]),
    );
    if (mismatch) {
      throw shapeError(this.where, {
        expected: `inputs must have one rank and equal dimensions except along axis ${this.axis}`,
        got: `shapes ${formatShapes(shapes)}`,
      });
    }
    const out = shapes[0]!.map((_, i) => shapes.map((s) => s[i]!).find((d) => d !== null) ?? null);
    out[axis] = shapes.some((s) => s[axis] === null) ? null : shapes.reduce((n, s) => n + s[axis]!, 0);
    return out;
  }

  protected merge(inputs: readonly Tensor[]): Tensor {
    const dtype = inputs[0]!.dtype;
    if (inputs.some((t) => t.dtype !== dtype)) {
      throw dtypeError(this.where, {
        expected: 'inputs must have one dtype',
        got: `${inputs.map((t) => t.dtype).join(', ')} with shapes ${inputs.map((t) => formatShape(t.shape)).join(', ')}`,
        hint: 'cast them to one dtype',
      });
    }
    return ops.concat(inputs, this.axis);
  }

  /** Joined along time, the masks join too (a missing one counts as all ones); along features they are ANDed. */
  override computeMask(inputs: Tensor | readonly Tensor[], mask: CallOptions['mask']): Tensor | null {
    const list = Array.isArray(mask) ? (mask as readonly (Tensor | null)[]) : [];
    const first = list.find((m) => m !== null);
    const tensors = inputs as readonly Tensor[];
    const rank = tensors[0]!.rank;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (!first || axis >= first.rank) return super.computeMask(inputs, mask);
    return ops.concat(
      list.map((m, i) => m ?? ones(tensors[i]!.shape.slice(0, first.rank))),
      axis,
    );
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
declareLayerOptions(Concatenate, {
  positional: ['axis'],
  keys: { axis: is.integer } satisfies OwnOptionChecks<ConcatenateOptions, LayerOptions>,
});
registerLayer(Concatenate, 'Concatenate');
