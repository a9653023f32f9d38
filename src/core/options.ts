import { ConfigError, configError, show } from './errors.js';

/*
 * The one normaliser of options objects. Every public constructor and function that takes options
 * (layers, models, compile, fit, optimizers, callbacks, classic models) declares the keys it knows
 * and a check for each value; `parseOptions` then
 *   - maps Keras's positional forms onto keys (`new Dense(8, {activation: 'relu'})`),
 *   - accepts Keras's snake_case spelling of every key (`kernel_size` = `kernelSize`, `beta_1` =
 *     `beta1`), and rejects both spellings of one key given together,
 *   - rejects an unknown key with the nearest valid one ("did you mean 'units'?"), and says so
 *     plainly for Keras options that neurona does not have,
 *   - checks each value's type before the owner reads it.
 * Owners keep their own range checks (a positive integer, a window that fits), which need context.
 */

/** Checks one value; throws a ConfigError built from `what` (e.g. `Dense: option 'units'`). */
export type Check = (value: unknown, what: string) => void;

/** The keys an owner accepts: a check for each (use `is.any` where the owner validates itself). */
export type OptionKeys = Record<string, Check>;

export interface OptionsSpec {
  keys?: OptionKeys;
  /** Keys that may also be given positionally, in Keras's order (`['filters', 'kernelSize']`). */
  positional?: readonly string[];
  /** Other accepted names: alias -> key (Keras spellings the snake_case rule does not produce). */
  aliases?: Readonly<Record<string, string>>;
}

function check(test: (v: unknown) => boolean, rule: string): Check {
  return (value, what) => {
    if (!test(value)) throw configError('', { expected: `${what} must be ${rule}`, got: show(value) });
  };
}

