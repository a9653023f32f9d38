import {
  ConfigError,
  NeuronaError,
  ShapeError,
  DTypeError,
  FormatError,
  NumericsError,
  checkTensorSize,
  configError,
  floatx,
  formatError,
  formatShape,
  isPlainObject,
  notice,
  declareOptions,
  declaresOptions,
  is,
  optionsOf,
  parseArguments,
  problem,
  shapeError,
  show,
  type Check,
  type OptionsSpec,
} from '../core/index.js';
import { Tensor, full, type Variable, variable } from '../tensor/index.js';
import { getInitializer, type InitializerIdentifier } from './initializers.js';

/*
 * The life of every layer, as in Keras 3: the constructor validates options; `build(inputShape)`
 * creates the weights once the input shape is known; `call(inputs, {training})` computes; and
 * `getConfig()` returns the options that rebuild it. `apply` ties them together for both eager
 * tensors and symbolic ones (the functional API).
 */

/** A shape whose batch dimension (and possibly others) is unknown: `[null, 28, 28]`. */
export type LayerShape = readonly (number | null)[];

export interface LayerOptions {
  name?: string;
  trainable?: boolean;
  /** Shape of one sample (without the batch axis), for the first layer of a Sequential model. */
  inputShape?: readonly (number | null)[];
  /** Keras's shorthand for a flat input: `inputDim: 784` is `inputShape: [784]`. */
  inputDim?: number;
  batchSize?: number;
  dtype?: 'float32' | 'float64';
}

/** The options every layer takes; a layer class adds its own with `declareOptions`. */
export const LAYER_OPTIONS = {
  name: is.string,
  trainable: is.boolean,
  inputShape: is.shape,
  inputDim: is.positiveInteger,
  batchSize: is.positiveInteger,
  dtype: is.oneOf('float32', 'float64'),
} satisfies Record<keyof LayerOptions, unknown>;

/** What a layer expects of each input (see `Layer.inputSpec`). */
export interface InputSpec {
  rank: number;
  /** The axes in words, for the error: `'batch, height, width, channels'`. */
  axes: string;
  /** Extra advice for an input of the given wrong rank (starting with '; '). */
  hint?: (rank: number) => string;
}

export interface CallOptions {
  /** True inside `fit` (dropout and augmentation act only then). */
  training?: boolean;
  /**
   * The input's mask (Keras's `mask` argument): a float32 tensor of 1 (a real timestep) and 0
   * (padding), shape [batch, time]; a list for a layer taking a list of inputs. `apply` fills it
   * from the mask attached to the input (see `getMask`) unless given.
   */
  mask?: Tensor | null | readonly (Tensor | null)[];
  /** The extra keywords a layer declares in `callKeywords` (`initialState`, `attentionMask`, ...). */
  [keyword: string]: unknown;
}

/*
 * Masks travel with the tensors a layer outputs, as Keras's `_keras_mask`: `apply` reads the mask of
 * its input, passes it to `call` and attaches `computeMask(inputs, mask)` to what `call` returned.
 * A WeakMap keeps them off the Tensor class and lets them go with their tensors.
 */
const masks = new WeakMap<Tensor, Tensor>();

/**
 * The mask attached to a tensor by the layer that produced it (an `Embedding` with `maskZero`, a
 * `Masking` layer, or a layer passing its input's mask on), or null.
 *
 * ```ts
 * const embed = new nr.layers.Embedding({ inputDim: 10, outputDim: 4, maskZero: true });
 * const out = embed.apply(nr.tensor([[3, 5, 0, 0]], [1, 4], 'int32'));
 * nr.getMask(out)?.toArray(); // [[1, 1, 0, 0]]
 * ```
 */
export function getMask(t: Tensor): Tensor | null {
  return masks.get(t) ?? null;
}

/** Attaches `mask` to `t` (null leaves it without one); layers that build masks themselves use it. */
export function setMask(t: Tensor, mask: Tensor | null): void {
  if (mask) masks.set(t, mask);
  else masks.delete(t);
}

