import { NeuronaError, configError, formatError, maxTensorElements, setMaxTensorElements, show } from '../core/index.js';
import { noGrad } from '../tensor/autograd.js';
import { type Tensor, tensor, zeros } from '../tensor/index.js';
import { Input } from '../nn/models/input.js';
import { Model } from '../nn/models/model.js';
import type { SymbolicTensor } from '../nn/layer.js';
import { decodeModel, type NodeProto, type TensorProto } from './onnx-proto.js';
import { ONNX_OPERATORS, OnnxOp, type Slot } from './onnx-ops.js';

export { ONNX_OPERATORS };

export interface FromOnnxOptions {
  /** The input layout the model takes: 'NCHW' (the file's, default) or 'NHWC' (images transposed on the way in). */
  layout?: 'NCHW' | 'NHWC';
  /** The model's name (default the graph's). */
  name?: string;
  /** Names of ONNX values to take as the outputs instead of the graph's (cut a network below its head). */
  outputs?: string[];
}

/** A value known before running: a constant or a shape, with null for a dimension known only at run time. */
interface Static {
  data: (number | null)[] | Float32Array;
  shape: number[];
  float: boolean;
  /** A ConstantOfShape whose shape is known only at run time (a recurrent layer's zero state). */
  lazy?: boolean;
}

/** The operators computed ahead of time when all their inputs are known (PyTorch's shape arithmetic). */
const FOLDED = new Set(['Constant', 'Identity', 'Shape', 'Gather', 'Unsqueeze', 'Squeeze', 'Concat', 'Cast', 'Slice', 'ConstantOfShape']);
const ARITH: Record<string, (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b) => (Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b),
};
const SUPPORTED = new Set([...ONNX_OPERATORS, ...FOLDED]);

function fromTensor(t: TensorProto): Static {
  const float = t.dataType === 1 || t.dataType === 11;
  return { data: float ? Float32Array.from(t.data as ArrayLike<number>) : Array.from(t.data as ArrayLike<number>), shape: t.dims, float };
}

function attributes(node: NodeProto): Record<string, number | string | number[]> {
  const out: Record<string, number | string | number[]> = {};
  for (const a of node.attributes) {
    if (a.strings && a.name === 'activations') {
      // A recurrent node's gate and cell functions: neurona's recurrent step has ONNX's defaults only.
      const defaults: Record<string, string> = { LSTM: 'Sigmoid,Tanh,Tanh', GRU: 'Sigmoid,Tanh', RNN: 'Tanh' };
      if (a.strings.join(',') !== defaults[node.opType]) fail(node, `activations ${a.strings.join(', ')} (only the defaults)`);
      continue;
    }
    const value = a.i ?? a.f ?? a.s ?? a.ints ?? a.floats;
    if (value !== undefined) out[a.name] = value;
  }
  return out;
}

const fail = (node: NodeProto, expected: string): never => {
  throw formatError('fromOnnx', { expected: `node ${show(node.name)} (${node.opType}): ${expected}` });
};

