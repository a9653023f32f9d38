/**
 * The error family of neurona. Every error a user can trigger is a `NeuronaError`; the subclass says
 * what kind of mistake it was, and the message names the op, layer or file, shows what was expected
 * and what was received, and says what to change.
 *
 * ```ts
 * try { nr.tensor([1, 2]).add(nr.tensor([1, 2, 3])); }
 * catch (e) { if (e instanceof nr.ShapeError) console.log(e.message); }
 * ```
 */
export class NeuronaError extends Error {
  /** `options.cause`: the lower-level error this one explains (kept for debugging, not shown in the message). */
  constructor(message: string, options?: ErrorOptions) {
    super(shortened(message), options);
    // neurona's classes name themselves in a string, since a minifier renames classes (new.target.name
    // would be 'hc'); a subclass of them (a user's, or saving's MissingFile) keeps its own class name.
    this.name = Object.hasOwn(new.target, 'errorName') ? (new.target as unknown as { errorName: string }).errorName : new.target.name;
  }

  static readonly errorName: string = 'NeuronaError';
}

/**
 * The longest message an error carries, in characters. Messages that quote user values (a huge
 * string passed as an option, a list of a million names) would otherwise run to megabytes; the
 * call sites that list names show the first few and a count, and this cap is the backstop.
 */
export const MAX_ERROR_MESSAGE_LENGTH = 4096;

function shortened(message: string): string {
  message = String(message);
  if (message.length <= MAX_ERROR_MESSAGE_LENGTH) return message;
  const tail = 512;
  const omitted = message.length - (MAX_ERROR_MESSAGE_LENGTH - tail - 64) - tail;
  return `${message.slice(0, MAX_ERROR_MESSAGE_LENGTH - tail - 64)} [... ${omitted} characters omitted ...] ${message.slice(-tail)}`;
}

/** Shapes that do not fit together: broadcasting, matmul dimensions, reshape sizes, axes. */
export class ShapeError extends NeuronaError {
  static override readonly errorName: string = 'ShapeError';
}

/** A tensor of the wrong dtype for an op (e.g. float indices, gradients of an int tensor). */
export class DTypeError extends NeuronaError {
  static override readonly errorName: string = 'DTypeError';
}

/** A bad option or setting: unknown names, out-of-range values, wrong types of arguments. */
export class ConfigError extends NeuronaError {
  static override readonly errorName: string = 'ConfigError';
}

/** A file or byte buffer that does not follow its format. */
export class FormatError extends NeuronaError {
  static override readonly errorName: string = 'FormatError';
}

/** A numerical problem the library detected, such as NaN where a finite value is required. */
export class NumericsError extends NeuronaError {
  static override readonly errorName: string = 'NumericsError';
}

/**
 * The parts of an error message. Every message reads the same way:
 * `<where>: <expected>, got <got> (<rule>); <hint>`, e.g.
 * `conv2d: padding must be 'valid' or 'same', got "full"; pass padding: 'same' to keep the size`.
 */
export interface Problem {
  /** What was expected, or the rule the input broke: "units must be a positive integer". */
  expected: string;
  /** What came instead, already rendered: `show(value)` for values, `formatShape(shape)` for shapes. */
  got?: string;
  /** Why the rule exists, when that helps: "TensorFlow has the same rule". */
  rule?: string;
  /** What to change. */
  hint?: string;
  /** The lower-level error this one explains: kept on the error's `cause`, not shown in the message. */
  cause?: unknown;
}

/** The text of a message: see {@link Problem}. `where` names the op ('conv2d'), layer ('Dense "dense_1"') or file. */
export function problem(where: string, parts: Problem): string {
  let text = where ? `${where}: ${parts.expected}` : parts.expected;
  if (parts.got !== undefined) text += `, got ${parts.got}`;
  if (parts.rule) text += ` (${parts.rule})`;
  if (parts.hint) text += `; ${parts.hint}`;
  return text;
}

/**
 * A user's value as a message shows it: strings quoted, numbers as JavaScript prints them, functions by
 * name, plain objects and arrays as JSON, tensors by dtype and shape, other class instances by class;
 * anything long is cut at 80 characters, so that a hostile or huge value never turns a message into
 * megabytes.
 */
export function show(value: unknown): string {
  if (typeof value === 'function') return `a function ${value.name || '(anonymous)'}`;
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'undefined' || typeof value === 'symbol') return String(value);
  const instance = instanceName(value);
  if (instance) return instance;
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 80)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * How `show` names an object that JSON would render badly: a tensor (its fields are storage, read by
 * shape and dtype so that core need not import the tensor module), a typed array, a class instance.
 */
function instanceName(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (ArrayBuffer.isView(value)) {
    const length = (value as { length?: unknown }).length;
    return `${article(value.constructor.name)} of ${typeof length === 'number' ? `length ${length}` : `${value.byteLength} bytes`}`;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto === Object.prototype || proto === null) return undefined;
  const { shape, dtype } = value as { shape?: unknown; dtype?: unknown };
  if (Array.isArray(shape) && typeof dtype === 'string') return `a ${dtype} tensor of shape [${shape.join(', ')}]`;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return article(typeof name === 'string' && name ? name : 'object');
}

function article(noun: string): string {
  return `${/^[aeiou]/i.test(noun) ? 'an' : 'a'} ${noun}`;
}

/** An error of `kind` whose message is built from `parts`; the call site throws it (`throw error(...)`). */
export function error<E extends NeuronaError>(kind: new (message: string, options?: ErrorOptions) => E, where: string, parts: Problem): E {
  return parts.cause === undefined ? new kind(problem(where, parts)) : new kind(problem(where, parts), { cause: parts.cause });
}

export const shapeError = (where: string, parts: Problem): ShapeError => error(ShapeError, where, parts);
export const dtypeError = (where: string, parts: Problem): DTypeError => error(DTypeError, where, parts);
export const configError = (where: string, parts: Problem): ConfigError => error(ConfigError, where, parts);
export const formatError = (where: string, parts: Problem): FormatError => error(FormatError, where, parts);
export const numericsError = (where: string, parts: Problem): NumericsError => error(NumericsError, where, parts);