type MaskValue = Tensor | null | readonly (Tensor | null)[];

function inputMask(inputs: Tensor | readonly Tensor[]): MaskValue {
  if (inputs instanceof Tensor) return masks.get(inputs) ?? null;
  const list = inputs.map((t) => masks.get(t) ?? null);
  return list.some((m) => m !== null) ? list : null;
}

/** A keyword's camelCase spelling: `attention_mask` -> `attentionMask`. */
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** A placeholder flowing through layers to describe a functional model (see `nr.Input`). */
export class SymbolicTensor {
  constructor(
    readonly shape: LayerShape,
    readonly dtype: 'float32' | 'float64' | 'int32',
    /** The layer that produced it (null for a model input). */
    readonly layer: Layer | null,
    /** The symbolic inputs of that layer call. */
    readonly inputs: readonly SymbolicTensor[],
    readonly name: string,
    /**
     * The options given when the layer was applied to build the graph (`base.apply(x, {training:
     * false})`). A `training` given there wins over the one the model is run with: tf.keras 2's
     * rule and the transfer-learning guide's recipe (Keras 3.x lets the outer call's flag win; see
     * docs/models.md).
     */
    readonly callOptions: CallOptions = {},
    /**
     * Call keywords given SymbolicTensors (`initialState: [h, c]`, `attentionMask: m`): each names its
     * position(s) in `inputs`, after the positional inputs.
     */
    readonly keywordInputs: Readonly<Record<string, number | readonly number[]>> = {},
    /** How many of `inputs` are the layer's positional inputs (the rest are keyword inputs). */
    readonly positionalCount: number = inputs.length,
    /** For a layer returning a list: which of its outputs this is (-1 for a layer with one output). */
    readonly outputIndex: number = -1,
    /** Shared by the outputs of one call of a multi-output layer, so the layer runs once for all. */
    readonly callKey: object | null = null,
  ) {}
}

/** Whether `computeOutputShape` gave a list of shapes (a layer with several outputs). */
export function isShapeList(shape: LayerShape | readonly LayerShape[]): shape is readonly LayerShape[] {
  return shape.length > 0 && Array.isArray(shape[0]);
}

/** The names classes were registered under (registerLayer, nameClass), which minifiers leave alone. */
const CLASS_NAMES = new WeakMap<object, string>();

/** A class's registered name, else its own (a user's unregistered subclass). */
export function classNameOf(cls: object): string {
  return CLASS_NAMES.get(cls) ?? (cls as { name: string }).name;
}

/** Names a class that configs refer to but layerFromConfig does not build (the model classes). */
export function nameClass(cls: object, name: string): void {
  CLASS_NAMES.set(cls, name);
}

const nameCounts = new Map<string, number>();

/** `Dense` -> `dense`, `MaxPooling2D` -> `max_pooling2d`, as Keras names layers. */
export function snakeCase(className: string): string {
  // Keras's two rules, in its order: a break before each capitalised word, then between a lower-case
  // letter and a capital. Digits join the word before them, so `Conv2D` is `conv2d`.
  return className
    .replace(/(.)([A-Z][a-z]+)/g, '$1_$2')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toLowerCase();
}

/** A unique name: `dense`, then `dense_1`, `dense_2`, ... (one counter per base name). */
export function uniqueName(base: string): string {
  const n = nameCounts.get(base) ?? 0;
  nameCounts.set(base, n + 1);
  return n === 0 ? base : `${base}_${n}`;
}

/** Restarts automatic layer naming (Keras's clear_session for names), e.g. between tests. */
export function resetLayerNames(): void {
  nameCounts.clear();
}

export function formatLayerShape(shape: LayerShape): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