/** Folds one node over static inputs, or returns null when it must run in the model. */
function fold(node: NodeProto, ins: (Static | null)[], shapeOf: (name: string) => (number | null)[] | null): Static | null {
  const a = attributes(node);
  const op = node.opType;
  const ints = (s: Static | null | undefined) => (s ? Array.from(s.data as ArrayLike<number | null>) : null);
  if (op === 'Constant') {
    const t = node.attributes.find((x) => x.name === 'value')?.t;
    if (t) return fromTensor(t);
    const v = node.attributes.find((x) => x.name === 'value_ints' || x.name === 'value_int' || x.name === 'value_float');
    if (!v) return fail(node, 'a Constant needs a value');
    const list = v!.ints ?? [v!.i ?? v!.f ?? 0];
    return { data: v!.f !== undefined ? Float32Array.from(list) : list, shape: v!.ints ? [list.length] : [], float: v!.f !== undefined };
  }
  if (op === 'Shape') {
    const shape = shapeOf(node.inputs[0]!);
    return shape ? { data: shape, shape: [shape.length], float: false } : null;
  }
  if (!ins.every((s, i) => s !== null || node.inputs[i] === '') || ins.length === 0) return null;
  const x = ins[0]!;
  if (op === 'Identity' || op === 'Cast') {
    const float = op === 'Cast' ? a.to === 1 || a.to === 11 : x.float;
    return { ...x, float, data: float ? Float32Array.from(x.data as ArrayLike<number>) : ints(x)! };
  }
  if (x.float && op !== 'ConstantOfShape' && op !== 'Unsqueeze' && op !== 'Squeeze') return null;
  const data = ints(x)!;
  const arity = op === 'Slice' ? 3 : op === 'Gather' ? 2 : 1;
  if (ins.length < arity || ins.slice(0, arity).some((s) => !s)) fail(node, `${op} needs ${arity} inputs`);
  switch (op) {
    case 'Gather': {
      if (x.shape.length !== 1) return null;
      const idx = ints(ins[1])!;
      const at = idx.map((i) => (i! < 0 ? i! + data.length : i!));
      if (at.some((i) => !(i >= 0 && i < data.length))) fail(node, 'an index is out of range');
      return { data: at.map((i) => data[i]!), shape: ins[1]!.shape, float: false };
    }
    case 'Unsqueeze':
    case 'Squeeze': {
      const axes = ints(ins[1]) ?? (a.axes as number[] | undefined) ?? [];
      const rank = x.shape.length + (op === 'Unsqueeze' ? axes.length : 0);
      const norm = axes.map((d) => (d! < 0 ? d! + rank : d!));
      const shape = op === 'Unsqueeze' ? [] : x.shape.filter((_, i) => !norm.includes(i));
      if (op === 'Unsqueeze') for (let i = 0, j = 0; i < rank; i++) shape.push(norm.includes(i) ? 1 : x.shape[j++]!);
      return { ...x, shape };
    }
    case 'Concat':
      if (ins.some((s) => s!.shape.length !== 1 || s!.float)) return null;
      return { data: ins.flatMap((s) => ints(s)!), shape: [ins.reduce((n, s) => n + s!.data.length, 0)], float: false };
    case 'Slice': {
      if (x.shape.length !== 1) return null;
      const n = data.length;
      const clamp = (p: number) => Math.min(Math.max(p < 0 ? p + n : p, 0), n);
      const out = data.slice(clamp(ints(ins[1])![0]!), clamp(ints(ins[2])![0]!));
      return { data: out, shape: [out.length], float: false };
    }
    case 'ConstantOfShape': {
      if (data.some((d) => d === null)) return { data: new Float32Array(0), shape: [0], float: true, lazy: true };
      const t = node.attributes.find((v) => v.name === 'value')?.t;
      const value = t ? Number(t.data[0] ?? 0) : 0;
      const size = (data as number[]).reduce((p, d) => p * d, 1);
      if (!(size <= MAX_SAMPLE) || (data as number[]).some((d) => d < 0)) fail(node, `a ConstantOfShape of shape [${data.join(', ')}]`);
      const float = !t || t.dataType === 1;
      return { data: float ? new Float32Array(size).fill(value) : new Array<number>(size).fill(value), shape: data as number[], float };
    }
    default: {
      const f = ARITH[op];
      const y = ins[1];
      if (!f || !y || y.float || (data.length !== y.data.length && data.length !== 1 && y.data.length !== 1)) return null;
      const yd = ints(y)!;
      const n = Math.max(data.length, yd.length);
      const out = Array.from({ length: n }, (_, i) => {
        const p = data[data.length === 1 ? 0 : i]!;
        const q = yd[yd.length === 1 ? 0 : i]!;
        return p === null || q === null ? null : f(p, q);
      });
      return { data: out, shape: data.length >= yd.length ? x.shape : y.shape, float: false };
    }
  }
}

/** The most values of one example the import runs a graph input or a folded constant with. */
const MAX_SAMPLE = 2 ** 24;

/** ONNX's parameter inputs that stay out of training (BatchNormalization's running statistics). */
const FROZEN: Record<string, number[]> = { BatchNormalization: [3, 4] };

/**
 * Builds a functional neurona model from an ONNX file's bytes: each node becomes an `OnnxOp` layer
 * (its float initializers its weights, trainable), shape arithmetic is folded ahead of time, and an
 * operator not in ONNX_OPERATORS is a FormatError naming it and its node.
 */
