import { configError, show } from '../../core/index.js';
import { noGrad, valueAndGradOfStep, type Tensor, type Variable } from '../../tensor/index.js';
import type { CallbackModel } from '../callbacks/callback.js';
import type { CompiledState } from './compile.js';

/*
 * The two steps every loop runs (fit's training step, evaluate's test step) and what they need from
 * a model; the tensor loop (loop.ts) and the Dataset loop (dataset-input.ts) share them.
 */

/** Names the model's inputs and outputs have, for Dataset elements that give x or y as `{name: tensor}`. */
export interface NamedIO {
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
}

/** What the loop needs from a model. */
export interface TrainableModel extends CallbackModel, NamedIO {
  readonly name: string;
  readonly compiled: CompiledState | null;
  readonly trainableWeights: Variable[];
  /** The model's outputs for a batch of inputs (one tensor per output). */
  forward(inputs: readonly Tensor[], training: boolean): Tensor[];
  /** Creates the weights (if not yet) for inputs like these, so they can be differentiated. */
  buildFor(inputs: readonly Tensor[]): void;
  /** The regularization penalties of the last forward pass. */
  regularizationLosses(): Tensor[];
}

/** Milliseconds between yields to the event loop during training. */
export const YIELD_EVERY_MS = 40;

export function requireCompiled(model: TrainableModel, method: string): CompiledState {
  if (!model.compiled) {
    throw configError(method, {
      expected: `the model ${show(model.name)} is not compiled`,
      hint: 'call model.compile({optimizer, loss, metrics}) first',
    });
  }
  return model.compiled;
}

/** One optimization step on one batch; updates the compiled loss and metric trackers. */
export function trainStep(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  sampleWeight?: Tensor,
): void {
  model.buildFor(xs);
  const variables = model.trainableWeights;
  let predictions: Tensor[] = [];
  let perOutput: Tensor[] = [];
  const { value, grads, release } = valueAndGradOfStep(() => {
    predictions = model.forward(xs, true);
    const losses = compiled.computeLoss(ys, predictions, sampleWeight, true);
    perOutput = losses.perOutput;
    let total = losses.total;
    for (const penalty of model.regularizationLosses()) total = total.add(penalty);
    return total;
  }, variables);
  compiled.optimizer.apply(grads, variables);
  compiled.update(
    xs[0]!.shape[0]!,
    value.item(),
    perOutput.map((l) => l.item()),
    ys,
    predictions,
    sampleWeight,
  );
  // Nothing reads the step's activations and gradients any more: the next step reuses their storage.
  release();
}

/** One evaluation step (no gradients, training false). */
export function testStep(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  sampleWeight?: Tensor,
): void {
  noGrad(() => {
    const predictions = model.forward(xs, false);
    const losses = compiled.computeLoss(ys, predictions, sampleWeight);
    let total = losses.total;
    for (const penalty of model.regularizationLosses()) total = total.add(penalty);
    compiled.update(
      xs[0]!.shape[0]!,
      total.item(),
      losses.perOutput.map((l) => l.item()),
      ys,
      predictions,
      sampleWeight,
    );
  });
}
