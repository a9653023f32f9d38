import { configError, is, parseOptions, show } from '../../core/index.js';
import { Tensor, noGrad, type Variable } from '../../tensor/index.js';
import { Layer, SymbolicTensor, classNameOf, type CallOptions, type LayerOptions, type LayerShape } from '../layer.js';
import type { History } from '../callbacks/history.js';
import type { Logs } from '../callbacks/callback.js';
import { CompiledState, type CompileOptions } from '../training/compile.js';
import {
  fit,
  evaluate,
  predict,
  predictDataset,
  trainOnBatch,
  testOnBatch,
  trainStep as compiledTrainStep,
  type StepData,
  type StepLogs,
  type BatchOptions,
  type FitOptions,
  type EvaluateOptions,
  type TestOnBatchOptions,
  type PredictOptions,
  type TrainableModel,
} from '../training/loop.js';
import { toList, type TensorOrList } from '../training/data.js';
import { requireCompiled, testStep as compiledTestStep, type OverriddenSteps } from '../training/step.js';
import { Metric } from '../metrics.js';
import { Optimizer } from '../optimizers/optimizer.js';
import { datasetArguments } from '../training/dataset-input.js';
import { Dataset } from '../../data/pipeline/dataset.js';
import { buildGraph, outputNames, runGraph, type Graph } from './functional.js';
import { describeValue } from '../describe.js';
import { printSummary, type SummaryRow } from './summary.js';
import { graphConfig, graphFromConfig, registerModelBuilder } from './config.js';
import { uniqueName } from '../layer.js';
import { modelEncoder, persistence, type SaveOptions } from '../saving/hooks.js';
import { activationName, type ActivationIdentifier } from '../activations.js';
import { Dense } from '../layers/core/dense.js';
import { Activation, Softmax } from '../layers/core/activation.js';

/*
 * A model is a layer (so models nest) that can be compiled and trained. Three ways to make one, as
 * in Keras: `new Sequential([...])`; functional, `new Model({inputs, outputs})` over the graph of
 * SymbolicTensors from `nr.Input`; or a subclass that defines its layers as fields and `call`.
 */

export interface ModelArgs {
  inputs: SymbolicTensor | readonly SymbolicTensor[];
  outputs: SymbolicTensor | readonly SymbolicTensor[];
  name?: string;
  trainable?: boolean;
}

type Inputs = SymbolicTensor | readonly SymbolicTensor[];

const MODEL_OPTIONS = {
  keys: { inputs: is.any, outputs: is.any, name: is.string, trainable: is.boolean } satisfies Record<keyof ModelArgs, unknown>,
};

function isSymbolic(x: unknown): x is Inputs {
  return x instanceof SymbolicTensor || (Array.isArray(x) && x.length > 0 && x.every((t) => t instanceof SymbolicTensor));
}

/**
 * Whether `layer`, applied to give an output of rank `rank` (null: not known yet), computes a softmax
 * over the output's last axis: Dense or Activation with the activation named 'softmax', a Softmax
 * layer over the last axis, or a model whose single output is one. Only these exact classes count (a
 * subclass may override `call`), and a function given as the activation never does, even one that
 * calls softmax. `compile` fuses such an output's crossentropy with the softmax.
 */
export function computesLastAxisSoftmax(layer: Layer | null, rank: number | null): boolean {
  if (layer === null) return false;
  const named = (a: ActivationIdentifier) => typeof a === 'string' && activationName(a) === 'softmax';
  if (layer.constructor === Dense) return named((layer as Dense).activation);
  if (layer.constructor === Activation) return named((layer as Activation).activation);
  if (layer.constructor === Softmax) {
    const axis = (layer as Softmax).axis;
    return axis === -1 || (rank !== null && axis === rank - 1);
  }
  if (layer instanceof Model) {
    const outputs = layer.softmaxOutputs();
    return outputs.length === 1 && outputs[0]!;
  }
  return false;
}