function rethrow(error: unknown, prefix: string, own: string): never {
  if (!(error instanceof NeuronaError)) throw error;
  const Class = [ShapeError, DTypeError, ConfigError, FormatError, NumericsError].find((c) => error instanceof c) ?? NeuronaError;
  // A message the layer itself wrote already names it: keep one prefix, with the input shape.
  const message = error.message.startsWith(`${own}: `) ? error.message.slice(own.length + 2) : error.message;
  const wrapped = new Class(problem(prefix, { expected: message }));
  wrapped.stack = error.stack;
  throw wrapped;
}

/*
 * While a model is rebuilt from an untrusted file, weight creation draws on a budget: the number of
 * values the weights file holds. A config asking for more (say units: 1e9) is rejected before the
 * initializer allocates anything.
 */
let weightBudget: { remaining: number; total: number; where: string } | null = null;

/** Runs `fn` with weight creation limited to `elements` values in all (see loadModel). */
export function withWeightBudget<T>(elements: number, where: string, fn: () => T): T {
  const previous = weightBudget;
  weightBudget = { remaining: elements, total: elements, where };
  try {
    return fn();
  } finally {
    weightBudget = previous;
  }
}

function chargeWeightBudget(layer: string, weight: string, shape: readonly number[]): void {
  if (!weightBudget) return;
  let size = 1;
  for (const d of shape) size *= d;
  if (!Number.isSafeInteger(size) || size > weightBudget.remaining) {
    throw formatError(weightBudget.where, {
      expected:
        `layer "${layer}" would create weight "${weight}" of shape [${shape.join(', ')}], more values than the ` +
        `${weightBudget.total} the weights file holds`,
      rule: 'the architecture does not match the weights',
    });
  }
  weightBudget.remaining -= size;
}

export abstract class Layer {
  name: string;
  private trainableFlag: boolean;
  built = false;
  readonly dtype: 'float32' | 'float64';
  /** Shape of one sample given as `inputShape` (null when not given). */
  readonly batchInputShape: LayerShape | null;
  protected readonly variables: Variable[] = [];
  /** Regularization penalties and added losses (addLoss) of the last call (added to the loss by `fit`). */
  losses: Tensor[] = [];
  private regularizers: [Variable, (w: Tensor) => Tensor][] = [];

  /**
   * The constructor's arguments as one checked options object (camelCase keys, positional forms
   * folded in); subclasses read their options from it (see `options()`).
   */
  private readonly layerOptions: LayerOptions;

  /*
   * Arguments are checked once, here, against the options the class being constructed declared
   * (see `declareOptions`): positional forms, snake_case aliases, unknown keys, value types. A
   * user's subclass that declares none gets the base options checked and its own passed through.
   */
  constructor(...args: unknown[]) {
    const cls = new.target;
    const className = classNameOf(cls);
    // The name first, so that every later error names the layer as the user will see it.
    const last = args.at(-1);
    const given = isPlainObject(last) ? last.name : undefined;
    if (given !== undefined && (typeof given !== 'string' || given.length === 0)) {
      throw configError(className, { expected: 'name must be a non-empty string', got: show(given) });
    }
    this.name = given ?? uniqueName(snakeCase(className));
    const options = parseArguments<LayerOptions>(
      `${className} "${this.name}"`,
      args,
      optionsOf(cls) ?? { keys: LAYER_OPTIONS },
      !declaresOptions(cls),
    );
    // Keras's inputDim shorthand, unless the class gives inputDim a meaning of its own (Embedding's vocabulary).
    if (options.inputDim !== undefined && optionsOf(cls)?.keys?.inputDim === LAYER_OPTIONS.inputDim) {
      if (options.inputShape !== undefined) {
        throw configError(`${className} "${this.name}"`, { expected: 'give inputShape or inputDim, not both' });
      }
      options.inputShape = [options.inputDim];
    }
    this.layerOptions = options;
    this.trainableFlag = options.trainable ?? true;
    this.dtype = options.dtype ?? floatx();
    this.batchInputShape = options.inputShape ? [options.batchSize ?? null, ...options.inputShape] : null;
  }

