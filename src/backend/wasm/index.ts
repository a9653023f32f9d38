import { notice } from '../../core/index.js';
import type { Backend, KernelName } from '../kernels.js';
import { minNativeElements, wrapKernels } from '../native/index.js';
import { CODES, NATIVE_FUNCTIONS, parseArg, tableHash, type Addon, type ArgType } from '../native/table.js';
import { workerPool, workerSupport } from './threads.js';

/*
 * The wasm backend: native/kernels/ compiled to WebAssembly with SIMD128 (scripts/build-wasm.mjs,
 * assets/neurona.wasm; with relaxed SIMD, assets/neurona-relaxed.wasm, where the engine has it), behind
 * the same table of functions as the addon (native/table.ts). This file makes the module look like the
 * addon, so that native's wrapKernels (the per-call choice between the C++ kernel and js) serves both:
 * each function copies its arrays into the module's memory (one arena reused by every call), calls
 * neurona_call, and copies back the arrays the kernel wrote.
 *
 * In Node the module is read and compiled synchronously at first use. Browsers refuse to compile a
 * module this size on the main thread synchronously: there `await nr.ready()` fetches and compiles it,
 * and until then the backend is `js`. Node built-ins are reached through process.getBuiltinModule.
 */

/** The modules, relative to this file: src/backend/wasm/ (tsx) and dist/backend/wasm/ are three folders below the root. */
const WASM_URL = '../../../assets/neurona.wasm';
/** Its threaded build, which imports a shared memory (see threads.ts). */
const threadedPath = (single: string) => single.replace(/\.wasm$/, '-threads.wasm');
/** Its relaxed-SIMD build (a fused multiply-add GEMM; its threaded twin beside it). */
const relaxedPath = (single: string) => single.replace(/\.wasm$/, '-relaxed.wasm');

/**
 * A module whose one function runs f32x4.relaxed_madd on three v128 constants: an engine that
 * validates it runs the relaxed builds.
 */
const RELAXED_PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // magic, version 1
  ...[0x01, 0x04, 0x01, 0x60, 0x00, 0x00], // types: () -> ()
  ...[0x03, 0x02, 0x01, 0x00], // functions: one of type 0
  ...[0x0a, 0x3e, 0x01, 0x3c, 0x00], // code: one body of 60 bytes, no locals
  ...[0, 1, 2].flatMap(() => [0xfd, 0x0c, ...new Array<number>(16).fill(0)]), // v128.const 0, three times
  ...[0xfd, 0x85, 0x02, 0x1a, 0x0b], // f32x4.relaxed_madd, drop, end
]);
/** The threaded module's memory in 64 KiB pages: what it was linked to start with and the 4 GiB limit (scripts/build-wasm.mjs). */
const SHARED_MEMORY = { initial: 256, maximum: 65536, shared: true };

type FunctionName = keyof typeof NATIVE_FUNCTIONS;

/**
 * The arrays each function writes, by argument name; `+` marks one it also reads (updated in place).
 * The others are copied in only; a written array without `+` is copied out only, as every kernel writes
 * all of its output (architecture.md). Typed over the whole table, so a new function needs its line.
 */
const WRITES: Record<FunctionName, string> = {
  matmul: 'out',
  matmulBiasActivation: 'out',
  unary: 'out',
  unaryGrad: 'out',
  binary: 'out',
  reduce: 'out',
  softmax: 'out',
  attentionSoftmax: 'out',
  attentionSoftmaxBackward: 'dScores',
  gather: 'out',
  scatterAdd: '+out',
  sparseMatmul: 'out',
  gelu: 'out',
  geluBackward: 'dx',
  conv2d: 'out',
  conv2dBiasActivation: 'out',
  conv2dBackpropInput: 'dx',
  conv2dBackpropFilter: 'dFilter',
  depthwiseConv2d: 'out',
  depthwiseConv2dBackpropInput: 'dx',
  depthwiseConv2dBackpropFilter: 'dFilter',
  pool2d: 'out',
  pool2dBackward: 'dx',
  batchNormTraining: 'out mean invStd',
  batchNormBackward: 'dx dGamma dBeta',
  layerNorm: 'out mean invStd',
  layerNormBackward: 'dx dGamma dBeta',
  groupNorm: 'out mean invStd',
  groupNormBackward: 'dx dGamma dBeta',
  applyUpdate: '+param +slots',
  lstmCell: 'gates c h',
  lstmCellBackward: '+dhCarry +dc dz',
  gruCell: 'gates h',
  gruCellBackward: '+dhCarry dzx dzh',
  simpleRnnCell: 'h',
  simpleRnnCellBackward: '+dhCarry dz',
  setNumThreads: '',
  info: '',
};

