import { is } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { declareLayerOptions, registerLayer, type OwnOptionChecks } from '../../layer.js';
import { RecurrentLayer, type RecurrentLayerOptions } from './base.js';
import { GATED_OPTIONS } from './lstm.js';

export interface GRUOptions extends RecurrentLayerOptions {
  /** Activation of the update and reset gates (default 'sigmoid'). */
  recurrentActivation?: ActivationIdentifier;
  /**
   * Apply the reset gate after the recurrent kernel (default true, Keras 3's and cuDNN's/PyTorch's
   * form, bias `[2, 3 units]`: input bias, recurrent bias); false: before it, bias `[3 units]`.
   */
  resetAfter?: boolean;
}

/**
 * Gated recurrent unit (Keras's GRU): per step `z, r = recurrentActivation(...)`,
 * `n = activation(x W_h + r (h U_h + b_rh) + b_h)` (reset after; before: `(r h) U_h`),
 * `h = z h + (1 - z) n`, gate order z, r, h in `kernel [features, 3 units]` and
 * `recurrent_kernel [units, 3 units]`. Shapes and options as LSTM; `returnState` gives `[output, h]`.
 *
 * ```ts
 * const gru = new nr.layers.GRU({ units: 4 });
 * gru.apply(nr.randn([2, 6, 3])).shape; // [2, 4]
 * ```
 */
export class GRU extends RecurrentLayer {
  readonly recurrentActivation: ActivationIdentifier;
  readonly resetAfter: boolean;
  private readonly recurrentActivationFn: ActivationFn;

  constructor(units: number, options?: Omit<GRUOptions, 'units'>);
  constructor(options: GRUOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GRUOptions>();
    this.recurrentActivation = options.recurrentActivation === undefined ? 'sigmoid' : options.recurrentActivation;
    this.recurrentActivationFn = getActivation(this.recurrentActivation, `GRU "${this.name}"`);
    this.resetAfter = options.resetAfter ?? true;
  }

  protected get fusedCell(): ops.RecurrentCell | null {
    const defaults = this.isName(this.activation, 'tanh') && this.isName(this.recurrentActivation, 'sigmoid');
    return defaults && this.resetAfter ? 'gru' : null;
  }
  protected get gates(): number {
    return 3;
  }
  get stateCount(): number {
    return 1;
  }
  protected get biasShape(): number[] {
    return this.resetAfter ? [2, 3 * this.units] : [3 * this.units];
  }

  protected step(x: Tensor[], h: Tensor[], [previous]: Tensor[]): Tensor[] {
    const w = this.kernel!;
    const u = this.recurrentKernel!;
    const b = this.bias;
    const [inputBias, recurrentBias] =
      b === null
        ? [null, null]
        : this.resetAfter
          ? [
              ops.reshape(ops.slice(b, [0, 0], [1, 3 * this.units]), [3 * this.units]),
              ops.reshape(ops.slice(b, [1, 0], [1, 3 * this.units]), [3 * this.units]),
            ]
          : [b, null];
    const xPart = (g: number) => {
      const p = ops.matmul(x[g]!, this.block(w, g));
      return inputBias === null ? p : ops.add(p, this.block(inputBias, g));
    };
    const hPart = (g: number, state: Tensor) => {
      const p = ops.matmul(state, this.block(u, g));
      return recurrentBias === null ? p : ops.add(p, this.block(recurrentBias, g));
    };
    const z = this.recurrentActivationFn(ops.add(xPart(0), hPart(0, h[0]!)));
    const r = this.recurrentActivationFn(ops.add(xPart(1), hPart(1, h[1]!)));
    const recurrent = this.resetAfter ? ops.mul(r, hPart(2, h[2]!)) : ops.matmul(ops.mul(r, h[2]!), this.block(u, 2));
    const candidate = this.activationFn(ops.add(xPart(2), recurrent));
    return [ops.add(ops.mul(z, previous!), ops.mul(ops.sub(1, z), candidate))];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), recurrentActivation: activationName(this.recurrentActivation), resetAfter: this.resetAfter };
  }
}
declareLayerOptions(GRU, {
  keys: { ...GATED_OPTIONS, resetAfter: is.boolean } satisfies OwnOptionChecks<GRUOptions, RecurrentLayerOptions>,
});
registerLayer(GRU, 'GRU');