  /** The checked options object (see the constructor), typed as the subclass's options. */
  protected options<T extends LayerOptions>(): T {
    return this.layerOptions as T;
  }

  /**
   * Whether `fit` updates this layer's weights. False freezes it, as in Keras: its weights move to
   * `nonTrainableWeights`, its regularizers add nothing, and a BatchNormalization runs in inference
   * mode (its moving statistics stay). On a model, setting it sets every sublayer (see Model).
   */
  get trainable(): boolean {
    return this.trainableFlag;
  }

  set trainable(value: boolean) {
    this.setOwnTrainable(value);
  }

  /** Sets this layer's own flag only (a model rebuilt from a config keeps each sublayer's saved flag). */
  protected setOwnTrainable(value: boolean): void {
    if (typeof value !== 'boolean') {
      throw configError(`${this.className} "${this.name}"`, { expected: 'trainable must be true or false', got: show(value) });
    }
    this.trainableFlag = value;
  }

  /** The class name used in configs and summaries (`Dense`). */
  get className(): string {
    return classNameOf(this.constructor);
  }

  /** Creates weights for the given input shape (batch axis included, usually null). */
  build(_inputShape: LayerShape): void {
    this.built = true;
  }

  /** The computation, on concrete tensors. */
  abstract call(inputs: Tensor, options: CallOptions): Tensor | Tensor[];

  /**
   * Output shape for an input shape (batch axis included). Layers that keep the shape need not
   * override. A layer whose `call` returns a list returns the list of shapes; the call options come
   * too, for layers whose outputs depend on them (`returnAttentionScores`).
   */
  computeOutputShape(inputShape: LayerShape, _options?: CallOptions): LayerShape | LayerShape[] {
    return inputShape;
  }

  /**
   * Whether the layer passes a mask on (Keras's `supports_masking`): by default its output gets its
   * input's mask. A layer that does not support masking drops the mask, with a notice, as Keras warns.
   */
  get supportsMasking(): boolean {
    return false;
  }

  /** The mask of the output(s) for the inputs and their mask (Keras's `compute_mask`). */
  computeMask(_inputs: Tensor | readonly Tensor[], mask: MaskValue): MaskValue {
    return this.supportsMasking ? mask : null;
  }

  /**
   * The keywords `call` takes besides `training` and `mask` (`['initialState']`). `apply` accepts
   * them in camelCase or snake_case and rejects any other key; in a functional model they may be
   * SymbolicTensors (or arrays of them), which become inputs of the call.
   */
  get callKeywords(): readonly string[] {
    return [];
  }

  /**
   * Adds a term to the loss from inside `call` (Keras's `add_loss`): an activity penalty, a VAE's KL
   * divergence. It joins `layer.losses` for this call; fit's built-in step and `model.computeLoss`
   * add it to the compiled loss. A tensor with several elements is summed, as Keras 3 does.
   *
   * ```ts
   * class ActivityL2 extends nr.layers.Layer {
   *   override call(x: nr.Tensor) {
   *     this.addLoss(x.square().mean().mul(0.01));
   *     return x;
   *   }
   * }
   * const layer = new ActivityL2();
   * layer.apply(nr.tensor([[1, 2], [3, 4]]));
   * console.log(layer.losses[0]!.item()); // 0.075
   * ```
   */
  addLoss(loss: Tensor | number): void {
    if (typeof loss === 'number' && Number.isFinite(loss)) {
      this.losses.push(full([], loss, this.dtype));
      return;
    }
    if (!(loss instanceof Tensor) || loss.dtype === 'int32' || loss.dtype === 'bool') {
      throw configError(`${this.className} "${this.name}".addLoss`, {
        expected: 'the loss must be a float Tensor (or a finite number)',
        got: typeof loss === 'number' ? String(loss) : loss instanceof Tensor ? `a ${loss.dtype} Tensor` : show(loss),
      });
    }
    this.losses.push(loss.size === 1 && loss.rank === 0 ? loss : loss.sum());
  }

