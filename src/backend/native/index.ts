import type { Backend, Conv2DGeometry, KernelName, Kernels, UpdateParams } from '../kernels.js';
import { checkEnvChoice, envInteger, envValue, type FloatArray } from '../../core/index.js';
import { jsKernels } from '../js/index.js';
import { CODES, NATIVE_FUNCTIONS, STRUCTS, parseArg, tableHash, type Addon, type FunctionSpec } from './table.js';

/*
 * The typed binding to the C++ addon (native/, built into build/Release/neurona.node at npm
 * install). Loading never throws: it returns the backend, or the precise reason it is unavailable,
 * and the registry then runs everything on `js`.
 *
 * Node built-ins are reached through process.getBuiltinModule at call time, never imported at the
 * top: the browser entry imports the registry, and so this file, too.
 */

/** The order of a struct's fields in the typed array the addon reads: the table's (table.ts). */
const GEOMETRY_FIELDS = Object.keys(STRUCTS.geometry.fields) as (keyof Conv2DGeometry)[];
const UPDATE_FIELDS = Object.keys(STRUCTS.updateParams.fields) as (keyof UpdateParams)[];

export type NativeLoad = { ok: true; backend: Backend } | { ok: false; reason: string };

/** What `nativeInfo()` reports: the instruction set the addon chose and its thread count, or why it is missing. */
export type NativeInfo = { available: true; isa: string; threads: number; path: string } | { available: false; reason: string };

let cached: { addon: Addon; path: string; backend: Backend } | { reason: string } | undefined;

interface BuiltinModules {
  module: { createRequire(path: string): (id: string) => unknown };
  url: { fileURLToPath(url: string | URL): string };
  fs: { existsSync(path: string): boolean; readFileSync(path: string, encoding: 'utf8'): string };
  path: { dirname(path: string): string; join(...parts: string[]): string };
}

function builtins(): BuiltinModules | string {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node) return 'not running under Node.js';
  if (typeof proc.getBuiltinModule !== 'function') {
    return `Node.js ${proc.versions.node} lacks process.getBuiltinModule; the addon needs Node.js 20.16 or later`;
  }
  const get = proc.getBuiltinModule;
  return {
    module: get('node:module') as BuiltinModules['module'],
    url: get('node:url') as BuiltinModules['url'],
    fs: get('node:fs') as BuiltinModules['fs'],
    path: get('node:path') as BuiltinModules['path'],
  };
}

/**
 * The addon's path: `NEURONA_NATIVE_ADDON` when set (a custom build, or a path that does not exist
 * to force `js`), else build/Release/neurona.node under the package root. This file sits three
 * folders below the root both as src/backend/native/index.ts (tsx) and dist/backend/native/index.js.
 */
function addonPath(node: BuiltinModules): { path: string; root: string } {
  const root = node.path.join(node.path.dirname(node.url.fileURLToPath(import.meta.url)), '..', '..', '..');
  const override = envValue('NEURONA_NATIVE_ADDON');
  return { path: override || node.path.join(root, 'build', 'Release', 'neurona.node'), root };
}

/** How to build the addon: the first form works in a project that depends on neurona, the second in its checkout. */
const REBUILD = 'run `npm rebuild neurona` to build it (in a checkout of neurona: `npm run build:native`)';

/** Why the file is missing: the install script's own reason when it left one. */
function missingReason(node: BuiltinModules, path: string, root: string): string {
  let why = '';
  // The install script's record speaks of the default build only, not of a NEURONA_NATIVE_ADDON path.
  if (path === node.path.join(root, 'build', 'Release', 'neurona.node')) {
    try {
      why = node.fs.readFileSync(node.path.join(root, 'build', 'native-build.txt'), 'utf8').trim();
    } catch {
      // No record: the install script did not run (e.g. `npm install --ignore-scripts`).
    }
  }
  return `the native addon ${path} is missing${why ? `: ${why}` : ''}; ${REBUILD}`;
}