/**
 * Below this many elements a call stays in js: the copies in and out and the call cost more than the
 * loop. Measured against the js kernels (Node 20, x86-64, one thread, copies included), wasm's speed-up
 * at 128 / 256 / 1024 / 65536 elements: relu 0.5 / 0.9 / 2.2 / 14x, add 0.45 / 1.9 / 2.5 / 4.7x,
 * an Adam update 0.8 / 1.2 / 2.0 / 2.3x.
 */
const MIN_WASM_ELEMENTS = minNativeElements(256);

/** The parts of the WebAssembly API used here (the build's lib has no DOM types; the playground's, which has, checks this file too). */
type CompiledModule = { readonly kind: 'module' };
type Memory = { buffer: ArrayBuffer };
type Instance = { exports: unknown };
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => CompiledModule;
  Instance: new (module: CompiledModule, imports: object) => Instance;
  Memory: new (descriptor: typeof SHARED_MEMORY) => Memory;
  compile(bytes: ArrayBuffer): Promise<CompiledModule>;
  validate(bytes: Uint8Array): boolean;
  instantiate(module: CompiledModule, imports: object): Promise<Instance>;
}
const webAssembly = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

interface Exports {
  /** The single-threaded module's own memory; the threaded one imports its memory instead. */
  memory?: Memory;
  _initialize(): void;
  neurona_call(fn: number, slots: number): number;
  neurona_error_message(): number;
  neurona_table_hash(): number;
  neurona_function_count(): number;
  neurona_num_threads(): number;
  neurona_max_threads(): number;
  neurona_code_list(index: number): number;
  neurona_malloc(bytes: number): number;
  neurona_free(pointer: number): void;
  /** Runs a job whose parts allocate; 1 when the allocation guard saw it (native/wasm_alloc_guard.cc). */
  neurona_check_allocation_guard(): number;
}

export type WasmLoad = { ok: true; backend: Backend } | { ok: false; reason: string };

/**
 * What `wasmInfo()` reports. `simd`: which build runs, relaxed SIMD (fused multiply-add) or SIMD128,
 * and `noRelaxed` why not the relaxed one where it is not; `oneThread` says why the module runs on one
 * thread only, where it does.
 */
export type WasmInfo =
  | { available: true; threads: number; path: string; simd: WasmSimd; noRelaxed?: string; oneThread?: string }
  | { available: false; reason: string };
export type WasmSimd = 'relaxed' | 'simd128';

type Loaded = { backend: Backend; exports: Exports; addon: Addon; path: string; simd: WasmSimd; noRelaxed?: string; oneThread?: string };
let cached: Loaded | { reason: string } | undefined;

type TypedArray = Float32Array | Int32Array | Float64Array;
type Arg = { name: string; type: ArgType; written: boolean; read: boolean; check: (value: unknown) => boolean; requirement: string };

/** What each argument type must be, checked before anything is copied (the addon's own checks, native/addon.h). */
function argCheck(type: ArgType): Pick<Arg, 'check' | 'requirement'> {
  const f32 = (v: unknown) => v instanceof Float32Array;
  if (type === 'f32') return { check: f32, requirement: 'must be a Float32Array' };
  if (type === 'f32?') return { check: (v) => v === null || f32(v), requirement: 'must be a Float32Array or null' };
  if (type === 'i32' || type === 'geometry') return { check: (v) => v instanceof Int32Array, requirement: 'must be an Int32Array' };
  if (type === 'updateParams') return { check: (v) => v instanceof Float64Array, requirement: 'must be a Float64Array' };
  if (type === 'f32[]') return { check: (v) => Array.isArray(v) && v.every(f32), requirement: 'must be an array of Float32Arrays' };
  if (type === 'bool') return { check: (v) => typeof v === 'boolean', requirement: 'must be a boolean' };
  return { check: (v) => typeof v === 'number', requirement: 'must be a number' };
}

