import type { Conv2DGeometry, UpdateParams } from '../kernels.js';

/*
 * The one description of the native addon's interface: every function it exports with its arguments
 * in order, the op-code lists it exports, and the structs it receives packed in a typed array. From it
 * - native/kernels/kernel_table.h is generated (cpp-header.ts; `npm run build:native` rewrites it and
 *   test/backend/native-table.test.ts fails when it is stale): an argument struct per function that
 *   the addon fills by field (native/addon.h), the packed structs and the list of functions to export;
 * - this side takes the types of its binding (`Addon`), the functions load() requires, the packing
 *   of structs, and for `elementwise` entries the whole wrapper (native/index.ts).
 * Field names travel with their values, so no order is kept in step by hand between the two sides.
 */

/** What the TypeScript side passes for each argument type. The addon's reading of each: native/addon.h. */
interface ScalarTypes {
  /** A Float32Array, used in place (zero copy). */
  f32: Float32Array;
  /** A Float32Array, or null for none (an optional bias). */
  'f32?': Float32Array | null;
  i32: Int32Array;
  /** An array of Float32Arrays (optimizer slots); the function's glue reads as many as it needs. */
  'f32[]': readonly Float32Array[];
  /** A non-negative integer: a size, a count or a stride. */
  count: number;
  bool: boolean;
  /** A number the kernel uses as a float32. */
  float: number;
  double: number;
}

/** The C++ type of each scalar argument type (native/kernels/arguments.h). */
export const SCALAR_TYPES: Readonly<Record<keyof ScalarTypes, string>> = {
  f32: 'F32Array',
  'f32?': 'F32ArrayOrNull',
  i32: 'I32Array',
  'f32[]': 'ArrayList',
  count: 'long',
  bool: 'bool',
  float: 'float',
  double: 'double',
};

/**
 * Op codes: an integer below the enum's kCount. The addon exports each enum's op names in code order
 * as `list`, and the binding maps names to codes by those lists, never by position.
 */
export const CODES = {
  unaryOp: { enum: 'UnaryKernel', names: 'kUnaryNames', list: 'unaryOps' },
  unaryGradOp: { enum: 'UnaryGradKernel', names: 'kUnaryGradNames', list: 'unaryGradOps' },
  binaryOp: { enum: 'BinaryKernel', names: 'kBinaryNames', list: 'binaryOps' },
  reduceOp: { enum: 'ReduceKernel', names: 'kReduceNames', list: 'reduceOps' },
  activation: { enum: 'Activation', names: 'kActivationNames', list: 'activationOps' },
  poolOp: { enum: 'PoolKernel', names: 'kPoolNames', list: 'poolOps' },
  updateRule: { enum: 'UpdateKernel', names: 'kUpdateNames', list: 'updateRules' },
} as const;

/** How a field of a packed struct is checked: size >= 0, step >= 1, offset anything; bool is sent as 0 / 1. */
type FieldKind = 'size' | 'step' | 'offset' | 'double' | 'bool';

/**
 * Structs sent as one typed array, fields in the order written here (the C++ struct is generated
 * with the same fields, snake_case). Typed as full records, so a field added to the TypeScript
 * interface without a line here fails the typecheck.
 */
export const STRUCTS = {
  geometry: {
    cpp: 'ConvGeometry',
    array: 'i32',
    doc: 'Conv2DGeometry',
    rule: 'sizes must be >= 0, strides and dilations >= 1',
    fields: {
      batch: 'size',
      inHeight: 'size',
      inWidth: 'size',
      inChannels: 'size',
      outHeight: 'size',
      outWidth: 'size',
      outChannels: 'size',
      filterHeight: 'size',
      filterWidth: 'size',
      strideHeight: 'step',
      strideWidth: 'step',
      dilationHeight: 'step',
      dilationWidth: 'step',
      padTop: 'offset',
      padLeft: 'offset',
    } satisfies Record<keyof Conv2DGeometry, FieldKind>,
  },
  updateParams: {
    cpp: 'UpdateParams',
    array: 'f64',
    doc: 'UpdateParams',
    rule: '',
    fields: {
      learningRate: 'double',
      momentum: 'double',
      nesterov: 'bool',
      beta1: 'double',
      beta2: 'double',
      rho: 'double',
      epsilon: 'double',
      amsgrad: 'bool',
      centered: 'bool',
    } satisfies Record<keyof UpdateParams, FieldKind>,
  },
} as const;

type StructArrays = { i32: Int32Array; f64: Float64Array };

/** Every argument type: scalars, op codes (numbers) and packed structs (their typed array). */
export type ArgTypes = ScalarTypes & { [K in keyof typeof CODES]: number } & {
  [K in keyof typeof STRUCTS]: StructArrays[(typeof STRUCTS)[K]['array']];
};
export type ArgType = keyof ArgTypes;

/** One argument: `'name: type'`. */
export type ArgSpec = `${string}: ${ArgType}`;

