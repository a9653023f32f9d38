import { configError, is, parseOptions, ownEntry, show } from '../../core/index.js';

/*
 * Learning rate schedules with Keras 3 semantics (keras.optimizers.schedules). A schedule maps the
 * optimizer's step counter (`iterations`, counted from 0 before the update) to a learning rate; pass
 * one as an optimizer's `learningRate`.
 */

/** The plain-data form of a schedule, as `getConfig()` returns it and `getSchedule` accepts it. */
export interface ScheduleConfig {
  className: string;
  config: Record<string, unknown>;
}

/** Base class of learning rate schedules: `schedule.call(step)` returns the rate at that step. */
export abstract class LearningRateSchedule {
  abstract call(step: number): number;
  abstract getConfig(): Record<string, unknown>;
  /** The schedule's class name, as Keras spells it. */
  abstract readonly className: string;
}

function requireFinite(owner: string, option: string, value: unknown, rule: (v: number) => boolean, ruleText: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !rule(value)) {
    throw configError(owner, { expected: `option "${option}" must be ${ruleText}`, got: show(value) });
  }
  return value;
}

export interface ExponentialDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  decayRate: number;
  /** Decay in whole steps of `decaySteps` (floor of step / decaySteps). Default false. */
  staircase?: boolean;
}

/**
 * `initialLearningRate * decayRate ^ (step / decaySteps)`, the exponent floored when `staircase`.
 *
 * ```ts
 * const schedule = new nr.optimizers.ExponentialDecay({ initialLearningRate: 0.1, decaySteps: 10, decayRate: 0.5 });
 * schedule.call(20); // 0.025
 * const sgd = new nr.optimizers.SGD({ learningRate: schedule });
 * ```
 */
export class ExponentialDecay extends LearningRateSchedule {
  readonly className = 'ExponentialDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly decayRate: number;
  readonly staircase: boolean;

  constructor(raw: ExponentialDecayOptions) {
    super();
    const options = parseOptions<ExponentialDecayOptions>('ExponentialDecay', raw, {
      keys: { initialLearningRate: is.any, decaySteps: is.any, decayRate: is.any, staircase: is.boolean } satisfies Record<
        keyof ExponentialDecayOptions,
        unknown
      >,
    });
    this.initialLearningRate = requireFinite(
      'ExponentialDecay',
      'initialLearningRate',
      options.initialLearningRate,
      (v) => v >= 0,
      'a number >= 0',
    );
    this.decaySteps = requireFinite('ExponentialDecay', 'decaySteps', options.decaySteps, (v) => v > 0, 'a number > 0');
    this.decayRate = requireFinite('ExponentialDecay', 'decayRate', options.decayRate, (v) => v > 0, 'a number > 0');
    this.staircase = options.staircase ?? false;
  }

  call(step: number): number {
    let p = step / this.decaySteps;
    if (this.staircase) p = Math.floor(p);
    return this.initialLearningRate * this.decayRate ** p;
  }

  getConfig() {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      decayRate: this.decayRate,
      staircase: this.staircase,
    };
  }
}

export interface PiecewiseConstantDecayOptions {
  /** Increasing step numbers where the rate changes. */
  boundaries: number[];
  /** One more value than boundaries: values[i] applies while boundaries[i-1] < step <= boundaries[i]. */
  values: number[];
}

/**
 * A step function: `values[0]` up to and including `boundaries[0]`, `values[1]` up to and including
 * `boundaries[1]`, ..., `values[n]` after the last boundary (Keras's PiecewiseConstantDecay).
 *
 * ```ts
 * const schedule = new nr.optimizers.PiecewiseConstantDecay({ boundaries: [100, 200], values: [0.1, 0.01, 0.001] });
 * schedule.call(100); // 0.1
 * schedule.call(101); // 0.01
 * ```
 */
export class PiecewiseConstantDecay extends LearningRateSchedule {
  readonly className = 'PiecewiseConstantDecay';
  readonly boundaries: number[];
  readonly values: number[];

  constructor(raw: PiecewiseConstantDecayOptions) {
    super();
    const options = parseOptions<PiecewiseConstantDecayOptions>('PiecewiseConstantDecay', raw, {
      keys: { boundaries: is.any, values: is.any } satisfies Record<keyof PiecewiseConstantDecayOptions, unknown>,
    });
    const { boundaries, values } = options;
    if (!Array.isArray(boundaries) || !Array.isArray(values) || values.length !== boundaries.length + 1) {
      throw configError('PiecewiseConstantDecay', {
        expected: 'option "values" must have one more element than "boundaries"',
        got: `${values?.length} values and ${boundaries?.length} boundaries`,
      });
    }
    boundaries.forEach((b, i) =>
      requireFinite(
        'PiecewiseConstantDecay',
        `boundaries[${i}]`,
        b,
        (v) => i === 0 || v > boundaries[i - 1]!,
        'a number greater than the previous boundary',
      ),
    );
    values.forEach((v, i) => requireFinite('PiecewiseConstantDecay', `values[${i}]`, v, () => true, 'a finite number'));
    this.boundaries = [...boundaries];
    this.values = [...values];
  }

