import * as nr from '../../../src/index.js';
import type { CallbackModel } from '../../../src/nn/callbacks/callback.js';

/** A stand-in for a compiled model: plain tensors as weights, a settable learning rate. */
export class FakeModel implements CallbackModel {
  stopTraining = false;
  weights: nr.Tensor[] = [nr.tensor([0, 0, 0]), nr.tensor([[0]])];
  optimizer: { learningRate: number } | null = { learningRate: 0.1 };

  getWeights(): nr.Tensor[] {
    return this.weights;
  }

  setWeights(weights: readonly nr.Tensor[]): void {
    this.weights = [...weights];
  }

  /** Pretend one epoch of training changed every weight to `value`. */
  train(value: number): void {
    this.weights = this.weights.map((w) => nr.full(w.shape, value));
  }
}
