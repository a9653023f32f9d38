import {
  configError,
  shapeError,
  show,
  formatShape,
  shapesEqual,
  allocate,
  releaseFloat32,
  trackFreshFloat32,
  watchTakes,
  trimBufferPool,
  type DType,
} from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, type BackwardFn, type GradNode } from './tensor.js';

/*
 * Reverse-mode autograd, define-by-run. Ops call `record` after computing their output; when grad
 * mode is on and an input requires grad, the output keeps its inputs and the op's gradient rule.
 * `backward` orders the graph with an explicit stack (deep graphs cannot overflow the call stack),
 * then applies the rules from the output back to the leaves.
 *
 * Higher-order gradients (PyTorch's `create_graph`): when asked for, the backward pass itself runs
 * in grad mode and every rule builds its gradient from differentiable ops, so the gradients are
 * graph nodes that can be differentiated again. The first-order pass stays as fast as before: rules
 * call kernels directly and nothing is recorded. A rule declares at `record` time whether it can do
 * this (`differentiable`); a higher-order gradient through one that cannot raises a ConfigError
 * naming the op, never a silent zero. It is requested by `backward(..., {createGraph: true})`,
 * `grad(fn, {createGraph: true})`, or implicitly by a `grad`/`valueAndGrad` evaluated inside the
 * function of another one (nested, as in JAX: the inner gradients join the outer graph).
 */

let gradEnabled = true;
/** The serial number of the last node recorded (see GradNode.serial). */
let nodeSerial = 0;
/** How many `grad`/`valueAndGrad` functions are being evaluated right now (nesting depth). */
let differentiating = 0;

/** The differentiable add and cast that accumulate gradients in a higher-order pass (ops/ provides them). */
interface GraphOps {
  add(a: Tensor, b: Tensor): Tensor;
  cast(t: Tensor, dtype: DType): Tensor;
}
let graphOps: GraphOps | null = null;

/** @internal Called once by ops/ (tensor/ cannot import it): the ops a higher-order pass accumulates with. */
export function provideGraphOps(ops: GraphOps): void {
  graphOps = ops;
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording gradients (inference, optimizer updates) and returns its result.
 *
 * ```ts
 * const y = nr.noGrad(() => model.apply(x));
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Attaches `backward` to `out` when grad mode is on and some input requires grad; returns `out`.
 * `differentiable` says that `backward(g, true)` builds its result from differentiable ops (see
 * BackwardFn), so that higher-order gradients can pass through the op; leave it false otherwise.
 */
export function record(op: string, out: Tensor, inputs: readonly Tensor[], backward: BackwardFn, differentiable = false): Tensor {
  if (!gradEnabled) return out;
  for (const input of inputs) {
    if (input.requiresGrad) {
      out._setNode({ op, inputs, backward, differentiable, serial: ++nodeSerial });
      break;
    }
  }
  return out;
}

/** Graph nodes reachable from `root` through tensors that require grad, outputs before inputs. */
function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>([root]);
  // Each stack entry is a tensor and the index of the next input to visit.
  const stack: [Tensor, number][] = [[root, 0]];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const inputs = top[0]._node?.inputs ?? [];
    if (top[1] < inputs.length) {
      const next = inputs[top[1]++]!;
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(top[0]);
    }
  }
  return order.reverse();
}

function addInto(a: Tensor, b: Tensor, createGraph: boolean): Tensor {
  if (createGraph) return graphOps!.add(a, b);
  const out = allocate(a.dtype, a.size, 'a gradient', false);
  kernels().binary('add', a._data, a.shape, b._data, b.shape, out, a.shape);
  return new Tensor(out, a.shape, a.dtype);
}

function asGradientFor(t: Tensor, g: Tensor, op: string, createGraph: boolean): Tensor {
  if (!shapesEqual(t.shape, g.shape)) {
    throw shapeError('backward', {
      expected: `the gradient rule of '${op}' must produce its input's shape ${formatShape(t.shape)}`,
      got: formatShape(g.shape),
    });
  }
  if (g.dtype === t.dtype) return g;
  if (createGraph) return graphOps!.cast(g, t.dtype);
  const out = allocate(t.dtype, t.size);
  kernels().cast(g._data, out);
  return new Tensor(out, t.shape, t.dtype);
}

