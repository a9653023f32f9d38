import { configError, is, parseArguments, releaseFloat32, show } from '../../core/index.js';
import type { Tensor } from '../../tensor/index.js';
import { isGradEnabled, modelRunStart, noteModelRun } from '../../tensor/autograd.js';
import { withOverwritable } from '../../tensor/overwrite.js';
import { Layer, SymbolicTensor, nameClass, type CallOptions, type LayerShape } from '../layer.js';
import { InputLayer, inputLayerOf } from './input.js';
import { Model, computesLastAxisSoftmax } from './model.js';
import { deserializeLayer, registerModelBuilder, serializeLayer } from './config.js';
import { describeValue } from '../describe.js';
import type { SummaryRow } from './summary.js';

const SEQUENTIAL_OPTIONS = { positional: ['layers'], keys: { layers: is.any, name: is.string, trainable: is.boolean } };

/**
 * In inference, the storage of `read` (a value between two layers that keep no tensors, which only
 * the second read) once that layer has run: given back unless the layer's result or the model's
 * input shares it (a view such as Flatten's, a result written over its input, a layer that returns
 * its input).
 */
function giveBack(read: Tensor, result: Tensor, input: Tensor): void {
  const data = read._data;
  if (data instanceof Float32Array && data.buffer !== result._data.buffer && data.buffer !== input._data.buffer) releaseFloat32([data]);
}

/**
 * A plain stack of layers, each feeding the next. Given an input shape (the first layer's
 * `inputShape`, or an `nr.Input` / InputLayer first), it builds at once so `summary()` works before
 * `fit`; otherwise it builds on the first data.
 *
 * ```ts
 * const model = new nr.Sequential([
 *   new nr.layers.Dense({ units: 8, activation: 'relu', inputShape: [4] }),
 *   new nr.layers.Dense({ units: 1 }),
 * ]);
 * model.predict(nr.ones([3, 4])).shape; // [3, 1]
 * ```
 */
export class Sequential extends Model {
  private stack: Layer[] = [];
  private inputLayer: InputLayer | null = null;
  /** Output shape of each layer in `stack` (once built). */
  private shapes: LayerShape[] = [];
  /** The input shape (batch axis first) the layers were last built for (saved with the model). */
  builtInputShape: LayerShape | null = null;

  constructor(layers?: readonly (Layer | SymbolicTensor)[], options?: { name?: string; trainable?: boolean });
  constructor(options: { layers?: readonly (Layer | SymbolicTensor)[]; name?: string; trainable?: boolean });
  constructor(...args: unknown[]) {
    const {
      layers = [],
      name,
      trainable,
    } = parseArguments<{ layers?: readonly (Layer | SymbolicTensor)[]; name?: string; trainable?: boolean }>(
      'Sequential',
      args,
      SEQUENTIAL_OPTIONS,
    );
    super({ name, trainable });
    if (!Array.isArray(layers)) {
      throw configError(`Sequential "${this.name}"`, { expected: 'expected an array of layers', got: describeValue(layers) });
    }
    for (const layer of layers) this.add(layer);
    if (!this.trainable) this.trainable = false;
  }

  override get layers(): Layer[] {
    return [...this.stack];
  }

  /** Appends a layer (or sets the input with an `nr.Input` / InputLayer first). */
  add(layer: Layer | SymbolicTensor): void {
    const input = layer instanceof SymbolicTensor ? inputLayerOf(layer) : layer instanceof InputLayer ? layer : undefined;
    if (input) {
      if (this.stack.length > 0 || this.inputLayer) {
        throw configError(`Sequential "${this.name}"`, {
          expected: 'an Input can only be added first',
          got: `one after ${this.inputLayer ? 'another Input' : `${this.stack.length} layer${this.stack.length === 1 ? '' : 's'}`}`,
        });
      }
      this.inputLayer = input;
      return;
    }
    if (!(layer instanceof Layer)) {
      throw configError(`Sequential "${this.name}".add`, {
        expected: 'expected a Layer',
        got: describeValue(layer),
        hint: layer instanceof SymbolicTensor ? 'pass the layer itself' : undefined,
      });
    }
    if (this.stack.some((l) => l.name === layer.name)) {
      throw configError(`Sequential "${this.name}"`, {
        expected: 'layer names must be unique',
        got: `a layer named ${show(layer.name)}, which is already in the model`,
        hint: 'give it another name',
      });
    }
    this.stack.push(layer);
    const inputShape = this.declaredInputShape();
    if (inputShape) this.buildFrom(inputShape);
    else this.built = false;
    this.compiled?.chooseFusedLosses(this.softmaxOutputs());
  }

  /** Removes the last layer. */
  pop(): Layer {
    const layer = this.stack.pop();
    if (!layer) throw configError(`Sequential "${this.name}".pop`, { expected: 'the model has no layers to remove' });
    this.shapes = this.shapes.slice(0, this.stack.length);
    this.compiled?.chooseFusedLosses(this.softmaxOutputs());
    return layer;
  }

  private declaredInputShape(): LayerShape | null {
    return this.inputLayer?.batchInputShape ?? this.stack[0]?.batchInputShape ?? null;
  }

