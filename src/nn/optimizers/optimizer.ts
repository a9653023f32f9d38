import {
  configError,
  formatShape,
  is,
  parseArguments,
  shapeError,
  shapesEqual,
  show,
  type OptionKeys,
  type OptionsSpec,
} from '../../core/index.js';
import { Tensor, Variable, full, noGrad, tensor, type TensorLike } from '../../tensor/index.js';
import { applyOptimizerUpdate, clip, type UpdateParams, type UpdateRule } from '../../ops/index.js';
import { LearningRateSchedule, deserializeSchedule, type ScheduleConfig } from './schedules.js';

/*
 * The optimizer lifecycle, as in Keras 3's BaseOptimizer: per step, gradients are clipped
 * (clipnorm | clipvalue | globalClipnorm), weight decay is applied (variable -= variable * wd * lr),
 * then each subclass's `updateStep` writes the new value with Variable.assign, and `iterations`
 * grows by one. The learning rate of a step is the schedule evaluated at `iterations` before the
 * increment. Slot variables (momentums, ...) are created the first time a variable is updated.
 */

/** Options every optimizer accepts. */
export interface OptimizerOptions {
  /** A number or a LearningRateSchedule (or its `{className, config}` form). */
  learningRate?: number | LearningRateSchedule | ScheduleConfig;
  /** Decoupled weight decay: before each update, variable -= variable * weightDecay * lr. */
  weightDecay?: number | null;
  /** Rescales each gradient so its L2 norm is at most this. */
  clipnorm?: number | null;
  /** Clips each gradient element to [-clipvalue, clipvalue]. */
  clipvalue?: number | null;
  /** Rescales all gradients together so their joint L2 norm is at most this. */
  globalClipnorm?: number | null;
  /**
   * Keep an exponential moving average of each trained variable (Keras 3's `use_ema`): after every
   * update, average = m * average + (1 - m) * variable (m = 0 at the first step). `fit` overwrites
   * the variables with their averages when training ends (`finalizeVariableValues`).
   */
  useEma?: boolean;
  /** The average's momentum m, in [0, 1] (default 0.99). */
  emaMomentum?: number;
  /** Also overwrite the variables with their averages every this many steps (default null: only at the end of fit). */
  emaOverwriteFrequency?: number | null;
  name?: string;
}

/** The checks of the options every optimizer takes (the constructors check the ranges). */
const OPTIMIZER_OPTIONS = {
  learningRate: is.any,
  weightDecay: is.any,
  clipnorm: is.any,
  clipvalue: is.any,
  globalClipnorm: is.any,
  useEma: is.boolean,
  emaMomentum: is.any,
  emaOverwriteFrequency: is.any,
  name: is.string,
} satisfies Record<keyof OptimizerOptions, unknown>;

/** An optimizer's options spec: the shared keys and its own. */
function optimizerOptions(own: OptionKeys, aliases?: Record<string, string>) {
  // Keras's optimizers take the learning rate first: new Adam(1e-3) as Adam(1e-3).
  return { keys: { ...OPTIMIZER_OPTIONS, ...own }, aliases, positional: ['learningRate'] };
}

/** Per-variable optimizer state: slot name -> tensor of the variable's shape. */
export type Slots = Record<string, Variable>;

/** What `getState()` returns and `setState()` accepts (a later issue saves it with the model). */
export interface OptimizerState {
  iterations: number;
  /** The variables with slots, in the order they were first updated (or built). */
  variables: Variable[];
  /** slots[i] holds the slot tensors of variables[i], by slot name. */
  slots: Record<string, Tensor>[];
}

/** Throws a ConfigError naming the option unless `rule` holds. */
function checkOption(owner: string, option: string, value: unknown, rule: (v: number) => boolean, ruleText: string): number {
  if (typeof value !== 'number' || Number.isNaN(value) || !rule(value)) {
    throw configError(owner, { expected: `option "${option}" must be ${ruleText}`, got: show(value) });
  }
  return value;
}

const nonNegative = (v: number) => v >= 0 && Number.isFinite(v);
const positive = (v: number) => v > 0 && Number.isFinite(v);
const optionalPositive = (owner: string, option: string, value: number | null | undefined) =>
  value === undefined || value === null
    ? null
    : checkOption(owner, option, value, positive, 'a finite number > 0 (or null to turn it off)');

/**
 * Base class of optimizers: subclasses declare their slots and write `updateStep`.
 *
 * ```ts
 * const w = nr.variable(nr.tensor([1, 2]));
 * const optimizer = new nr.optimizers.SGD({ learningRate: 0.1 });
 * optimizer.applyGradients([[nr.tensor([1, 1]), w]]);
 * w.toArray(); // [0.9, 1.9]
 * ```
 */