export function onnxToModel(bytes: Uint8Array, options: FromOnnxOptions = {}): Model {
  // The import runs the graph on one and two zero examples: a damaged file's huge shapes fail fast.
  const limit = maxTensorElements();
  setMaxTensorElements(Math.min(limit, MAX_SAMPLE * 4));
  try {
    return buildFromOnnx(bytes, options);
  } finally {
    setMaxTensorElements(limit);
  }
}

function buildFromOnnx(bytes: Uint8Array, options: FromOnnxOptions): Model {
  const layout = options.layout ?? 'NCHW';
  if (layout !== 'NCHW' && layout !== 'NHWC') {
    throw configError('fromOnnx', { expected: "layout must be 'NCHW' or 'NHWC'", got: show(layout) });
  }
  const proto = decodeModel(bytes);
  const graph = proto.graph;
  for (const node of graph.nodes) {
    if (node.domain !== '' && node.domain !== 'ai.onnx') fail(node, `operators of domain ${show(node.domain)} are not supported`);
    if (!SUPPORTED.has(node.opType)) {
      fail(node, `the operator ${node.opType} is not supported; supported: ${[...SUPPORTED].sort().join(', ')}`);
    }
  }
  const statics = new Map<string, Static>();
  for (const t of graph.initializers) statics.set(t.name, fromTensor(t));
  const initializers = new Set(graph.initializers.map((t) => t.name));
  const symbols = new Map<string, SymbolicTensor>();
  /** Each computed value on zeros inputs of batch 1 and 2: where they differ, the shape depends on the batch. */
  const samples = new Map<string, [Tensor, Tensor]>();
  const runtimeShape = (name: string) => {
    const pair = samples.get(name);
    return pair ? pair[0].shape.map((d, i) => (d === pair[1].shape[i] ? d : null)) : null;
  };
  const inputs: SymbolicTensor[] = [];
  for (const info of graph.inputs) {
    if (statics.has(info.name)) continue;
    if (!info.shape || info.shape.length === 0) throw formatError('fromOnnx', { expected: `input ${show(info.name)} must have a shape` });
    const shape = info.shape.slice(1);
    if (shape.reduce((n: number, d) => n * (d ?? 1), 1) > MAX_SAMPLE) {
      throw formatError('fromOnnx', {
        expected: `input ${show(info.name)} must have at most ${MAX_SAMPLE} values per example`,
        got: `[${info.shape.join(', ')}]`,
      });
    }
    if (shape.some((d) => d === null)) {
      throw formatError('fromOnnx', {
        expected: `input ${show(info.name)} may have only its first (batch) dimension unknown`,
        got: `[${info.shape.join(', ')}]`,
      });
    }
    const nhwc = layout === 'NHWC' && shape.length === 3;
    const clean = info.name.replace(/[^\w.-]/g, '_');
    const name = clean && !inputs.some((t) => t.name === clean) ? clean : `input_${inputs.length}`;
    const input = Input({ shape: (nhwc ? [shape[1], shape[2], shape[0]] : shape) as number[], name });
    inputs.push(input);
    samples.set(info.name, [zeros([1, ...(shape as number[])]), zeros([2, ...(shape as number[])])]);
    symbols.set(
      info.name,
      nhwc ? new OnnxOp({ opType: 'Transpose', attributes: { perm: [0, 3, 1, 2] }, slots: [{ x: 0 }] }).apply(input) : input,
    );
  }
  const used = new Map<string, number>();
  const names = new Set<string>();
  /** `onnx_<node name>`, unless the file has no name or names two nodes alike (then an automatic one). */
  const layerName = (raw: string): string | undefined => {
    const name = `onnx_${raw.replace(/[^\w.-]/g, '_').replace(/^_+/, '')}`;
    if (!raw || names.has(name)) return undefined;
    names.add(name);
    return name;
  };
  for (const node of graph.nodes) {
    const ins = node.inputs.map((n) => (n === '' ? null : (statics.get(n) ?? null)));
    for (const n of node.inputs) if (n !== '' && !statics.has(n) && !symbols.has(n)) fail(node, `its input ${show(n)} comes from nowhere`);
    const folded =
      FOLDED.has(node.opType) || !ins.some((s, i) => s === null && node.inputs[i] !== '') ? fold(node, ins, runtimeShape) : null;
    if (folded) {
      statics.set(node.outputs[0]!, folded);
      continue;
    }
    if (!ONNX_OPERATORS.includes(node.opType)) fail(node, 'its inputs must be known ahead of time');
    for (const out of node.outputs.slice(1)) used.set(out, 0);
    const runtime: SymbolicTensor[] = [];
    const runtimeNames: string[] = [];
    const weights: Static[] = [];
    const slots: Slot[] = node.inputs.map((name, i): Slot => {
      if (name === '') return { none: true };
      const s = statics.get(name);
      if (!s) {
        runtime.push(symbols.get(name)!);
        runtimeNames.push(name);
        return { x: runtime.length - 1 };
      }
      // ConstantOfShape zeros for a recurrent layer's initial state are its default
      if (i >= 4 && (node.opType === 'LSTM' || node.opType === 'GRU')) return { none: true };
      if (s.lazy) fail(node, 'a ConstantOfShape of a run-time shape is supported only as a recurrent initial state');
      // Initializers are parameters (they train); Constant nodes are fixed numbers (epsilons, scales).
      if (s.float && initializers.has(name)) {
        weights.push(s);
        return { w: weights.length - 1 };
      }
      return { c: Array.from(s.data as ArrayLike<number | null>), shape: s.shape, ...(s.float ? { float: true } : {}) };
    });
    if (runtime.length === 0) fail(node, 'it has no computed input');
    const frozen = FROZEN[node.opType]?.map((i) => (slots[i] && 'w' in slots[i]! ? (slots[i] as { w: number }).w : -1)) ?? [];
    const layer = new OnnxOp({
      opType: node.opType,
      attributes: attributes(node),
      floatAttributes: node.attributes.filter((a) => a.f !== undefined || a.floats !== undefined).map((a) => a.name),
      slots,
      weightShapes: weights.map((w) => w.shape),
      frozenWeights: frozen.filter((i) => i >= 0),
      name: layerName(node.name),
    });
    layer.build([]);
    for (const v of layer.weights) {
      const w = weights[Number(v.name.slice(v.name.lastIndexOf('/w') + 2))]!;
      v.assign(tensor(w.data as Float32Array, w.shape));
    }
    let pair: [Tensor, Tensor];
    try {
      pair = noGrad(() => [0, 1].map((b) => layer.sample(runtimeNames.map((n) => samples.get(n)![b]!)))) as [Tensor, Tensor];
    } catch (e) {
      // The file's shapes or attributes do not fit together: a damaged or unsupported file, not a bad call.
      if (!(e instanceof NeuronaError || e instanceof RangeError)) throw e;
      return fail(
        node,
        `it does not run on inputs of shapes ${runtimeNames
          .map(
            (n) =>
              `[${runtimeShape(n)!
                .map((d) => d ?? 'batch')
                .join(', ')}]`,
          )
          .join(', ')}: ${e.message}`,
      );
    }
    samples.set(node.outputs[0]!, pair);
    layer.outputShape = runtimeShape(node.outputs[0]!);
    const out = layer.apply<SymbolicTensor>(runtime);
    symbols.set(node.outputs[0]!, out);
  }
  if (!options.outputs && graph.outputs.length === 0) throw formatError('fromOnnx', { expected: 'the graph must have an output' });
  const outputNames = options.outputs ?? graph.outputs.map((o) => o.name);
  if (!Array.isArray(outputNames) || outputNames.length === 0)
    throw configError('fromOnnx', { expected: 'outputs must be a non-empty array of value names', got: show(outputNames) });
  const outputs = outputNames.map((name) => {
    const s = symbols.get(name);
    if (!s) {
      throw (options.outputs ? configError : formatError)('fromOnnx', {
        expected: `output ${show(name)} must be a value computed from the inputs`,
        hint: options.outputs ? 'name the output of a node that depends on the inputs' : 'a constant output is not supported',
      });
    }
    return s;
  });
  for (const node of graph.nodes)
    for (const n of node.inputs)
      if (used.has(n)) fail(node, `it reads ${show(n)}, a second output of its producer, which is not supported`);
  return new Model({ inputs, outputs, name: options.name ?? (graph.name.replace(/[^\w.-]/g, '_') || 'onnx_model') });
}