/**
 * The model base class: functional (`new nr.Model({inputs, outputs})` or `new nr.Model(inputs,
 * outputs)`) or subclassed (`class Net extends nr.Model { dense = ...; call(x) {...} }`).
 *
 * ```ts
 * const input = nr.Input({ shape: [4] });
 * const output = new new nr.layers.Dense({ units: 1 }).apply(input);
 * const model = new nr.Model({ inputs: input, outputs: output });
 * model.predict(nr.ones([2, 4])).shape; // [2, 1]
 * ```
 */
export class Model extends Layer implements TrainableModel {
  /** Set by callbacks (EarlyStopping) to end `fit` after the current batch/epoch. */
  stopTraining = false;
  /** What `compile` resolved (null before). */
  compiled: CompiledState | null = null;
  protected graph: Graph | null = null;

  constructor(args?: ModelArgs | Inputs | LayerOptions, outputs?: Inputs, options: { name?: string; trainable?: boolean } = {}) {
    super(Model.layerOptions(args, outputs, options));
    if (isSymbolic(args)) {
      if (!isSymbolic(outputs)) {
        throw configError(`Model "${this.name}"`, {
          expected: 'new Model(inputs, outputs) needs outputs, SymbolicTensors from layers applied to the inputs',
          got: describeValue(outputs),
        });
      }
      this.graph = buildGraph(args, outputs, this.name);
    } else if (args && typeof args === 'object' && ('inputs' in args || 'outputs' in args)) {
      const a = args as ModelArgs;
      this.graph = buildGraph(a.inputs, a.outputs, this.name);
    }
    if (this.graph) this.built = true;
    // A model made frozen (trainable: false) freezes its layers, as setting it later would.
    if (this.graph && !this.trainable) this.trainable = false;
  }

  private static layerOptions(args: unknown, _outputs: unknown, raw: { name?: string; trainable?: boolean }): LayerOptions {
    if (isSymbolic(args)) {
      const options = parseOptions<{ name?: string; trainable?: boolean }>('Model', raw, {
        keys: { name: is.string, trainable: is.boolean },
      });
      return { name: options.name ?? uniqueName('functional'), trainable: options.trainable };
    }
    if (args && typeof args === 'object' && ('inputs' in args || 'outputs' in args)) {
      const a = parseOptions<ModelArgs>('Model', args, MODEL_OPTIONS);
      return { name: a.name ?? uniqueName('functional'), trainable: a.trainable };
    }
    return (args ?? {}) as LayerOptions;
  }

  override get className(): string {
    return this.graph ? 'Functional' : classNameOf(this.constructor);
  }

  /** The layers, in order (functional models list their InputLayers first, as Keras does). */
  get layers(): Layer[] {
    if (this.graph) return [...this.graph.layers];
    // Subclassed: Layer-valued own fields and arrays of layers, in definition order.
    const found: Layer[] = [];
    const seen = new Set<Layer>();
    const visit = (v: unknown) => {
      if (v instanceof Layer && v !== this && !seen.has(v)) {
        seen.add(v);
        found.push(v);
      }
    };
    for (const value of Object.values(this)) {
      if (Array.isArray(value)) value.forEach(visit);
      else visit(value);
    }
    return found;
  }

  /** A layer by name or by index in `layers`. */
  getLayer(nameOrIndex: string | number): Layer {
    const layers = this.layers;
    if (typeof nameOrIndex === 'number') {
      if (!Number.isInteger(nameOrIndex) || nameOrIndex < 0 || nameOrIndex >= layers.length) {
        throw configError(`Model "${this.name}".getLayer`, {
          expected: `index ${nameOrIndex} is out of range`,
          hint: `the model has ${layers.length} layers (0..${layers.length - 1})`,
        });
      }
      return layers[nameOrIndex]!;
    }
    const layer = layers.find((l) => l.name === nameOrIndex);
    if (!layer) {
      const shown = layers
        .slice(0, 20)
        .map((l) => show(l.name))
        .join(', ');
      throw configError(`Model "${this.name}".getLayer`, {
        expected: `no layer named ${show(nameOrIndex)}`,
        hint: `the layers are ${shown}${layers.length > 20 ? `, ... (${layers.length} in all)` : ''}`,
      });
    }
    return layer;
  }