/** Runs `fn` with grad mode set to `enabled`, restoring the previous mode afterwards. */
function withGradMode<T>(enabled: boolean, fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/**
 * Inside `fit`'s built-in step: gives an intermediate gradient's storage back to the buffer pool as
 * soon as the backward pass has used it, so that the step holds its activations and a few gradients
 * at a time instead of every activation's gradient until the step ends (PyTorch frees them the same
 * way). A buffer goes back only when no pending or returned gradient refers to it and no tensor of
 * the graph (activations, weights, inputs) owns it. `released` lists the buffers given back and not
 * taken again by a later gradient, which `releaseStep` must not give back a second time: a tensor
 * made after the backward pass (an optimizer slot) may own one by then.
 */
class GradientRelease {
  private readonly refs = new Map<ArrayBufferLike, number>();
  private readonly owned = new Set<ArrayBufferLike>();

  constructor(
    order: readonly Tensor[],
    private readonly released: Set<ArrayBufferLike>,
    private readonly activations: ActivationGiveBack | null,
  ) {
    for (const t of order) this.owned.add(t._data.buffer);
    activations?.begin(order);
  }

  /**
   * `t`'s node has run its gradient rule: its activation may go back (see ActivationRelease and
   * StepActivationRelease), unless a pending or returned gradient shares its storage.
   */
  ran(t: Tensor): void {
    if (!this.refs.has(t._data.buffer)) this.activations?.ran(t, this.owned);
  }

  /** `g` is now a pending or returned gradient (`pin` keeps it for good). */
  hold(g: Tensor, pin = false): void {
    const buffer = g._data.buffer;
    this.refs.set(buffer, (this.refs.get(buffer) ?? 0) + (pin ? Number.POSITIVE_INFINITY : 1));
    this.released.delete(buffer);
  }

  /** `g` is no longer a pending gradient. */
  drop(g: Tensor): void {
    const buffer = g._data.buffer;
    const left = (this.refs.get(buffer) ?? 1) - 1;
    if (left > 0) this.refs.set(buffer, left);
    else this.refs.delete(buffer);
  }

  /** Gives back the storage of each of `dead` that nothing refers to any more. */
  release(dead: readonly (Tensor | undefined)[]): void {
    const arrays: Float32Array[] = [];
    for (const t of dead) {
      const data = t?._data;
      if (!(data instanceof Float32Array)) continue;
      const buffer = data.buffer;
      if (this.refs.has(buffer) || this.owned.has(buffer) || this.released.has(buffer)) continue;
      this.released.add(buffer);
      arrays.push(data);
    }
    releaseFloat32(arrays);
  }
}

/**
 * Back-propagates from `root` and returns the gradient of every tensor in `keep` (and of every leaf
 * when `keep` is null). Intermediate gradients are dropped as soon as they are used; when `made` is
 * given, every gradient tensor computed on the way is also pushed onto it; when `released` is given
 * (a training step run by fit), their storage goes back to the buffer pool as soon as it is used (see
 * GradientRelease), and so do the internal activations in `activations`. With `createGraph` the
 * pass records (see the top of this file), so the gradients it returns are differentiable.
 */
export function propagate(
  root: Tensor,
  seed: Tensor,
  keep: ReadonlySet<Tensor> | null,
  made: Tensor[] | null = null,
  createGraph = false,
  released: Set<ArrayBufferLike> | null = null,
  activations: ActivationGiveBack | null = null,
): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const result = new Map<Tensor, Tensor>();
  const order = topologicalOrder(root);
  const early = released && !createGraph ? new GradientRelease(order, released, activations) : null;
  early?.hold(seed);
  // What the pass takes back out of the pool leaves `released` (see watchTakes).
  const watchedBefore = early ? watchTakes(released) : null;
  try {
    withGradMode(createGraph, () => {
      for (const t of order) {
        const g = grads.get(t);
        if (!g) continue;
        const node = t._node;
        if (keep ? keep.has(t) : !node) {
          result.set(t, g);
          early?.hold(g, true);
        }
        if (!node) continue;
        grads.delete(t);
        if (createGraph && !node.differentiable) {
          throw configError('backward', {
            expected: 'a higher-order gradient (createGraph, or a grad nested inside grad) needs ops with differentiable gradient rules',
            got: `the op '${node.op}', which has none, so its second derivative is not supported`,
            hint:
              `keep '${node.op}' out of the function you differentiate twice (compose it from other ops), ` +
              'or request first-order gradients only',
          });
        }
        const inputGrads = node.backward(g, createGraph);
        const dead: (Tensor | undefined)[] = early ? [g] : [];
        node.inputs.forEach((input, i) => {
          const gi = inputGrads[i];
          if (!gi || !input.requiresGrad) return;
          const fitted = asGradientFor(input, gi, node.op, createGraph);
          const existing = grads.get(input);
          const sum = existing ? addInto(existing, fitted, createGraph) : fitted;
          if (made) made.push(gi, fitted, sum);
          grads.set(input, sum);
          if (early) {
            early.hold(sum);
            if (existing) early.drop(existing);
            dead.push(gi, fitted, existing);
          }
        });
        if (early) {
          early.drop(g);
          early.release(dead);
          early.ran(t);
        }
      }
    });
  } finally {
    if (early) watchTakes(watchedBefore);
  }
  return result;
}

