import type { DType } from '../core/index.js';
import { Tensor, backward, type BackwardOptions } from '../tensor/index.js';
import * as ew from './elementwise.js';
import * as act from './activation.js';
import * as red from './reduce.js';
import * as shp from './shape.js';
import { matmul, type MatmulOptions } from './linalg.js';
import type { Operand } from './helpers.js';

/*
 * The methods of Tensor, all added here (ops stay plain functions; this file is the only one that
 * touches Tensor.prototype). Each method forwards to the op of the same name.
 */

declare module '../tensor/tensor.js' {
  interface Tensor {
    add(other: Operand): Tensor;
    sub(other: Operand): Tensor;
    mul(other: Operand): Tensor;
    div(other: Operand): Tensor;
    pow(exponent: Operand): Tensor;
    maximum(other: Operand): Tensor;
    minimum(other: Operand): Tensor;
    mod(other: Operand): Tensor;
    floorDiv(other: Operand): Tensor;
    equal(other: Operand): Tensor;
    notEqual(other: Operand): Tensor;
    less(other: Operand): Tensor;
    lessEqual(other: Operand): Tensor;
    greater(other: Operand): Tensor;
    greaterEqual(other: Operand): Tensor;
    logicalAnd(other: Operand): Tensor;
    logicalOr(other: Operand): Tensor;
    logicalNot(): Tensor;
    neg(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    exp(): Tensor;
    expm1(): Tensor;
    log(): Tensor;
    log1p(): Tensor;
    sqrt(): Tensor;
    rsqrt(): Tensor;
    square(): Tensor;
    reciprocal(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    tanh(): Tensor;
    sigmoid(): Tensor;
    relu(): Tensor;
    leakyRelu(alpha?: number): Tensor;
    elu(alpha?: number): Tensor;
    softplus(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    clip(min: number, max: number): Tensor;
    cast(dtype: DType): Tensor;
    detach(): Tensor;
    clone(): Tensor;
    softmax(axis?: number): Tensor;
    logSoftmax(axis?: number): Tensor;
    sum(axes?: red.Axes, keepDims?: boolean): Tensor;
    mean(axes?: red.Axes, keepDims?: boolean): Tensor;
    max(axes?: red.Axes, keepDims?: boolean): Tensor;
    min(axes?: red.Axes, keepDims?: boolean): Tensor;
    logsumexp(axes?: red.Axes, keepDims?: boolean): Tensor;
    argmax(axis?: number, keepDims?: boolean): Tensor;
    argmin(axis?: number, keepDims?: boolean): Tensor;
    matmul(other: Operand, options?: MatmulOptions): Tensor;
    reshape(shape: readonly number[]): Tensor;
    flatten(startAxis?: number, endAxis?: number): Tensor;
    expandDims(axis?: number): Tensor;
    squeeze(axes?: number | readonly number[]): Tensor;
    transpose(permOrAxis?: readonly number[] | number, otherAxis?: number): Tensor;
    slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor;
    pad(paddings: readonly (readonly [number, number])[], value?: number): Tensor;
    gather(indices: Operand, axis?: number): Tensor;
    broadcastTo(shape: readonly number[]): Tensor;
    /**
     * Back-propagates from this tensor into the `.grad` of every leaf that requires grad;
     * `{createGraph: true}` makes those gradients differentiable (for second derivatives).
     */
    backward(gradient?: Tensor | BackwardOptions, options?: BackwardOptions): void;
  }
}

type Method = (this: Tensor, ...args: never[]) => unknown;
const methods: Record<string, Method> = {};
const bind1 = (fn: (x: Tensor, ...rest: never[]) => Tensor): Method =>
  function (this: Tensor, ...rest: never[]) {
    return fn(this, ...rest);
  };

for (const name of [
  'add',
  'sub',
  'mul',
  'div',
  'pow',
  'maximum',
  'minimum',
  'mod',
  'floorDiv',
  'equal',
  'notEqual',
  'less',
  'lessEqual',
  'greater',
  'greaterEqual',
  'logicalAnd',
  'logicalOr',
  'logicalNot',
  'neg',
  'abs',
  'sign',
  'exp',
  'expm1',
  'log',
  'log1p',
  'sqrt',
  'rsqrt',
  'square',
  'reciprocal',
  'sin',
  'cos',
  'tanh',
  'sigmoid',
  'relu',
  'leakyRelu',
  'elu',
  'softplus',
  'floor',
  'ceil',
  'round',
  'clip',
  'cast',
  'detach',
  'clone',
] as const)
  methods[name] = bind1(ew[name] as (x: Tensor, ...rest: never[]) => Tensor);
for (const name of ['softmax', 'logSoftmax'] as const) methods[name] = bind1(act[name] as (x: Tensor, ...rest: never[]) => Tensor);
for (const name of ['sum', 'mean', 'max', 'min', 'logsumexp', 'argmax', 'argmin'] as const) {
  methods[name] = bind1(red[name] as (x: Tensor, ...rest: never[]) => Tensor);
}
for (const name of ['reshape', 'flatten', 'expandDims', 'squeeze', 'transpose', 'slice', 'pad', 'gather', 'broadcastTo'] as const) {
  methods[name] = bind1(shp[name] as (x: Tensor, ...rest: never[]) => Tensor);
}
methods.matmul = bind1(matmul as (x: Tensor, ...rest: never[]) => Tensor);
methods.backward = function (this: Tensor, gradient?: Tensor | BackwardOptions, options?: BackwardOptions) {
  backward(this, gradient, options);
} as Method;

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true, enumerable: false });
}