function load(): NonNullable<typeof cached> {
  const node = builtins();
  if (typeof node === 'string') return { reason: node };
  const { path, root } = addonPath(node);
  checkEnvChoice('NEURONA_ISA', ['avx512', 'avx2', 'portable'], "the CPU's best instruction set is used");
  checkEnvChoice('NEURONA_WINOGRAD', ['1', '0'], 'treated as 1 (Winograd convolutions on)');
  checkEnvChoice('NEURONA_MALLOC_TUNING', ['1', '0'], 'treated as 1 (tuned)');
  if (!node.fs.existsSync(path)) return { reason: missingReason(node, path, root) };
  let addon: Addon;
  try {
    addon = node.module.createRequire(import.meta.url)(path) as Addon;
  } catch (error) {
    return { reason: `${path} failed to load: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
  // Every function and op-code list of the table (table.ts), from a build of this very table.
  for (const name of [...Object.keys(NATIVE_FUNCTIONS), ...Object.values(CODES).map((c) => c.list)]) {
    const value = (addon as unknown as Record<string, unknown>)[name];
    if (typeof value !== (name in NATIVE_FUNCTIONS ? 'function' : 'object')) {
      return { reason: `${path} is an older or foreign build without \`${name}\`; ${REBUILD}` };
    }
  }
  if (addon.tableHash !== tableHash()) {
    return { reason: `${path} was built from another version of the kernel table; ${REBUILD}` };
  }
  return { addon, path, backend: { name: 'native', kernels: wrapKernels(addon), setNumThreads: (n) => addon.setNumThreads(n) } };
}

/**
 * Below this many elements an elementwise, reduction, softmax, pooling, batch-norm or optimizer call
 * stays in js: crossing into the addon costs about as much as the js loop itself. Measured on Zen 5 against the js kernels: at 128
 * elements add and relu run at 0.8-0.9x of js, at 256 elements 2-3x, at 4096 elements 15-25x.
 */
const MIN_NATIVE_ELEMENTS = minNativeElements();

/** NEURONA_NATIVE_MIN_ELEMENTS lowers the cut-off of native and wasm (the tests set 0 to run every size in C++). */
export function minNativeElements(fallback = 256): number {
  return envInteger('NEURONA_NATIVE_MIN_ELEMENTS', 0, String(fallback)) ?? fallback;
}

/** Codes of the ops the addon implements, by name (the addon lists them in code order). */
function codes(names: readonly string[]): Map<string, number> {
  return new Map(names.map((name, code) => [name, code]));
}

/**
 * How an operand of `shape` broadcast to `outShape` (n elements) is read, as the addon's
 * BroadcastPattern: output i reads element `floor(i / repeat) % period`. That covers the same shape,
 * a scalar, and any operand whose non-1 dimensions are one contiguous run (a bias row [c] on
 * [r, c], a column [r, 1], per-channel [c, 1, 1] on [b, c, h, w]). Anything else: null.
 */
export function broadcastPattern(
  shape: readonly number[],
  outShape: readonly number[],
  n: number,
): { period: number; repeat: number } | null {
  let size = 1;
  for (const d of shape) size *= d;
  if (size === n) return { period: n, repeat: 1 };
  if (size === 1) return { period: 1, repeat: 1 };
  const lead = outShape.length - shape.length;
  let first = -1;
  let last = -1;
  for (let i = 0; i < shape.length; i++) {
    if (shape[i] !== 1) {
      if (first < 0) first = i + lead;
      last = i + lead;
    }
  }
  for (let axis = first; axis <= last; axis++) {
    if ((shape[axis - lead] ?? 1) !== outShape[axis]) return null;
  }
  let repeat = 1;
  for (let axis = last + 1; axis < outShape.length; axis++) repeat *= outShape[axis]!;
  return { period: size, repeat };
}

/** Slices below this many elements are not worth a native call each: the js loop does the whole op. */
const MIN_SPLIT_SLICE = 4096;

/**
 * @internal A broadcast that `broadcastPattern` cannot express because the small operand's non-1 axes are
 * not one run (`[n, 1, 1, C]` against `[n, H, W, C]`, a per-image bias): the axes before its last run
 * are looped, each slice of `inner` output elements taking the small operand's `period` values from
 * `offsets[k]` with that run's pattern. Null when that is not the case or the slices are too small.
 */
