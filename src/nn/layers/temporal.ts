import { configError, is, shapeError, show } from '../../core/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import {
  Layer,
  declareLayerOptions,
  formatLayerShape,
  type InputSpec,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../layer.js';

/*
 * What the layers over sequences [batch, steps, channels] share (Conv1D, the 1-D poolings, the 1-D
 * padding layers): the input spec, the dataFormat option, and the reading of Keras's 1-D window
 * options, which take an int or a list of one (`kernelSize: 3` or `[3]`, as Keras's configs write
 * it). They run on the 2-D kernels with a height of 1, so the window rules are geometry.ts's.
 */

/** An int, or a list of one int as Keras writes it in configs (`[3]`). */
export type Length = number | readonly [number];

/** Keras's padding of a 1-D convolution: 'causal' pads `(kernelSize - 1) * dilationRate` steps before the sequence. */
export type Padding1D = 'valid' | 'same' | 'causal';

const SEQUENCE_INPUT_SPEC: InputSpec = {
  rank: 3,
  axes: 'batch, steps, channels',
  hint: (rank) =>
    rank === 2
      ? '; add the channels axis, e.g. nr.layers.Reshape({targetShape: [steps, 1]})'
      : rank === 4
        ? '; for images use the 2-D layer, or TimeDistributed to apply this one to each row'
        : '',
};

/** `3` or `[3]` -> 3; a positive integer. */
export function lengthOption(value: unknown, where: string, option: string): number {
  const v = Array.isArray(value) && value.length === 1 ? value[0] : value;
  if (Number.isInteger(v) && (v as number) >= 1) return v as number;
  throw configError(where, { expected: `${option} must be an integer >= 1 (or a list of one)`, got: show(value) });
}

/** 'valid', 'same' or, where `causal` allows it, 'causal', in any case (Keras lowercases it); default 'valid'. */
export function padding1DOption(value: unknown, where: string, causal: boolean): Padding1D {
  const padding = typeof value === 'string' ? value.toLowerCase() : (value ?? 'valid');
  if (padding === 'valid' || padding === 'same' || (causal && padding === 'causal')) return padding;
  throw configError(where, { expected: `padding must be 'valid', 'same'${causal ? " or 'causal'" : ''}`, got: show(value) });
}

/** Throws when a 'valid' window spanning `span` steps does not fit the known steps of `shape`. */
export function checkStepsFit(shape: LayerShape, span: number, where: string, what: string): void {
  const steps = shape[1] ?? null;
  if (steps === null || span <= steps) return;
  throw shapeError(where, {
    expected: `a ${what} spanning ${span} steps with 'valid' padding does not fit the ${steps} steps of ${formatLayerShape(shape)}`,
    hint: `use padding 'same', a smaller ${what}, or a longer sequence`,
  });
}

/** Sequences [batch, steps, channels] as images [batch, 1, steps, channels], sharing storage, for the 2-D kernels. */
export function asImages(x: Tensor): Tensor {
  return ops.reshape(x, [x.shape[0]!, 1, x.shape[1]!, x.shape[2]!]);
}

/** The 2-D kernels' [batch, 1, steps, channels] result back as sequences. */
export function asSequences(y: Tensor): Tensor {
  return ops.reshape(y, [y.shape[0]!, y.shape[2]!, y.shape[3]!]);
}

/** The options every sequence layer takes besides its own. */
export interface SequenceLayerOptions extends LayerOptions {
  /** Only 'channels_last' ([batch, steps, channels]), Keras's default; 'channels_first' is refused with a hint. */
  dataFormat?: 'channels_last';
}

/** The base of the layers over [batch, steps, channels] sequences: the input spec, dataFormat, and `where` for errors. */
export abstract class SequenceLayer extends Layer {
  override get inputSpec(): InputSpec {
    return SEQUENCE_INPUT_SPEC;
  }

  constructor(...args: unknown[]) {
    super(...args);
    const format = this.options<SequenceLayerOptions>().dataFormat;
    if (format !== undefined && format !== null && format !== 'channels_last') {
      throw configError(this.where, {
        expected: "only dataFormat 'channels_last' ([batch, steps, channels]) is supported",
        got: show(format),
        hint: 'transpose the sequences, e.g. x.transpose([0, 2, 1])',
      });
    }
  }

  protected get where(): string {
    return `${this.className} "${this.name}"`;
  }
}
declareLayerOptions(SequenceLayer, { keys: { dataFormat: is.any } satisfies OwnOptionChecks<SequenceLayerOptions, LayerOptions> });