function seedFor(root: Tensor, gradient: Tensor | undefined, where: string): Tensor {
  if (!root.requiresGrad) {
    throw configError(where, {
      expected: 'the output must require grad',
      got: `a tensor ${formatShape(root.shape)} without requiresGrad and with no recorded op`,
      hint: 'set requiresGrad = true on the inputs you want gradients for before computing it',
    });
  }
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw shapeError(where, {
        expected: 'a gradient can only be implied for a one-element output',
        got: `a tensor of shape ${formatShape(root.shape)} and no gradient`,
        hint: `reduce it first (e.g. loss.mean().backward()) or pass backward(gradient) of shape ${formatShape(root.shape)}`,
      });
    }
    const one = allocate(root.dtype, 1);
    one[0] = 1;
    return new Tensor(one, root.shape, root.dtype);
  }
  if (!shapesEqual(gradient.shape, root.shape)) {
    throw shapeError(where, {
      expected: `the gradient must have the output's shape ${formatShape(root.shape)}`,
      got: formatShape(gradient.shape),
    });
  }
  return gradient;
}

/** Options of `backward`. */
export interface BackwardOptions {
  /**
   * Build the gradients from differentiable ops so that `.grad` is itself differentiable (PyTorch's
   * `create_graph`; default false): `x.grad` can then enter a loss that is back-propagated again.
   */
  createGraph?: boolean;
}

/** Options of `grad` and `valueAndGrad`. */
export interface GradOptions {
  /**
   * Whether the returned gradients (and value) are differentiable graph nodes. Default: true when
   * the call is evaluated inside the function of another `grad`/`valueAndGrad` in grad mode (nested
   * gradients just work, as in JAX), false otherwise (the fast first-order path). `false` gives
   * constants even when nested (PyTorch's default for `autograd.grad`).
   */
  createGraph?: boolean;
}

/**
 * Computes the gradient of `root` with respect to every leaf that requires grad and adds it to the
 * leaf's `.grad` (gradients accumulate over calls, as in PyTorch; reset with `x.grad = null`).
 * `gradient` is the output's gradient (implied 1 for a one-element output); `{createGraph: true}`
 * makes the gradients differentiable (see BackwardOptions). Either argument may be left out:
 * `backward()`, `backward(g)`, `backward({createGraph: true})`, `backward(g, {createGraph: true})`.
 */
