import { configError, formatError, is, show } from '../core/index.js';
import { type Tensor, tensor, zeros } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { Layer, declareLayerOptions, registerLayer, type CallOptions, type LayerOptions, type LayerShape } from '../nn/layer.js';

/*
 * One ONNX node as a neurona layer, for the operators that have no neurona layer of the same meaning
 * (ONNX convolutions are NCHW, its Gemm and BatchNormalization have their own weight layouts). Its
 * float constants are its weights, so an imported model trains; integer constants (shapes, axes,
 * indices) are part of its config. Shapes are inferred by running the op on zeros of batch 1 and 2.
 */

/** A node input: the i-th runtime input, a weight (by index), a static value, or absent. */
export type Slot = { x: number } | { w: number } | { c: (number | null)[]; shape: number[]; float?: boolean } | { none: true };

export interface OnnxOpOptions extends LayerOptions {
  opType: string;
  attributes?: Record<string, number | string | number[]>;
  slots: Slot[];
  /** Shapes of the float constants, in `slots` order ({w: i} is the i-th). */
  weightShapes?: number[][];
  /** Which weights do not train (BatchNormalization's statistics). */
  frozenWeights?: number[];
  /** The attributes that ONNX types as floats (the others are integers or strings), for writing the node back. */
  floatAttributes?: string[];
  /** The output shape (batch axis included), as the import found it by running the graph on zeros. */
  outputShape?: (number | null)[];
}

/** The operators OnnxOp runs. */
export const ONNX_OPERATORS = [
  'Add',
  'Sub',
  'Mul',
  'Div',
  'Pow',
  'MatMul',
  'Gemm',
  'Relu',
  'Sigmoid',
  'Tanh',
  'Exp',
  'Log',
  'Sqrt',
  'Neg',
  'Erf',
  'Gelu',
  'LeakyRelu',
  'Elu',
  'Softplus',
  'HardSigmoid',
  'HardSwish',
  'Clip',
  'Identity',
  'Dropout',
  'Softmax',
  'LogSoftmax',
  'Flatten',
  'Reshape',
  'Transpose',
  'Concat',
  'Unsqueeze',
  'Squeeze',
  'Gather',
  'Slice',
  'ReduceMean',
  'ReduceSum',
  'ReduceMax',
  'GlobalAveragePool',
  'GlobalMaxPool',
  'Pad',
  'BatchNormalization',
  'LayerNormalization',
  'Conv',
  'MaxPool',
  'AveragePool',
  'LSTM',
  'GRU',
];

/** How many leading inputs each operator requires (1 where absent). */
const REQUIRED_INPUTS: Record<string, number> = {
  Add: 2,
  Sub: 2,
  Mul: 2,
  Div: 2,
  Pow: 2,
  MatMul: 2,
  Gemm: 2,
  Reshape: 2,
  Gather: 2,
  Slice: 3,
  Pad: 2,
  Conv: 2,
  BatchNormalization: 5,
  LayerNormalization: 2,
  LSTM: 3,
  GRU: 3,
};

const SQRT1_2 = Math.SQRT1_2;

/** erf by Abramowitz and Stegun 7.1.26 (|error| < 1.5e-7) from differentiable ops. */
function erf(x: Tensor): Tensor {
  const a = ops.abs(x);
  const t = ops.reciprocal(ops.add(ops.mul(a, 0.3275911), 1));
  let poly = ops.mul(t, 1.061405429);
  for (const c of [-1.453152027, 1.421413741, -0.284496736, 0.254829592]) poly = ops.mul(ops.add(poly, c), t);
  const y = ops.sub(1, ops.mul(poly, ops.exp(ops.neg(ops.square(a)))));
  return ops.mul(ops.sign(x), y);
}

const norm = (axis: number, rank: number) => (axis < 0 ? axis + rank : axis);

export class OnnxOp extends Layer {
  readonly opType: string;
  readonly attributes: Record<string, number | string | number[]>;
  readonly slots: Slot[];
  readonly weightShapes: number[][];
  readonly frozenWeights: number[];
  outputShape: (number | null)[] | null;
  readonly floatAttributes: string[];
  /** @internal The weights in slot order ({w: i} is the i-th). */
  params: Tensor[] = [];