export interface FunctionSpec<A extends readonly ArgSpec[] = readonly ArgSpec[]> {
  readonly args: A;
  /**
   * An elementwise kernel: the same name and arguments as the `Kernels` function, float32 arrays of
   * which the last is the output and the others have at least its length. Its glue, its entry in
   * the per-ISA kernel tables and its TypeScript wrapper all come from this table; the C++ side only
   * writes the loop (`void name(const NameArgs&, long n, int threads)` in native/kernels/).
   */
  readonly elementwise: boolean;
}

function glue<const A extends readonly ArgSpec[]>(...args: A): FunctionSpec<A> {
  return { args, elementwise: false };
}

function elementwise<const A extends readonly ArgSpec[]>(...args: A): FunctionSpec<A> {
  return { args, elementwise: true };
}

/** The addon's functions. The convolution kernels read (image-shaped, filter or gradient, out, geometry). */
export const NATIVE_FUNCTIONS = {
  matmul: glue(
    'a: f32',
    'b: f32',
    'out: f32',
    'batch: count',
    'm: count',
    'n: count',
    'k: count',
    'transA: bool',
    'transB: bool',
    'aBatchStride: count',
    'bBatchStride: count',
  ),
  /** One product (batch 1) finished with the bias row and an activation as it is stored. */
  matmulBiasActivation: glue(
    'a: f32',
    'b: f32',
    'bias: f32?',
    'out: f32',
    'm: count',
    'n: count',
    'k: count',
    'transA: bool',
    'transB: bool',
    'activation: activation',
  ),
  unary: glue('op: unaryOp', 'x: f32', 'out: f32', 'param: float'),
  unaryGrad: glue('op: unaryGradOp', 'x: f32', 'y: f32', 'dy: f32', 'out: f32', 'param: float'),
  /** The operand named by aIsSmall follows the broadcast pattern (period, repeat); the other has out's length. */
  binary: glue('op: binaryOp', 'a: f32', 'b: f32', 'period: count', 'repeat: count', 'aIsSmall: bool', 'out: f32'),
  reduce: glue('op: reduceOp', 'x: f32', 'outer: count', 'length: count', 'inner: count', 'out: f32'),
  /** Over contiguous rows; `log` gives logSoftmax. */
  softmax: glue('x: f32', 'outer: count', 'length: count', 'out: f32', 'log: bool'),
  /** AttentionArgs in kernels.ts; mask null for none. */
  attentionSoftmax: glue(
    'scores: f32',
    'mask: f32?',
    'out: f32',
    'batch: count',
    'rows: count',
    'cols: count',
    'scale: float',
    'causal: bool',
    'maskBatch: count',
    'maskRows: count',
    'maskRepeat: count',
    'uniformEmptyRows: bool',
  ),
  /** Over `rows` contiguous rows of `length` probabilities. */
  attentionSoftmaxBackward: glue('probs: f32', 'dProbs: f32', 'dScores: f32', 'rows: count', 'length: count', 'scale: float'),
  gather: glue('x: f32', 'outer: count', 'length: count', 'inner: count', 'indices: i32', 'out: f32'),
  /** out (zeroed by the caller) += the rows of dy at indices: gather's gradient. */
  scatterAdd: glue('dy: f32', 'outer: count', 'length: count', 'inner: count', 'indices: i32', 'out: f32'),
  gelu: elementwise('x: f32', 'out: f32', 'approximate: bool'),
  geluBackward: elementwise('x: f32', 'dy: f32', 'dx: f32', 'approximate: bool'),
  conv2d: glue('x: f32', 'filter: f32', 'out: f32', 'geometry: geometry'),
  /** conv2d finished with bias[channel] (or none) and an activation as it is stored. */
  conv2dBiasActivation: glue('x: f32', 'filter: f32', 'bias: f32?', 'out: f32', 'geometry: geometry', 'activation: activation'),
  conv2dBackpropInput: glue('dy: f32', 'filter: f32', 'dx: f32', 'geometry: geometry'),
  conv2dBackpropFilter: glue('x: f32', 'dy: f32', 'dFilter: f32', 'geometry: geometry'),
  depthwiseConv2d: glue('x: f32', 'filter: f32', 'out: f32', 'geometry: geometry'),
  depthwiseConv2dBackpropInput: glue('dy: f32', 'filter: f32', 'dx: f32', 'geometry: geometry'),
  depthwiseConv2dBackpropFilter: glue('x: f32', 'dy: f32', 'dFilter: f32', 'geometry: geometry'),
  pool2d: glue('op: poolOp', 'x: f32', 'out: f32', 'geometry: geometry'),
  pool2dBackward: glue('op: poolOp', 'x: f32', 'dy: f32', 'dx: f32', 'geometry: geometry'),
  batchNormTraining: glue(
    'x: f32',
    'outer: count',
    'length: count',
    'inner: count',
    'gamma: f32',
    'beta: f32',
    'epsilon: double',
    'out: f32',
    'mean: f32',
    'invStd: f32',
  ),
  batchNormBackward: glue(
    'x: f32',
    'dy: f32',
    'outer: count',
    'length: count',
    'inner: count',
    'gamma: f32',
    'mean: f32',
    'invStd: f32',
    'dx: f32',
    'dGamma: f32',
    'dBeta: f32',
  ),
  layerNorm: glue(
    'x: f32',
    'rows: count',
    'width: count',
    'gamma: f32?',
    'beta: f32?',
    'epsilon: double',
    'rms: bool',
    'out: f32',
    'mean: f32',
    'invStd: f32',
  ),
  layerNormBackward: glue(
    'x: f32',
    'dy: f32',
    'rows: count',
    'width: count',
    'gamma: f32?',
    'mean: f32',
    'invStd: f32',
    'rms: bool',
    'dx: f32',
    'dGamma: f32?',
    'dBeta: f32?',
  ),
  groupNorm: glue(
    'x: f32',
    'batch: count',
    'spatial: count',
    'channels: count',
    'groups: count',
    'gamma: f32?',
    'beta: f32?',
    'epsilon: double',
    'out: f32',
    'mean: f32',
    'invStd: f32',
  ),
  groupNormBackward: glue(
    'x: f32',
    'dy: f32',
    'batch: count',
    'spatial: count',
    'channels: count',
    'groups: count',
    'gamma: f32?',
    'mean: f32',
    'invStd: f32',
    'dx: f32',
    'dGamma: f32?',
    'dBeta: f32?',
  ),
  applyUpdate: glue('rule: updateRule', 'param: f32', 'grad: f32', 'slots: f32[]', 'hyperParameters: updateParams'),
  /** One recurrent step for `batch` rows (kernels.ts has the formulas); bias and mask may be null. */
  lstmCell: glue(
    'xw: f32',
    'hu: f32',
    'bias: f32?',
    'cPrev: f32',
    'hPrev: f32',
    'mask: f32?',
    'gates: f32',
    'c: f32',
    'h: f32',
    'batch: count',
    'units: count',
  ),
  lstmCellBackward: glue(
    'gates: f32',
    'c: f32',
    'cPrev: f32',
    'mask: f32?',
    'dy: f32?',
    'dhRec: f32?',
    'dhCarry: f32',
    'dc: f32',
    'dz: f32',
    'batch: count',
    'units: count',
  ),
  gruCell: glue(
    'xw: f32',
    'hu: f32',
    'biasIn: f32?',
    'biasRec: f32?',
    'hPrev: f32',
    'mask: f32?',
    'gates: f32',
    'h: f32',
    'batch: count',
    'units: count',
  ),
  gruCellBackward: glue(
    'gates: f32',
    'hPrev: f32',
    'mask: f32?',
    'dy: f32?',
    'dhRec: f32?',
    'dhCarry: f32',
    'dzx: f32',
    'dzh: f32',
    'batch: count',
    'units: count',
  ),
  simpleRnnCell: glue('xw: f32', 'hu: f32', 'bias: f32?', 'hPrev: f32', 'mask: f32?', 'h: f32', 'batch: count', 'units: count'),
  simpleRnnCellBackward: glue('h: f32', 'mask: f32?', 'dy: f32?', 'dhRec: f32?', 'dhCarry: f32', 'dz: f32', 'batch: count', 'units: count'),
  setNumThreads: glue('n: count'),
  /** Returns { isa: 'avx512' | 'avx2' | 'portable', threads, maxThreads }. */
  info: glue(),
} as const satisfies Record<string, FunctionSpec>;