export function backward(root: Tensor, gradientOrOptions?: Tensor | BackwardOptions, options: BackwardOptions = {}): void {
  const isOptions =
    gradientOrOptions !== null && typeof gradientOrOptions === 'object' && Object.getPrototypeOf(gradientOrOptions) === Object.prototype;
  if (gradientOrOptions !== undefined && !(gradientOrOptions instanceof Tensor) && !isOptions) {
    throw configError('backward', {
      expected: "the output's gradient must be a Tensor (or leave it out for a one-element output)",
      got: show(gradientOrOptions),
      hint: 'e.g. y.backward(nr.tensor(2))',
    });
  }
  const gradient = gradientOrOptions instanceof Tensor ? gradientOrOptions : undefined;
  const { createGraph = false } = gradientOrOptions instanceof Tensor || gradientOrOptions === undefined ? options : gradientOrOptions;
  const seed = seedFor(root, gradient, 'backward');
  const grads = propagate(root, seed, null, null, createGraph);
  withGradMode(createGraph, () => {
    for (const [leaf, g] of grads) leaf.grad = leaf.grad ? addInto(leaf.grad, g, createGraph) : g;
  });
}

type TensorFn = (...args: Tensor[]) => Tensor;

/**
 * Wraps a function of tensors that returns a scalar into one that returns its value and its
 * gradients with respect to each argument, without touching any `.grad` (like `tf.GradientTape`).
 * Nested inside the function of another `grad`/`valueAndGrad`, its value and gradients are
 * differentiable, so higher derivatives compose (see GradOptions for `createGraph`).
 *
 * ```ts
 * const f = (x: nr.Tensor) => x.mul(x).sum();
 * const { value, grads } = nr.valueAndGrad(f)(nr.tensor([1, 2, 3]));
 * // value 14, grads[0] = [2, 4, 6]
 * ```
 */
export function valueAndGrad(fn: TensorFn, options: GradOptions = {}): (...args: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  return (...args: Tensor[]) => {
    // Inside fit's run of a custom trainStep, intermediate gradients go back to the buffer pool as
    // soon as the backward pass has used them (as in the built-in step); the returned ones are kept.
    const step = recyclingStep;
    const { value, grads } = evaluateWithGrads(fn, args, null, options.createGraph, step ? new Set() : null, step);
    if (step) for (const g of grads) step.kept.add(g._data.buffer);
    return { value, grads };
  };
}

/** @internal `valueAndGrad` of one training step, and a way to recycle the step's storage. */
export interface StepGradients {
  value: Tensor;
  grads: Tensor[];
  /**
   * Gives the float32 storage of the step's graph (every op output recorded while `fn` ran) and of
   * every gradient computed in the backward pass back to the buffer pool. Call it only once nothing
   * will read those tensors again (after the optimizer update and the metrics); the storage of
   * leaves and constants (weights, inputs, targets) is never given back.
   */
  release: () => void;
}

/**
 * @internal For `fit`'s training step: `valueAndGrad(fn)(...args)` plus `release`. The step's
 * activations go back to the buffer pool during the backward pass, as soon as it no longer needs
 * them (see StepActivationRelease), except the tensors `keep` returns once `fn` has run (the
 * predictions and losses the step reads afterwards) and whatever shares their storage.
 */
export function valueAndGradOfStep(fn: TensorFn, args: readonly Tensor[], keep: () => readonly Tensor[] = () => []): StepGradients {
  const made: Tensor[] = [];
  const released = new Set<ArrayBufferLike>();
  const outer = stepScratch;
  const scratch: Tensor[] = [];
  stepScratch = scratch;
  try {
    const { value, grads, root } = evaluateWithGrads(fn, args, made, undefined, released, null, keep);
    return { value, grads, release: () => releaseStep(root, made.concat(scratch), released) };
  } finally {
    stepScratch = outer;
  }
}

/**
 * What a custom training step run by `runRecyclingStep` may give back to the buffer pool. Weak sets:
 * the bookkeeping keeps no storage alive.
 */
interface RecyclingStep {
  /** Buffers never given back: returned gradients, models' inputs and outputs, valueAndGrad's arguments; at the end, weights. */
  readonly kept: WeakSet<ArrayBufferLike>;
  /**
   * Float32 storage handed out during the step and not given back since: nothing else is ever
   * given back (so no buffer goes back twice).
   */
  readonly fresh: WeakSet<ArrayBufferLike>;
  /** The model runs whose activations have not gone back yet (made outside any valueAndGrad). */
  readonly runs: ModelRun[];
  /** Activations whose storage went back during a backward pass (it may belong to a newer tensor since). */
  readonly freed: WeakSet<Tensor>;
}