  constructor(options: OnnxOpOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const o = this.options<OnnxOpOptions>();
    if (!ONNX_OPERATORS.includes(o.opType)) {
      throw configError(`OnnxOp "${this.name}"`, {
        expected: 'opType must be an ONNX operator it runs',
        got: show(o.opType),
        hint: `one of ${ONNX_OPERATORS.join(', ')}`,
      });
    }
    if (!Array.isArray(o.slots) || o.slots.length === 0) {
      throw configError(`OnnxOp "${this.name}"`, { expected: 'slots must list the inputs of the node', got: show(o.slots) });
    }
    this.opType = o.opType;
    this.attributes = o.attributes ?? {};
    this.slots = o.slots;
    this.weightShapes = o.weightShapes ?? [];
    this.frozenWeights = o.frozenWeights ?? [];
    this.outputShape = o.outputShape ?? null;
    this.floatAttributes = o.floatAttributes ?? [];
  }

  override get takesInputList(): boolean {
    return true;
  }

  override build(inputShape: LayerShape): void {
    if (!this.built) {
      this.params = this.weightShapes.map((shape, i) =>
        this.addWeight({ name: `w${i}`, shape, initializer: 'zeros', trainable: !this.frozenWeights.includes(i) }),
      );
    }
    super.build(inputShape);
  }

  override computeOutputShape(inputShape: LayerShape | readonly LayerShape[]): LayerShape {
    const shapes = (inputShape.length > 0 && Array.isArray(inputShape[0]) ? inputShape : [inputShape]) as LayerShape[];
    if (!this.built) this.build(shapes[0]!);
    // Running on zeros cannot tell a batch from a product of it (PyTorch's [seq * batch, features]).
    if (this.outputShape) return [...this.outputShape];
    const run = (batch: number) =>
      this.compute(
        shapes.map((s) =>
          zeros(
            s.map((d) => d ?? batch),
            this.dtype,
          ),
        ),
        batch,
      ).shape;
    const [a, b] = [run(1), run(2)];
    return a.map((d, i) => (d === b[i] ? d : null));
  }

  /** The output for concrete inputs, without recording gradients (the import's shape inference). */
  sample(inputs: Tensor[]): Tensor {
    return this.compute(inputs, inputs[0]?.shape[0] ?? 1);
  }

