import { ConfigError, ShapeError, formatShape, shapesEqual, allocate, releaseFloat32 } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, type BackwardFn } from './tensor.js';

/*
 * Reverse-mode autograd, define-by-run. Ops call `record` after computing their output; when grad
 * mode is on and an input requires grad, the output keeps its inputs and the op's gradient rule.
 * `backward` orders the graph with an explicit stack (deep graphs cannot overflow the call stack),
 * then applies the rules from the output back to the leaves.
 */

let gradEnabled = true;
let computedTargets = false;

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Whether an op may record one node that goes past the intermediate results of earlier ops (the
 * fused softmax crossentropy sends its gradient straight to the softmax's logits). That is exact
 * unless someone asks for the gradient of such an intermediate itself, which only `valueAndGrad`
 * of a computed (non-leaf) argument can do; while it runs, this is false.
 */
export function mayBypassIntermediates(): boolean {
  return gradEnabled && !computedTargets;
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

/** Attaches `backward` to `out` when grad mode is on and some input requires grad; returns `out`. */
export function record(op: string, out: Tensor, inputs: readonly Tensor[], backward: BackwardFn): Tensor {
  if (!gradEnabled) return out;
  for (const input of inputs) {
    if (input.requiresGrad) {
      out._setNode({ op, inputs, backward });
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

function addInto(a: Tensor, b: Tensor): Tensor {
  const out = allocate(a.dtype, a.size);
  kernels().binary('add', a._data, a.shape, b._data, b.shape, out, a.shape);
  return new Tensor(out, a.shape, a.dtype);
}

function asGradientFor(t: Tensor, g: Tensor, op: string): Tensor {
  if (!shapesEqual(t.shape, g.shape)) {
    throw new ShapeError(`backward: the gradient rule of '${op}' produced shape ${formatShape(g.shape)} for an input of shape ${formatShape(t.shape)}`);
  }
  if (g.dtype === t.dtype) return g;
  const out = allocate(t.dtype, t.size);
  kernels().cast(g._data, out);
  return new Tensor(out, t.shape, t.dtype);
}

/**
 * Back-propagates from `root` and returns the gradient of every tensor in `keep` (and of every leaf
 * when `keep` is null). Intermediate gradients are dropped as soon as they are used; when `made` is
 * given, every gradient tensor computed on the way is also pushed onto it.
 */
export function propagate(root: Tensor, seed: Tensor, keep: ReadonlySet<Tensor> | null, made: Tensor[] | null = null): Map<Tensor, Tensor> {
  const grads = new Map<Tensor, Tensor>([[root, seed]]);
  const result = new Map<Tensor, Tensor>();
  noGrad(() => {
    for (const t of topologicalOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      const node = t._node;
      if (keep ? keep.has(t) : !node) result.set(t, g);
      if (!node) continue;
      grads.delete(t);
      const inputGrads = node.backward(g);
      node.inputs.forEach((input, i) => {
        const gi = inputGrads[i];
        if (!gi || !input.requiresGrad) return;
        const fitted = asGradientFor(input, gi, node.op);
        const existing = grads.get(input);
        const sum = existing ? addInto(existing, fitted) : fitted;
        if (made) made.push(gi, fitted, sum);
        grads.set(input, sum);
      });
    }
  });
  return result;
}

function seedFor(root: Tensor, gradient: Tensor | undefined, where: string): Tensor {
  if (!root.requiresGrad) {
    throw new ConfigError(
      `${where}: the tensor ${formatShape(root.shape)} does not require grad and has no recorded op; ` +
        `set requiresGrad = true on the inputs you want gradients for before computing it`,
    );
  }
  if (gradient === undefined) {
    if (root.size !== 1) {
      throw new ShapeError(
        `${where}: called on a tensor of shape ${formatShape(root.shape)} without a gradient; a gradient can only be ` +
          `implied for a one-element output. Reduce it first (e.g. loss.mean().backward()) or pass backward(gradient) of shape ${formatShape(root.shape)}`,
      );
    }
    const one = allocate(root.dtype, 1);
    one[0] = 1;
    return new Tensor(one, root.shape, root.dtype);
  }
  if (!shapesEqual(gradient.shape, root.shape)) {
    throw new ShapeError(`${where}: gradient of shape ${formatShape(gradient.shape)} does not match the output's shape ${formatShape(root.shape)}`);
  }
  return gradient;
}

/**
 * Computes the gradient of `root` with respect to every leaf that requires grad and adds it to the
 * leaf's `.grad` (gradients accumulate over calls, as in PyTorch; reset with `x.grad = null`).
 */
export function backward(root: Tensor, gradient?: Tensor): void {
  const seed = seedFor(root, gradient, 'backward');
  for (const [leaf, g] of propagate(root, seed, null)) {
    leaf.grad = leaf.grad ? addInto(leaf.grad, g) : g;
  }
}

type TensorFn = (...args: Tensor[]) => Tensor;

/**
 * Wraps a function of tensors that returns a scalar into one that returns its value and its
 * gradients with respect to each argument, without touching any `.grad` (like `tf.GradientTape`).
 *
 * ```ts
 * const f = (x: nr.Tensor) => x.mul(x).sum();
 * const { value, grads } = nr.valueAndGrad(f)(nr.tensor([1, 2, 3]));
 * // value 14, grads[0] = [2, 4, 6]
 * ```
 */
export function valueAndGrad(fn: TensorFn): (...args: Tensor[]) => { value: Tensor; grads: Tensor[] } {
  return (...args: Tensor[]) => {
    const { value, grads } = evaluateWithGrads(fn, args, null);
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

/** @internal For `fit`'s training step: `valueAndGrad(fn)(...args)` plus `release`. */
export function valueAndGradOfStep(fn: TensorFn, args: readonly Tensor[]): StepGradients {
  const made: Tensor[] = [];
  const outer = stepScratch;
  const scratch: Tensor[] = [];
  stepScratch = scratch;
  try {
    const { value, grads, root } = evaluateWithGrads(fn, args, made);
    return { value, grads, release: () => releaseStep(root, made.concat(scratch)) };
  } finally {
    stepScratch = outer;
  }
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

function evaluateWithGrads(fn: TensorFn, args: readonly Tensor[], made: Tensor[] | null): { value: Tensor; grads: Tensor[]; root: Tensor } {
  const previous = args.map((a) => a.requiresGrad);
  const wasEnabled = gradEnabled;
  const hadComputedTargets = computedTargets;
  try {
    gradEnabled = true;
    if (args.some((a) => a._node !== null)) computedTargets = true;
    for (const a of args) if (!a._node) a.requiresGrad = true;
    const value = fn(...args);
    gradEnabled = wasEnabled;
    computedTargets = hadComputedTargets;
    if (!(value instanceof Tensor)) {
      throw new ConfigError('valueAndGrad: the function must return a Tensor (a scalar loss)');
    }
    const grads = new Map<Tensor, Tensor>();
    if (value.requiresGrad) {
      const seed = seedFor(value, undefined, 'valueAndGrad');
      for (const [t, g] of propagate(value, seed, new Set(args), made)) grads.set(t, g);
    } else if (value.size !== 1) {
      seedFor(value, undefined, 'valueAndGrad');
    }
    const zerosLike = (t: Tensor) => new Tensor(allocate(t.dtype, t.size), t.shape, t.dtype);
    return { value: detachValue(value), grads: args.map((a) => grads.get(a) ?? zerosLike(a)), root: value };
  } finally {
    gradEnabled = wasEnabled;
    computedTargets = hadComputedTargets;
    args.forEach((a, i) => { if (!a._node) a.requiresGrad = previous[i]!; });
  }
}

/**
 * Hands the storage of `root`'s graph and of the gradients in `made` to the buffer pool. Tensors
 * without a node (weights, inputs, targets, constants) keep theirs, and so does every op output
 * that shares storage with one of them (a reshape of a weight, say).
 */
function releaseStep(root: Tensor, made: readonly Tensor[]): void {
  const kept = new Set<ArrayBufferLike>();
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
 * Like `valueAndGrad` but returns only the gradients.
 *
 * ```ts
 * const [dx] = nr.grad((x) => x.square().sum())(nr.tensor([3]));  // [6]
 * ```
 */
export function grad(fn: TensorFn): (...args: Tensor[]) => Tensor[] {
  const inner = valueAndGrad(fn);
  return (...args: Tensor[]) => inner(...args).grads;
}

/** A constant that shares storage with `t` and records nothing. */
export function detachValue(t: Tensor): Tensor {
  return new Tensor(t._data, t.shape, t.dtype);
}