  /** The options that rebuild this layer with `fromConfig`. */
  getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = { name: this.name, trainable: this.trainable, dtype: this.dtype };
    if (this.batchInputShape) config.batchInputShape = [...this.batchInputShape];
    return config;
  }

  /** Creates a weight during `build`. */
  protected addWeight(options: {
    name: string;
    shape: readonly number[];
    initializer: InitializerIdentifier;
    trainable?: boolean;
    regularizer?: ((w: Tensor) => Tensor) | null;
  }): Variable {
    const init = getInitializer(options.initializer, `${this.className} "${this.name}" (${options.name})`);
    chargeWeightBudget(this.name, options.name, options.shape);
    checkTensorSize(
      options.shape.reduce((n, d) => n * d, 1),
      this.dtype,
      `weight "${options.name}" of shape [${options.shape.join(', ')}]`,
    );
    const weight = variable(init(options.shape, this.dtype), {
      name: `${this.name}/${options.name}`,
      trainable: options.trainable ?? true,
    });
    this.variables.push(weight);
    if (options.regularizer) this.regularizers.push([weight, options.regularizer]);
    return weight;
  }

  /** All weights, trainable first (Keras's order). */
  get weights(): Variable[] {
    return [...this.trainableWeights, ...this.nonTrainableWeights];
  }

  get trainableWeights(): Variable[] {
    return this.trainable ? this.variables.filter((v) => v.trainable) : [];
  }

  get nonTrainableWeights(): Variable[] {
    return this.trainable ? this.variables.filter((v) => !v.trainable) : [...this.variables];
  }

  /** Number of scalars in the weights. */
  countParams(): number {
    return this.variables.reduce((n, v) => n + v.size, 0);
  }

  /** The weight values as tensors, in `weights` order. */
  getWeights(): Tensor[] {
    return this.weights.map((w) => new Tensor(w.data().slice(), w.shape, w.dtype));
  }

  /** Replaces the weight values; shapes must match `weights` one to one (nothing changes on error). */
  setWeights(values: readonly Tensor[]): void {
    const weights = this.weights;
    if (values.length !== weights.length) {
      throw configError(`${this.className} "${this.name}".setWeights`, {
        expected: `expected ${weights.length} arrays`,
        got: String(values.length),
      });
    }
    weights.forEach((w, i) => {
      const v = values[i]!;
      if (v.shape.length !== w.shape.length || v.shape.some((d, k) => d !== w.shape[k])) {
        throw shapeError(`${this.className} "${this.name}".setWeights`, {
          expected: `weight ${w.name} has shape ${formatShape(w.shape)}`,
          got: formatShape(v.shape),
        });
      }
    });
    weights.forEach((w, i) => w.assign(values[i]!));
  }

  /**
   * The rank the layer expects of each input and how its axes read (Keras's input_spec), or null
   * for any rank. `apply` checks it before build and call, so the error shows the shape received.
   */
  get inputSpec(): InputSpec | null {
    return null;
  }

  private checkInputSpec(shapes: readonly (readonly (number | null)[])[], concrete: boolean): void {
    const spec = this.inputSpec;
    if (!spec) return;
    for (const shape of shapes) {
      if (shape.length === spec.rank) continue;
      const shown = concrete ? `[${shape.join(', ')}]` : formatLayerShape(shape);
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: `expected input of rank ${spec.rank} [${spec.axes}]`,
        got: shown,
        hint: spec.hint?.(shape.length).replace(/^; /, ''),
      });
    }
  }

  /**
   * Whether `apply` takes a list of inputs (merge layers such as Add and Concatenate). Such a layer
   * receives the list of input shapes in `build` and `computeOutputShape` (as a `LayerShape[]`) and
   * the list of tensors in `call`.
   */
  get takesInputList(): boolean {
    return false;
  }

  /**
   * @internal Whether `call` keeps no reference to its inputs or output once it returns (the
   * built-in stateless layers say so). Inference through a functional model recycles an activation
   * only when the layer that made it and every layer that reads it say so (see `runGraph`); a custom
   * layer may keep what it likes.
   */
  get keepsNoTensors(): boolean {
    return false;
  }

  /**
   * @internal Whether `call` returns fresh storage that no gradient rule reads (the op that made it
   * reads only its inputs), so that the one layer reading it may write its result there (see
   * src/tensor/overwrite.ts and `runGraph`). Built-in classes say so for themselves only, not for
   * a subclass, whose `call` may differ.
   */
  get outputOverwritable(): boolean {
    return false;
  }

  /**
   * @internal Whether `call` returns storage of its own (no input's, no weight's), so that in
   * inference, where no gradient rule runs, the one layer reading it may write there. Every layer
   * whose output is overwritable in training is; convolutions and Dense are too.
   */
  get outputFresh(): boolean {
    return this.outputOverwritable;
  }

  /** @internal Whether `call` may write its result over an input offered to it (see `outputOverwritable`). */
  get overwritesInput(): boolean {
    return false;
  }

  /**
   * Applies the layer: eagerly to a Tensor, or symbolically to a SymbolicTensor (functional API).
   * Merge layers take a list of either. A layer with several outputs (an LSTM with `returnState`)
   * gives a list: `const [out, h, c] = lstm.apply<nr.Tensor[]>(x)`.
   */
  apply<T extends Tensor | Tensor[] = Tensor>(inputs: Tensor, options?: CallOptions): NoInfer<T>;
  apply<T extends SymbolicTensor | SymbolicTensor[] = SymbolicTensor>(inputs: SymbolicTensor, options?: CallOptions): NoInfer<T>;
  apply<T extends SymbolicTensor | SymbolicTensor[] = SymbolicTensor>(inputs: readonly SymbolicTensor[], options?: CallOptions): NoInfer<T>;
  /** A list gives one Tensor (merge layers); a multi-output model gives a list: `model.apply<nr.Tensor[]>([a, b])`. */
  apply<T extends Tensor | Tensor[] = Tensor>(inputs: readonly Tensor[], options?: CallOptions): NoInfer<T>;
  apply(
    inputs: Tensor | SymbolicTensor | readonly Tensor[] | readonly SymbolicTensor[],
    options: CallOptions = {},
  ): Tensor | Tensor[] | SymbolicTensor | SymbolicTensor[] {
    // The common case, one concrete tensor into a built layer, without the general path's lists and closures.
    if (inputs instanceof Tensor && this.built && !this.takesInputList) return this.applyToTensor(inputs, options);
    const own = `${this.className} "${this.name}"`;
    const list: readonly unknown[] = Array.isArray(inputs) ? inputs : [inputs];
    const describe = (t: unknown) =>
      t instanceof Tensor ? `[${t.shape.join(', ')}]` : t instanceof SymbolicTensor ? formatLayerShape(t.shape) : typeof t;
    const prefix = () => `${own} (input shape${list.length > 1 ? 's' : ''} ${list.map(describe).join(', ')})`;
    if (Array.isArray(inputs) && !this.takesInputList) {
      throw configError(own, {
        expected: 'takes one input',
        got: `a list of ${inputs.length}`,
        hint: 'merge the inputs first (nr.layers.Concatenate, Add, ...) or apply the layer to each',
      });
    }
    options = this.checkCallOptions(options);
    if (list.every((t) => t instanceof SymbolicTensor) && list.length > 0) {
      const symbols = list as readonly SymbolicTensor[];
      // A list layer sees the list of shapes; any other layer the one shape.
      const shapes = (Array.isArray(inputs) ? symbols.map((t) => t.shape) : symbols[0]!.shape) as LayerShape;
      try {
        this.checkInputSpec(
          symbols.map((t) => t.shape),
          false,
        );
        this.ensureBuilt(shapes);
        return this.symbolicOutputs(symbols, this.computeOutputShape(shapes, options), options);
      } catch (e) {
        rethrow(e, prefix(), own);
      }
    }
    if (list.length === 0 || !list.every((t) => t instanceof Tensor)) {
      throw configError(own, {
        expected:
          'apply() expects a Tensor or a SymbolicTensor from nr.Input' +
          (this.takesInputList ? ' (or a list of them, all of one kind)' : ''),
        got: list.length === 0 ? 'an empty list' : list.map(describe).join(', '),
      });
    }
    const tensors = list as readonly Tensor[];
    try {
      this.checkInputSpec(
        tensors.map((t) => t.shape),
        true,
      );
      const shapes = (
        Array.isArray(inputs) ? tensors.map((t) => [null, ...t.shape.slice(1)]) : [null, ...tensors[0]!.shape.slice(1)]
      ) as LayerShape;
      this.ensureBuilt(shapes);
      this.losses = [];
      const given = (Array.isArray(inputs) ? [...tensors] : tensors[0]) as Tensor;
      const mask = options.mask !== undefined ? options.mask : inputMask(given);
      const out = this.call(given, mask ? { ...options, mask } : options) as Tensor | Tensor[];
      this.attachMask(given, mask, out);
      // As Keras: only trainable weights are penalised, so a frozen layer adds nothing to the loss.
      if (this.trainable) for (const [w, reg] of this.regularizers) if (w.trainable) this.losses.push(reg(w));
      return out;
    } catch (e) {
      rethrow(e, prefix(), own);
    }
  }

  /** The node(s) of a symbolic call: keyword SymbolicTensors join the inputs; a list of shapes gives one node per output. */
  private symbolicOutputs(
    symbols: readonly SymbolicTensor[],
    shape: LayerShape | readonly LayerShape[],
    options: CallOptions,
  ): SymbolicTensor | SymbolicTensor[] {
    const inputs = [...symbols];
    const keywordInputs: Record<string, number | number[]> = {};
    const callOptions: CallOptions = {};
    for (const [key, value] of Object.entries(options)) {
      if (value instanceof SymbolicTensor) {
        keywordInputs[key] = inputs.push(value) - 1;
      } else if (Array.isArray(value) && value.length > 0 && value.every((v) => v instanceof SymbolicTensor)) {
        keywordInputs[key] = value.map((v: SymbolicTensor) => inputs.push(v) - 1);
      } else {
        callOptions[key] = value;
      }
    }
    const dtype = symbols[0]!.dtype === 'int32' ? this.dtype : symbols[0]!.dtype;
    const node = (s: LayerShape, index: number, key: object | null) =>
      new SymbolicTensor(s, dtype, this, inputs, this.name, callOptions, keywordInputs, symbols.length, index, key);
    if (!isShapeList(shape)) return node(shape, -1, null);
    const key = {};
    return shape.map((s, i) => node(s, i, key));
  }

  /** Normalises the call options: snake_case keywords to camelCase; a key the layer does not take is an error. */
  private checkCallOptions(options: CallOptions): CallOptions {
    let out: CallOptions | null = null;
    for (const key in options) {
      if (key === 'training' || key === 'mask') continue;
      const name = camel(key);
      const allowed = this.callKeywords;
      if (!allowed.includes(name)) {
        throw configError(`${this.className} "${this.name}"`, {
          expected: `apply() takes the options training, mask${allowed.map((k) => `, ${k}`).join('')}`,
          got: show(key),
          hint: allowed.length === 0 ? 'this layer takes no other keyword' : undefined,
        });
      }
      if (name !== key) {
        out ??= { ...options };
        out[name] = options[key];
        delete out[key];
      }
    }
    return out ?? options;
  }

  /** Attaches the output mask(s) computed from the input mask; warns once when a mask is dropped. */
  private attachMask(inputs: Tensor | readonly Tensor[], mask: MaskValue, out: Tensor | readonly Tensor[]): void {
    const outMask = this.computeMask(inputs, mask);
    if (out instanceof Tensor) {
      if (outMask instanceof Tensor) masks.set(out, outMask);
    } else {
      const list = Array.isArray(outMask) ? outMask : [outMask as Tensor | null];
      out.forEach((t, i) => list[i] && masks.set(t, list[i]!));
    }
    if (mask && !this.supportsMasking && (Array.isArray(mask) ? mask.some((m) => m) : true)) {
      notice(
        `${this.className} "${this.name}" was given an input with a mask but does not support masking: ` +
          'the mask stops here and later layers will not see it',
      );
    }
  }

  private applyToTensor(inputs: Tensor, options: CallOptions): Tensor | Tensor[] {
    try {
      const spec = this.inputSpec;
      if (spec && inputs.rank !== spec.rank) this.checkInputSpec([inputs.shape], true);
      if (this.losses.length > 0) this.losses = [];
      for (const key in options) {
        if (key !== 'training') {
          options = this.checkCallOptions(options);
          break;
        }
      }
      const mask = options.mask !== undefined ? options.mask : (masks.get(inputs) ?? null);
      const out = this.call(inputs, mask ? { ...options, mask } : options);
      this.attachMask(inputs, mask, out);
      if (this.trainable) for (const [w, reg] of this.regularizers) if (w.trainable) this.losses.push(reg(w));
      return out;
    } catch (e) {
      const own = `${this.className} "${this.name}"`;
      rethrow(e, `${own} (input shape [${inputs.shape.join(', ')}])`, own);
    }
  }

  private ensureBuilt(shape: LayerShape): void {
    if (!this.built) {
      this.build(shape);
      this.built = true;
    }
  }
}

