import { configError, formatShape, is, shapeError, show } from '../../../core/index.js';
import { type Tensor, type Variable, randu, zeros } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import {
  Layer,
  declareLayerOptions,
  type CallOptions,
  type InputSpec,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';

type MaskList = Tensor | null | readonly (Tensor | null)[];

/** The options SimpleRNN, LSTM and GRU share (Keras's names and defaults). */
export interface RecurrentLayerOptions extends LayerOptions {
  /** Size of the state and of each step's output. */
  units: number;
  /** Activation of the candidate and of the output (default 'tanh'). */
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  /** Default 'orthogonal'. */
  recurrentInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  recurrentRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  /** Fraction of the input features dropped in training, one mask per sequence (default 0). */
  dropout?: number;
  /** Fraction of the state dropped before the recurrent kernel in training, one mask per sequence (default 0). */
  recurrentDropout?: number;
  /** Return the output of every step, `[batch, time, units]`, instead of the last, `[batch, units]` (default false). */
  returnSequences?: boolean;
  /** Also return the final states: `[output, ...states]` (LSTM: `[output, h, c]`; default false). */
  returnState?: boolean;
  /** Process the sequence backwards; the returned sequence stays in that (reversed) order (default false). */
  goBackwards?: boolean;
  /** Keras's stateful mode; not supported (false only). */
  stateful?: boolean;
  /** Accepted for Keras configs; the fused loop gives the same results either way. */
  unroll?: boolean;
  /** Masked steps output zeros instead of the previous output (default false; Bidirectional sets it). */
  zeroOutputForMask?: boolean;
  /** Accepted for Keras configs as null; seed neurona once with nr.setSeed(n). */
  seed?: number | null;
}

/**
 * What SimpleRNN, LSTM and GRU share: the options, the weights (`kernel [in, G units]`,
 * `recurrent_kernel [units, G units]`, `bias`), the mask and state handling, and the choice between
 * the fused op (`ops.recurrent`, default activations) and a per-step composition of ops (any other
 * activation, recurrent dropout, GRU's reset-before form).
 */
export abstract class RecurrentLayer extends Layer {
  readonly units: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  readonly dropout: number;
  readonly recurrentDropout: number;
  readonly returnSequences: boolean;
  readonly returnState: boolean;
  readonly goBackwards: boolean;
  readonly unroll: boolean;
  zeroOutputForMask: boolean;
  protected readonly activationFn: ActivationFn;
  protected readonly kernelInitializer: InitializerIdentifier;
  protected readonly recurrentInitializer: InitializerIdentifier;
  protected readonly biasInitializer: InitializerIdentifier;
  private readonly regularizerConfigs: Record<string, Regularizer | null>;
  kernel: Variable | null = null;
  recurrentKernel: Variable | null = null;
  bias: Variable | null = null;

  /** The fused op's cell, or null when this configuration needs the per-step path. */
  protected abstract get fusedCell(): ops.RecurrentCell | null;
  /** Gate blocks in the kernels (LSTM 4, GRU 3, SimpleRNN 1). */
  protected abstract get gates(): number;
  /** Number of states (LSTM 2: h and c). */
  abstract get stateCount(): number;
  protected abstract get biasShape(): number[];
  /** The bias initializer as built (LSTM's unitForgetBias wraps it). */
  protected biasInit(): InitializerIdentifier {
    return this.biasInitializer;
  }
  /**
   * One step on the per-step path: `x[g]` the input as gate g sees it (after its dropout mask),
   * `h[g]` the state as gate g's recurrent kernel sees it, `states` the previous states. Returns the
   * new states (the first is the output).
   */
  protected abstract step(x: Tensor[], h: Tensor[], states: Tensor[]): Tensor[];

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RecurrentLayerOptions>();
    const own = `${this.className} "${this.name}"`;
    if (!Number.isInteger(options.units) || options.units < 1) {
      throw configError(own, { expected: 'units must be a positive integer', got: show(options.units) });
    }
    for (const key of ['dropout', 'recurrentDropout'] as const) {
      const rate = options[key] ?? 0;
      if (!(rate >= 0 && rate < 1)) throw configError(own, { expected: `${key} must be a number in [0, 1)`, got: show(rate) });
    }
    if (options.stateful) {
      throw configError(own, {
        expected: 'stateful: true is not supported',
        hint: 'pass the final states of one call as initialState of the next (returnState: true)',
      });
    }
    if (options.seed !== undefined && options.seed !== null) {
      throw configError(own, { expected: 'seed must be null', got: show(options.seed), hint: 'seed neurona once with nr.setSeed(n)' });
    }
    this.units = options.units;
    this.activation = options.activation === undefined ? 'tanh' : options.activation;
    this.activationFn = getActivation(this.activation, own);
    this.useBias = options.useBias ?? true;
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.recurrentInitializer = options.recurrentInitializer ?? 'orthogonal';
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.regularizerConfigs = {
      kernelRegularizer: getRegularizer(options.kernelRegularizer),
      recurrentRegularizer: getRegularizer(options.recurrentRegularizer),
      biasRegularizer: getRegularizer(options.biasRegularizer),
    };
    this.dropout = options.dropout ?? 0;
    this.recurrentDropout = options.recurrentDropout ?? 0;
    this.returnSequences = options.returnSequences ?? false;
    this.returnState = options.returnState ?? false;
    this.goBackwards = options.goBackwards ?? false;
    this.unroll = options.unroll ?? false;
    this.zeroOutputForMask = options.zeroOutputForMask ?? false;
  }

  override get inputSpec(): InputSpec {
    return { rank: 3, axes: 'batch, time, features', hint: () => '; add an Embedding before it for token ids, or a Reshape' };
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override get callKeywords(): readonly string[] {
    return ['initialState'];
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return typeof this.activation !== 'function';
  }

  protected isName(identifier: ActivationIdentifier, name: string): boolean {
    return typeof identifier !== 'function' && activationName(identifier) === name;
  }

  override build(inputShape: LayerShape): void {
    const features = inputShape[2];
    if (features === null || features === undefined) {
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: 'the input must be [batch, time, features] with a known number of features',
        got: formatShape(inputShape.map((d) => d ?? -1)),
      });
    }
    const width = this.gates * this.units;
    const reg = this.regularizerConfigs;
    this.kernel = this.addWeight({
      name: 'kernel',
      shape: [features, width],
      initializer: this.kernelInitializer,
      regularizer: reg.kernelRegularizer,
    });
    this.recurrentKernel = this.addWeight({
      name: 'recurrent_kernel',
      shape: [this.units, width],
      initializer: this.recurrentInitializer,
      regularizer: reg.recurrentRegularizer,
    });
    if (this.useBias)
      this.bias = this.addWeight({ name: 'bias', shape: this.biasShape, initializer: this.biasInit(), regularizer: reg.biasRegularizer });
    super.build(inputShape);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor | Tensor[] {
    const own = `${this.className} "${this.name}"`;
    const given = options as CallOptions & { mask?: unknown; initialState?: unknown };
    const mask = (Array.isArray(given.mask) ? given.mask[0] : given.mask) as Tensor | null | undefined;
    let initial = given.initialState as Tensor | Tensor[] | null | undefined;
    if (initial !== undefined && initial !== null && !Array.isArray(initial)) initial = [initial];
    if (initial && initial.length !== this.stateCount) {
      throw configError(own, {
        expected:
          `initialState must be a list of ${this.stateCount} tensor${this.stateCount > 1 ? 's ([h, c])' : ''}` + ` [batch, ${this.units}]`,
        got: `${initial.length}`,
      });
    }
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    const states = initial ? initial.map((s) => (s.dtype === this.dtype ? s : ops.cast(s, this.dtype))) : null;
    const training = options.training === true;
    const cell = this.fusedCell;
    const packed =
      cell !== null && !(training && this.recurrentDropout > 0)
        ? ops.recurrentPacked(cell, this.dropInputs(x, training), this.kernel!, this.recurrentKernel!, this.bias, {
            mask: mask ?? null,
            goBackwards: this.goBackwards,
            zeroOutputForMask: this.zeroOutputForMask,
            initialState: states,
          })
        : this.perStep(x, mask ?? null, states, training);
    const [batch, rows] = packed.shape as [number, number];
    const time = rows - this.stateCount;
    let output: Tensor;
    if (this.returnSequences) output = ops.slice(packed, [0, 0, 0], [batch, time, this.units]);
    else if (time > 0) output = ops.reshape(ops.slice(packed, [0, time - 1, 0], [batch, 1, this.units]), [batch, this.units]);
    else output = zeros([batch, this.units], this.dtype);
    if (!this.returnState) return output;
    const finals = Array.from({ length: this.stateCount }, (_, s) =>
      ops.reshape(ops.slice(packed, [0, time + s, 0], [batch, 1, this.units]), [batch, this.units]),
    );
    return [output, ...finals];
  }

  /** Keras's input dropout: one mask per sample and feature, the same at every step. */
  private dropInputs(x: Tensor, training: boolean): Tensor {
    if (!training || this.dropout === 0) return x;
    return ops.mul(x, this.dropoutMask([x.shape[0]!, 1, x.shape[2]!], this.dropout));
  }

  private dropoutMask(shape: number[], rate: number): Tensor {
    const keep = ops.cast(ops.greaterEqual(randu(shape, { dtype: this.dtype }), rate), this.dtype);
    return ops.mul(keep, 1 / (1 - rate));
  }

  /**
   * The per-step path, in the fused op's packed layout (`[batch, time + states, units]`): Keras's
   * cell loop with its mask rule, and its implementation 1 dropout (one mask per gate) where
   * recurrent dropout is on.
   */
  private perStep(x: Tensor, mask: Tensor | null, initial: Tensor[] | null, training: boolean): Tensor {
    const [batch, time, features] = x.shape as [number, number, number];
    const perGate = this.recurrentDropout > 0 ? this.gates : 1;
    const masks = (rate: number, width: number) =>
      training && rate > 0 ? Array.from({ length: perGate }, () => this.dropoutMask([batch, width], rate)) : null;
    const inputMasks = masks(this.dropout, features);
    const stateMasks = masks(this.recurrentDropout, this.units);
    const states = initial ?? Array.from({ length: this.stateCount }, () => zeros([batch, this.units], this.dtype));
    const run = runSteps(x, mask, states, this.goBackwards, this.zeroOutputForMask, this.units, (xt, previous) => {
      const gateInputs = Array.from({ length: this.gates }, (_, g) => (inputMasks ? ops.mul(xt, inputMasks[g % perGate]!) : xt));
      const h = previous[0]!;
      const gateStates = Array.from({ length: this.gates }, (_, g) => (stateMasks ? ops.mul(h, stateMasks[g % perGate]!) : h));
      const next = this.step(gateInputs, gateStates, previous);
      return [next[0]!, next];
    });
    const parts = [...(time > 0 ? [ops.stack(run.outputs, 1)] : []), ...run.states.map((s) => ops.expandDims(s, 1))];
    return ops.concat(parts, 1);
  }

  /** @internal One step without dropout or mask: `[new states]` from the input `[batch, features]` (the cells' call). */
  cellStep(x: Tensor, states: Tensor[]): Tensor[] {
    const gates = Array.from({ length: this.gates }, () => x);
    return this.step(
      gates,
      gates.map(() => states[0]!),
      states,
    );
  }

  /** Gate g's block of a kernel's columns (or of a bias row). */
  protected block(w: Tensor, g: number): Tensor {
    const rows = w.rank === 1 ? [] : [w.shape[0]!];
    return ops.slice(w, [...rows.map(() => 0), g * this.units], [...rows, this.units]);
  }

  /** `x @ kernel_g + h @ recurrent_g (+ bias_g)`: the pre-activation of gate g. */
  protected preActivation(x: Tensor[], h: Tensor[], g: number, bias: Tensor | null = this.bias): Tensor {
    let z = ops.add(ops.matmul(x[g]!, this.block(this.kernel!, g)), ops.matmul(h[g]!, this.block(this.recurrentKernel!, g)));
    if (bias !== null) z = ops.add(z, this.block(bias, g));
    return z;
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape | LayerShape[] {
    const [batch, time] = inputShape;
    const output = this.returnSequences ? [batch ?? null, time ?? null, this.units] : [batch ?? null, this.units];
    if (!this.returnState) return output;
    const states = Array.from({ length: this.stateCount }, () => [batch ?? null, this.units]);
    return [output, ...states];
  }

  override computeMask(_inputs: Tensor | readonly Tensor[], mask: MaskList): MaskList {
    const m = (Array.isArray(mask) ? mask[0] : mask) ?? null;
    const out = this.returnSequences ? m : null;
    return this.returnState ? [out, ...Array.from({ length: this.stateCount }, () => null)] : out;
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      units: this.units,
      activation: activationName(this.activation),
      useBias: this.useBias,
      kernelInitializer: this.kernelInitializer,
      recurrentInitializer: this.recurrentInitializer,
      biasInitializer: this.biasInitializer,
      dropout: this.dropout,
      recurrentDropout: this.recurrentDropout,
      returnSequences: this.returnSequences,
      returnState: this.returnState,
      goBackwards: this.goBackwards,
      stateful: false,
      unroll: this.unroll,
      zeroOutputForMask: this.zeroOutputForMask,
    };
    for (const [key, reg] of Object.entries(this.regularizerConfigs)) if (reg?.config) config[key] = reg.config;
    return config;
  }
}

