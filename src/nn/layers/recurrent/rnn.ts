import { configError, is, isPlainObject, show } from '../../../core/index.js';
import { type Tensor, type Variable, zeros } from '../../../tensor/index.js';
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
import { RECURRENT_OPTIONS, type RecurrentLayer, runSteps, type RecurrentLayerOptions } from './base.js';
import { GRU, type GRUOptions } from './gru.js';
import { GATED_OPTIONS, LSTM, type LSTMOptions } from './lstm.js';
import { SimpleRNN } from './simple-rnn.js';

type MaskList = Tensor | null | readonly (Tensor | null)[];
type Spec = { className: string; config: Record<string, unknown> };
const SEQUENCE_KEYS = ['returnSequences', 'returnState', 'goBackwards', 'stateful', 'unroll', 'zeroOutputForMask'] as const;

/** A layer made of others, whose weights are theirs (the cells and RNN). */
abstract class Composite extends Layer {
  protected abstract get parts(): Layer[];
  override get trainable(): boolean {
    return super.trainable;
  }
  override set trainable(value: boolean) {
    super.trainable = value;
    for (const p of this.parts) p.trainable = value;
  }
  override get trainableWeights(): Variable[] {
    return this.trainable ? this.parts.flatMap((p) => p.trainableWeights) : [];
  }
  override get nonTrainableWeights(): Variable[] {
    return this.parts.flatMap((p) => (this.trainable ? p.nonTrainableWeights : p.weights));
  }
  override countParams(): number {
    return this.weights.reduce((n, v) => n + v.size, 0);
  }
}

/**
 * One step of SimpleRNN, LSTM or GRU as a layer (Keras's cells), for `RNN({cell})` or a loop of your
 * own: `cell.apply(x, {states})` with x `[batch, features]` returns `[output, ...new states]`
 * (zeros when `states` is omitted). Weights and options as the layer's, without the sequence options;
 * dropout belongs to the layers (LSTM, GRU, SimpleRNN), which draw one mask per sequence.
 */
export abstract class RecurrentCell extends Composite {
  protected readonly step: RecurrentLayer;

  constructor(Inner: new (options: RecurrentLayerOptions) => RecurrentLayer, args: unknown[]) {
    super(...args);
    const options = this.options<RecurrentLayerOptions>();
    for (const key of ['dropout', 'recurrentDropout'] as const) {
      if (options[key]) {
        throw configError(`${this.className} "${this.name}"`, {
          expected: `${key} is not supported on a cell`,
          got: show(options[key]),
          hint: `use the ${this.className.replace('Cell', '')} layer's ${key}, which draws one mask per sequence`,
        });
      }
    }
    const { inputShape: _i, inputDim: _d, batchSize: _b, ...own } = options as RecurrentLayerOptions & Record<string, unknown>;
    this.step = new Inner({ ...own, name: this.name, dtype: this.dtype } as RecurrentLayerOptions);
  }

  protected get parts(): Layer[] {
    return [this.step];
  }
  get units(): number {
    return this.step.units;
  }
  /** The size of each state (LSTM: `[units, units]`). */
  get stateSize(): number[] {
    return Array.from({ length: this.step.stateCount }, () => this.units);
  }
  override get callKeywords(): readonly string[] {
    return ['states'];
  }
  override get inputSpec(): InputSpec {
    return { rank: 2, axes: 'batch, features', hint: () => '; a cell takes one step: wrap it in nr.layers.RNN for sequences' };
  }

