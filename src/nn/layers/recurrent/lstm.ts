import { type Tensor, full } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { getInitializer, type InitializerIdentifier } from '../../initializers.js';
import { declareLayerOptions, registerLayer, type OwnOptionChecks } from '../../layer.js';
import { is } from '../../../core/index.js';
import { RecurrentLayer, type RecurrentLayerOptions } from './base.js';

export interface LSTMOptions extends RecurrentLayerOptions {
  /** Activation of the input, forget and output gates (default 'sigmoid'). */
  recurrentActivation?: ActivationIdentifier;
  /** Initialize the forget gate's bias to 1 (default true), as Jozefowicz et al. advise. */
  unitForgetBias?: boolean;
}

/**
 * Long short-term memory (Keras's LSTM): per step `i, f, o = recurrentActivation(...)`,
 * `g = activation(...)`, `c = f c + i g`, `h = o activation(c)`, gate order i, f, c, o in
 * `kernel [features, 4 units]`, `recurrent_kernel [units, 4 units]` and `bias [4 units]`.
 * Input `[batch, time, features]`; output `[batch, units]`, or `[batch, time, units]` with
 * `returnSequences`; with `returnState`, `[output, h, c]`. Default activations run as one fused op.
 *
 * ```ts
 * const lstm = new nr.layers.LSTM({ units: 8, returnSequences: true });
 * lstm.apply(nr.randn([2, 5, 3])).shape; // [2, 5, 8]
 * ```
 */
export class LSTM extends RecurrentLayer {
  readonly recurrentActivation: ActivationIdentifier;
  readonly unitForgetBias: boolean;
  private readonly recurrentActivationFn: ActivationFn;

  constructor(units: number, options?: Omit<LSTMOptions, 'units'>);
  constructor(options: LSTMOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<LSTMOptions>();
    this.recurrentActivation = options.recurrentActivation === undefined ? 'sigmoid' : options.recurrentActivation;
    this.recurrentActivationFn = getActivation(this.recurrentActivation, `LSTM "${this.name}"`);
    this.unitForgetBias = options.unitForgetBias ?? true;
  }

  protected get fusedCell(): ops.RecurrentCell | null {
    return this.isName(this.activation, 'tanh') && this.isName(this.recurrentActivation, 'sigmoid') ? 'lstm' : null;
  }
  protected get gates(): number {
    return 4;
  }
  get stateCount(): number {
    return 2;
  }
  protected get biasShape(): number[] {
    return [4 * this.units];
  }

  protected override biasInit(): InitializerIdentifier {
    if (!this.unitForgetBias) return this.biasInitializer;
    const init = getInitializer(this.biasInitializer, `LSTM "${this.name}" (bias)`);
    const u = this.units;
    return (_shape, dtype = 'float32') => ops.concat([init([u], dtype), full([u], 1, dtype), init([2 * u], dtype)]);
  }

  protected step(x: Tensor[], h: Tensor[], [, c]: Tensor[]): Tensor[] {
    const gate = (g: number, fn: ActivationFn) => fn(this.preActivation(x, h, g));
    const i = gate(0, this.recurrentActivationFn);
    const f = gate(1, this.recurrentActivationFn);
    const next = ops.add(ops.mul(f, c!), ops.mul(i, gate(2, this.activationFn)));
    const o = gate(3, this.recurrentActivationFn);
    return [ops.mul(o, this.activationFn(next)), next];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: activationName(this.recurrentActivation), unitForgetBias: this.unitForgetBias };
  }
}

export const GATED_OPTIONS = { recurrentActivation: is.nullable(is.identifier) };
declareLayerOptions(LSTM, {
  keys: { ...GATED_OPTIONS, unitForgetBias: is.boolean } satisfies OwnOptionChecks<LSTMOptions, RecurrentLayerOptions>,
});
registerLayer(LSTM, 'LSTM');