  /** Builds every layer for an input shape (batch axis included) by a symbolic pass. */
  private buildFrom(inputShape: LayerShape): void {
    if (this.stack.length === 0) return;
    let x = new SymbolicTensor(inputShape, 'float32', null, [], `${this.name}_input`);
    const shapes: LayerShape[] = [];
    for (const layer of this.stack) {
      const out: SymbolicTensor | SymbolicTensor[] = layer.apply<SymbolicTensor | SymbolicTensor[]>(x);
      if (Array.isArray(out)) {
        throw configError(`Sequential "${this.name}"`, {
          expected: 'every layer of a Sequential model must have one output',
          got: `${layer.className} "${layer.name}" with ${out.length}`,
          hint: 'use a functional model (nr.Model with nr.Input) to take several outputs, or drop returnState',
        });
      }
      x = out;
      shapes.push(x.shape);
    }
    this.shapes = shapes;
    this.builtInputShape = inputShape;
    this.built = true;
  }

  override build(inputShape: LayerShape): void {
    this.buildFrom(this.declaredInputShape() ?? inputShape);
  }

  override buildFor(inputs: readonly Tensor[]): void {
    if (this.built && this.shapes.length === this.stack.length) return;
    if (this.stack.length === 0) {
      throw configError(`Sequential "${this.name}"`, { expected: 'the model has no layers', hint: 'add some with model.add(layer)' });
    }
    if (inputs.length !== 1) throw this.oneInputError(inputs.length);
    this.buildFrom(this.declaredInputShape() ?? [null, ...inputs[0]!.shape.slice(1)]);
  }

  private oneInputError(count: number): Error {
    return configError(`Sequential "${this.name}"`, {
      expected: 'takes one input',
      got: `${count} tensors`,
      hint: 'use a functional model for several inputs',
    });
  }

  override call(inputs: Tensor | readonly Tensor[], options: CallOptions = {}): Tensor {
    if (Array.isArray(inputs)) {
      if (inputs.length !== 1) throw this.oneInputError(inputs.length);
      inputs = inputs[0]!;
    }
    let x = inputs as Tensor;
    // Inference gives each value between two layers that keep no tensors back to the buffer pool once
    // the next layer has read it, as a functional model's Recycler does.
    const recycling = !options.training && !isGradEnabled();
    // Inside a custom training step, the values between layers are noted for recycling (see noteRun);
    // not those inference gives back itself (the step would give them back a second time).
    const first = recycling ? 0 : modelRunStart();
    const values = first > 0 ? [x] : null;
    const input = x;
    let before: Layer | null = null;
    for (const layer of this.stack) {
      // A value that only this layer reads may take its result (BatchNormalization then ReLU; see runGraph's overwritePlan).
      const made = recycling ? before?.outputFresh : before?.outputOverwritable;
      const spare = made === true && before!.keepsNoTensors && layer.overwritesInput && layer.keepsNoTensors;
      const read = x;
      x = spare ? withOverwritable(read, () => layer.apply(read, options)) : layer.apply(read, options);
      values?.push(x);
      if (recycling && before?.keepsNoTensors && layer.keepsNoTensors) giveBack(read, x, input);
      before = layer;
    }
    if (values) this.noteRun(values, first);
    return x;
  }

  /**
   * Tells the custom training step which values of this run it may give back to the buffer pool: a
   * value between two layers that both keep no tensors; the input and the output are the run's boundary.
   */
  private noteRun(values: readonly Tensor[], first: number): void {
    const internal: Tensor[] = [];
    const boundary: Tensor[] = [values[0]!, values.at(-1)!];
    for (let i = 1; i < values.length - 1; i++) {
      const safe = this.stack[i - 1]!.keepsNoTensors && this.stack[i]!.keepsNoTensors;
      (safe ? internal : boundary).push(values[i]!);
    }
    noteModelRun(internal, boundary, first);
  }

  protected override symbolicOutputShapes(inputShapes: LayerShape[]): LayerShape[] {
    if (!this.built || this.shapes.length !== this.stack.length) this.buildFrom(this.declaredInputShape() ?? inputShapes[0]!);
    return [this.shapes.at(-1)!];
  }

  override get outputNames(): string[] {
    return [this.stack.at(-1)?.name ?? 'output'];
  }

  override softmaxOutputs(): boolean[] {
    const built = this.stack.length > 0 && this.shapes.length === this.stack.length;
    return [computesLastAxisSoftmax(this.stack.at(-1) ?? null, built ? this.shapes.at(-1)!.length : null)];
  }

  protected override summaryRows(): SummaryRow[] {
    return this.stack.map((layer, i) => ({ layer, outputShape: this.shapes[i] ?? null }));
  }

  override getConfig(): Record<string, unknown> {
    const layers = this.stack.map(serializeLayer);
    if (this.inputLayer) layers.unshift(serializeLayer(this.inputLayer));
    return { name: this.name, trainable: this.trainable, layers };
  }

  /** Rebuilds a Sequential model from `getConfig()`. */
  static override fromConfig(config: Record<string, unknown>): Sequential {
    if (!Array.isArray(config.layers)) {
      throw configError('Sequential.fromConfig', {
        expected: 'expected {name, layers: [{className, config}, ...]}',
        got: `layers ${show(config.layers)}`,
      });
    }
    const model = new Sequential((config.layers as { className: string; config: Record<string, unknown> }[]).map(deserializeLayer), {
      name: config.name as string | undefined,
    });
    // The model's own flag, not propagated: each layer's config carries its own.
    if (config.trainable !== undefined) model.setOwnTrainable(config.trainable as boolean);
    return model;
  }
}
registerModelBuilder('Sequential', (config) => Sequential.fromConfig(config));
nameClass(Sequential, 'Sequential');