/** Arguments are (value, value) double pairs; see native/wasm_api.cc. */
const SLOT_DOUBLES = 512;

/** The addon's interface over an instance of the module. */
function makeAddon(exports: Exports, memory: Memory): Addon {
  let f32 = new Float32Array(memory.buffer);
  let i32 = new Int32Array(memory.buffer);
  let f64 = new Float64Array(memory.buffer);
  /** Views are remade when the memory has grown (which detaches a non-shared buffer's views). */
  const views = () => {
    if (f32.byteLength === memory.buffer.byteLength) return;
    f32 = new Float32Array(memory.buffer);
    i32 = new Int32Array(memory.buffer);
    f64 = new Float64Array(memory.buffer);
  };
  const slotsAt = exports.neurona_malloc(SLOT_DOUBLES * 8);
  let arena = 0;
  let arenaBytes = 0;
  const reserve = (need: number) => {
    if (need <= arenaBytes) return;
    if (arena) exports.neurona_free(arena);
    arenaBytes = Math.max(need, Math.ceil(arenaBytes * 1.5));
    arena = exports.neurona_malloc(arenaBytes);
    if (!arena) {
      arenaBytes = 0;
      throw new RangeError(`neurona wasm: cannot allocate ${need} bytes in the module's memory (at most 4 GiB); use smaller batches`);
    }
  };
  const decode = (at: number) => {
    views();
    const bytes = new Uint8Array(memory.buffer);
    let end = at;
    while (bytes[end] !== 0) end++;
    return new TextDecoder().decode(bytes.slice(at, end));
  };
  // Copies an array into the arena at byte offset `at`, by its element type.
  const copyIn = (array: TypedArray, at: number) => {
    if (array instanceof Float32Array) f32.set(array, at / 4);
    else if (array instanceof Int32Array) i32.set(array, at / 4);
    else f64.set(array, at / 8);
  };
  const padded = (array: TypedArray) => Math.ceil(array.byteLength / 64) * 64;
  const names = Object.keys(NATIVE_FUNCTIONS) as FunctionName[];
  const addon: Record<string, unknown> = { tableHash: exports.neurona_table_hash() >>> 0 };
  // Not the addon's: the tests' way to the guard's self-check.
  addon.checkAllocationGuard = () => exports.neurona_check_allocation_guard() === 1;
  for (let i = 0; ; i++) {
    const at = exports.neurona_code_list(i);
    if (!at) break;
    const [property, list] = decode(at).split(':') as [string, string];
    addon[property] = list.split(',');
  }
  names.forEach((name, index) => {
    const args: Arg[] = NATIVE_FUNCTIONS[name].args.map((spec) => {
      const { name: arg, type } = parseArg(spec);
      const mark = WRITES[name].split(' ').find((w) => w.replace('+', '') === arg);
      return { name: arg, type, written: mark !== undefined, read: mark === undefined || mark.startsWith('+'), ...argCheck(type) };
    });
    const count = args.length;
    // Each array argument's byte offset in the arena, for this call (calls are synchronous).
    const offsets = new Float64Array(count);
    const copied = new Array<boolean>(count).fill(true);
    addon[name] = (...values: unknown[]) => {
      if (values.length !== count) throw new TypeError(`neurona wasm ${name}: expected ${count} arguments, got ${values.length}`);
      let size = 0;
      for (let a = 0; a < count; a++) {
        const arg = args[a]!;
        const value = values[a];
        if (!arg.check(value)) throw new TypeError(`neurona wasm ${name}: ${arg.name} ${arg.requirement}`);
        offsets[a] = size;
        copied[a] = true;
        // An array passed twice for reading only (an activation's output as both x and y) is copied once.
        const twin = arg.written || !ArrayBuffer.isView(value) ? -1 : values.findIndex((v, b) => b < a && v === value && !args[b]!.written);
        if (twin >= 0) {
          offsets[a] = offsets[twin]!;
          copied[a] = false;
        } else if (ArrayBuffer.isView(value)) size += padded(value as TypedArray);
        else if (Array.isArray(value)) for (const v of value) size += padded(v as TypedArray);
      }
      reserve(size);
      views();
      // Each argument is two doubles (native/wasm_api.cc); a list's own doubles follow the arguments'.
      const slots = slotsAt / 8;
      let list = 2 * count;
      for (let a = 0; a < count; a++) {
        const value = values[a];
        const at = arena + offsets[a]!;
        if (ArrayBuffer.isView(value)) {
          if (args[a]!.read && copied[a]) copyIn(value as TypedArray, at);
          f64[slots + 2 * a] = at;
          f64[slots + 2 * a + 1] = (value as TypedArray).length;
        } else if (Array.isArray(value)) {
          f64[slots + 2 * a] = slotsAt + 8 * list;
          f64[slots + list++] = value.length;
          let k = at;
          for (const v of value as Float32Array[]) {
            if (args[a]!.read) f32.set(v, k / 4);
            f64[slots + list++] = k;
            f64[slots + list++] = v.length;
            k += padded(v);
          }
        } else {
          f64[slots + 2 * a] = value === null ? 0 : Number(value);
        }
      }
      const status = exports.neurona_call(index, slotsAt);
      if (status !== 0) {
        const message = decode(exports.neurona_error_message());
        throw status === 1 ? new TypeError(message) : status === 2 ? new RangeError(message) : new Error(message);
      }
      views();
      for (let a = 0; a < count; a++) {
        if (!args[a]!.written) continue;
        const value = values[a];
        let k = (arena + offsets[a]!) / 4;
        if (value instanceof Float32Array) value.set(f32.subarray(k, k + value.length));
        else if (Array.isArray(value)) {
          for (const v of value as Float32Array[]) {
            v.set(f32.subarray(k, k + v.length));
            k += padded(v) / 4;
          }
        }
      }
    };
  });
  addon.info = () => ({ isa: 'wasm-simd128', threads: exports.neurona_num_threads(), maxThreads: exports.neurona_max_threads() });
  return addon as unknown as Addon;
}