  private collect(pick: (l: Layer) => Variable[]): Variable[] {
    const out: Variable[] = [];
    const seen = new Set<Variable>();
    for (const layer of this.layers)
      for (const v of pick(layer))
        if (!seen.has(v)) {
          seen.add(v);
          out.push(v);
        }
    return out;
  }

  /**
   * Freezing or unfreezing a model sets every sublayer (nested models too), as Keras does: after
   * `base.trainable = false` each layer reports false and a BatchNormalization inside runs in
   * inference mode; `base.trainable = true` makes every sublayer trainable again, after which
   * single layers can be frozen (`base.layers.slice(0, fineTuneAt)`). Recompile after a change.
   */
  override get trainable(): boolean {
    return super.trainable;
  }

  override set trainable(value: boolean) {
    super.trainable = value;
    for (const layer of this.layers) layer.trainable = value;
  }

  override get trainableWeights(): Variable[] {
    if (!this.trainable) return [];
    return [...super.trainableWeights, ...this.collect((l) => l.trainableWeights)];
  }

  override get nonTrainableWeights(): Variable[] {
    if (!this.trainable) return [...super.nonTrainableWeights, ...this.collect((l) => l.weights)];
    return [...super.nonTrainableWeights, ...this.collect((l) => l.nonTrainableWeights)];
  }

  override countParams(): number {
    return this.weights.reduce((n, v) => n + v.size, 0);
  }

  /** The regularization penalties of the last forward pass, from every layer (nested models included). */
  regularizationLosses(): Tensor[] {
    const out: Tensor[] = [...this.losses];
    for (const layer of this.layers) out.push(...(layer instanceof Model ? layer.regularizationLosses() : layer.losses));
    return out;
  }

  /** The computation. Subclasses override it; functional models run their graph. */
  // biome-ignore lint/suspicious/noExplicitAny: a subclass's call takes and returns its own tensor or list of tensors; Layer's takes one
  override call(inputs: any, options: CallOptions = {}): any {
    if (this.graph) {
      const outs = runGraph(this.graph, inputs instanceof Tensor ? [inputs] : inputs, options, this.name);
      return outs.length === 1 ? outs[0] : outs;
    }
    throw configError(`Model "${this.name}"`, {
      expected: 'a subclass of Model must define call(inputs, {training})',
      hint: 'or build a functional model with new nr.Model({inputs, outputs})',
    });
  }

  /** One tensor per output. */
  forward(inputs: readonly Tensor[], training: boolean): Tensor[] {
    this.buildFor(inputs);
    // The losses a subclass's call adds (this.addLoss) belong to this pass alone.
    if (this.losses.length > 0) this.losses = [];
    const out: unknown = this.call(inputs.length === 1 ? inputs[0] : [...inputs], { training });
    const list = out instanceof Tensor ? [out] : Array.isArray(out) ? out : null;
    if (!list || list.some((t) => !(t instanceof Tensor))) {
      throw configError(`Model "${this.name}"`, {
        expected: 'call() must return a Tensor or an array of Tensors',
        got: describeValue(out),
      });
    }
    return list as Tensor[];
  }

  /** Subclassed models create their weights with one forward pass (no gradients, training false). */
  buildFor(inputs: readonly Tensor[]): void {
    if (this.built) return;
    this.built = true;
    try {
      noGrad(() => this.call(inputs.length === 1 ? inputs[0] : [...inputs], { training: false }));
    } catch (e) {
      this.built = false;
      throw e;
    }
  }