export function splitBroadcast(
  shape: readonly number[],
  outShape: readonly number[],
  n: number,
): { inner: number; offsets: number[]; period: number; repeat: number } | null {
  const rank = outShape.length;
  const s = [...Array.from({ length: rank - shape.length }, () => 1), ...shape];
  let last = rank - 1;
  while (last >= 0 && s[last] === 1) last--;
  let first = last;
  while (first > 0 && s[first - 1] !== 1) first--;
  // The looped axes end at the small operand's last non-1 axis before the gap; each slice is the rest.
  let looped = first - 1;
  while (looped >= 0 && s[looped] === 1) looped--;
  if (last < 0 || looped < 0) return null;
  let inner = 1;
  for (let axis = looped + 1; axis < rank; axis++) inner *= outShape[axis]!;
  if (inner < MIN_SPLIT_SLICE || s.slice(first, last + 1).some((d, i) => d !== outShape[first + i])) return null;
  let period = 1;
  for (let axis = first; axis <= last; axis++) period *= s[axis]!;
  // The small operand's offset for each index of the looped axes (stride 0 along its axes of size 1).
  let offsets = [0];
  let stride = period;
  for (let axis = looped; axis >= 0; axis--) {
    const size = outShape[axis]!;
    const step = s[axis] === 1 ? 0 : stride;
    offsets = Array.from({ length: size * offsets.length }, (_, i) => Math.floor(i / offsets.length) * step + offsets[i % offsets.length]!);
    stride *= s[axis]!;
  }
  let repeat = 1;
  for (let axis = last + 1; axis < rank; axis++) repeat *= outShape[axis]!;
  return offsets.length * inner === n ? { inner, offsets, period, repeat } : null;
}

/** The kernels that take two arrays, an output and a Conv2DGeometry, the same way on both backends. */
type GeometryKernelName =
  | 'conv2d'
  | 'conv2dBackpropInput'
  | 'conv2dBackpropFilter'
  | 'depthwiseConv2d'
  | 'depthwiseConv2dBackpropInput'
  | 'depthwiseConv2dBackpropFilter';

/**
 * @internal The native kernels. Each takes float32 arrays natively and hands anything else (float64
 * for gradient checks, int32, bool outputs, ops or broadcasts it has no loop for, tiny arrays) to the
 * js kernel, deciding per call, so every call on `native` works. The wasm backend wraps its module
 * (an object with the addon's functions) the same way, with its own cut-off.
 */