/**
 * Keras's rnn loop over `x` `[batch, time, features]`: `step(x_t, states)` gives the output and the
 * new states; at a masked step the states carry over and the output repeats the previous one (zeros
 * before the first real step), or is zero with `zeroOutputForMask`. Returns every step's output in
 * processing order and the final states.
 */
export function runSteps(
  x: Tensor,
  mask: Tensor | null,
  initial: Tensor[],
  goBackwards: boolean,
  zeroOutputForMask: boolean,
  outputWidth: number,
  step: (xt: Tensor, states: Tensor[]) => [Tensor, Tensor[]],
): { outputs: Tensor[]; states: Tensor[] } {
  const [batch, time, features] = x.shape as [number, number, number];
  const liveMask = mask === null ? null : ops.cast(ops.notEqual(mask, 0), x.dtype);
  let states = initial;
  let previous: Tensor = zeros([batch, outputWidth], x.dtype);
  const outputs: Tensor[] = [];
  for (let s = 0; s < time; s++) {
    const t = goBackwards ? time - 1 - s : s;
    const [output, next] = step(ops.reshape(ops.slice(x, [0, t, 0], [batch, 1, features]), [batch, features]), states);
    if (liveMask === null) {
      states = next;
      previous = output;
    } else {
      const m = ops.slice(liveMask, [0, t], [batch, 1]);
      const blend = (a: Tensor, b: Tensor) => ops.add(b, ops.mul(m, ops.sub(a, b)));
      states = next.map((n, k) => blend(n, states[k]!));
      previous = zeroOutputForMask ? ops.mul(m, output) : blend(output, previous);
    }
    outputs.push(previous);
  }
  return { outputs, states };
}

export const RECURRENT_OPTIONS = {
  units: is.any,
  activation: is.nullable(is.identifier),
  useBias: is.boolean,
  kernelInitializer: is.identifier,
  recurrentInitializer: is.identifier,
  biasInitializer: is.identifier,
  kernelRegularizer: is.nullable(is.identifier),
  recurrentRegularizer: is.nullable(is.identifier),
  biasRegularizer: is.nullable(is.identifier),
  dropout: is.number,
  recurrentDropout: is.number,
  returnSequences: is.boolean,
  returnState: is.boolean,
  goBackwards: is.boolean,
  stateful: is.boolean,
  unroll: is.boolean,
  zeroOutputForMask: is.boolean,
  seed: is.nullable(is.number),
} satisfies OwnOptionChecks<RecurrentLayerOptions, LayerOptions>;
declareLayerOptions(RecurrentLayer, { positional: ['units'], keys: RECURRENT_OPTIONS });
