import { configError, is, shapeError, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  formatLayerShape,
  registerLayer,
  type CallOptions,
  type LayerShape,
  declareLayerOptions,
  type OwnOptionChecks,
} from '../../layer.js';
import { SequenceLayer, lengthOption, type SequenceLayerOptions } from '../temporal.js';

/* Layers that change the number of steps of [batch, steps, channels] sequences, without weights. */

/** An int for both ends, or `[before, after]`. */
export type Ends = number | readonly [number, number];

/** `1` -> `[1, 1]`; `[1, 2]` as is; integers >= 0. */
function endsOption(value: unknown, where: string, option: string): readonly [number, number] {
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (ok(value)) return [value, value];
  if (Array.isArray(value) && value.length === 2 && value.every(ok)) return [value[0], value[1]];
  throw configError(where, { expected: `${option} must be an integer >= 0 or a pair [before, after] of them`, got: show(value) });
}

const grow = (steps: number | null | undefined, by: number) => (steps === null || steps === undefined ? null : steps + by);

/** ZeroPadding1D and Cropping1D: steps added or removed at each end. */
abstract class Ends1D extends SequenceLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  /** `[before, after]`. */
  protected readonly ends: readonly [number, number];
  private readonly endsOption: 'padding' | 'cropping';

  constructor(option: 'padding' | 'cropping', fallback: number, args: readonly unknown[]) {
    super(...args);
    this.endsOption = option;
    this.ends = Object.freeze(endsOption(this.options<Record<string, unknown>>()[option] ?? fallback, this.where, option));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), [this.endsOption]: [...this.ends] };
  }
}
declareLayerOptions(Ends1D, {});

export interface ZeroPadding1DOptions extends SequenceLayerOptions {
  /** Steps of zeros at each end: an int (both ends) or `[before, after]` (default 1). */
  padding?: Ends;
}

/**
 * Pads sequences with zero steps: `[batch, steps, channels]` -> `[batch, before + steps + after, channels]`.
 *
 * ```ts
 * new nr.layers.ZeroPadding1D([2, 1]).apply(nr.ones([1, 5, 3])).shape; // [1, 8, 3]
 * ```
 */
export class ZeroPadding1D extends Ends1D {
  constructor(padding: Ends, options?: Omit<ZeroPadding1DOptions, 'padding'>);
  constructor(options?: ZeroPadding1DOptions);
  constructor(...args: unknown[]) {
    super('padding', 1, args);
  }

  /** `[before, after]`. */
  get padding(): readonly [number, number] {
    return this.ends;
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.pad(inputs, [[0, 0], this.ends, [0, 0]]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [inputShape[0] ?? null, grow(inputShape[1], this.ends[0] + this.ends[1]), inputShape[2] ?? null];
  }
}
declareLayerOptions(ZeroPadding1D, {
  positional: ['padding'],
  keys: { padding: is.any } satisfies OwnOptionChecks<ZeroPadding1DOptions, SequenceLayerOptions>,
});
registerLayer(ZeroPadding1D, 'ZeroPadding1D');

export interface Cropping1DOptions extends SequenceLayerOptions {
  /** Steps removed at each end: an int (both ends) or `[before, after]` (default 1, as Keras). */
  cropping?: Ends;
}

/**
 * Removes steps from the ends of sequences: `[batch, steps, channels]` -> `[batch, steps - before - after, channels]`.
 *
 * ```ts
 * new nr.layers.Cropping1D([1, 2]).apply(nr.ones([1, 5, 3])).shape; // [1, 2, 3]
 * ```
 */
export class Cropping1D extends Ends1D {
  constructor(cropping: Ends, options?: Omit<Cropping1DOptions, 'cropping'>);
  constructor(options?: Cropping1DOptions);
  constructor(...args: unknown[]) {
    super('cropping', 1, args);
  }

  /** `[before, after]`. */
  get cropping(): readonly [number, number] {
    return this.ends;
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const [, steps] = this.computeOutputShape(inputs.shape);
    return ops.slice(inputs, [0, this.ends[0], 0], [-1, steps!, -1]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const steps = grow(inputShape[1], -this.ends[0] - this.ends[1]);
    if (steps !== null && steps < 1) {
      throw shapeError(this.where, {
        expected: `cropping [${this.ends.join(', ')}] removes all ${inputShape[1]} steps of the input ${formatLayerShape(inputShape)}`,
        hint: 'crop fewer steps: at least one must remain',
      });
    }
    return [inputShape[0] ?? null, steps, inputShape[2] ?? null];
  }
}
declareLayerOptions(Cropping1D, {
  positional: ['cropping'],
  keys: { cropping: is.any } satisfies OwnOptionChecks<Cropping1DOptions, SequenceLayerOptions>,
});
registerLayer(Cropping1D, 'Cropping1D');

export interface UpSampling1DOptions extends SequenceLayerOptions {
  /** How many times each step is repeated (default 2). */
  size?: number;
}

/**
 * Repeats each step `size` times: `[batch, steps, channels]` -> `[batch, steps * size, channels]`.
 *
 * ```ts
 * new nr.layers.UpSampling1D(3).apply(nr.tensor([[[1], [2]]])).data(); // Float32Array [1, 1, 1, 2, 2, 2]
 * ```
 */
export class UpSampling1D extends SequenceLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly size: number;

  constructor(size: number, options?: Omit<UpSampling1DOptions, 'size'>);
  constructor(options?: UpSampling1DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.size = lengthOption(this.options<UpSampling1DOptions>().size ?? 2, this.where, 'size');
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const [batch, steps, channels] = inputs.shape as [number, number, number];
    const spread = ops.broadcastTo(ops.reshape(inputs, [batch, steps, 1, channels]), [batch, steps, this.size, channels]);
    return ops.reshape(spread, [batch, steps * this.size, channels]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const steps = inputShape[1] ?? null;
    return [inputShape[0] ?? null, steps === null ? null : steps * this.size, inputShape[2] ?? null];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: this.size };
  }
}
declareLayerOptions(UpSampling1D, {
  positional: ['size'],
  keys: { size: is.any } satisfies OwnOptionChecks<UpSampling1DOptions, SequenceLayerOptions>,
});
registerLayer(UpSampling1D, 'UpSampling1D');