/** WASI's calls that the C library links but that neurona never makes (printing on abort): all fail with EBADF. */
const WASI_STUBS = { wasi_snapshot_preview1: { fd_close: () => 8, fd_seek: () => 8, fd_write: () => 8 } };

type Workers = ReturnType<typeof workerSupport>;

/** The imports of the module to use here: the threaded build's shared memory where workers can run. */
function imports(workers: Workers): { memory?: Memory; imports: object } {
  if (!('spawn' in workers)) return { imports: WASI_STUBS };
  const memory = new webAssembly!.Memory(SHARED_MEMORY);
  return { memory, imports: { ...WASI_STUBS, env: { memory } } };
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** A backend over an instance, or why there is none. */
function backendOf(instance: Instance, module: CompiledModule, path: string, memory: Memory | undefined, workers: Workers) {
  const exports = instance.exports as Exports;
  try {
    exports._initialize();
  } catch (error) {
    return { reason: `${path} failed to start: ${errorText(error)}` };
  }
  if (exports.neurona_table_hash() >>> 0 !== tableHash() || exports.neurona_function_count() !== Object.keys(NATIVE_FUNCTIONS).length) {
    return { reason: `${path} was built from another version of the kernel table; run \`npm run build:wasm\`` };
  }
  const addon = makeAddon(exports, memory ?? exports.memory!);
  for (const c of Object.values(CODES)) if (!Array.isArray(addon[c.list])) return { reason: `${path} lacks the code list ${c.list}` };
  const kernels = wrapKernels(addon, MIN_WASM_ELEMENTS);
  // Both would copy their whole source (a dataset, an embedding table) into the module for a few rows.
  for (const name of ['gather', 'scatterAdd'] satisfies KernelName[]) delete kernels[name];
  const pool = memory && 'spawn' in workers ? workerPool(workers.spawn, module, memory, exports.neurona_malloc) : null;
  const oneThread = 'reason' in workers ? workers.reason : undefined;
  const setNumThreads = (n: number) => {
    // The split follows n whatever the number of workers running: the caller runs what no worker claims.
    if (pool) pool(n - 1);
    else if (n > 1) notice(`wasm backend: running on one thread, not ${n}: ${oneThread}`);
    addon.setNumThreads(n);
  };
  const simd: WasmSimd = /-relaxed(-threads)?\.wasm$/.test(path) ? 'relaxed' : 'simd128';
  return { exports, addon, path, simd, oneThread, backend: { name: 'wasm', kernels, setNumThreads } };
}

type Process = { env?: Record<string, string | undefined>; versions?: { v8?: string }; getBuiltinModule?: (id: string) => unknown };
const processOf = () => (globalThis as { process?: Process }).process;

/**
 * Whether the relaxed builds can run here, or why not. NEURONA_WASM_RELAXED=0 turns them off. Node.js
 * 22 and Chrome 114 ship relaxed SIMD; Node.js 20's V8 (11.3) has it, final opcodes included, behind
 * --experimental-wasm-relaxed-simd, which this sets there: a V8 flag for the whole process, which
 * changes nothing but that WebAssembly modules using relaxed SIMD now compile.
 */
function relaxedSimd(): true | string {
  const setting = processOf()?.env?.NEURONA_WASM_RELAXED;
  if (setting === '0') return 'NEURONA_WASM_RELAXED=0';
  if (setting !== undefined && setting !== '' && setting !== '1') notice(`NEURONA_WASM_RELAXED=${setting} is neither 0 nor 1; ignored`);
  if (webAssembly!.validate(RELAXED_PROBE)) return true;
  const proc = processOf();
  if (proc?.versions?.v8?.startsWith('11.') && typeof proc.getBuiltinModule === 'function') {
    (proc.getBuiltinModule('node:v8') as { setFlagsFromString(flags: string): void }).setFlagsFromString(
      '--experimental-wasm-relaxed-simd',
    );
    if (webAssembly!.validate(RELAXED_PROBE)) return true;
  }
  return 'this engine has no relaxed SIMD (Node.js 20+, Chrome 114+ and Edge have it; Firefox and Safari do not yet)';
}

/** The builds to try, best first: the relaxed one where the engine runs it, then SIMD128's. */
function candidates(single: string, override: boolean): { paths: string[]; noRelaxed?: string } {
  const relaxed = relaxedSimd();
  // An explicit module is loaded as it is (the flag above still lets a relaxed one compile).
  if (override) return { paths: [single], noRelaxed: 'NEURONA_WASM_MODULE names the module' };
  return relaxed === true ? { paths: [relaxedPath(single), single] } : { paths: [single], noRelaxed: relaxed };
}

type NodeModules = { readFileSync(path: string): Uint8Array; fileURLToPath(url: URL): string };

function nodeModules(): NodeModules | string {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node) return 'not running under Node.js: call `await nr.ready()` to fetch and compile the module';
  if (typeof proc.getBuiltinModule !== 'function') return `Node.js ${proc.versions.node} lacks process.getBuiltinModule (Node.js 20.16+)`;
  const { readFileSync } = proc.getBuiltinModule('node:fs') as Pick<NodeModules, 'readFileSync'>;
  const { fileURLToPath } = proc.getBuiltinModule('node:url') as Pick<NodeModules, 'fileURLToPath'>;
  return { readFileSync, fileURLToPath };
}

