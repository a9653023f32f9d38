import { configError, is, ownEntry, show } from '../../../core/index.js';
import { type Tensor, noGrad, zeros } from '../../../tensor/index.js';
import {
  Layer,
  declareLayerOptions,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';

// biome-ignore lint/suspicious/noExplicitAny: a Lambda's function takes the layer's input (one tensor or a list) and its arguments
export type LambdaFunction = (inputs: any, args?: Record<string, unknown>) => Tensor;
export type LambdaMaskFunction = (inputs: Tensor | readonly Tensor[], mask: LambdaMask) => LambdaMask;
type LambdaMask = Tensor | null | readonly (Tensor | null)[];

const REGISTERED = new Map<string, LambdaFunction | LambdaMaskFunction>();
/** The customObjects of the loadModel call being rebuilt (its rebuilding is synchronous). */
let loading: Record<string, unknown> | null = null;

/**
 * Registers a function under a name, so that a Lambda layer using it can be saved (its config stores
 * the name) and loaded (the name gives the function back; loading never evaluates code).
 *
 * ```ts
 * const double = nr.registerLambda('double', (x: nr.Tensor) => x.mul(2));
 * new nr.layers.Lambda(double).getConfig().function; // 'double'
 * ```
 */
export function registerLambda<F extends LambdaFunction | LambdaMaskFunction>(name: string, fn: F): F {
  if (typeof name !== 'string' || name.length === 0 || typeof fn !== 'function') {
    throw configError('registerLambda', { expected: 'a non-empty name and a function', got: `${show(name)}, ${show(fn)}` });
  }
  REGISTERED.set(name, fn);
  return fn;
}

/** Runs `build` with `customObjects` (name -> function) visible to the Lambda layers it rebuilds. @internal */
export function withCustomObjects<T>(customObjects: Record<string, unknown> | undefined, build: () => T): T {
  const before = loading;
  loading = customObjects ?? null;
  try {
    return build();
  } finally {
    loading = before;
  }
}

/** The function a config names: from the current load's customObjects, else the registry. */
function resolve(name: string, where: string, role: string) {
  const fn = (loading && ownEntry(loading, name)) ?? REGISTERED.get(name);
  if (typeof fn !== 'function') {
    throw configError(where, {
      expected: `${role} ${show(name)} is not registered; loading never runs stored code`,
      hint: `call nr.registerLambda(${show(name)}, fn) before loading, or pass loadModel(dir, {customObjects: {${name}: fn}})`,
    });
  }
  return fn;
}

/** The name a function is saved under: its registered name, else its own name; anonymous functions cannot be saved. */
function nameOf(fn: (...a: never[]) => unknown, where: string, role: string): string {
  for (const [name, f] of REGISTERED) if (f === fn) return name;
  // An arrow written inside an options object takes the key's name ('function', 'mask'): anonymous too.
  if (fn.name && !['function', 'mask', 'anonymous'].includes(fn.name) && !fn.name.startsWith('bound ')) return fn.name;
  throw configError(where, {
    expected: `cannot save an anonymous ${role}: the config stores a function's name, never its code`,
    hint: "register it, nr.registerLambda('myFn', fn), and pass the returned fn to the layer",
  });
}

export interface LambdaOptions extends LayerOptions {
  /** The function (or its registered name): `fn(inputs)`, or `fn(inputs, arguments)` when `arguments` is given. */
  function: LambdaFunction | string;
  /**
   * The output shape without the batch axis, or a function of the input shape (batch included) giving
   * the full output shape. Default: found by calling the function once on zeros (unknown sizes as 1).
   */
  outputShape?: readonly (number | null)[] | ((inputShape: LayerShape) => LayerShape) | null;
  /** The output's mask: a function `(inputs, mask) => mask` (or its registered name); default none. */
  mask?: LambdaMaskFunction | string | null;
  /** JSON-safe values handed to the function as its second argument (Keras's `arguments`). */
  arguments?: Record<string, unknown> | null;
}

/**
 * Keras's Lambda: wraps a function of tensors as a layer, for functional and Sequential models. It has
 * no weights. Saving stores the function's name (registered with `nr.registerLambda`, or the
 * function's own name), and loading looks the name up in the registry or in `loadModel`'s
 * `customObjects`: code is never stored or evaluated.
 *
 * ```ts
 * const square = nr.registerLambda('square', (x: nr.Tensor) => x.square());
 * new nr.layers.Lambda(square).apply(nr.tensor([1, 2, 3])).toArray(); // [1, 4, 9]
 * ```
 */
export class Lambda extends Layer {
  override get supportsMasking(): boolean {
    return true;
  }

  readonly fn: LambdaFunction;
  readonly maskFn: LambdaMaskFunction | null;
  readonly outputShape: LambdaOptions['outputShape'];
  readonly arguments: Record<string, unknown> | null;

  constructor(fn: LambdaFunction | string, options?: Omit<LambdaOptions, 'function'>);
  constructor(options: LambdaOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<LambdaOptions>();
    const where = `Lambda "${this.name}"`;
    const fn = typeof options.function === 'string' ? resolve(options.function, where, 'function') : options.function;
    if (typeof fn !== 'function')
      throw configError(where, { expected: 'function must be a function or a registered name', got: show(options.function) });
    this.fn = fn as LambdaFunction;
    const mask = options.mask ?? null;
    this.maskFn = (typeof mask === 'string' ? resolve(mask, where, 'mask function') : mask) as LambdaMaskFunction | null;
    this.outputShape = options.outputShape ?? null;
    this.arguments = options.arguments ?? null;
  }

  /** Set by the first call with a list: a Lambda takes one input or a list, as its function does. */
  private listInput = false;

  override get takesInputList(): boolean {
    return this.listInput;
  }

  // biome-ignore lint/suspicious/noExplicitAny: Layer.apply's overloads, passed through unchanged
  override apply(inputs: any, options?: CallOptions): any {
    if (Array.isArray(inputs)) this.listInput = true;
    return super.apply(inputs, options);
  }

  override call(inputs: Tensor | Tensor[], _options?: CallOptions): Tensor {
    return this.arguments ? this.fn(inputs, this.arguments) : this.fn(inputs);
  }

  override computeMask(inputs: Tensor | readonly Tensor[], mask: LambdaMask): LambdaMask {
    return this.maskFn ? this.maskFn(inputs, mask) : null;
  }

  override computeOutputShape(inputShape: LayerShape | LayerShape[]): LayerShape {
    const shape = this.outputShape;
    if (typeof shape === 'function') return shape(inputShape as LayerShape);
    if (shape) return [inputShape[0] as number | null, ...shape];
    const probe = (s: LayerShape) => zeros(s.map((d) => d ?? 1));
    const listed = Array.isArray(inputShape[0]);
    const out = noGrad(() => this.call(listed ? (inputShape as LayerShape[]).map(probe) : probe(inputShape as LayerShape)));
    const batch = (listed ? (inputShape as LayerShape[])[0]! : (inputShape as LayerShape))[0];
    return [batch ?? null, ...out.shape.slice(1)];
  }

  override getConfig(): Record<string, unknown> {
    const where = `Lambda "${this.name}"`;
    if (typeof this.outputShape === 'function') {
      throw configError(where, {
        expected: 'cannot save an outputShape given as a function',
        hint: 'give the shape as a list, e.g. outputShape: [8]',
      });
    }
    return {
      ...super.getConfig(),
      function: nameOf(this.fn, where, 'function'),
      outputShape: this.outputShape ? [...this.outputShape] : null,
      mask: this.maskFn ? nameOf(this.maskFn, where, 'mask function') : null,
      arguments: this.arguments,
    };
  }
}
declareLayerOptions(Lambda, {
  positional: ['function'],
  keys: {
    function: is.any,
    outputShape: is.nullable(is.any),
    mask: is.nullable(is.any),
    arguments: is.nullable(is.any),
  } satisfies OwnOptionChecks<LambdaOptions, LayerOptions>,
});
registerLayer(Lambda, 'Lambda');