  /** Applies the model as a layer: to tensors (eager) or to symbolic tensors (nesting in a functional model). */
  override apply(inputs: Tensor, options?: CallOptions): Tensor;
  override apply(inputs: SymbolicTensor, options?: CallOptions): SymbolicTensor;
  override apply(inputs: readonly SymbolicTensor[], options?: CallOptions): SymbolicTensor;
  override apply<T extends Tensor | Tensor[] = Tensor>(inputs: readonly Tensor[], options?: CallOptions): NoInfer<T>;
  override apply(
    inputs: Tensor | SymbolicTensor | readonly Tensor[] | readonly SymbolicTensor[],
    options: CallOptions = {},
  ): Tensor | Tensor[] | SymbolicTensor {
    if (isSymbolic(inputs)) {
      const list = inputs instanceof SymbolicTensor ? [inputs] : [...inputs];
      const shapes = this.symbolicOutputShapes(list.map((t) => t.shape));
      if (shapes.length !== 1) {
        throw configError(`Model "${this.name}"`, {
          expected: 'only a model with one output can be nested as a layer yet',
          got: `${shapes.length} outputs`,
          hint: 'split it into single-output models',
        });
      }
      return new SymbolicTensor(shapes[0]!, list[0]!.dtype === 'int32' ? this.dtype : list[0]!.dtype, this, list, this.name, {
        ...options,
      });
    }
    const list = inputs instanceof Tensor ? [inputs] : [...(inputs as readonly Tensor[])];
    const outs = this.forward(list, options.training ?? false);
    return outs.length === 1 ? outs[0]! : outs;
  }

  /** Output shapes for input shapes (builds the model when it can). */
  protected symbolicOutputShapes(_inputShapes: LayerShape[]): LayerShape[] {
    if (this.graph) return this.graph.outputs.map((o) => o.shape);
    throw configError(`Model "${this.name}"`, {
      expected: 'a subclassed model cannot be applied to nr.Input symbols',
      hint: 'call it on tensors',
    });
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return this.symbolicOutputShapes([inputShape])[0]!;
  }

  /** Names of the outputs, for per-output losses, metrics and log keys. */
  get outputNames(): string[] {
    if (this.graph) return outputNames(this.graph);
    return ['output'];
  }

  /** The compiled optimizer (null before compile, and when compile named several: see `optimizers`). */
  get optimizer(): CompiledState['optimizer'] | null {
    return this.compiled?.optimizer ?? null;
  }