const isInt = (v: unknown): v is number => Number.isInteger(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether `value` is a plain `{...}` object (not an array, tensor, Map or class instance). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** The value checks that option declarations use. */
export const is = {
  /** Anything: the owner checks the value itself. */
  any: ((): void => {}) as Check,
  boolean: check((v) => typeof v === 'boolean', 'a boolean (true or false)'),
  string: check((v) => typeof v === 'string', 'a string'),
  number: check(isFiniteNumber, 'a finite number'),
  integer: check(isInt, 'an integer'),
  positiveInteger: check((v) => isInt(v) && v > 0, 'a positive integer'),
  nonNegativeInteger: check((v) => isInt(v) && v >= 0, 'an integer >= 0'),
  function: check((v) => typeof v === 'function', 'a function'),
  object: check(isPlainObject, 'an object {...}'),
  /** One sample's shape: positive integers, `null` for a size left open. */
  shape: check(
    (v) => Array.isArray(v) && v.every((d) => d === null || (isInt(d) && d > 0)),
    'an array of positive integers (null for a size left open), e.g. [28, 28, 1]',
  ),
  /** A name, a function, or an object form (activations, initializers, regularizers, losses). */
  identifier: check(
    (v) => typeof v === 'string' || typeof v === 'function' || (v !== null && typeof v === 'object' && !Array.isArray(v)),
    'a name (string), a function or an object',
  ),
  /** One of the given strings. */
  oneOf(...values: readonly string[]): Check {
    const quoted = values.map((s) => `'${s}'`);
    const rule = quoted.length > 1 ? `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}` : quoted[0]!;
    return check((v) => typeof v === 'string' && values.includes(v), rule);
  },
  /** `null` or whatever `inner` accepts. */
  nullable(inner: Check): Check {
    return (value, what) => {
      if (value !== null) inner(value, what);
    };
  },
  /** An array whose every item passes `inner`. */
  arrayOf(inner: Check, rule: string): Check {
    return (value, what) => {
      if (!Array.isArray(value)) throw configError('', { expected: `${what} must be ${rule}`, got: show(value) });
      value.forEach((item, i) => inner(item, `${what}[${i}]`));
    };
  },
  /** Passes when any of `checks` passes; the error states `rule`. */
  either(rule: string, ...checks: Check[]): Check {
    return (value, what) => {
      for (const c of checks) {
        try {
          c(value, what);
          return;
        } catch (e) {
          if (!(e instanceof ConfigError)) throw e;
        }
      }
      throw configError('', { expected: `${what} must be ${rule}`, got: show(value) });
    };
  },
};

/** Keras's snake_case spelling of a camelCase key: `kernelSize` -> `kernel_size`. */
export function snakeCaseKey(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/*
 * Keras options that neurona does not have (yet). Naming one gets a message that says so instead
 * of "unknown option", so a student copying a slide learns what to drop.
 */
const UNSUPPORTED: Readonly<Record<string, string>> = {
  kernelConstraint: 'weight constraints are not supported; drop the option (or clip the weights in a callback)',
  biasConstraint: 'weight constraints are not supported; drop the option',
  depthwiseConstraint: 'weight constraints are not supported; drop the option',
  pointwiseConstraint: 'weight constraints are not supported; drop the option',
  betaConstraint: 'weight constraints are not supported; drop the option',
  gammaConstraint: 'weight constraints are not supported; drop the option',
  activityRegularizer: 'activity regularizers are not supported; use kernelRegularizer, or add a penalty in a custom loss',
  loraRank: 'LoRA is not supported; drop the option',
  autocast: 'mixed precision is not supported; drop the option',
  synchronized: 'there is one device, so batch statistics are always synchronized; drop the option',
  jitCompile: 'there is no JIT compilation to turn on or off; drop the option',
  stepsPerExecution: 'drop the option; each step runs as it comes',
  lr: "it is Keras 2's name of the learning rate; write learningRate (or learning_rate)",
  lossScaleFactor: 'loss scaling (mixed precision) is not supported; drop the option',
  gradientAccumulationSteps: 'gradient accumulation is not supported; use a larger batchSize',
  weightedMetrics: 'weighted metrics are not supported; give metrics (sampleWeight weighs the loss only)',
};

/*
 * The values of those options that ask for nothing (what Keras's get_config() writes when they are
 * off: kernel_constraint None, steps_per_execution 1, jit_compile False): accepted and
 * dropped, so a config copied from Keras loads; any other value is the error above.
 */
function isNoOpValue(given: string, value: unknown): boolean {
  const camel = given.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  if (!Object.hasOwn(UNSUPPORTED, camel) || camel === 'lr') return false;
  return value === null || value === undefined || value === false || (camel === 'stepsPerExecution' && value === 1);
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The nearest of `candidates` to `key` (case and underscores ignored), or null when none is close. */
export function nearestName(key: string, candidates: Iterable<string>): string | null {
  const plain = (s: string) => s.toLowerCase().replace(/_/g, '');
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = distance(plain(key), plain(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== null && bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : null;
}

interface ResolvedSpec {
  keys: OptionKeys;
  positional: readonly string[];
  /** Every accepted name -> its key (keys themselves, snake_case forms, aliases). */
  names: Map<string, string>;
}

function resolve(spec: OptionsSpec): ResolvedSpec {
  const names = new Map<string, string>();
  const keys = spec.keys ?? {};
  for (const key of Object.keys(keys)) {
    names.set(key, key);
    names.set(snakeCaseKey(key), key);
  }
  for (const [alias, key] of Object.entries(spec.aliases ?? {})) names.set(alias, key);
  return { keys, positional: spec.positional ?? [], names };
}

const cache = new WeakMap<OptionsSpec, ResolvedSpec>();

function resolved(spec: OptionsSpec): ResolvedSpec {
  let r = cache.get(spec);
  if (!r) {
    r = resolve(spec);
    cache.set(spec, r);
  }
  return r;
}

function unknownKey(owner: string, given: string, spec: ResolvedSpec): ConfigError {
  const camel = given.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const unsupported = Object.hasOwn(UNSUPPORTED, camel) ? UNSUPPORTED[camel] : undefined;
  if (unsupported) return configError(owner, { expected: `option '${given}' (Keras's) is not supported by neurona: ${unsupported}` });
  // Suggest in the spelling the user writes: snake_case for snake_case, camelCase otherwise.
  const keys = Object.keys(spec.keys);
  const near = nearestName(given, given.includes('_') ? [...spec.names.keys()].filter((n) => !/[A-Z]/.test(n)) : keys);
  const valid = `the options are: ${keys.join(', ')}`;
  return configError(owner, { expected: `unknown option '${given}'`, hint: near ? `did you mean '${near}'? (${valid})` : valid });
}

/**
 * Checks and normalises an options object against `spec`: camelCase keys out, aliases mapped,
 * values checked, `undefined` values dropped. `owner` names the class or function in errors.
 * With `lenient`, keys outside the spec pass through unchecked (a user's subclass reads its own).
 */
export function parseOptions<T = Record<string, unknown>>(owner: string, raw: unknown, spec: OptionsSpec, lenient = false): T {
  if (raw === undefined || raw === null) return {} as T;
  if (!isPlainObject(raw)) {
    throw configError(owner, { expected: 'expected an options object {...}', got: show(raw) });
  }
  const r = resolved(spec);
  const out: Record<string, unknown> = {};
  const givenAs = new Map<string, string>();
  for (const given of Object.keys(raw)) {
    const value = raw[given];
    const key = r.names.get(given);
    if (key === undefined && isNoOpValue(given, value)) continue;
    if (key === undefined) {
      if (lenient) {
        // Defined, not assigned: a '__proto__' key from JSON must not become the result's prototype.
        if (value !== undefined) Object.defineProperty(out, given, { value, enumerable: true, writable: true, configurable: true });
        continue;
      }
      throw unknownKey(owner, given, r);
    }
    if (value === undefined) continue;
    const other = givenAs.get(key);
    if (other !== undefined) {
      throw configError(owner, { expected: `option '${key}' is given twice, as '${other}' and as '${given}'`, hint: 'give one of them' });
    }
    givenAs.set(key, given);
    r.keys[key]!(value, `${owner}: ${given}`);
    out[key] = value;
  }
  return out as T;
}

/**
 * Keras's call forms: positional values first, then an optional options object
 * (`new Conv2D(32, 3, {strides: 2})`). Returns one options object, checked by `parseOptions`.
 */
export function parseArguments<T = Record<string, unknown>>(
  owner: string,
  args: readonly unknown[],
  spec: OptionsSpec,
  lenient = false,
): T {
  const r = resolved(spec);
  const last = args.length > 0 ? args[args.length - 1] : undefined;
  // A trailing {...} is the options object; so is a trailing null/undefined past the positional slots.
  const hasObject =
    args.length > 0 && (isPlainObject(last) || ((last === undefined || last === null) && args.length > r.positional.length));
  const positional = hasObject ? args.slice(0, -1) : args;
  if (positional.length > r.positional.length) {
    const allowed =
      r.positional.length === 0
        ? 'takes one options object'
        : `takes at most ${r.positional.length} positional argument${r.positional.length > 1 ? 's' : ''} ` +
          `(${r.positional.join(', ')}) before its options object`;
    throw configError(owner, { expected: allowed, got: `${args.length} arguments: ${args.map(show).join(', ')}` });
  }
  const options = parseOptions<Record<string, unknown>>(owner, hasObject ? last : undefined, spec, lenient);
  positional.forEach((value, i) => {
    const key = r.positional[i]!;
    if (value === undefined) return;
    if (options[key] !== undefined) {
      throw configError(owner, { expected: `${key} is given both as argument ${i + 1} and in the options object`, hint: 'give it once' });
    }
    r.keys[key]!(value, `${owner}: ${key} (argument ${i + 1})`);
    options[key] = value;
  });
  return options as T;
}

const declared = new WeakMap<object, OptionsSpec>();

/**
 * Declares the options a class accepts; a subclass's declaration adds to its parent's. Layers
 * use this: `Layer`'s constructor parses its arguments against the declaration of the class
 * being constructed.
 */
export function declareOptions(cls: object, spec: OptionsSpec): void {
  const parent = optionsOf(Object.getPrototypeOf(cls));
  declared.set(
    cls,
    parent
      ? {
          keys: { ...parent.keys, ...spec.keys },
          positional: spec.positional ?? parent.positional,
          aliases: { ...parent.aliases, ...spec.aliases },
        }
      : spec,
  );
}

/** The options `cls` declared itself (with its ancestors'), or, when it declared none, its nearest ancestor's. */
export function optionsOf(cls: object | null): OptionsSpec | null {
  for (let c = cls; c; c = Object.getPrototypeOf(c)) {
    const spec = declared.get(c);
    if (spec) return spec;
  }
  return null;
}

/** Whether `cls` declared its options itself (so its arguments can be checked strictly). */
export function declaresOptions(cls: object): boolean {
  return declared.has(cls);
}