  override build(inputShape: LayerShape): void {
    this.step.build([inputShape[0] ?? null, null, inputShape[1] ?? null]);
    this.step.built = true;
    super.build(inputShape);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor[] {
    const batch = inputs.shape[0]!;
    const given = options.states as Tensor[] | undefined;
    const states = given ?? this.stateSize.map((n) => zeros([batch, n], this.dtype));
    if (states.length !== this.stateSize.length) {
      throw configError(`${this.className} "${this.name}"`, {
        expected: `states must be a list of ${this.stateSize.length}`,
        got: `${states.length}`,
      });
    }
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    const next = this.step.cellStep(x, states);
    return [next[0]!, ...next];
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape[] {
    return [this.units, ...this.stateSize].map((n) => [inputShape[0] ?? null, n]);
  }

  override getConfig(): Record<string, unknown> {
    const config = { ...this.step.getConfig(), ...super.getConfig() };
    for (const key of [...SEQUENCE_KEYS, 'dropout', 'recurrentDropout']) delete config[key];
    return config;
  }
}

// A cell takes the layer's options but the sequence ones (dropout is refused with the fix, above).
const cellKeys = Object.fromEntries(Object.entries(RECURRENT_OPTIONS).filter(([k]) => !(SEQUENCE_KEYS as readonly string[]).includes(k)));

/** Keras's SimpleRNNCell: `h = activation(x W + h U + b)`; `apply(x, {states: [h]})` gives `[h, h]`. */
export class SimpleRNNCell extends RecurrentCell {
  constructor(units: number, options?: Omit<RecurrentLayerOptions, 'units'>);
  constructor(options: RecurrentLayerOptions);
  constructor(...args: unknown[]) {
    super(SimpleRNN, args);
  }
}
/**
 * Keras's LSTMCell: `apply(x, {states: [h, c]})` gives `[h, h, c]`.
 *
 * ```ts
 * const [h, , c] = new nr.layers.LSTMCell(4).apply<nr.Tensor[]>(nr.randn([2, 3]));
 * h.shape; // [2, 4]
 * ```
 */
export class LSTMCell extends RecurrentCell {
  constructor(units: number, options?: Omit<LSTMOptions, 'units'>);
  constructor(options: LSTMOptions);
  constructor(...args: unknown[]) {
    super(LSTM, args);
  }
}
/** Keras's GRUCell (resetAfter true by default): `apply(x, {states: [h]})` gives `[h, h]`. */
export class GRUCell extends RecurrentCell {
  constructor(units: number, options?: Omit<GRUOptions, 'units'>);
  constructor(options: GRUOptions);
  constructor(...args: unknown[]) {
    super(GRU, args);
  }
}
declareLayerOptions(SimpleRNNCell, { positional: ['units'], keys: cellKeys });
declareLayerOptions(LSTMCell, { positional: ['units'], keys: { ...cellKeys, ...GATED_OPTIONS, unitForgetBias: is.boolean } });
declareLayerOptions(GRUCell, { positional: ['units'], keys: { ...cellKeys, ...GATED_OPTIONS, resetAfter: is.boolean } });
registerLayer(SimpleRNNCell, 'SimpleRNNCell');
registerLayer(LSTMCell, 'LSTMCell');
registerLayer(GRUCell, 'GRUCell');

/** A cell from a layer or its config; a dtype given to the owner is the cell's (rebuilt from its config if need be). */
function cellFrom(spec: unknown, owner: string, dtype?: string): RecurrentCell | StackedRNNCells {
  const given =
    spec instanceof Layer && dtype !== undefined && spec.dtype !== dtype ? { className: spec.className, config: spec.getConfig() } : spec;
  const withDtype = (c: Spec) => (dtype === undefined ? c : { ...c, config: { ...c.config, dtype } });
  const layer =
    given instanceof Layer
      ? given
      : isPlainObject(given) && typeof given.className === 'string'
        ? layerFromConfig(withDtype(given as Spec))
        : null;
  if (layer instanceof RecurrentCell || layer instanceof StackedRNNCells) return layer;
  throw configError(owner, {
    expected: 'cell must be a SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells or a list of cells',
    got: show(spec),
  });
}

export interface StackedRNNCellsOptions extends LayerOptions {
  cells: (RecurrentCell | Spec)[];
}

/**
 * Keras's StackedRNNCells: cells applied one after the other within a step, each feeding the next;
 * the states are every cell's states in order, the output the last cell's.
 */
export class StackedRNNCells extends Composite {
  readonly cells: RecurrentCell[];
  constructor(cells: RecurrentCell[], options?: LayerOptions);
  constructor(options: StackedRNNCellsOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const own = `StackedRNNCells "${this.name}"`;
    const given = this.options<StackedRNNCellsOptions>().cells;
    if (!Array.isArray(given) || given.length === 0)
      throw configError(own, { expected: 'cells must be a non-empty list of cells', got: show(given) });
    this.cells = given.map((c) => {
      const cell = cellFrom(c, own, this.options<StackedRNNCellsOptions>().dtype);
      if (cell instanceof StackedRNNCells)
        throw configError(own, { expected: 'cells must be SimpleRNNCell, LSTMCell or GRUCell', got: cell.className });
      return cell;
    });
  }
  protected get parts(): Layer[] {
    return this.cells;
  }
  get units(): number {
    return this.cells.at(-1)!.units;
  }
  get stateSize(): number[] {
    return this.cells.flatMap((c) => c.stateSize);
  }
  override get callKeywords(): readonly string[] {
    return ['states'];
  }
  override build(inputShape: LayerShape): void {
    let shape = inputShape;
    for (const cell of this.cells) {
      cell.build(shape);
      cell.built = true;
      shape = [shape[0] ?? null, cell.units];
    }
    super.build(inputShape);
  }
  override call(inputs: Tensor, options: CallOptions): Tensor[] {
    const given = (options.states as Tensor[] | undefined) ?? null;
    let x = inputs;
    let at = 0;
    const states: Tensor[] = [];
    for (const cell of this.cells) {
      const n = cell.stateSize.length;
      const [out, ...next] = cell.apply<Tensor[]>(x, given ? { states: given.slice(at, at + n) } : {});
      at += n;
      x = out!;
      states.push(...next);
    }
    return [x, ...states];
  }
  override computeOutputShape(inputShape: LayerShape): LayerShape[] {
    return [this.units, ...this.stateSize].map((n) => [inputShape[0] ?? null, n]);
  }
  override getConfig(): Record<string, unknown> {
    const cells = this.cells.map((c) => ({ className: c.className, config: c.getConfig() }));
    return { ...super.getConfig(), dtype: this.cells[0]!.dtype, cells };
  }
}
declareLayerOptions(StackedRNNCells, {
  positional: ['cells'],
  keys: { cells: is.any } satisfies OwnOptionChecks<StackedRNNCellsOptions, LayerOptions>,
});
registerLayer(StackedRNNCells, 'StackedRNNCells');

export interface RNNOptions extends LayerOptions {
  /** A cell, a list of cells (stacked), or a cell's `{className, config}`. */
  cell: RecurrentCell | StackedRNNCells | RecurrentCell[] | Spec;
  returnSequences?: boolean;
  returnState?: boolean;
  goBackwards?: boolean;
  /** Not supported (false only), as for LSTM. */
  stateful?: boolean;
  unroll?: boolean;
  zeroOutputForMask?: boolean;
}

/**
 * Keras's generic RNN: runs a cell over the time axis with the recurrent layers' options, masks and
 * `initialState` (one tensor per state of the cell). `RNN({cell: new LSTMCell(n)})` computes what
 * `LSTM(n)` does, step by step (the LSTM layer itself runs the fused op).
 *
 * ```ts
 * const rnn = new nr.layers.RNN({ cell: [new nr.layers.LSTMCell(4), new nr.layers.GRUCell(2)], returnSequences: true });
 * rnn.apply(nr.randn([3, 5, 6])).shape; // [3, 5, 2]
 * ```
 */
export class RNN extends Composite {
  readonly cell: RecurrentCell | StackedRNNCells;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;
  zeroOutputForMask: boolean;

  constructor(cell: RecurrentCell | StackedRNNCells | RecurrentCell[], options?: Omit<RNNOptions, 'cell'>);
  constructor(options: RNNOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RNNOptions>();
    const own = `RNN "${this.name}"`;
    const dtype = options.dtype;
    this.cell = Array.isArray(options.cell)
      ? new StackedRNNCells({ cells: options.cell, ...(dtype ? { dtype } : {}) })
      : cellFrom(options.cell, own, dtype);
    if (options.stateful) {
      throw configError(own, {
        expected: 'stateful: true is not supported',
        hint: 'pass the final states of one call as initialState of the next (returnState: true)',
      });
    }
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.goBackwards = options.goBackwards ?? false;
    this.unroll = options.unroll ?? false;
    this.zeroOutputForMask = options.zeroOutputForMask ?? false;
  }
  protected get parts(): Layer[] {
    return [this.cell];
  }
  override get supportsMasking(): boolean {
    return true;
  }
  override get callKeywords(): readonly string[] {
    return ['initialState'];
  }
  override get inputSpec(): InputSpec {
    return { rank: 3, axes: 'batch, time, features', hint: () => '; add an Embedding before it for token ids, or a Reshape' };
  }

  override build(inputShape: LayerShape): void {
    this.cell.build([inputShape[0] ?? null, inputShape[2] ?? null]);
    this.cell.built = true;
    super.build(inputShape);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor | Tensor[] {
    const sizes = this.cell.stateSize;
    const given = options.initialState as Tensor[] | Tensor | undefined | null;
    const initial = given === undefined || given === null ? null : Array.isArray(given) ? given : [given];
    if (initial && initial.length !== sizes.length) {
      throw configError(`RNN "${this.name}"`, {
        expected: `initialState must be a list of ${sizes.length} tensors`,
        got: `${initial.length}`,
      });
    }
    const batch = inputs.shape[0]!;
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    const mask = (Array.isArray(options.mask) ? options.mask[0] : options.mask) ?? null;
    const states = initial ?? sizes.map((n) => zeros([batch, n], this.dtype));
    const stepOptions = (s: Tensor[]): CallOptions => ({ states: s, training: options.training });
    const run = runSteps(x, mask, states, this.goBackwards, this.zeroOutputForMask, this.cell.units, (xt, s) => {
      const [out, ...next] = this.cell.apply<Tensor[]>(xt, stepOptions(s));
      return [out!, next];
    });
    const output = this.returnSequences
      ? run.outputs.length > 0
        ? ops.stack(run.outputs, 1)
        : zeros([batch, 0, this.cell.units], this.dtype)
      : (run.outputs.at(-1) ?? zeros([batch, this.cell.units], this.dtype));
    return this.returnState ? [output, ...run.states] : output;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape | LayerShape[] {
    const [batch, time] = [inputShape[0] ?? null, inputShape[1] ?? null];
    const output = this.returnSequences ? [batch, time, this.cell.units] : [batch, this.cell.units];
    return this.returnState ? [output, ...this.cell.stateSize.map((n) => [batch, n])] : output;
  }

  override computeMask(_inputs: Tensor | readonly Tensor[], mask: MaskList): MaskList {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, ...this.cell.stateSize.map(() => null)] : out;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      dtype: this.cell.dtype,
      cell: { className: this.cell.className, config: this.cell.getConfig() },
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: this.unroll,
      zeroOutputForMask: this.zeroOutputForMask,
    };
  }
}
declareLayerOptions(RNN, {
  positional: ['cell'],
  keys: {
    cell: is.any,
    returnSequences: is.boolean,
    returnState: is.boolean,
    goBackwards: is.boolean,
    stateful: is.boolean,
    unroll: is.boolean,
    zeroOutputForMask: is.boolean,
  } satisfies OwnOptionChecks<RNNOptions, LayerOptions>,
});
registerLayer(RNN, 'RNN');