export abstract class Optimizer {
  name: string;
  /** Number of update steps applied so far. */
  iterations = 0;
  readonly weightDecay: number | null;
  readonly clipnorm: number | null;
  readonly clipvalue: number | null;
  readonly globalClipnorm: number | null;
  readonly useEma: boolean;
  readonly emaMomentum: number;
  readonly emaOverwriteFrequency: number | null;
  private rate: number | LearningRateSchedule;
  private readonly slotsByVariable = new Map<Variable, Slots>();
  private readonly tracked: Variable[] = [];
  /** With useEma, each variable's moving average (kept beside its slots; getState lists it as slot 'average'). */
  private readonly averages = new Map<Variable, Variable>();

  /** The Keras class name ('SGD', 'Adam', ...). */
  abstract readonly className: string;

  constructor(options: OptimizerOptions, defaultLearningRate: number, defaultName: string) {
    this.name = options.name ?? defaultName;
    this.rate = Optimizer.checkRate(defaultName, options.learningRate ?? defaultLearningRate);
    this.weightDecay =
      options.weightDecay === undefined || options.weightDecay === null
        ? null
        : checkOption(defaultName, 'weightDecay', options.weightDecay, nonNegative, 'a finite number >= 0');
    this.clipnorm = optionalPositive(defaultName, 'clipnorm', options.clipnorm);
    this.clipvalue = optionalPositive(defaultName, 'clipvalue', options.clipvalue);
    this.globalClipnorm = optionalPositive(defaultName, 'globalClipnorm', options.globalClipnorm);
    this.useEma = options.useEma ?? false;
    this.emaMomentum = checkOption(defaultName, 'emaMomentum', options.emaMomentum ?? 0.99, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    const frequency = options.emaOverwriteFrequency ?? null;
    this.emaOverwriteFrequency =
      frequency === null
        ? null
        : checkOption(defaultName, 'emaOverwriteFrequency', frequency, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1 or null');
    const clips = [this.clipnorm, this.clipvalue, this.globalClipnorm].filter((c) => c !== null).length;
    if (clips > 1) {
      throw configError(defaultName, {
        expected: 'set at most one of "clipnorm", "clipvalue" and "globalClipnorm"',
        got: `clipnorm=${this.clipnorm}, clipvalue=${this.clipvalue}, globalClipnorm=${this.globalClipnorm}`,
      });
    }
  }

  private static checkRate(owner: string, value: number | LearningRateSchedule | ScheduleConfig): number | LearningRateSchedule {
    if (value instanceof LearningRateSchedule) return value;
    if (typeof value === 'object' && value !== null && 'className' in value) return deserializeSchedule(value);
    return checkOption(owner, 'learningRate', value, nonNegative, 'a finite number >= 0 or a LearningRateSchedule');
  }

  /** The learning rate of the next step (a schedule is evaluated at `iterations`). */
  get learningRate(): number {
    return typeof this.rate === 'number' ? this.rate : this.rate.call(this.iterations);
  }

  /** Sets a constant learning rate (callbacks such as ReduceLROnPlateau use this). */
  set learningRate(value: number) {
    if (this.rate instanceof LearningRateSchedule) {
      throw configError(this.className, {
        expected: `the learning rate is a schedule (${this.rate.className}) and cannot be set to a number`,
        got: show(value),
        hint: 'build a new optimizer instead',
      });
    }
    this.rate = checkOption(this.className, 'learningRate', value, nonNegative, 'a finite number >= 0');
  }

  /** The schedule, when the learning rate is one. */
  get learningRateSchedule(): LearningRateSchedule | null {
    return typeof this.rate === 'number' ? null : this.rate;
  }

  /** The initial values of a variable's slots; names are the slot names. */
  protected abstract initialSlots(variable: Variable): Record<string, Tensor>;

  /**
   * Runs the backend's fused in-place update for `rule` on one variable and its slots (in the order
   * the kernel documents); options left out are unused by that rule.
   */
  protected fusedUpdate(rule: UpdateRule, g: Tensor, w: Variable, slots: readonly Tensor[], options: Partial<UpdateParams>): void {
    applyOptimizerUpdate(rule, w, g, slots, options);
  }

  /** Updates one variable in place. `step` is iterations + 1 (1 at the first update). */
  protected abstract updateStep(gradient: Tensor, variable: Variable, slots: Slots, learningRate: number, step: number): void;

  /** The subclass's own options for getConfig(). */
  protected abstract ownConfig(): Record<string, unknown>;

  /** Creates the slots of every variable now (otherwise they are made at its first update). */
  build(variables: readonly Variable[]): void {
    for (const v of variables) this.slotsFor(v);
  }

  private slotsFor(variable: Variable): Slots {
    let slots = this.slotsByVariable.get(variable);
    if (!slots) {
      slots = {};
      for (const [slot, initial] of Object.entries(this.initialSlots(variable))) {
        slots[slot] = new Variable(initial.cast(variable.dtype), { trainable: false, name: `${variable.name}/${slot}` });
      }
      this.slotsByVariable.set(variable, slots);
      this.tracked.push(variable);
      if (this.useEma)
        // A copy of the weights as they are now: what Keras's average (zeros, set to the weights at
        // step 0 and averaged every step since) holds for a variable that had not changed before its first update.
        this.averages.set(variable, new Variable(tensor(variable), { trainable: false, name: `${variable.name}/average` }));
    }
    return slots;
  }

  /**
   * Keras's moving-average step, after the update of step `iterations + 1`, over every variable this
   * optimizer has updated so far (Keras's `_trainable_variables`), with or without a gradient this
   * step: average = m * average + (1 - m) * variable, with m = 0 at the first step (so the average
   * starts at the updated weights); every `emaOverwriteFrequency` steps the variables then take their averages.
   */
  private updateAverages(): void {
    const m = this.iterations === 0 ? 0 : this.emaMomentum;
    const overwrite = this.emaOverwriteFrequency !== null && (this.iterations + 1) % this.emaOverwriteFrequency === 0;
    for (const v of this.tracked) {
      const average = this.averages.get(v)!;
      average.assign(average.mul(m).add(v.mul(1 - m)));
      if (overwrite) v.assign(average);
    }
  }

  /**
   * With `useEma`, sets each of `variables` that this optimizer averages to its moving average
   * (Keras's `finalize_variable_values`; `fit` calls it when training ends). Otherwise does nothing.
   */
  finalizeVariableValues(variables: readonly Variable[]): void {
    if (!this.useEma) return;
    noGrad(() => {
      for (const v of variables) {
        const average = this.averages.get(v);
        if (average) v.assign(average);
      }
    });
  }

  /** Applies one step of `[gradient, variable]` pairs. Null gradients and non-trainable variables are skipped. */
  applyGradients(pairs: ReadonlyArray<readonly [Tensor | null | undefined, Variable]>): void {
    const kept = pairs.filter(([g, v]) => g !== null && g !== undefined && v.trainable) as [Tensor, Variable][];
    for (const [g, v] of kept) {
      if (!(v instanceof Variable)) {
        throw configError(`${this.className}.applyGradients`, {
          expected: 'expected Variables to update',
          got: show(v as unknown),
          hint: 'wrap a weight in nr.variable() to make it trainable',
        });
      }
      if (g.shape.length !== v.shape.length || g.shape.some((d, i) => d !== v.shape[i])) {
        throw shapeError(`${this.className}.applyGradients`, {
          expected: `the gradient of variable "${v.name}" must have its shape ${formatShape(v.shape)}`,
          got: formatShape(g.shape),
        });
      }
    }
    noGrad(() => {
      const learningRate = this.learningRate;
      const step = this.iterations + 1;
      const grads = this.clipGradients(kept.map(([g, v]) => g.cast(v.dtype)));
      kept.forEach(([, variable], i) => {
        const slots = this.slotsFor(variable);
        if (this.weightDecay !== null && this.weightDecay > 0) {
          variable.assign(variable.sub(variable.mul(this.weightDecay).mul(learningRate)));
        }
        this.updateStep(grads[i]!, variable, slots, learningRate, step);
      });
      if (this.useEma) this.updateAverages();
    });
    this.iterations += 1;
  }

  /** Same as `applyGradients(grads.map((g, i) => [g, variables[i]]))`. */
  apply(grads: ReadonlyArray<Tensor | null | undefined>, variables: readonly Variable[]): void {
    if (grads.length !== variables.length) {
      throw configError(`${this.className}.apply`, {
        expected: `expected one gradient per variable (${variables.length} variables)`,
        got: `${grads.length} gradients`,
      });
    }
    this.applyGradients(variables.map((v, i) => [grads[i], v] as const));
  }

  private clipGradients(grads: Tensor[]): Tensor[] {
    const norm = (g: Tensor) => Math.sqrt(g.square().sum().item());
    if (this.clipnorm !== null) {
      const c = this.clipnorm;
      return grads.map((g) => g.mul(c).div(Math.max(norm(g), c)));
    }
    if (this.globalClipnorm !== null) {
      const c = this.globalClipnorm;
      const total = Math.sqrt(grads.reduce((s, g) => s + g.square().sum().item(), 0));
      const scale = c * Math.min(1 / total, 1 / c);
      return grads.map((g) => g.mul(scale));
    }
    if (this.clipvalue !== null) {
      const c = this.clipvalue;
      return grads.map((g) => clip(g, -c, c));
    }
    return grads;
  }

  /** Keras-style config: learning rate (number or schedule config), clipping, weight decay, own options. */
  getConfig(): Record<string, unknown> {
    const learningRate = typeof this.rate === 'number' ? this.rate : { className: this.rate.className, config: this.rate.getConfig() };
    return {
      name: this.name,
      learningRate,
      weightDecay: this.weightDecay,
      clipnorm: this.clipnorm,
      clipvalue: this.clipvalue,
      globalClipnorm: this.globalClipnorm,
      useEma: this.useEma,
      emaMomentum: this.emaMomentum,
      emaOverwriteFrequency: this.emaOverwriteFrequency,
      ...this.ownConfig(),
    };
  }

  /** Copies of the step counter and every slot tensor. */
  getState(): OptimizerState {
    return {
      iterations: this.iterations,
      variables: [...this.tracked],
      slots: this.tracked.map((v) => Object.fromEntries(Object.entries(this.slotsOf(v)).map(([k, s]) => [k, tensor(s)]))),
    };
  }

  /** A variable's slots as getState lists them: the rule's, then its moving average with useEma. */
  private slotsOf(v: Variable): Slots {
    const slots = this.slotsFor(v);
    const average = this.averages.get(v);
    return average ? { ...slots, average } : slots;
  }

  /**
   * Restores a state from getState(). `variables` (default: state.variables) are the variables the
   * slots belong to, in the same order, e.g. the same model's weights after loading.
   */
  setState(
    state: { iterations: number; slots: Record<string, TensorLike>[]; variables?: Variable[] },
    variables?: readonly Variable[],
  ): void {
    const targets = variables ?? state.variables ?? [];
    checkOption(this.className, 'iterations', state.iterations, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
    if (targets.length !== state.slots.length) {
      throw configError(`${this.className}.setState`, {
        expected: `expected one variable per entry of state.slots (${state.slots.length})`,
        got: `${targets.length} variables`,
      });
    }
    targets.forEach((v, i) => {
      const slots = this.slotsOf(v);
      const given = state.slots[i]!;
      const expected = Object.keys(slots).sort().join(', ');
      if (Object.keys(given).sort().join(', ') !== expected) {
        throw configError(`${this.className}.setState`, {
          expected: `variable "${v.name}" needs slots [${expected}]`,
          got: `[${Object.keys(given).join(', ')}]`,
        });
      }
      // Every shape is checked before anything is assigned, so a bad state changes nothing.
      for (const [k, value] of Object.entries(given)) {
        const shape = value instanceof Tensor ? value.shape : tensor(value).shape;
        if (!shapesEqual(shape, slots[k]!.shape)) {
          throw shapeError(`${this.className}.setState`, {
            expected: `slot "${k}" of variable "${v.name}" must have shape ${formatShape(slots[k]!.shape)}`,
            got: formatShape(shape),
          });
        }
      }
    });
    targets.forEach((v, i) => {
      const slots = this.slotsOf(v);
      for (const [k, value] of Object.entries(state.slots[i]!)) slots[k]!.assign(value);
    });
    this.iterations = state.iterations;
  }
}

/*
 * The built-in optimizers differ only in a table: their own hyperparameters (default and range, in
 * the order getConfig lists them), the default learning rate, the applyUpdate kernel rule that does
 * the step, and the slots a variable gets. `FusedOptimizer` does the rest once for all of them.
 */

/** The ranges a numeric hyperparameter may be restricted to, by the words its error shows. */
const RANGES = {
  'a number in [0, 1)': (v: number) => v >= 0 && v < 1,
  'a number in [0, 1]': (v: number) => v >= 0 && v <= 1,
  'a finite number >= 0': nonNegative,
} satisfies Record<string, (v: number) => boolean>;

/** The hyperparameters the applyUpdate kernel reads (its learning rate comes from the schedule). */
const KERNEL_PARAMS = {
  momentum: true,
  nesterov: true,
  beta1: true,
  beta2: true,
  rho: true,
  epsilon: true,
  amsgrad: true,
  centered: true,
} satisfies Record<Exclude<keyof UpdateParams, 'learningRate'>, true>;

/** A built-in optimizer's constructor arguments, Keras's forms: `(learningRate?, options?)` or `(options?)`. */
export type OptimizerArguments<O extends OptimizerOptions> =
  | [learningRate?: O['learningRate'], options?: Omit<O, 'learningRate'>]
  | [options?: O];

/** An optimizer's options beyond those every optimizer takes. */
type Own<O> = Exclude<keyof O, keyof OptimizerOptions>;

/** A hyperparameter's entry: booleans have a default; numbers a default and a range. */
type Hyperparameter<V> = V extends boolean ? { default: boolean } : { default: number; range: keyof typeof RANGES };

/** What sets one built-in optimizer apart; `O` is its options interface. */
export interface OptimizerTable<O extends OptimizerOptions> {
  learningRate: number;
  rule: UpdateRule;
  /** Every option of O beyond OptimizerOptions, in the order of getConfig (and of the checks). */
  hyperparameters: { [K in Own<O>]-?: Hyperparameter<NonNullable<O[K]>> };
  /** Other spellings Keras uses (beta_1 for beta1). */
  aliases?: Record<string, string>;
  /** The slots of a variable, in the order the kernel takes them, each with the value it starts at. */
  slots(hyperparameters: { [K in Own<O>]-?: NonNullable<O[K]> }): Record<string, number>;
}

/** A table as FusedOptimizer reads it at run time (option types erased), with its options spec made once. */
export interface OptimizerDefinition {
  learningRate: number;
  rule: UpdateRule;
  hyperparameters: Record<string, { default: number | boolean; range?: keyof typeof RANGES }>;
  slots(hyperparameters: Record<string, number | boolean>): Record<string, number>;
  /** What parseArguments checks the constructor's arguments against. */
  options: OptionsSpec;
}

export function defineOptimizer<O extends OptimizerOptions>(table: OptimizerTable<O>): OptimizerDefinition {
  const definition = table as unknown as Omit<OptimizerDefinition, 'options'>;
  // Numbers are checked against their range once parsed; booleans only need to be booleans.
  const keys = Object.fromEntries(
    Object.entries(definition.hyperparameters).map(([k, h]) => [k, typeof h.default === 'boolean' ? is.boolean : is.any]),
  );
  return { ...definition, options: optimizerOptions(keys, table.aliases) };
}

/**
 * The base of the built-in optimizers: parses and checks the options of a table, creates the slots
 * and runs the table's kernel rule each step. The hyperparameters become readonly fields of the
 * optimizer (`sgd.momentum`); subclasses declare them with `declare readonly`.
 */
export abstract class FusedOptimizer extends Optimizer {
  private readonly definition: OptimizerDefinition;
  private readonly hyperparameters: Record<string, number | boolean> = {};
  /** The kernel's options, made once; each step only sets the learning rate. */
  private readonly params: Partial<UpdateParams> = {};

  /** `owner` names the class in errors; `args` are the constructor's (Keras's positional forms included). */
  protected constructor(owner: string, args: readonly unknown[], definition: OptimizerDefinition) {
    const options = parseArguments<Record<string, unknown>>(owner, args, definition.options);
    super(options, definition.learningRate, owner);
    this.definition = definition;
    for (const [key, entry] of Object.entries(definition.hyperparameters)) {
      const given = options[key] ?? entry.default;
      const value = entry.range === undefined ? (given as boolean) : checkOption(owner, key, given, RANGES[entry.range], entry.range);
      this.hyperparameters[key] = value;
      (this as unknown as Record<string, unknown>)[key] = value;
      if (Object.hasOwn(KERNEL_PARAMS, key)) (this.params as Record<string, unknown>)[key] = value;
    }
  }

  protected initialSlots(variable: Variable): Record<string, Tensor> {
    const slots: Record<string, Tensor> = {};
    for (const [name, value] of Object.entries(this.definition.slots(this.hyperparameters))) {
      slots[name] = full(variable.shape, value, variable.dtype);
    }
    return slots;
  }

  /** The step size the kernel gets: the learning rate, or Adam's bias-corrected form of it. */
  protected stepSize(learningRate: number, _step: number): number {
    return learningRate;
  }

  protected updateStep(g: Tensor, w: Variable, slots: Slots, lr: number, step: number): void {
    this.params.learningRate = this.stepSize(lr, step);
    // Slots were created in the kernel's order, and Object.values keeps it (no slot name is an index).
    this.fusedUpdate(this.definition.rule, g, w, Object.values(slots), this.params);
  }

  protected ownConfig(): Record<string, unknown> {
    return { ...this.hyperparameters };
  }
}