export function wrapKernels(addon: Addon, minElements = MIN_NATIVE_ELEMENTS): Partial<Kernels> {
  const unaryCodes = codes(addon.unaryOps);
  const unaryGradCodes = codes(addon.unaryGradOps);
  const binaryCodes = codes(addon.binaryOps);
  const reduceCodes = codes(addon.reduceOps);
  const activationCodes = codes(addon.activationOps);
  const poolCodes = codes(addon.poolOps);
  const updateCodes = codes(addon.updateRules);
  const f32 = (x: unknown): x is Float32Array => x instanceof Float32Array;
  const nullOr32 = (x: unknown): x is Float32Array | null => x === null || x instanceof Float32Array;
  /** A recurrent step: the addon takes the js arguments with the batch (state length / units) before units. */
  type Step = 'lstmCell' | 'lstmCellBackward' | 'gruCell' | 'gruCellBackward' | 'simpleRnnCell' | 'simpleRnnCellBackward';
  const recurrentStep = (name: Step, args: unknown[], state: unknown) => {
    const units = args.at(-1) as number;
    const run = (f: unknown, ...extra: number[]) => (f as (...a: unknown[]) => void)(...args.slice(0, -1), ...extra);
    if (f32(state) && state.length >= minElements) run(addon[name], state.length / units, units);
    else run(jsKernels[name], units);
  };
  /** A (tensor, tensor, out, geometry) kernel: native for float32, js for anything else. */
  const geometryKernel =
    (name: GeometryKernelName) =>
    (a: FloatArray, b: FloatArray, out: FloatArray, g: Conv2DGeometry): void => {
      if (f32(a) && f32(b) && f32(out)) addon[name](a, b, out, pack(g));
      else jsKernels[name](a, b, out, g);
    };
  // Filled per call and handed over (calls are synchronous), so no call allocates.
  const geometry = new Int32Array(GEOMETRY_FIELDS.length);
  const pack = (g: Conv2DGeometry): Int32Array => {
    for (let i = 0; i < GEOMETRY_FIELDS.length; i++) geometry[i] = g[GEOMETRY_FIELDS[i]!];
    return geometry;
  };
  const hyperParameters = new Float64Array(UPDATE_FIELDS.length);
  return {
    ...elementwiseKernels(addon, minElements),
    matmul(a, b, out, args) {
      if (f32(a) && f32(b) && f32(out)) {
        addon.matmul(a, b, out, args.batch, args.m, args.n, args.k, args.transA, args.transB, args.aBatchStride, args.bBatchStride);
      } else {
        jsKernels.matmul(a, b, out, args);
      }
    },
    matmulBiasActivation(a, b, bias, out, args, activation) {
      const code = activationCodes.get(activation);
      if (code !== undefined && args.batch === 1 && f32(a) && f32(b) && f32(out) && (bias === null || f32(bias))) {
        // Below the size where the separate unary kernel runs natively, sigmoid and tanh come from js
        // (a different rounding than the vectorized ones): finish those the same way, so the fused
        // result always equals matmul + add + activation on this backend.
        const jsActivation = out.length < minElements && (activation === 'sigmoid' || activation === 'tanh');
        addon.matmulBiasActivation(
          a,
          b,
          bias,
          out,
          args.m,
          args.n,
          args.k,
          args.transA,
          args.transB,
          jsActivation ? activationCodes.get('linear')! : code,
        );
        if (jsActivation) jsKernels.unary(activation, out, out, 0);
      } else {
        jsKernels.matmulBiasActivation(a, b, bias, out, args, activation);
      }
    },
    unary(op, x, out, param) {
      const code = unaryCodes.get(op);
      if (code !== undefined && f32(x) && f32(out) && out.length >= minElements) addon.unary(code, x, out, param);
      else jsKernels.unary(op, x, out, param);
    },
    unaryGrad(op, x, y, dy, out, param) {
      const code = unaryGradCodes.get(op);
      if (code !== undefined && f32(x) && f32(y) && f32(dy) && f32(out) && out.length >= minElements) {
        addon.unaryGrad(code, x, y, dy, out, param);
      } else {
        jsKernels.unaryGrad(op, x, y, dy, out, param);
      }
    },
    binary(op, a, aShape, b, bShape, out, outShape) {
      const code = binaryCodes.get(op);
      const n = out.length;
      if (code !== undefined && f32(a) && f32(b) && f32(out) && n >= minElements) {
        const aIsSmall = a.length !== n;
        const pattern = aIsSmall ? (b.length === n ? broadcastPattern(aShape, outShape, n) : null) : broadcastPattern(bShape, outShape, n);
        if (pattern) {
          addon.binary(code, a, b, pattern.period, pattern.repeat, aIsSmall, out);
          return;
        }
        const split = (aIsSmall ? b.length === n : a.length === n) ? splitBroadcast(aIsSmall ? aShape : bShape, outShape, n) : null;
        if (split) {
          // One native call per slice of the looped axes, each on views of the arrays.
          const { inner, offsets, period, repeat } = split;
          for (let k = 0; k < offsets.length; k++) {
            const small = (aIsSmall ? a : b).subarray(offsets[k]!, offsets[k]! + period);
            const full = (aIsSmall ? b : a).subarray(k * inner, (k + 1) * inner);
            addon.binary(
              code,
              aIsSmall ? small : full,
              aIsSmall ? full : small,
              period,
              repeat,
              aIsSmall,
              out.subarray(k * inner, (k + 1) * inner),
            );
          }
          return;
        }
      }
      jsKernels.binary(op, a, aShape, b, bShape, out, outShape);
    },
    reduce(op, x, view, out) {
      const code = reduceCodes.get(op);
      if (code !== undefined && f32(x) && f32(out) && view.length > 0 && x.length >= minElements) {
        addon.reduce(code, x, view.outer, view.length, view.inner, out);
      } else {
        jsKernels.reduce(op, x, view, out);
      }
    },
    softmax(x, view, out) {
      if (f32(x) && f32(out) && view.inner === 1 && x.length >= minElements) addon.softmax(x, view.outer, view.length, out, false);
      else jsKernels.softmax(x, view, out);
    },
    logSoftmax(x, view, out) {
      if (f32(x) && f32(out) && view.inner === 1 && x.length >= minElements) addon.softmax(x, view.outer, view.length, out, true);
      else jsKernels.logSoftmax(x, view, out);
    },
    attentionSoftmax(scores, mask, out, args) {
      if (f32(scores) && f32(out) && (mask === null || f32(mask)) && scores.length >= minElements) {
        const { batch, rows, cols, scale, causal, maskBatch, maskRows, maskRepeat, uniformEmptyRows } = args;
        addon.attentionSoftmax(scores, mask, out, batch, rows, cols, scale, causal, maskBatch, maskRows, maskRepeat, uniformEmptyRows);
      } else {
        jsKernels.attentionSoftmax(scores, mask, out, args);
      }
    },
    attentionSoftmaxBackward(probs, dProbs, dScores, length, scale) {
      if (f32(probs) && f32(dProbs) && f32(dScores) && probs.length >= minElements && length > 0) {
        addon.attentionSoftmaxBackward(probs, dProbs, dScores, probs.length / length, length, scale);
      } else {
        jsKernels.attentionSoftmaxBackward(probs, dProbs, dScores, length, scale);
      }
    },
    gather(x, view, indices, out) {
      // Rows of 16 floats or more: one memcpy each, where js needs a subarray object per row (fit
      // assembles every shuffled batch this way).
      if (f32(x) && f32(out) && view.inner >= 16) addon.gather(x, view.outer, view.length, view.inner, indices, out);
      else jsKernels.gather(x, view, indices, out);
    },
    sparseMatmul(rowPtr, colIdx, values, dense, k, out) {
      if (f32(values) && f32(dense) && f32(out) && out.length >= minElements) {
        addon.sparseMatmul(rowPtr, colIdx, values, dense, k, out);
      } else {
        jsKernels.sparseMatmul(rowPtr, colIdx, values, dense, k, out);
      }
    },
    scatterAdd(dy, view, indices, out) {
      // An embedding's gradient: every step of a language model adds batch x time rows into its table.
      if (f32(dy) && f32(out) && view.inner >= 16 && dy.length >= minElements) {
        addon.scatterAdd(dy, view.outer, view.length, view.inner, indices, out);
      } else {
        jsKernels.scatterAdd(dy, view, indices, out);
      }
    },
    // Convolutions do enough work per element that even the smallest is faster natively.
    conv2d: geometryKernel('conv2d'),
    conv2dBiasActivation(x, filter, bias, out, g, activation) {
      const code = activationCodes.get(activation);
      if (code !== undefined && f32(x) && f32(filter) && f32(out) && (bias === null || f32(bias))) {
        // As in matmulBiasActivation: where the separate unary kernel would run in js, sigmoid and
        // tanh are finished by js too, so the fused result equals conv2d + add + activation here.
        const jsActivation = out.length < minElements && (activation === 'sigmoid' || activation === 'tanh');
        addon.conv2dBiasActivation(x, filter, bias, out, pack(g), jsActivation ? activationCodes.get('linear')! : code);
        if (jsActivation) jsKernels.unary(activation, out, out, 0);
      } else {
        jsKernels.conv2dBiasActivation(x, filter, bias, out, g, activation);
      }
    },
    conv2dBackpropInput: geometryKernel('conv2dBackpropInput'),
    conv2dBackpropFilter: geometryKernel('conv2dBackpropFilter'),
    depthwiseConv2d: geometryKernel('depthwiseConv2d'),
    depthwiseConv2dBackpropInput: geometryKernel('depthwiseConv2dBackpropInput'),
    depthwiseConv2dBackpropFilter: geometryKernel('depthwiseConv2dBackpropFilter'),
    pool2d(op, x, out, g) {
      const code = poolCodes.get(op);
      if (code !== undefined && f32(x) && f32(out) && x.length >= minElements) addon.pool2d(code, x, out, pack(g));
      else jsKernels.pool2d(op, x, out, g);
    },
    pool2dBackward(op, x, dy, dx, g) {
      const code = poolCodes.get(op);
      if (code !== undefined && f32(x) && f32(dy) && f32(dx) && x.length >= minElements) {
        addon.pool2dBackward(code, x, dy, dx, pack(g));
      } else {
        jsKernels.pool2dBackward(op, x, dy, dx, g);
      }
    },
    batchNormTraining(x, view, gamma, beta, epsilon, out, mean, invStd) {
      if (f32(x) && f32(gamma) && f32(beta) && f32(out) && f32(mean) && f32(invStd) && x.length >= minElements) {
        addon.batchNormTraining(x, view.outer, view.length, view.inner, gamma, beta, epsilon, out, mean, invStd);
      } else {
        jsKernels.batchNormTraining(x, view, gamma, beta, epsilon, out, mean, invStd);
      }
    },
    batchNormBackward(x, dy, view, gamma, mean, invStd, dx, dGamma, dBeta) {
      if (f32(x) && f32(dy) && f32(gamma) && f32(mean) && f32(invStd) && f32(dx) && f32(dGamma) && f32(dBeta) && x.length >= minElements) {
        addon.batchNormBackward(x, dy, view.outer, view.length, view.inner, gamma, mean, invStd, dx, dGamma, dBeta);
      } else {
        jsKernels.batchNormBackward(x, dy, view, gamma, mean, invStd, dx, dGamma, dBeta);
      }
    },
    layerNorm(x, rows, width, gamma, beta, epsilon, rms, out, mean, invStd) {
      if (f32(x) && f32(out) && f32(mean) && f32(invStd) && nullOr32(gamma) && nullOr32(beta) && x.length >= minElements) {
        addon.layerNorm(x, rows, width, gamma, beta, epsilon, rms, out, mean, invStd);
      } else {
        jsKernels.layerNorm(x, rows, width, gamma, beta, epsilon, rms, out, mean, invStd);
      }
    },
    layerNormBackward(x, dy, rows, width, gamma, mean, invStd, rms, dx, dGamma, dBeta) {
      const arrays = f32(x) && f32(dy) && f32(mean) && f32(invStd) && f32(dx) && nullOr32(gamma) && nullOr32(dGamma) && nullOr32(dBeta);
      if (arrays && x.length >= minElements) addon.layerNormBackward(x, dy, rows, width, gamma, mean, invStd, rms, dx, dGamma, dBeta);
      else jsKernels.layerNormBackward(x, dy, rows, width, gamma, mean, invStd, rms, dx, dGamma, dBeta);
    },
    groupNorm(x, batch, spatial, channels, groups, gamma, beta, epsilon, out, mean, invStd) {
      const arrays = f32(x) && f32(out) && f32(mean) && f32(invStd) && nullOr32(gamma) && nullOr32(beta);
      if (arrays && x.length >= minElements) addon.groupNorm(x, batch, spatial, channels, groups, gamma, beta, epsilon, out, mean, invStd);
      else jsKernels.groupNorm(x, batch, spatial, channels, groups, gamma, beta, epsilon, out, mean, invStd);
    },
    groupNormBackward(x, dy, batch, spatial, channels, groups, gamma, mean, invStd, dx, dGamma, dBeta) {
      const arrays = f32(x) && f32(dy) && f32(mean) && f32(invStd) && f32(dx) && nullOr32(gamma) && nullOr32(dGamma) && nullOr32(dBeta);
      if (arrays && x.length >= minElements) {
        addon.groupNormBackward(x, dy, batch, spatial, channels, groups, gamma, mean, invStd, dx, dGamma, dBeta);
      } else jsKernels.groupNormBackward(x, dy, batch, spatial, channels, groups, gamma, mean, invStd, dx, dGamma, dBeta);
    },
    // The recurrent steps (the state array decides: every array of one call has the op's dtype).
    lstmCell: (...a) => recurrentStep('lstmCell', a, a[7]),
    lstmCellBackward: (...a) => recurrentStep('lstmCellBackward', a, a[1]),
    gruCell: (...a) => recurrentStep('gruCell', a, a[7]),
    gruCellBackward: (...a) => recurrentStep('gruCellBackward', a, a[1]),
    simpleRnnCell: (...a) => recurrentStep('simpleRnnCell', a, a[5]),
    simpleRnnCellBackward: (...a) => recurrentStep('simpleRnnCellBackward', a, a[0]),
    applyUpdate(rule, param, grad, slots, p) {
      const code = updateCodes.get(rule);
      if (code !== undefined && f32(param) && f32(grad) && slots.every(f32) && param.length >= minElements) {
        for (let i = 0; i < UPDATE_FIELDS.length; i++) hyperParameters[i] = Number(p[UPDATE_FIELDS[i]!]);
        addon.applyUpdate(code, param, grad, slots as readonly Float32Array[], hyperParameters);
      } else {
        jsKernels.applyUpdate(rule, param, grad, slots, p);
      }
    },
  };
}