interface ModelRun {
  internal: Tensor[];
  boundary: readonly Tensor[];
  first: number;
  last: number;
}

/** The custom training step that `fit` is running, or null. */
let recyclingStep: RecyclingStep | null = null;

/**
 * @internal For `fit` running a model's own `trainStep`: runs `fn`, then gives the storage of the
 * step's internal activations back to the buffer pool, as the built-in step does with its whole
 * graph. Only what no code of the step can hold is given back: the activations inside each
 * functional or Sequential model run that the model noted (see `noteModelRun`: no input or output of a model, no
 * value a layer may keep), the tensors their layers made on the way (nodes recorded during that
 * run), storage handed out during this step, and never a weight's (`weights`, read after `fn`).
 * The nodes of what was given back are replaced by ones whose backward pass raises, so that a
 * graph kept past its step cannot silently read recycled storage (PyTorch raises as well when a
 * freed graph is differentiated a second time). Intermediate gradients of any `valueAndGrad` in the
 * step go back during its backward pass.
 */
export function runRecyclingStep<T>(fn: () => T, weights: () => readonly Tensor[]): T {
  const outer = recyclingStep;
  const step: RecyclingStep = { kept: new WeakSet(), fresh: new WeakSet(), runs: [], freed: new WeakSet() };
  recyclingStep = step;
  trackFreshFloat32(step.fresh);
  let result: T;
  try {
    result = fn();
  } finally {
    recyclingStep = outer;
    trackFreshFloat32(outer?.fresh ?? null);
  }
  for (const w of weights()) step.kept.add(w._data.buffer);
  releaseInternal(step.runs, step);
  trimBufferPool();
  return result;
}

/**
 * @internal For a model about to run: inside a custom training step, the serial number its first
 * node will have (pass it to `noteModelRun` afterwards); 0 when no step is collecting runs.
 */
export function modelRunStart(): number {
  return recyclingStep === null ? 0 : nodeSerial + 1;
}

/**
 * @internal A functional or Sequential model's run inside a custom training step: `internal` are
 * activations no code outside the model can hold (made and read only by built-in layers that keep
 * nothing), `boundary` its inputs and every other value of the run, and `first` what
 * `modelRunStart` returned. The step gives back the internal ones (see `runRecyclingStep`).
 */
export function noteModelRun(internal: Tensor[], boundary: readonly Tensor[], first: number): void {
  recyclingStep?.runs.push({ internal, boundary, first, last: nodeSerial });
}

/** A node for what a custom step gave back: differentiating through it again raises. */
function freedNode(op: string, serial: number): GradNode {
  const backward = (): never => {
    throw configError('backward', {
      expected: "a model's graph inside a custom trainStep is differentiated once, by the valueAndGrad whose function ran the model",
      got: `a tensor of '${op}' from a model run whose activations the training step gave back to the buffer pool after a backward pass`,
      hint:
        'run the model inside the function you give nr.valueAndGrad, once for each gradient you need; ' +
        'keep a tensor for a later step as t.detach() (as in PyTorch)',
    });
  };
  // differentiable: a higher-order pass reaching it gets this message, not "no second derivative".
  return { op, inputs: [], backward, differentiable: true, serial };
}

/**
 * The internal activations of `runs` and the tensors their layers made on the way (walked back from
 * each internal value through nodes recorded during its run); adds to `kept` the buffers of every
 * boundary value and of every tensor the walk stops at (leaves, tensors made outside the run).
 */