  /**
   * The optimizers by name: those compile was given by name (`compile({optimizer: {generator,
   * discriminator}})`) and those held in the model's own fields (Keras's GAN guide keeps them as
   * `this.dOptimizer`). BackupAndRestore and model.save keep all their states.
   */
  get optimizers(): Record<string, Optimizer> {
    const out: Record<string, Optimizer> = { ...(this.compiled?.optimizers ?? {}) };
    const listed = new Set<Optimizer>(Object.values(out));
    if (this.compiled?.optimizer) listed.add(this.compiled.optimizer);
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Optimizer && !listed.has(value)) {
        listed.add(value);
        out[key] = value;
      }
    }
    return out;
  }

  /**
   * The metrics of the model, as Keras 3's `model.metrics`: the compiled metrics, then the trackers
   * held in its fields (`this.dLossTracker = new nr.metrics.Mean({name: 'd_loss'})`), which fit and
   * evaluate reset at each epoch and evaluation and BackupAndRestore saves.
   */
  get metrics(): Metric[] {
    return [...(this.compiled?.metrics.flat() ?? []), ...this.trackers()];
  }

  /** @internal The Metric instances held in the model's own fields (and arrays of them), in definition order. */
  trackers(): Metric[] {
    const out: Metric[] = [];
    const visit = (v: unknown) => {
      if (v instanceof Metric && !out.includes(v)) out.push(v);
    };
    for (const value of Object.values(this)) {
      if (Array.isArray(value)) value.forEach(visit);
      else visit(value);
    }
    return out;
  }

  /**
   * One training step on one batch, called by `fit` (Keras 3's `train_step`). `data` is the batch
   * as `[x, y, sampleWeight]` (y and sampleWeight absent when the data has none). Override it for a
   * training procedure of your own (a GAN, a VAE): compute gradients with `nr.valueAndGrad`, apply
   * them with `this.optimizer.applyGradients` (or `this.optimizers.<name>`), update trackers and
   * return their values `{name: value}`; fit shows them in its progress lines, History, callbacks
   * and reports like any metric. The built-in step minimises the compiled loss plus the added and
   * regularization losses, and returns the compiled metrics.
   *
   * ```ts
   * class Trainer extends nr.Model {
   *   net = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2] })]);
   *   lossTracker = new nr.metrics.Mean({ name: 'loss' });
   *   override call(x: nr.Tensor) { return this.net.apply(x); }
   *   override trainStep([x, y]: nr.StepData): nr.StepLogs {
   *     const vars = this.trainableWeights;
   *     const { value, grads } = nr.valueAndGrad(() => this.apply(x as nr.Tensor).sub(y as nr.Tensor).square().mean())(...vars);
   *     this.optimizer!.apply(grads, vars);
   *     this.lossTracker.updateState(value);
   *     return { loss: this.lossTracker.result() };
   *   }
   * }
   * const trainer = new Trainer();
   * trainer.compile({ optimizer: 'sgd' });
   * const history = await trainer.fit(nr.randn([32, 2]), nr.randn([32, 1]), { epochs: 2, verbose: 0 });
   * console.log(history.history.loss.length); // 2
   * ```
   */
  trainStep(data: StepData): StepLogs {
    const compiled = requireCompiled(this, 'trainStep');
    const [x, y, sampleWeight] = data;
    compiledTrainStep(this, compiled, toList(x, 'trainStep: x'), y === undefined ? [] : toList(y, 'trainStep: y'), sampleWeight);
    return compiled.results();
  }

  /** One evaluation step (Keras 3's `test_step`), called by evaluate and fit's validation without gradients; see trainStep. */
  testStep(data: StepData): StepLogs {
    const compiled = requireCompiled(this, 'testStep');
    const [x, y, sampleWeight] = data;
    compiledTestStep(this, compiled, toList(x, 'testStep: x'), y === undefined ? [] : toList(y, 'testStep: y'), sampleWeight);
    return compiled.results();
  }

  /** One predict batch (Keras 3's `predict_step`): the model's outputs for `data[0]`, training false. */
  predictStep(data: StepData): Tensor | Tensor[] {
    const outs = this.forward(toList(data[0], 'predictStep: x'), false);
    return outs.length === 1 ? outs[0]! : outs;
  }

  /** @internal The steps a subclass overrides (the loops call the built-in ones directly, with no detour). */
  overriddenSteps(): OverriddenSteps {
    const proto = Model.prototype;
    const out: OverriddenSteps = {};
    if (this.trainStep !== proto.trainStep) out.train = (d) => this.trainStep(d);
    if (this.testStep !== proto.testStep) out.test = (d) => this.testStep(d);
    if (this.predictStep !== proto.predictStep) out.predict = (d) => this.predictStep(d);
    return out;
  }

  /**
   * The loss of a batch as the built-in step computes it (Keras 3's `compute_loss`): the compiled
   * loss of `yPred` against `y` (when compile was given one), plus the losses the layers added in
   * the last forward pass and the regularization penalties. For use in an overridden trainStep.
   */
  computeLoss(args: { x?: TensorOrList; y?: TensorOrList; yPred: TensorOrList; sampleWeight?: Tensor }): Tensor {
    const compiled = requireCompiled(this, 'computeLoss');
    const yPred = toList(args.yPred, 'computeLoss: yPred');
    const ys = args.y === undefined ? [] : toList(args.y, 'computeLoss: y');
    let total = compiled.hasLoss ? compiled.computeLoss(ys, yPred, args.sampleWeight).total : null;
    for (const extra of this.regularizationLosses()) total = total ? total.add(extra) : extra;
    if (!total) {
      throw configError(`Model "${this.name}".computeLoss`, {
        expected: 'a loss: compile was given no loss and the model added none',
        hint: "pass loss to compile (e.g. 'mse') or call this.addLoss(...) in call",
      });
    }
    return total;
  }

  /**
   * Per output, whether a built-in layer computes it as a softmax over its last axis (see
   * `computesLastAxisSoftmax`); compile fuses the crossentropy of such an output. A subclassed
   * model's outputs are only known when `call` runs, so they are all false.
   */
  softmaxOutputs(): boolean[] {
    if (!this.graph) return this.outputNames.map(() => false);
    return this.graph.outputs.map((o) => computesLastAxisSoftmax(o.layer, o.shape.length));
  }

  /**
   * Configures training: `{optimizer, loss, metrics, lossWeights}` (names or instances). This is
   * also where a softmax output trained with categorical crossentropy gets its fused loss
   * (`nr.losses.FusedSoftmaxCrossentropy`; `model.compiled.fusedLosses` shows the choice).
   */
  compile(options: CompileOptions): void {
    let names = this.outputNames;
    if (!this.graph && Array.isArray(options?.loss) && options.loss.length > 1 && names.length === 1)
      names = options.loss.map((_, i) => `output_${i + 1}`);
    this.compiled = new CompiledState(options, names, this.softmaxOutputs());
  }

  /**
   * Trains for `epochs`; resolves to the History callback (`history.history.loss`, ...). With an
   * nr.data.Dataset of `[x, y]` batches, the targets come from it: `model.fit(dataset, {epochs})`.
   */
  fit(x: Dataset<unknown>, options?: FitOptions): Promise<History>;
  fit(x: TensorOrList, y: TensorOrList | undefined, options?: FitOptions): Promise<History>;
  /** With an overridden trainStep that needs no targets (a GAN, an autoencoder's own step): `fit(x, {epochs})`. */
  fit(x: TensorOrList, options?: FitOptions): Promise<History>;
  fit(x: TensorOrList | Dataset<unknown>, y?: TensorOrList | FitOptions, options?: FitOptions): Promise<History> {
    const [targets, rest] = datasetArguments(y, options);
    return fit(this, x, targets as TensorOrList | undefined, rest);
  }

  /**
   * Loss and metrics on the given data (tensors, or a Dataset of `[x, y]` batches), as a record
   * `{loss, accuracy, ...}`; with `returnDict: false`, Keras's default form: the loss alone, or
   * `[loss, ...metrics]`.
   */
  evaluate(x: Dataset<unknown>, options: EvaluateOptions & { returnDict: false }): Promise<number | number[]>;
  evaluate(x: Dataset<unknown>, options?: EvaluateOptions): Promise<Logs>;
  evaluate(x: TensorOrList, y: TensorOrList | undefined, options: EvaluateOptions & { returnDict: false }): Promise<number | number[]>;
  evaluate(x: TensorOrList, y: TensorOrList | undefined, options?: EvaluateOptions): Promise<Logs>;
  evaluate(x: TensorOrList, options: EvaluateOptions & { returnDict: false }): Promise<number | number[]>;
  evaluate(x: TensorOrList, options?: EvaluateOptions): Promise<Logs>;
  evaluate(
    x: TensorOrList | Dataset<unknown>,
    y?: TensorOrList | EvaluateOptions,
    options?: EvaluateOptions,
  ): Promise<Logs | number | number[]> {
    const [targets, rest] = datasetArguments(y, options);
    return evaluate(this, x, targets as TensorOrList | undefined, rest);
  }

  /**
   * Outputs for the inputs (training false, no gradients, batches concatenated): one Tensor, or an
   * array for a multi-output model (`model.predict<nr.Tensor[]>(x)`). A Dataset is read
   * asynchronously, so its outputs come as a Promise: `await model.predict(dataset)`.
   */
  predict<T extends Tensor | Tensor[] = Tensor>(x: Dataset<unknown>, options?: PredictOptions): Promise<NoInfer<T>>;
  predict<T extends Tensor | Tensor[] = Tensor>(x: TensorOrList, options?: PredictOptions): NoInfer<T>;
  predict<T extends Tensor | Tensor[] = Tensor>(
    x: TensorOrList | Dataset<unknown>,
    options: PredictOptions = {},
  ): NoInfer<T> | Promise<NoInfer<T>> {
    const pick = (outs: Tensor[]) => (outs.length === 1 ? outs[0]! : outs) as T;
    if (x instanceof Dataset) return predictDataset(this, x, options).then(pick);
    return pick(predict(this, x, options));
  }

  /** Names of the inputs, for Dataset elements that give x as `{name: tensor}`. */
  get inputNames(): string[] {
    return this.graph ? this.graph.inputs.map((n) => n.name) : ['input'];
  }

  /** One optimization step on one batch; returns that batch's logs (with `returnDict: false`, Keras's loss or `[loss, ...metrics]`). */
  trainOnBatch(x: TensorOrList, y: TensorOrList | undefined, options: BatchOptions & { returnDict: false }): number | number[];
  trainOnBatch(x: TensorOrList, y?: TensorOrList, options?: BatchOptions): Logs;
  trainOnBatch(x: TensorOrList, y?: TensorOrList, options: BatchOptions = {}): Logs | number | number[] {
    return trainOnBatch(this, x, y, options);
  }

  /** Loss and metrics on one batch (with `returnDict: false`, Keras's loss or `[loss, ...metrics]`). */
  testOnBatch(x: TensorOrList, y: TensorOrList | undefined, options: TestOnBatchOptions & { returnDict: false }): number | number[];
  testOnBatch(x: TensorOrList, y?: TensorOrList, options?: TestOnBatchOptions): Logs;
  testOnBatch(x: TensorOrList, y?: TensorOrList, options: TestOnBatchOptions = {}): Logs | number | number[] {
    return testOnBatch(this, x, y, options);
  }

  /** Rows of the summary table: one per layer. */
  protected summaryRows(): SummaryRow[] {
    if (this.graph) {
      return this.graph.layers.map((layer) => {
        const node = this.graph!.nodes.find((n) => n.layer === layer) ?? this.graph!.inputs.find((n) => n.name === layer.name);
        // A layer with several outputs shows them all, as Keras lists them.
        const siblings = node?.callKey ? this.graph!.nodes.filter((n) => n.callKey === node.callKey) : [];
        if (siblings.length > 1) return { layer, outputShape: siblings.sort((a, b) => a.outputIndex - b.outputIndex).map((n) => n.shape) };
        return { layer, outputShape: node ? node.shape : null };
      });
    }
    return this.layers.map((layer) => ({ layer, outputShape: null }));
  }

  /** Prints Keras 3's summary table (name, layers with output shapes and parameter counts, totals). */
  summary(printFn: (line: string) => void = console.log): void {
    printSummary(this.name, this.summaryRows(), this.trainableWeights, this.nonTrainableWeights, printFn);
  }

  /**
   * Saves the model into directory `dir` (created if needed): `model.json` (architecture, compile
   * config, weight names) and `model.safetensors` (weights, and the optimizer state unless
   * `includeOptimizer: false`), each written atomically; load with `nr.loadModel(dir)`. Also
   * `'indexeddb://name'` and `'downloads://name'` in a browser (docs/saving.md).
   */
  save(dir: string, options: SaveOptions = {}): Promise<void> {
    return persistence('save').save(this, dir, options);
  }

  /**
   * The model as one Uint8Array, a zip of model.json and model.safetensors (what `save` writes);
   * `nr.loadModel(bytes)` reads it back. Works in browsers and on Node.
   */
  toBytes(options: SaveOptions = {}): Uint8Array {
    return modelEncoder()(this, options);
  }

  /** Writes the weights alone to a .safetensors file, by stable names (`dense/kernel`). Node only. */
  saveWeights(path: string): Promise<void> {
    return persistence('saveWeights').saveWeights(this, path);
  }

  /** Loads weights from a .safetensors file by name; nothing is assigned unless every weight matches. Node only. */
  loadWeights(path: string): Promise<void> {
    return persistence('loadWeights').loadWeights(this, path);
  }

  override getConfig(): Record<string, unknown> {
    if (this.graph) return { ...graphConfig(this.name, this.graph), ...(this.trainable ? {} : { trainable: false }) };
    return { ...super.getConfig() };
  }

  /** Rebuilds a functional model from `getConfig()`. */
  static fromConfig(config: Record<string, unknown>): Model {
    const { name, inputs, outputs } = graphFromConfig(config);
    const model = new Model({ inputs, outputs, name });
    // The model's own flag, not propagated: each layer's config carries its own.
    if (config.trainable === false) model.setOwnTrainable(false);
    return model;
  }
}
registerModelBuilder('Functional', (config) => Model.fromConfig(config));
