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
    this.name = new.target.name;
  }
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
export class ShapeError extends NeuronaError {}

/** A tensor of the wrong dtype for an op (e.g. float indices, gradients of an int tensor). */
export class DTypeError extends NeuronaError {}

/** A bad option or setting: unknown names, out-of-range values, wrong types of arguments. */
export class ConfigError extends NeuronaError {}

/** A file or byte buffer that does not follow its format. */
export class FormatError extends NeuronaError {}

/** A numerical problem the library detected, such as NaN where a finite value is required. */
export class NumericsError extends NeuronaError {}