  call(step: number): number {
    for (let i = 0; i < this.boundaries.length; i++) if (step <= this.boundaries[i]!) return this.values[i]!;
    return this.values[this.values.length - 1]!;
  }

  getConfig() {
    return { boundaries: [...this.boundaries], values: [...this.values] };
  }
}

export interface CosineDecayOptions {
  initialLearningRate: number;
  decaySteps: number;
  /** The final rate as a fraction of the start rate. Default 0. */
  alpha?: number;
  /** When set, the rate first rises linearly from initialLearningRate to warmupTarget over warmupSteps. */
  warmupTarget?: number | null;
  /** Length of the linear warmup. Default 0. */
  warmupSteps?: number;
}

/**
 * Cosine decay (Loshchilov & Hutter), with an optional linear warmup, as Keras 3 defines it:
 * without warmup, `lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decaySteps) / decaySteps)) + alpha)`;
 * with `warmupTarget`, the rate rises linearly from `initialLearningRate` to `warmupTarget` during
 * `warmupSteps`, then decays from `warmupTarget` over the next `decaySteps`.
 *
 * ```ts
 * const schedule = new nr.optimizers.CosineDecay({ initialLearningRate: 0.1, decaySteps: 100 });
 * schedule.call(50); // 0.05
 * ```
 */
export class CosineDecay extends LearningRateSchedule {
  readonly className = 'CosineDecay';
  readonly initialLearningRate: number;
  readonly decaySteps: number;
  readonly alpha: number;
  readonly warmupTarget: number | null;
  readonly warmupSteps: number;

  constructor(raw: CosineDecayOptions) {
    super();
    const options = parseOptions<CosineDecayOptions>('CosineDecay', raw, {
      keys: { initialLearningRate: is.any, decaySteps: is.any, alpha: is.any, warmupTarget: is.any, warmupSteps: is.any } satisfies Record<
        keyof CosineDecayOptions,
        unknown
      >,
    });
    this.initialLearningRate = requireFinite(
      'CosineDecay',
      'initialLearningRate',
      options.initialLearningRate,
      (v) => v >= 0,
      'a number >= 0',
    );
    this.decaySteps = requireFinite('CosineDecay', 'decaySteps', options.decaySteps, (v) => v > 0, 'a number > 0');
    this.alpha = requireFinite('CosineDecay', 'alpha', options.alpha ?? 0, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    this.warmupTarget = options.warmupTarget ?? null;
    if (this.warmupTarget !== null) requireFinite('CosineDecay', 'warmupTarget', this.warmupTarget, (v) => v >= 0, 'a number >= 0');
    this.warmupSteps = requireFinite('CosineDecay', 'warmupSteps', options.warmupSteps ?? 0, (v) => v >= 0, 'a number >= 0');
  }

  private decay(step: number, from: number): number {
    const cosineDecayed = 0.5 * (1 + Math.cos(Math.PI * (step / this.decaySteps)));
    return from * ((1 - this.alpha) * cosineDecayed + this.alpha);
  }

  call(step: number): number {
    if (this.warmupTarget === null) return this.decay(Math.min(step, this.decaySteps), this.initialLearningRate);
    const s = Math.min(step, this.decaySteps + this.warmupSteps);
    if (s < this.warmupSteps) {
      return (this.warmupTarget - this.initialLearningRate) * (s / this.warmupSteps) + this.initialLearningRate;
    }
    return this.decay(s - this.warmupSteps, this.warmupTarget);
  }

  getConfig() {
    return {
      initialLearningRate: this.initialLearningRate,
      decaySteps: this.decaySteps,
      alpha: this.alpha,
      warmupTarget: this.warmupTarget,
      warmupSteps: this.warmupSteps,
    };
  }
}

const SCHEDULES: Record<string, new (options: never) => LearningRateSchedule> = {
  ExponentialDecay,
  PiecewiseConstantDecay,
  CosineDecay,
};

/** Rebuilds a schedule from `{className, config}` (the form `getConfig()` writes). */
export function deserializeSchedule(config: ScheduleConfig): LearningRateSchedule {
  const ctor = ownEntry(SCHEDULES, config?.className);
  if (!ctor) {
    throw configError('', {
      expected: `unknown learning rate schedule ${show(config.className)}`,
      hint: `expected one of ${Object.keys(SCHEDULES).join(', ')}`,
    });
  }
  return new ctor(config.config as never);
}