declareOptions(Layer, { keys: LAYER_OPTIONS });

/** The checks of the keys an options interface `T` adds to its parent `P` (so the two cannot drift apart). */
export type OwnOptionChecks<T, P> = Record<Exclude<keyof T, keyof P>, Check>;

/**
 * Declares a layer class's own options (checks for each, and the keys Keras lets one give
 * positionally); the parent's are inherited. Layers constructed from then on reject unknown keys.
 */
export function declareLayerOptions(cls: abstract new (...args: never[]) => Layer, spec: OptionsSpec): void {
  declareOptions(cls, spec);
}

/** The class registry used by `fromConfig` and model loading (custom layers register here). */
export const LAYER_CLASSES = new Map<string, new (config: never) => Layer>();

/** Registers a layer class so models containing it can be rebuilt from configs. */
/**
 * Registers a layer class for configs under `name`: saved models name layers by it and `layerFromConfig`
 * finds the class by it. Built-in layers give their name as a string, because a bundler or minifier may
 * rename the class itself (esbuild's `_Sequential`, terser's `a`); a user's class defaults to its own name.
 */
export function registerLayer(cls: new (config: never) => Layer, name: string = cls.name): void {
  LAYER_CLASSES.set(name, cls);
  CLASS_NAMES.set(cls, name);
}

/** Rebuilds a layer from `{className, config}`. */
export function layerFromConfig(spec: { className: string; config: Record<string, unknown> }): Layer {
  const cls = LAYER_CLASSES.get(spec.className);
  if (!cls) {
    throw configError('layerFromConfig', {
      expected: `unknown layer class ${show(spec.className)}`,
      hint: `known: ${[...LAYER_CLASSES.keys()].sort().join(', ')}. Register custom layers with nr.layers.registerLayer(MyLayer)`,
    });
  }
  const { batchInputShape, ...rest } = spec.config as { batchInputShape?: (number | null)[] } & Record<string, unknown>;
  const options = batchInputShape ? { ...rest, inputShape: batchInputShape.slice(1), batchSize: batchInputShape[0] ?? undefined } : rest;
  return new cls(options as never);
}
