import type { Tensor } from '../../../tensor/index.js';
import type * as ops from '../../../ops/index.js';
import { declareLayerOptions, registerLayer } from '../../layer.js';
import { RecurrentLayer, type RecurrentLayerOptions } from './base.js';

export type SimpleRNNOptions = RecurrentLayerOptions;

/**
 * The fully connected recurrent layer (Keras's SimpleRNN): `h = activation(x W + h U + b)` per step,
 * `kernel [features, units]`, `recurrent_kernel [units, units]`, `bias [units]`. Shapes and options
 * as LSTM; `returnState` gives `[output, h]`. 'tanh' (the default) runs as one fused op.
 *
 * ```ts
 * const rnn = new nr.layers.SimpleRNN({ units: 4, activation: 'relu' });
 * rnn.apply(nr.randn([2, 6, 3])).shape; // [2, 4]
 * ```
 */
export class SimpleRNN extends RecurrentLayer {
  constructor(units: number, options?: Omit<SimpleRNNOptions, 'units'>);
  constructor(options: SimpleRNNOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  protected get fusedCell(): ops.RecurrentCell | null {
    return this.isName(this.activation, 'tanh') ? 'simpleRnn' : null;
  }
  protected get gates(): number {
    return 1;
  }
  get stateCount(): number {
    return 1;
  }
  protected get biasShape(): number[] {
    return [this.units];
  }

  protected step(x: Tensor[], h: Tensor[]): Tensor[] {
    return [this.activationFn(this.preActivation(x, h, 0))];
  }
}
declareLayerOptions(SimpleRNN, { keys: {} });
registerLayer(SimpleRNN, 'SimpleRNN');