function internalTensors(runs: readonly ModelRun[], kept: WeakSet<ArrayBufferLike>): Tensor[] {
  for (const run of runs) for (const t of run.boundary) kept.add(t._data.buffer);
  const found: Tensor[] = [];
  const seen = new Set<Tensor>();
  for (const run of runs) {
    const stop = new Set<Tensor>(run.boundary);
    const stack = run.internal.filter((t) => !stop.has(t) && !seen.has(t));
    for (const t of stack) seen.add(t);
    while (stack.length > 0) {
      const t = stack.pop()!;
      found.push(t);
      for (const input of t._node?.inputs ?? []) {
        if (stop.has(input) || seen.has(input)) continue;
        const serial = input._node?.serial ?? 0;
        if (serial < run.first || serial > run.last) {
          // A leaf, or made before or after this run (a weight, a constant, a tensor of the step's own code).
          kept.add(input._data.buffer);
          continue;
        }
        seen.add(input);
        stack.push(input);
      }
    }
  }
  return found;
}

/**
 * Whether `t`'s storage is the step's to give back: float32, handed out during the step and not
 * given back since (releaseFloat32 forgets it), kept by nothing, and `t` not freed already.
 */
function recyclable(t: Tensor, step: RecyclingStep): t is Tensor & { _data: Float32Array } {
  const buffer = t._data.buffer;
  return t._data instanceof Float32Array && step.fresh.has(buffer) && !step.kept.has(buffer) && !step.freed.has(t);
}

/** Replaces `t`'s node by one whose backward raises (its storage, or its inputs', went back to the pool). */
function markFreed(t: Tensor): void {
  if (t._node) t._node = freedNode(t._node.op, t._node.serial);
}

/**
 * Replaces by freed nodes every node that `runs` recorded, reachable from their values: the nodes
 * that read a given-back tensor (a model's output reading its last layer's input, say) must raise
 * as well, even where the given-back tensor itself has no node to raise from.
 */
function markRunsFreed(runs: readonly ModelRun[]): void {
  const seen = new Set<Tensor>();
  for (const run of runs) {
    const stack = [...run.boundary, ...run.internal];
    while (stack.length > 0) {
      const t = stack.pop()!;
      const serial = t._node?.serial ?? 0;
      if (seen.has(t) || serial < run.first || serial > run.last) continue;
      seen.add(t);
      stack.push(...t._node!.inputs);
      markFreed(t);
    }
  }
}

/** Gives back the internal activations of `runs` that are still the step's, and marks the runs' nodes freed. */
function releaseInternal(runs: readonly ModelRun[], step: RecyclingStep): void {
  const arrays: Float32Array[] = [];
  const given = new Set<ArrayBufferLike>();
  const internal = internalTensors(runs, step.kept);
  markRunsFreed(runs);
  for (const t of internal) {
    if (!recyclable(t, step) || given.has(t._data.buffer)) continue;
    given.add(t._data.buffer);
    arrays.push(t._data);
  }
  releaseFloat32(arrays);
}

/**
 * During the backward pass of a `valueAndGrad` inside a custom training step: the internal
 * activations of the model runs its function made, given back as soon as the backward pass no longer
 * needs them, as PyTorch frees a saved tensor once its node has run. Reverse topological order runs
 * every reader of a tensor before the node that made it, so once that node's rule has run nothing in
 * the graph reads it again; tensors sharing one buffer (views) go back together, after the last of
 * them. Their nodes then raise if differentiated again (see freedNode).
 */
class ActivationRelease implements ActivationGiveBack {
  /** The internal tensors to give back; per buffer, those on it and how many have not run yet. */
  private readonly members = new Set<Tensor>();
  private readonly pending = new Map<ArrayBufferLike, Tensor[]>();
  private readonly left = new Map<ArrayBufferLike, number>();

  constructor(
    private readonly step: RecyclingStep,
    private readonly runs: readonly ModelRun[],
    args: readonly Tensor[],
  ) {
    for (const a of args) step.kept.add(a._data.buffer);
    for (const t of internalTensors(runs, step.kept)) {
      if (!recyclable(t, step)) continue;
      const buffer = t._data.buffer;
      this.members.add(t);
      this.left.set(buffer, (this.left.get(buffer) ?? 0) + 1);
      const list = this.pending.get(buffer);
      if (list) list.push(t);
      else this.pending.set(buffer, [t]);
    }
  }

  begin(): void {}