/** In Node: the threaded module where worker threads run, else (or when it does not load) the single-threaded one. */
function load(): NonNullable<typeof cached> {
  if (!webAssembly) return { reason: 'this JavaScript engine has no WebAssembly' };
  const node = nodeModules();
  if (typeof node === 'string') return { reason: node };
  // NEURONA_WASM_MODULE: another build (its threaded twin beside it), or a path that does not exist to go without wasm.
  const override = processOf()?.env?.NEURONA_WASM_MODULE;
  const { paths, noRelaxed } = candidates(override || node.fileURLToPath(new URL(WASM_URL, import.meta.url)), Boolean(override));
  const attempt = (path: string, workers: Workers): NonNullable<typeof cached> => {
    let bytes: Uint8Array;
    try {
      bytes = node.readFileSync(path);
    } catch {
      return { reason: `${path} is missing; reinstall neurona (in a checkout of neurona: \`npm run build:wasm\`)` };
    }
    try {
      const module = new webAssembly.Module(bytes);
      const chosen = imports(workers);
      return backendOf(new webAssembly.Instance(module, chosen.imports), module, path, chosen.memory, workers);
    } catch (error) {
      return { reason: `${path} does not load here: ${errorText(error)}` };
    }
  };
  const workers = workerSupport();
  let first: { reason: string } | undefined;
  for (const single of paths) {
    const threaded = 'spawn' in workers ? attempt(threadedPath(single), workers) : workers;
    const loaded = 'backend' in threaded ? threaded : attempt(single, { reason: threaded.reason.replace(/; reinstall.*$/, '') });
    if ('backend' in loaded) return single === paths[0] ? { ...loaded, noRelaxed } : { ...loaded, noRelaxed: first?.reason };
    first ??= loaded;
  }
  return first!;
}