  override call(inputs: Tensor | Tensor[], _options: CallOptions): Tensor {
    const list = Array.isArray(inputs) ? inputs : [inputs];
    return this.compute(list, list[0]?.shape[0] ?? 1);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      opType: this.opType,
      attributes: this.attributes,
      slots: this.slots,
      weightShapes: this.weightShapes,
      frozenWeights: this.frozenWeights,
      outputShape: this.outputShape,
      floatAttributes: this.floatAttributes,
    };
  }

  private where(): string {
    return `OnnxOp "${this.name}" (${this.opType})`;
  }

  private attr(name: string, fallback: number): number;
  private attr(name: string, fallback: string): string;
  private attr(name: string, fallback: number[]): number[];
  private attr(name: string, fallback: number | string | number[]): number | string | number[] {
    return this.attributes[name] ?? fallback;
  }

  /** The static integer value of slot i (shapes, axes), with unknown entries resolved against the batch. */
  private ints(i: number, batch: number): number[] | null {
    const s = this.slots[i];
    if (!s || 'none' in s) return null;
    if (!('c' in s)) throw formatError('fromOnnx', { expected: `${this.where()} input ${i} must be a constant`, got: 'a computed value' });
    // A dimension known only at run time is the batch, or what reshape infers when it is the only one.
    const inferred = s.c.filter((v) => v === null).length === 1 && !s.c.includes(-1);
    return s.c.map((v) => (v === null ? (inferred ? -1 : batch) : v));
  }

  /** ints(i), which the operator requires. */
  private need(i: number, batch: number): number[] {
    return this.ints(i, batch) ?? this.unsupported(`a node without its input ${i}`);
  }

  private compute(xs: Tensor[], batch: number): Tensor {
    const required = REQUIRED_INPUTS[this.opType] ?? 1;
    if (this.slots.length < required || this.slots.slice(0, required).some((s) => 'none' in s)) {
      this.unsupported(`a node with fewer than its ${required} inputs`);
    }
    const v = (i: number): Tensor | null => {
      const s = this.slots[i];
      if (!s || 'none' in s) return null;
      if ('x' in s) return xs[s.x]!;
      if ('w' in s) return this.params[s.w]!;
      return tensor(
        s.c.map((d) => d ?? batch),
        s.shape,
        this.dtype,
      );
    };
    const x = v(0)!;
    const op = this.opType;
    switch (op) {
      case 'Add':
        return ops.add(x, v(1)!);
      case 'Sub':
        return ops.sub(x, v(1)!);
      case 'Mul':
        return ops.mul(x, v(1)!);
      case 'Div':
        return ops.div(x, v(1)!);
      case 'Pow':
        return ops.pow(x, v(1)!);
      case 'MatMul':
        return ops.matmul(x, v(1)!);
      case 'Relu':
        return ops.relu(x);
      case 'Sigmoid':
        return ops.sigmoid(x);
      case 'Tanh':
        return ops.tanh(x);
      case 'Exp':
        return ops.exp(x);
      case 'Log':
        return ops.log(x);
      case 'Sqrt':
        return ops.sqrt(x);
      case 'Neg':
        return ops.neg(x);
      case 'Erf':
        return erf(x);
      case 'Gelu':
        return ops.mul(ops.mul(x, 0.5), ops.add(erf(ops.mul(x, SQRT1_2)), 1));
      case 'LeakyRelu':
        return ops.leakyRelu(x, this.attr('alpha', 0.01));
      case 'Elu':
        return ops.elu(x, this.attr('alpha', 1));
      case 'Softplus':
        return ops.softplus(x);
      case 'HardSigmoid':
        return ops.clip(ops.add(ops.mul(x, this.attr('alpha', 0.2)), this.attr('beta', 0.5)), 0, 1);
      case 'HardSwish':
        return ops.mul(x, ops.clip(ops.add(ops.div(x, 6), 0.5), 0, 1));
      case 'Clip': {
        const lo = this.ints(1, batch)?.[0] ?? Number.NEGATIVE_INFINITY;
        const hi = this.ints(2, batch)?.[0] ?? Number.POSITIVE_INFINITY;
        return ops.clip(x, lo, hi);
      }
      case 'Identity':
      case 'Dropout':
        return x;
      case 'Softmax':
        return ops.softmax(x, this.attr('axis', -1));
      case 'LogSoftmax':
        return ops.logSoftmax(x, this.attr('axis', -1));
      case 'Gemm': {
        const a = this.attr('transA', 0) ? ops.transpose(x) : x;
        const b = this.attr('transB', 0) ? ops.transpose(v(1)!) : v(1)!;
        let y = ops.matmul(a, b);
        if (this.attr('alpha', 1) !== 1) y = ops.mul(y, this.attr('alpha', 1));
        const c = v(2);
        return c ? ops.add(y, this.attr('beta', 1) === 1 ? c : ops.mul(c, this.attr('beta', 1))) : y;
      }
      case 'Flatten': {
        const axis = norm(this.attr('axis', 1), x.rank);
        const outer = x.shape.slice(0, axis).reduce((p, d) => p * d, 1);
        return ops.reshape(x, [outer, -1]);
      }
      case 'Reshape': {
        const target = this.need(1, batch).map((d, i) => (d === 0 ? x.shape[i]! : d));
        return ops.reshape(x, target);
      }
      case 'Transpose':
        return ops.transpose(x, this.attr('perm', [...x.shape.keys()].reverse()));
      case 'Concat':
        return ops.concat(
          this.slots.map((_, i) => v(i)!),
          norm(this.attr('axis', 0), x.rank),
        );
      case 'Unsqueeze': {
        let y = x;
        const given = this.ints(1, batch) ?? this.attr('axes', []);
        const axes = given.map((a) => norm(a, x.rank + given.length)).sort((p, q) => p - q);
        for (const a of axes) y = ops.expandDims(y, a);
        return y;
      }
      case 'Squeeze': {
        const axes = this.ints(1, batch) ?? (this.attributes.axes as number[] | undefined) ?? null;
        return ops.squeeze(x, axes ? axes.map((a) => norm(a, x.rank)) : undefined);
      }
      case 'Gather': {
        const s = this.slots[1]!;
        const axis = norm(this.attr('axis', 0), x.rank);
        const idx = this.need(1, batch).map((i) => (i < 0 ? i + x.shape[axis]! : i));
        const shape = 'c' in s ? s.shape : [];
        const y = ops.gather(x, tensor(idx.length ? idx : [0], [Math.max(idx.length, 1)], 'int32'), axis);
        const out = [...x.shape.slice(0, axis), ...shape, ...x.shape.slice(axis + 1)];
        return ops.reshape(y, out);
      }
      case 'Slice': {
        const starts = this.need(1, batch);
        const ends = this.need(2, batch);
        const axes = this.ints(3, batch) ?? starts.map((_, i) => i);
        const steps = this.ints(4, batch);
        if (steps?.some((s) => s !== 1)) this.unsupported('steps other than 1');
        const begin = x.shape.map(() => 0);
        const size = [...x.shape];
        axes.forEach((a0, i) => {
          const a = norm(a0, x.rank);
          const n = x.shape[a]!;
          const clamp = (p: number) => Math.min(Math.max(p < 0 ? p + n : p, 0), n);
          begin[a] = clamp(starts[i]!);
          size[a] = Math.max(clamp(ends[i]!) - begin[a]!, 0);
        });
        return ops.slice(x, begin, size);
      }
      case 'ReduceMean':
      case 'ReduceSum':
      case 'ReduceMax': {
        const axes = (this.attributes.axes as number[] | undefined) ?? this.ints(1, batch) ?? [...x.shape.keys()];
        const keep = this.attr('keepdims', 1) === 1;
        const list = axes.map((a) => norm(a, x.rank));
        return op === 'ReduceMean' ? ops.mean(x, list, keep) : op === 'ReduceSum' ? ops.sum(x, list, keep) : ops.max(x, list, keep);
      }
      case 'GlobalAveragePool':
        return ops.mean(x, [2, 3], true);
      case 'GlobalMaxPool':
        return ops.max(x, [2, 3], true);
      case 'Pad': {
        const pads = this.need(1, batch);
        if (this.attr('mode', 'constant') !== 'constant') this.unsupported(`mode ${this.attr('mode', '')}`);
        const r = x.rank;
        const value = this.ints(2, batch)?.[0] ?? 0;
        return ops.pad(
          x,
          x.shape.map((_, i) => [pads[i]!, pads[i + r]!] as [number, number]),
          value,
        );
      }
      case 'BatchNormalization': {
        const shape = [-1, ...x.shape.slice(2).map(() => 1)];
        const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => ops.reshape(v(i)!, shape));
        const inv = ops.rsqrt(ops.add(variance!, this.attr('epsilon', 1e-5)));
        return ops.add(ops.mul(ops.mul(ops.sub(x, mean!), inv), scale!), bias!);
      }
      case 'LayerNormalization': {
        const axis = norm(this.attr('axis', -1), x.rank);
        if (axis !== x.rank - 1) this.unsupported('an axis other than the last');
        return ops.layerNorm(x, v(1), v(2), { epsilon: this.attr('epsilon', 1e-5) });
      }
      case 'Conv':
        return this.conv(x, v(1)!, v(2));
      case 'MaxPool':
      case 'AveragePool':
        return this.pool(x, op === 'MaxPool');
      case 'LSTM':
      case 'GRU':
        return this.recurrent(x, v(1)!, v(2)!, v(3));
      default:
        return this.unsupported('this operator');
    }
  }

  private unsupported(what: string): never {
    throw formatError('fromOnnx', {
      expected: `${this.where()}: ${what} is not supported`,
      hint: 'export the model with plainer operators',
    });
  }

  /** ONNX `pads` [b1, b2, e1, e2] as paddings of an NHWC tensor. */
  private nhwcPads(fill: number, x: Tensor): Tensor {
    const p = this.attr('pads', [0, 0, 0, 0]);
    if (this.attr('auto_pad', 'NOTSET') !== 'NOTSET') this.unsupported(`auto_pad ${this.attr('auto_pad', '')}`);
    if (p.every((d) => d === 0)) return x;
    return ops.pad(
      x,
      [
        [0, 0],
        [p[0]!, p[2]!],
        [p[1]!, p[3]!],
        [0, 0],
      ],
      fill,
    );
  }

  private conv(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
    if (x.rank !== 4) this.unsupported(`a rank-${x.rank} input`);
    const group = this.attr('group', 1);
    const strides = this.attr('strides', [1, 1]) as [number, number];
    const dilationRate = this.attr('dilations', [1, 1]) as [number, number];
    const xh = this.nhwcPads(0, ops.transpose(x, [0, 2, 3, 1]));
    let y: Tensor;
    if (group === 1) {
      y = ops.conv2d(xh, ops.transpose(w, [2, 3, 1, 0]), { strides, dilationRate, bias: b });
    } else if (group === x.shape[1] && w.shape[1] === 1) {
      // depthwise: ONNX [in*mult, 1, kh, kw] is neurona's [kh, kw, in, mult] reordered
      const [out, , kh, kw] = w.shape as [number, number, number, number];
      const filter = ops.reshape(ops.transpose(w, [2, 3, 0, 1]), [kh, kw, group, out / group]);
      y = ops.depthwiseConv2d(xh, filter, { strides, dilationRate });
      if (b) y = ops.add(y, b);
    } else return this.unsupported(`group ${group} (only 1 and depthwise)`);
    return ops.transpose(y, [0, 3, 1, 2]);
  }

  private pool(x: Tensor, max: boolean): Tensor {
    if (x.rank !== 4) this.unsupported(`a rank-${x.rank} input`);
    const poolSize = this.attr('kernel_shape', [1, 1]) as [number, number];
    const strides = this.attr('strides', [1, 1]) as [number, number];
    const pads = this.attr('pads', [0, 0, 0, 0]);
    if (!max && pads.some((p) => p !== 0) && this.attr('count_include_pad', 0) !== 1) this.unsupported('padding excluded from averages');
    const xh = this.nhwcPads(max ? Number.NEGATIVE_INFINITY : 0, ops.transpose(x, [0, 2, 3, 1]));
    const options = { poolSize, strides, ceilMode: this.attr('ceil_mode', 0) === 1 };
    const y = max ? ops.maxPool2d(xh, options) : ops.avgPool2d(xh, options);
    return ops.transpose(y, [0, 3, 1, 2]);
  }

  /** ONNX LSTM/GRU, forward, one layer, zero initial state: Y [seq, 1, batch, hidden]. */
  private recurrent(x: Tensor, w: Tensor, r: Tensor, b: Tensor | null): Tensor {
    if (this.attr('direction', 'forward') !== 'forward') this.unsupported(`direction ${this.attr('direction', '')}`);
    if (this.slots.slice(4).some((s) => !('none' in s))) this.unsupported('sequence lengths or initial states');
    const hidden = this.attr('hidden_size', 0);
    const lstm = this.opType === 'LSTM';
    const gates = lstm ? 4 : 3;
    const W = ops.transpose(ops.squeeze(w, [0]));
    const R = ops.transpose(ops.squeeze(r, [0]));
    const B = b ? ops.squeeze(b, [0]) : zeros([2 * gates * hidden], x.dtype);
    const wb = ops.slice(B, [0], [gates * hidden]);
    const rb = ops.slice(B, [gates * hidden], [gates * hidden]);
    const [steps, batch] = x.shape as [number, number];
    const part = (t: Tensor, k: number) => ops.slice(t, [0, k * hidden], [batch, hidden]);
    let h = zeros([batch, hidden], x.dtype);
    let c = zeros([batch, hidden], x.dtype);
    const ys: Tensor[] = [];
    const linearBeforeReset = this.attr('linear_before_reset', 0) === 1;
    if (!lstm && !linearBeforeReset) this.unsupported('linear_before_reset 0');
    for (let t = 0; t < steps; t++) {
      const xt = ops.add(ops.matmul(ops.squeeze(ops.slice(x, [t, 0, 0], [1, batch, -1]), [0]), W), wb);
      const ht = ops.add(ops.matmul(h, R), rb);
      if (lstm) {
        // ONNX gate order i, o, f, c
        const g = ops.add(xt, ht);
        const i = ops.sigmoid(part(g, 0));
        const o = ops.sigmoid(part(g, 1));
        const f = ops.sigmoid(part(g, 2));
        c = ops.add(ops.mul(f, c), ops.mul(i, ops.tanh(part(g, 3))));
        h = ops.mul(o, ops.tanh(c));
      } else {
        // ONNX gate order z, r, h
        const z = ops.sigmoid(ops.add(part(xt, 0), part(ht, 0)));
        const rr = ops.sigmoid(ops.add(part(xt, 1), part(ht, 1)));
        const n = ops.tanh(ops.add(part(xt, 2), ops.mul(rr, part(ht, 2))));
        h = ops.add(ops.mul(ops.sub(1, z), n), ops.mul(z, h));
      }
      ys.push(h);
    }
    return ops.expandDims(ops.stack(ys, 0), 1);
  }
}
declareLayerOptions(OnnxOp, {
  keys: {
    opType: is.string,
    attributes: is.any,
    slots: is.any,
    weightShapes: is.any,
    frozenWeights: is.any,
    outputShape: is.any,
    floatAttributes: is.any,
  },
});
registerLayer(OnnxOp, 'OnnxOp');