  /** `t`'s node has run its rule: gives back its buffer when no other tensor on it is left to run. */
  ran(t: Tensor, owned: Set<ArrayBufferLike>): void {
    if (!this.members.has(t)) return;
    const buffer = t._data.buffer;
    const left = this.left.get(buffer)! - 1;
    this.left.set(buffer, left);
    if (left > 0 || this.step.kept.has(buffer)) return;
    // Their nodes, and every other node of the runs, are marked freed by finish() when the pass ends.
    for (const shared of this.pending.get(buffer)!) this.step.freed.add(shared);
    owned.delete(buffer);
    releaseFloat32([t._data as Float32Array]);
  }

  /** After the backward pass: gives back the rest of the runs' internal activations (those no gradient reached). */
  finish(): void {
    releaseInternal(this.runs, this.step);
  }
}

/**
 * What gives activations back during a backward pass (see GradientRelease): told the graph's order
 * first, then each node that ran, then that the pass is over.
 */
interface ActivationGiveBack {
  begin(order: readonly Tensor[]): void;
  ran(t: Tensor, owned: Set<ArrayBufferLike>): void;
  finish(): void;
}

/**
 * During the backward pass of `fit`'s built-in step: every op output of the step's graph goes back
 * to the buffer pool once the node that made it has run (the rule of ActivationRelease, which
 * PyTorch follows too), so the gradients of the early layers land in the storage of the late
 * layers' activations instead of in fresh memory. Never given back: `keep` (the loss, the
 * predictions the metrics read after the pass), leaves (weights, inputs), tensors the graph reads
 * without differentiating them (targets, masks, a detached value), and any storage one of those
 * shares. What goes back joins `released`, so that the step's end does not give it back again.
 */
class StepActivationRelease implements ActivationGiveBack {
  private readonly kept: Set<ArrayBufferLike>;
  private readonly left = new Map<ArrayBufferLike, number>();

  constructor(
    keep: readonly Tensor[],
    private readonly released: Set<ArrayBufferLike>,
  ) {
    this.kept = new Set(keep.map((t) => t._data.buffer));
  }

  begin(order: readonly Tensor[]): void {
    for (const t of order) {
      if (!t._node) this.kept.add(t._data.buffer);
      else for (const input of t._node.inputs) if (!input.requiresGrad) this.kept.add(input._data.buffer);
    }
    for (const t of order) {
      const buffer = t._data.buffer;
      if (t._node && t._data instanceof Float32Array && !this.kept.has(buffer)) this.left.set(buffer, (this.left.get(buffer) ?? 0) + 1);
    }
  }

  ran(t: Tensor, owned: Set<ArrayBufferLike>): void {
    const buffer = t._data.buffer;
    const left = this.left.get(buffer);
    if (left === undefined) return;
    if (left > 1) {
      this.left.set(buffer, left - 1);
      return;
    }
    this.left.delete(buffer);
    owned.delete(buffer);
    this.released.add(buffer);
    releaseFloat32([t._data as Float32Array]);
  }

  /** What the pass did not reach goes back with the rest of the step (its `release()`). */
  finish(): void {}
}

/** The working tensors of the training step being evaluated (see `stepScratchTensor`), or null. */
let stepScratch: Tensor[] | null = null;

/**
 * @internal For ops: `t` is a working array of this op (forward or backward) that nothing reads
 * once the op has returned, except the op's own backward function. Inside `fit`'s training step its
 * storage then goes back to the buffer pool with the step's graph instead of to the garbage
 * collector (a CNN step makes megabytes of them: activation gradients); elsewhere this does nothing.
 * Returns `t`.
 */
export function stepScratchTensor(t: Tensor): Tensor {
  if (stepScratch !== null) stepScratch.push(t);
  return t;
}