type NativeFunctionName = keyof typeof NATIVE_FUNCTIONS;

type TsArgs<A extends readonly ArgSpec[]> = {
  -readonly [I in keyof A]: A[I] extends `${string}: ${infer T extends ArgType}` ? ArgTypes[T] : never;
};

type Functions = {
  [N in NativeFunctionName]: (...args: TsArgs<(typeof NATIVE_FUNCTIONS)[N]['args']>) => void;
};

/** The addon as the binding sees it: the table's functions and op-code lists. */
export type Addon = Omit<Functions, 'info'> & {
  info(): { isa: string; threads: number; maxThreads: number };
  /** tableHash() of the table the addon was compiled from. */
  tableHash: number;
} & { [K in keyof typeof CODES as (typeof CODES)[K]['list']]: string[] };

/** An argument's name and type. */
export function parseArg(spec: ArgSpec): { name: string; type: ArgType } {
  const colon = spec.indexOf(': ');
  return { name: spec.slice(0, colon), type: spec.slice(colon + 2) as ArgType };
}

/** The table as one line of text: what tableHash() hashes. */
function tableText(): string {
  const functions = Object.entries(NATIVE_FUNCTIONS).map(
    ([name, spec]: [string, FunctionSpec]) => `${spec.elementwise ? 'elementwise ' : ''}${name}(${spec.args.join(', ')})`,
  );
  const structs = Object.entries(STRUCTS).map(
    ([name, s]) =>
      `${name}{${Object.entries(s.fields)
        .map(([field, kind]) => `${field}: ${kind}`)
        .join(', ')}}`,
  );
  const codes = Object.entries(CODES).map(([name, c]) => `${name}=${c.enum}`);
  return [...functions, ...structs, ...codes].join('; ');
}

/** FNV-1a (32 bits) of tableText(): the addon carries the hash of the table it was built from. */
export function tableHash(): number {
  let hash = 0x811c9dc5;
  for (const c of tableText()) {
    hash ^= c.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