/** Loads the module once (synchronously, in Node); later calls return the same result. */
export function loadWasmBackend(): WasmLoad {
  cached ??= load();
  return 'backend' in cached ? { ok: true, backend: cached.backend } : { ok: false, reason: cached.reason };
}

/**
 * Fetches, compiles and instantiates the module where that cannot be done synchronously (a browser's
 * main thread refuses it for modules over 4 KB); elsewhere as loadWasmBackend. `wasmUrl`: where
 * neurona.wasm is served when not beside the package's files (a bundle); neurona-threads.wasm and the relaxed-SIMD
 * twins (neurona-relaxed.wasm, neurona-relaxed-threads.wasm) beside it, tried first where the engine has relaxed SIMD.
 */
export async function loadWasmBackendAsync(wasmUrl?: string | URL): Promise<WasmLoad> {
  if (cached && 'backend' in cached) return loadWasmBackend();
  if (typeof nodeModules() !== 'string' || !webAssembly || typeof fetch === 'undefined') {
    cached = undefined;
    return loadWasmBackend();
  }
  const workers = workerSupport();
  const base = (globalThis as { location?: { href: string } }).location?.href;
  const { paths, noRelaxed } = candidates(wasmUrl ? new URL(wasmUrl, base).href : new URL(WASM_URL, import.meta.url).href, false);
  let first: { reason: string } | undefined;
  for (const single of paths) {
    const url = new URL('spawn' in workers ? threadedPath(single) : single);
    try {
      const response = await fetch(url);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const module = await webAssembly.compile(await response.arrayBuffer());
      const chosen = imports(workers);
      const loaded = backendOf(await webAssembly.instantiate(module, chosen.imports), module, url.href, chosen.memory, workers);
      if ('backend' in loaded) {
        cached = { ...loaded, noRelaxed: single === paths[0] ? noRelaxed : first?.reason };
        return loadWasmBackend();
      }
      first ??= loaded;
    } catch (error) {
      first ??= { reason: `${url.href} could not be fetched or compiled: ${errorText(error)}` };
    }
  }
  cached = first!;
  return loadWasmBackend();
}

/** @internal The module's functions as the addon's (tests call them directly), or null when it does not load. */
export function wasmAddon(): Addon | null {
  loadWasmBackend();
  return cached && 'addon' in cached ? cached.addon : null;
}

/**
 * Whether the wasm backend loads here, with its thread count, or why not.
 *
 * ```ts
 * const info = nr.wasmInfo();
 * console.log(info.available ? `wasm, ${info.threads} thread(s)` : info.reason);
 * ```
 */
export function wasmInfo(): WasmInfo {
  loadWasmBackend();
  if (!cached || !('exports' in cached)) return { available: false, reason: cached?.reason ?? 'not loaded' };
  const { exports, path, simd, noRelaxed, oneThread } = cached;
  const threads = exports.neurona_num_threads();
  // Why not relaxed, where it is not (an explicit NEURONA_WASM_MODULE may well be a relaxed build).
  const why = simd === 'simd128' && noRelaxed ? { noRelaxed } : {};
  return { available: true, threads, path, simd, ...why, ...(oneThread ? { oneThread } : {}) };
}