/**
 * The table's elementwise kernels (table.ts), wrapped alike: native when every array argument is a
 * Float32Array and the output (the last of them) has minElements or more, js otherwise.
 */
function elementwiseKernels(addon: Addon, minElements: number): Partial<Kernels> {
  const kernels: Partial<Record<KernelName, (...args: unknown[]) => void>> = {};
  for (const [name, spec] of Object.entries(NATIVE_FUNCTIONS) as [KernelName, FunctionSpec][]) {
    if (!spec.elementwise) continue;
    const arrays = spec.args.flatMap((arg, i) => (parseArg(arg).type === 'f32' ? [i] : []));
    const output = arrays.at(-1)!;
    const native = (addon as unknown as Record<string, (...args: unknown[]) => void>)[name]!;
    const js = jsKernels[name] as (...args: unknown[]) => void;
    // Arguments by position without an array, so that a call allocates nothing.
    const at = (i: number, a: unknown, b: unknown, c: unknown, d: unknown) => (i === 0 ? a : i === 1 ? b : i === 2 ? c : d);
    const toNative = (a: unknown, b: unknown, c: unknown, d: unknown) => {
      if ((at(output, a, b, c, d) as FloatArray).length < minElements) return false;
      for (let i = 0; i < arrays.length; i++) if (!(at(arrays[i]!, a, b, c, d) instanceof Float32Array)) return false;
      return true;
    };
    // The addon counts its arguments, so each arity passes exactly its own.
    if (spec.args.length === 3) kernels[name] = (a, b, c) => (toNative(a, b, c, undefined) ? native : js)(a, b, c);
    else if (spec.args.length === 4) kernels[name] = (a, b, c, d) => (toNative(a, b, c, d) ? native : js)(a, b, c, d);
    else throw new Error(`table.ts: elementwise kernel ${name} takes ${spec.args.length} arguments; wrapKernels handles 3 or 4`);
  }
  return kernels as Partial<Kernels>;
}

/** Loads the addon once; later calls return the same result. */
export function loadNativeBackend(): NativeLoad {
  cached ??= load();
  return 'backend' in cached ? { ok: true, backend: cached.backend } : { ok: false, reason: cached.reason };
}

/**
 * Which instruction set the native backend runs on (`'avx512'`, `'avx2'` or `'portable'`) and its
 * thread count, or why it is unavailable. Loads the addon if nothing has yet.
 *
 * ```ts
 * const info = nr.nativeInfo();
 * console.log(info.available ? `${info.isa}, ${info.threads} threads` : info.reason);
 * ```
 */
export function nativeInfo(): NativeInfo {
  loadNativeBackend();
  if (!cached || !('addon' in cached)) return { available: false, reason: cached?.reason ?? 'not loaded' };
  const { isa, threads } = cached.addon.info();
  return { available: true, isa, threads, path: cached.path };
}