function evaluateWithGrads(
  fn: TensorFn,
  args: readonly Tensor[],
  made: Tensor[] | null,
  createGraphOption?: boolean,
  released: Set<ArrayBufferLike> | null = null,
  step: RecyclingStep | null = null,
  keep: (() => readonly Tensor[]) | null = null,
): { value: Tensor; grads: Tensor[]; root: Tensor } {
  const previous = args.map((a) => a.requiresGrad);
  const wasEnabled = gradEnabled;
  const createGraph = createGraphOption ?? (wasEnabled && differentiating > 0);
  try {
    gradEnabled = true;
    for (const a of args) if (!a._node) a.requiresGrad = true;
    differentiating++;
    const firstRun = step?.runs.length ?? 0;
    let value: Tensor;
    try {
      value = fn(...args);
    } finally {
      differentiating--;
    }
    gradEnabled = wasEnabled;
    if (!(value instanceof Tensor)) {
      const returned: unknown = value;
      const got =
        returned === null || typeof returned !== 'object'
          ? show(returned)
          : Array.isArray(returned)
            ? `an array of ${returned.length}`
            : `an object with keys ${show(Object.keys(returned))}`;
      throw configError('valueAndGrad', { expected: 'the function must return a Tensor (a scalar loss)', got });
    }
    const grads = new Map<Tensor, Tensor>();
    if (value.requiresGrad) {
      const seed = seedFor(value, undefined, 'valueAndGrad');
      // Inside a custom training step, the model runs `fn` made give back their activations as the pass
      // goes, and what the pass did not reach once it is over (nothing may differentiate them again).
      // In fit's built-in step, the whole graph's activations do (all of it is the step's own).
      let activations: ActivationGiveBack | null = null;
      if (step && !createGraph) activations = new ActivationRelease(step, step.runs.splice(firstRun), args);
      else if (keep && released && !createGraph) activations = new StepActivationRelease([value, ...keep()], released);
      for (const [t, g] of propagate(value, seed, new Set(args), made, createGraph, released, activations)) grads.set(t, g);
      activations?.finish();
    } else if (value.size !== 1) {
      seedFor(value, undefined, 'valueAndGrad');
    }
    const zerosLike = (t: Tensor) => new Tensor(allocate(t.dtype, t.size), t.shape, t.dtype);
    return { value: createGraph ? value : detachValue(value), grads: args.map((a) => grads.get(a) ?? zerosLike(a)), root: value };
  } finally {
    gradEnabled = wasEnabled;
    args.forEach((a, i) => {
      if (!a._node) a.requiresGrad = previous[i]!;
    });
  }
}

/**
 * Hands the storage of `root`'s graph and of the gradients in `made` to the buffer pool. Tensors
 * without a node (weights, inputs, targets, constants) keep theirs, and so does every op output
 * that shares storage with one of them (a reshape of a weight, say); storage in `released` went back
 * during the backward pass already.
 */
function releaseStep(root: Tensor, made: readonly Tensor[], released: ReadonlySet<ArrayBufferLike>): void {
  const kept = new Set<ArrayBufferLike>(released);
  const candidates: Tensor[] = [...made];
  const seen = new Set<Tensor>([root]);
  const stack = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    if (!t._node) {
      kept.add(t._data.buffer);
      continue;
    }
    candidates.push(t);
    for (const input of t._node.inputs) {
      if (!seen.has(input)) {
        seen.add(input);
        stack.push(input);
      }
    }
  }
  const given = new Set<ArrayBufferLike>();
  const arrays: Float32Array[] = [];
  for (const t of candidates) {
    const data = t._data;
    if (!(data instanceof Float32Array) || kept.has(data.buffer) || given.has(data.buffer)) continue;
    given.add(data.buffer);
    arrays.push(data);
  }
  releaseFloat32(arrays);
}

/**
 * Like `valueAndGrad` but returns only the gradients. Nest it for higher derivatives.
 *
 * ```ts
 * const [dx] = nr.grad((x) => x.square().sum())(nr.tensor([3]));  // [6]
 * const d2 = nr.grad((x) => nr.grad((y) => y.pow(3).sum())(x)[0]!.sum());
 * d2(nr.tensor([2]))[0]!.item();                                   // 12 = 6x
 * ```
 */
export function grad(fn: TensorFn, options: GradOptions = {}): (...args: Tensor[]) => Tensor[] {
  const inner = valueAndGrad(fn, options);
  return (...args: Tensor[]) => inner(...args).grads;
}

/** A constant that shares storage with `t` and records nothing. */
export function detachValue(t: Tensor): Tensor {
  return new Tensor(t._data, t.shape, t.dtype);
}
