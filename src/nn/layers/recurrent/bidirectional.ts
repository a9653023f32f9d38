import { configError, is, isPlainObject, show } from '../../../core/index.js';
import { type Tensor, type Variable, tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  declareLayerOptions,
  layerFromConfig,
  registerLayer,
  type CallOptions,
  type InputSpec,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { RecurrentLayer } from './base.js';

type MaskList = Tensor | null | readonly (Tensor | null)[];

export type MergeMode = 'concat' | 'sum' | 'mul' | 'ave' | null;
const MERGE_MODES: readonly MergeMode[] = ['concat', 'sum', 'mul', 'ave', null];

export interface BidirectionalOptions extends LayerOptions {
  /** The recurrent layer (SimpleRNN, LSTM or GRU) to run both ways; it is copied from its config, not reused. */
  layer: RecurrentLayer | { className: string; config: Record<string, unknown> };
  /** How the two outputs combine (default 'concat'; null returns both). */
  mergeMode?: MergeMode;
  /** The layer for the backward direction (default: a copy of `layer` with goBackwards flipped). */
  backwardLayer?: RecurrentLayer | { className: string; config: Record<string, unknown> } | null;
}

type Spec = RecurrentLayer | { className: string; config: Record<string, unknown> };

/**
 * Runs a recurrent layer forwards and a copy of it backwards over the sequence (Keras's
 * Bidirectional): the backward output sequence is flipped back into time order, then the two are
 * merged. Weights: the forward layer's, then the backward one's, named `forward_<name>/kernel`, ...
 * With `returnState`: `[output, ...forward states, ...backward states]`. Keras's rule that masked
 * steps output zeros when returning sequences is applied to both layers.
 *
 * ```ts
 * const bi = new nr.layers.Bidirectional(new nr.layers.LSTM({ units: 4, returnSequences: true }));
 * bi.apply(nr.randn([2, 5, 3])).shape; // [2, 5, 8]
 * ```
 */
export class Bidirectional extends Layer {
  readonly forwardLayer: RecurrentLayer;
  readonly backwardLayer: RecurrentLayer;
  readonly mergeMode: MergeMode;

  constructor(layer: RecurrentLayer, options?: Omit<BidirectionalOptions, 'layer'>);
  constructor(options: BidirectionalOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<BidirectionalOptions>();
    const own = `Bidirectional "${this.name}"`;
    this.mergeMode = options.mergeMode === undefined ? 'concat' : options.mergeMode;
    if (!MERGE_MODES.includes(this.mergeMode)) {
      throw configError(own, { expected: "mergeMode must be 'concat', 'sum', 'mul', 'ave' or null", got: show(this.mergeMode) });
    }
    const config = (spec: unknown, role: string): { className: string; config: Record<string, unknown> } => {
      if (spec instanceof RecurrentLayer) return { className: spec.className, config: spec.getConfig() };
      if (isPlainObject(spec) && typeof spec.className === 'string' && isPlainObject(spec.config)) {
        return spec as { className: string; config: Record<string, unknown> };
      }
      throw configError(own, { expected: `${role} must be a SimpleRNN, LSTM or GRU layer`, got: show(spec) });
    };
    const build = (spec: { className: string; config: Record<string, unknown> }, role: string): RecurrentLayer => {
      const layer = layerFromConfig(spec);
      if (!(layer instanceof RecurrentLayer))
        throw configError(own, { expected: `${role} must be a SimpleRNN, LSTM or GRU layer`, got: layer.className });
      return layer;
    };
    // A dtype given to the wrapper is its layers' dtype (as layerFromConfig gives it to a rebuilt wrapper).
    const withDtype = (c: { className: string; config: Record<string, unknown> }) =>
      options.dtype === undefined ? c : { ...c, config: { ...c.config, dtype: options.dtype } };
    const forward = withDtype(config(options.layer, 'layer'));
    const base = String(forward.config.name ?? forward.className.toLowerCase()).replace(/^forward_/, '');
    this.forwardLayer = build({ ...forward, config: { ...forward.config, name: `forward_${base}` } }, 'layer');
    if (options.backwardLayer === undefined || options.backwardLayer === null) {
      const goBackwards = !this.forwardLayer.goBackwards;
      this.backwardLayer = build({ ...forward, config: { ...forward.config, goBackwards, name: `backward_${base}` } }, 'layer');
    } else {
      this.backwardLayer = build(withDtype(config(options.backwardLayer as Spec, 'backwardLayer')), 'backwardLayer');
    }
    const [f, b] = [this.forwardLayer, this.backwardLayer];
    if (f.goBackwards === b.goBackwards) {
      throw configError(own, { expected: 'the forward and backward layers must differ in goBackwards', got: `both ${f.goBackwards}` });
    }
    for (const key of ['returnSequences', 'returnState'] as const) {
      if (f[key] !== b[key])
        throw configError(own, { expected: `the forward and backward layers must agree on ${key}`, got: `${f[key]} and ${b[key]}` });
    }
    f.zeroOutputForMask = f.returnSequences;
    b.zeroOutputForMask = b.returnSequences;
  }

  get returnSequences(): boolean {
    return this.forwardLayer.returnSequences;
  }
  get returnState(): boolean {
    return this.forwardLayer.returnState;
  }
  override get supportsMasking(): boolean {
    return true;
  }
  override get callKeywords(): readonly string[] {
    return ['initialState'];
  }
  override get inputSpec(): InputSpec {
    return this.forwardLayer.inputSpec;
  }

  override get trainable(): boolean {
    return super.trainable;
  }
  override set trainable(value: boolean) {
    super.trainable = value;
    this.forwardLayer.trainable = value;
    this.backwardLayer.trainable = value;
  }
  override get trainableWeights(): Variable[] {
    return this.trainable ? [...this.forwardLayer.trainableWeights, ...this.backwardLayer.trainableWeights] : [];
  }
  override get nonTrainableWeights(): Variable[] {
    const all = (l: Layer) => (this.trainable ? l.nonTrainableWeights : l.weights);
    return [...all(this.forwardLayer), ...all(this.backwardLayer)];
  }

  override countParams(): number {
    return this.weights.reduce((n, v) => n + v.size, 0);
  }

  override build(inputShape: LayerShape): void {
    this.forwardLayer.build(inputShape);
    this.forwardLayer.built = true;
    this.backwardLayer.build(inputShape);
    this.backwardLayer.built = true;
    super.build(inputShape);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor | Tensor[] {
    const given = options as CallOptions & { mask?: unknown; initialState?: Tensor[] | null };
    const initial = given.initialState ?? null;
    const half = this.forwardLayer.stateCount;
    if (initial !== null && (!Array.isArray(initial) || initial.length !== 2 * half)) {
      throw configError(`Bidirectional "${this.name}"`, {
        expected: `initialState must be a list of ${2 * half} tensors (the forward layer's states, then the backward one's)`,
        got: Array.isArray(initial) ? `${initial.length}` : show(initial),
      });
    }
    const run = (layer: RecurrentLayer, states: Tensor[] | null) => {
      const out = layer.apply<Tensor | Tensor[]>(inputs, { training: options.training, mask: given.mask, initialState: states });
      return Array.isArray(out) ? out : [out];
    };
    const [y, ...forwardStates] = run(this.forwardLayer, initial?.slice(0, half) ?? null);
    const [reversed, ...backwardStates] = run(this.backwardLayer, initial?.slice(half) ?? null);
    this.losses = [...this.forwardLayer.losses, ...this.backwardLayer.losses];
    const time = reversed!.shape[1]!;
    const flipped = () =>
      ops.gather(
        reversed!,
        tensor(
          Array.from({ length: time }, (_, t) => time - 1 - t),
          [time],
          'int32',
        ),
        1,
      );
    const yBack = this.returnSequences ? flipped() : reversed!;
    const merged = this.merge(y!, yBack);
    const outputs = [...merged, ...forwardStates, ...backwardStates];
    return outputs.length === 1 ? outputs[0]! : outputs;
  }

  private merge(a: Tensor, b: Tensor): Tensor[] {
    switch (this.mergeMode) {
      case 'concat':
        return [ops.concat([a, b], -1)];
      case 'sum':
        return [ops.add(a, b)];
      case 'mul':
        return [ops.mul(a, b)];
      case 'ave':
        return [ops.mul(ops.add(a, b), 0.5)];
      default:
        return [a, b];
    }
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape | LayerShape[] {
    const f = this.forwardLayer.computeOutputShape(inputShape);
    const [output, ...states] = (this.returnState ? f : [f]) as LayerShape[];
    const merged =
      this.mergeMode === 'concat'
        ? [[...output!.slice(0, -1), output!.at(-1)! * 2]]
        : this.mergeMode === null
          ? [output!, output!]
          : [output!];
    const all = [...merged, ...states, ...states];
    return all.length === 1 ? all[0]! : all;
  }

  override computeMask(_inputs: Tensor | readonly Tensor[], mask: MaskList): MaskList {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const out = this.returnSequences ? m : null;
    const outputs = this.mergeMode === null ? [out, out] : [out];
    const states = this.returnState ? Array.from({ length: 2 * this.forwardLayer.stateCount }, () => null) : [];
    const all = [...outputs, ...states];
    return all.length === 1 ? all[0] : all;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      dtype: this.forwardLayer.dtype,
      mergeMode: this.mergeMode,
      layer: { className: this.forwardLayer.className, config: this.forwardLayer.getConfig() },
      backwardLayer: { className: this.backwardLayer.className, config: this.backwardLayer.getConfig() },
    };
  }
}
declareLayerOptions(Bidirectional, {
  positional: ['layer'],
  keys: { layer: is.any, mergeMode: is.nullable(is.string), backwardLayer: is.nullable(is.any) } satisfies OwnOptionChecks<
    BidirectionalOptions,
    LayerOptions
  >,
});
registerLayer(Bidirectional, 'Bidirectional');
