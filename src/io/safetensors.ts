/**
 * The safetensors format (Hugging Face, https://github.com/huggingface/safetensors): an 8-byte
 * little-endian u64 header length `N`, `N` bytes of UTF-8 JSON header
 * `{"__metadata__": {str: str}, "<name>": {"dtype", "shape", "data_offsets": [begin, end]}, ...}`
 * (padded with trailing spaces to a multiple of 8 bytes), then the byte buffer, which the tensors
 * cover exactly, in order, with no gap or overlap. Offsets are relative to the start of the buffer;
 * elements are little-endian, row-major. Byte-level only: this file knows nothing of tensors, and it
 * imports no `node:` module because the browser entry uses it too.
 *
 * The writer follows the reference Rust writer byte for byte: tensors ordered by descending dtype
 * alignment (the reference `Dtype` enum order) then by name (UTF-8 byte order), compact JSON with
 * `__metadata__` first, keys `dtype`, `shape`, `data_offsets`, the header padded with spaces. One
 * choice the reference leaves open: it writes metadata in hash-map order; we sort metadata keys.
 *
 * The reader validates everything in the header before it touches the buffer, and is stricter
 * than the reference in a few ways (documented in docs/saving.md): the header must start with `{`,
 * duplicate JSON keys, unknown tensor fields and JSON nesting deeper than the format needs are
 * rejected. Every rejection is a `FormatError` that names the file and the problem.
 */
import { configError, formatError, show, type Problem } from '../core/index.js';

/** The dtype names of the safetensors spec, in the reference's increasing-alignment order. */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'F4',
  'F6_E2M3',
  'F6_E3M2',
  'U8',
  'I8',
  'F8_E5M2',
  'F8_E4M3',
  'F8_E8M0',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'C64',
  'F64',
  'I64',
  'U64',
] as const;

/** A dtype name as written in a safetensors header. */
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** One decoded tensor: its dtype, shape and raw little-endian bytes. */
export interface SafetensorsTensor {
  dtype: SafetensorsDType;
  shape: number[];
  /** A view into the decoded file's bytes (not a copy); `typedArrayOf` copies it out aligned. */
  data: Uint8Array;
}

/** A tensor to encode: `data` holds the raw little-endian elements in row-major order. */
export interface SafetensorsInput {
  dtype: SafetensorsDType;
  shape: readonly number[];
  data: ArrayBufferView;
}

/** Caps applied by `decodeSafetensors`. */
export interface SafetensorsLimits {
  /** Largest accepted JSON header, in bytes. Default 100,000,000 (the reference's cap). */
  maxHeaderBytes?: number;
  /** Most tensors accepted in one file. Default 1,000,000. */
  maxTensors?: number;
}

/** The reference reader refuses headers above 100 MB. */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;
/** Far above any real checkpoint file (large language models hold a few thousand per shard). */
export const DEFAULT_MAX_TENSORS = 1_000_000;
/** The deepest nesting a valid header has: root object, tensor entry, shape array. */
const MAX_JSON_DEPTH = 3;

const DTYPE_BITS: Readonly<Record<SafetensorsDType, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};
const DTYPE_RANK: ReadonlyMap<string, number> = new Map(SAFETENSORS_DTYPES.map((d, i) => [d, i]));

function isDType(value: unknown): value is SafetensorsDType {
  return typeof value === 'string' && DTYPE_RANK.has(value);
}

/** Element count of `shape`, or `undefined` when it exceeds `limit` (so no product can overflow). */
function elementCount(shape: readonly number[], limit: number): number | undefined {
  if (shape.includes(0)) return 0;
  let count = 1;
  for (const dim of shape) {
    count *= dim;
    if (count > limit) return undefined;
  }
  return count;
}

/** Compares strings by Unicode code point, which is UTF-8 byte order (Rust's `str` order). */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function checkText(value: string, what: string): void {
  if (LONE_SURROGATE.test(value)) {
    throw configError('encodeSafetensors', {
      expected: `${what} ${show(value)} contains a lone UTF-16 surrogate, which UTF-8 cannot encode`,
      hint: 'fix the string',
    });
  }
}

/**
 * Encodes tensors (and optional string metadata) as safetensors bytes, laid out exactly as the
 * reference writer does. Bad arguments (unknown dtype, invalid shape, a byte length that does not
 * match the shape, a non-string metadata value, the reserved name `__metadata__`) raise `ConfigError`.
 *
 * ```ts
 * import { encodeSafetensors, decodeSafetensors } from './src/io/safetensors.js'; // internal module: run from the repository root
 * const bytes = encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1, 2]) } }, { format: 'pt' });
 * decodeSafetensors(bytes).tensors.w!.shape; // [2]
 * ```
 */
export function encodeSafetensors(tensors: Record<string, SafetensorsInput>, metadata?: Record<string, string>): Uint8Array {
  const entries = Object.entries(tensors).map(([name, tensor]) => {
    if (name === '__metadata__') {
      throw configError('encodeSafetensors', {
        expected: '"__metadata__" is reserved by the format for the metadata map',
        hint: 'rename the tensor',
      });
    }
    checkText(name, 'tensor name');
    const { dtype, shape, data } = tensor;
    if (!isDType(dtype)) {
      throw configError('encodeSafetensors', {
        expected: `tensor ${JSON.stringify(name)} has unknown dtype ${show(dtype)}`,
        hint: `expected one of ${SAFETENSORS_DTYPES.join(', ')}`,
      });
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw configError('encodeSafetensors', {
        expected: `tensor ${JSON.stringify(name)}: every dimension must be a non-negative integer`,
        got: `shape ${show(shape)}`,
      });
    }
    if (!ArrayBuffer.isView(data)) {
      throw configError('encodeSafetensors', {
        expected: `tensor ${JSON.stringify(name)} data must be a typed array or DataView holding its little-endian bytes`,
        got: show(data),
      });
    }
    const bits = DTYPE_BITS[dtype];
    const count = elementCount(shape, Number.MAX_SAFE_INTEGER / bits);
    if (count === undefined || (count * bits) % 8 !== 0 || (count * bits) / 8 !== data.byteLength) {
      const expected =
        count === undefined ? 'more than 2^53' : (count * bits) % 8 !== 0 ? 'a fractional number of' : `${(count * bits) / 8}`;
      throw configError('encodeSafetensors', {
        expected:
          `tensor ${JSON.stringify(name)} (${dtype}, shape [${shape.join(', ')}]) needs ${expected} bytes, ` +
          `but its data holds ${data.byteLength}`,
      });
    }
    return { name, dtype, shape: [...shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
  });
  // The reference writer's order: descending dtype alignment, then name.
  entries.sort((a, b) => DTYPE_RANK.get(b.dtype)! - DTYPE_RANK.get(a.dtype)! || compareCodePoints(a.name, b.name));

  const parts: string[] = [];
  if (metadata !== undefined) {
    const keys = Object.keys(metadata).sort(compareCodePoints);
    const items = keys.map((key) => {
      const value: unknown = metadata[key];
      if (typeof value !== 'string') {
        throw configError('encodeSafetensors', {
          expected: `metadata ${JSON.stringify(key)} is ${typeof value}`,
          rule: 'the format allows only string values',
          hint: 'use JSON.stringify',
        });
      }
      checkText(key, 'metadata key');
      checkText(value, 'metadata value');
      return `${JSON.stringify(key)}:${JSON.stringify(value)}`;
    });
    parts.push(`"__metadata__":{${items.join(',')}}`);
  }
  let offset = 0;
  for (const entry of entries) {
    const end = offset + entry.bytes.byteLength;
    parts.push(
      `${JSON.stringify(entry.name)}:{"dtype":"${entry.dtype}","shape":[${entry.shape.join(',')}],"data_offsets":[${offset},${end}]}`,
    );
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const entry of entries) {
    out.set(entry.bytes, position);
    position += entry.bytes.byteLength;
  }
  return out;
}

/**
 * One pass over the header text, before `JSON.parse`: rejects nesting deeper than the format needs
 * (a deep-JSON attack then never reaches the parser), counts the top-level keys other than
 * `__metadata__` (the tensors, so that too many are refused before the parser builds them), and
 * collects every object's keys, so that duplicates, which `JSON.parse` silently merges, can be
 * reported. Returns the first duplicate key and the tensor count.
 */
function scanJson(text: string, fail: (parts: Problem) => never): { duplicate: string | undefined; tensorCount: number } {
  const stack: { keys: Set<string> | undefined; expectKey: boolean }[] = [];
  let duplicate: string | undefined;
  let tensorCount = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) i++;
        else if (d === 0x22) break;
      }
      const top = stack[stack.length - 1];
      if (stack.length === 1 && top!.expectKey && text.slice(start, i + 1) !== '"__metadata__"') tensorCount++;
      if (top?.keys && top.expectKey && duplicate === undefined) {
        let key: string;
        try {
          key = JSON.parse(text.slice(start, i + 1)) as string;
        } catch {
          continue; // malformed string: JSON.parse of the whole header reports it
        }
        if (top.keys.has(key)) duplicate = key;
        top.keys.add(key);
      }
      if (top) top.expectKey = false;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_JSON_DEPTH) {
        fail({ expected: `JSON header nests deeper than ${MAX_JSON_DEPTH} levels, more than the format ever needs` });
      }
      stack.push({ keys: c === 0x7b ? new Set() : undefined, expectKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
  }
  return { duplicate, tensorCount };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Decodes safetensors bytes. Every header field is validated before any tensor is sliced: header
 * length against the file size and `limits.maxHeaderBytes`, UTF-8, JSON (depth, duplicate keys),
 * the shape of every entry, known dtypes, shapes, byte counts, offsets, exact coverage of the buffer
 * and `limits.maxTensors`. `name` (a file path) is used in error messages. Tensor data are views
 * into `bytes`.
 *
 * ```ts
 * // An internal module: run from the repository root.
 * import { encodeSafetensors, decodeSafetensors, typedArrayOf } from './src/io/safetensors.js';
 * const bytes = encodeSafetensors({ b: { dtype: 'I32', shape: [3], data: new Int32Array([1, 2, 3]) } });
 * const file = decodeSafetensors(bytes, 'weights.safetensors');
 * typedArrayOf(file.tensors.b!); // Int32Array [1, 2, 3]
 * ```
 */
export function decodeSafetensors(
  bytes: Uint8Array,
  name = 'safetensors data',
  limits: SafetensorsLimits = {},
): { tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> } {
  const fail = (parts: Problem): never => {
    throw formatError(`${name}: invalid safetensors file`, parts);
  };
  const maxHeaderBytes = limits.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const maxTensors = limits.maxTensors ?? DEFAULT_MAX_TENSORS;
  if (!(bytes instanceof Uint8Array)) fail({ expected: 'expected the file contents as a Uint8Array', got: show(bytes) });
  if (bytes.length < 8) fail({ expected: `${bytes.length} bytes, but the header length alone takes 8`, rule: 'truncated or empty file' });

  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const low = view.getUint32(0, true);
  const high = view.getUint32(4, true);
  const headerLength = high * 2 ** 32 + low; // may be inexact above 2^53; it is then far above every cap
  if (headerLength > maxHeaderBytes) {
    const length = high === 0 ? headerLength : `about ${headerLength.toExponential(3)}`;
    fail({ expected: `header length ${length} exceeds the limit of ${maxHeaderBytes} bytes` });
  }
  if (8 + headerLength > bytes.length) {
    fail({
      expected: `header length ${headerLength} runs past the end of the ${bytes.length}-byte file`,
      rule: 'truncated file or corrupt length',
    });
  }
  if (headerLength < 2 || bytes[8] !== 0x7b) fail({ expected: 'the JSON header must start with "{"' });

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength));
  } catch {
    return fail({ expected: 'the header is not valid UTF-8' });
  }
  const { duplicate, tensorCount } = scanJson(text, fail);
  if (tensorCount > maxTensors) {
    fail({
      expected: `${tensorCount} tensors exceed the limit of ${maxTensors}`,
      rule: 'counted before parsing the JSON header',
      hint: 'raise limits.maxTensors to read the file',
    });
  }
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (error) {
    return fail({ expected: 'the header is not valid JSON', rule: error instanceof Error ? error.message : String(error) });
  }
  if (duplicate !== undefined) fail({ expected: `the header repeats the key ${JSON.stringify(duplicate)}` });
  if (!isPlainObject(header)) fail({ expected: 'the header must be a JSON object', got: show(header) });
  const root = header as Record<string, unknown>;

  const metadata: [string, string][] = [];
  const rawMetadata = root.__metadata__;
  if (rawMetadata !== undefined) {
    if (!isPlainObject(rawMetadata)) fail({ expected: '"__metadata__" must be an object of strings', got: show(rawMetadata) });
    for (const [key, value] of Object.entries(rawMetadata as Record<string, unknown>)) {
      if (typeof value !== 'string') {
        const kind = value === null ? 'null' : typeof value;
        fail({ expected: `metadata ${JSON.stringify(key)} is ${kind}`, rule: 'the format allows only string values' });
      }
      metadata.push([key, value as string]);
    }
  }
  const names = Object.keys(root).filter((key) => key !== '__metadata__');
  if (names.length > maxTensors) fail({ expected: `${names.length} tensors exceed the limit of ${maxTensors}` });

  const bufferStart = 8 + headerLength;
  const bufferLength = bytes.length - bufferStart;
  const infos: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const tensorName of names) {
    const entry = root[tensorName];
    const where = `tensor ${JSON.stringify(tensorName)}`;
    if (!isPlainObject(entry)) fail({ expected: `${where} must be an object with "dtype", "shape" and "data_offsets"`, got: show(entry) });
    const fields = entry as Record<string, unknown>;
    const extra = Object.keys(fields).filter((k) => k !== 'dtype' && k !== 'shape' && k !== 'data_offsets');
    if (extra.length > 0) {
      fail({ expected: `${where} has unknown field ${show(extra[0])}`, rule: 'only "dtype", "shape" and "data_offsets" are defined' });
    }
    const { dtype, shape, data_offsets: offsets } = fields;
    if (!isDType(dtype)) {
      fail({ expected: `${where} has unknown dtype ${show(dtype)}`, rule: `the format defines ${SAFETENSORS_DTYPES.join(', ')}` });
    }
    if (!Array.isArray(shape) || !shape.every(isIndex)) {
      fail({ expected: `${where} has shape ${show(shape)}`, rule: 'it must be an array of non-negative integers' });
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isIndex)) {
      fail({ expected: `${where} has data_offsets ${show(offsets)}`, rule: 'they must be [begin, end], two non-negative integers' });
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > bufferLength) {
      fail({ expected: `${where} has data_offsets [${begin}, ${end}] outside the ${bufferLength}-byte data buffer` });
    }
    const bits = DTYPE_BITS[dtype as SafetensorsDType];
    const count = elementCount(shape as number[], (bufferLength * 8) / bits);
    const described = `${where} (${dtype as string}, shape [${(shape as number[]).join(', ')}])`;
    if (count === undefined) fail({ expected: `${described} needs more bytes than the whole ${bufferLength}-byte data buffer` });
    if (((count as number) * bits) % 8 !== 0) fail({ expected: `${described} does not fill a whole number of bytes` });
    const expected = ((count as number) * bits) / 8;
    if (end - begin !== expected) {
      fail({ expected: `${described} needs ${expected} bytes, but data_offsets [${begin}, ${end}] hold ${end - begin}` });
    }
    infos.push({ name: tensorName, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end });
  }

  // Like the reference: ordered by offsets, the tensors must tile the buffer exactly.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const info of infos) {
    if (info.begin !== covered) {
      const tensor = `tensor ${JSON.stringify(info.name)}`;
      fail(
        info.begin > covered
          ? {
              expected: `${tensor} starts at ${info.begin}, leaving bytes ${covered}..${info.begin} of the data buffer unused`,
              rule: 'a gap',
            }
          : { expected: `${tensor} starts at ${info.begin}, overlapping the tensor that ends at ${covered}` },
      );
    }
    covered = info.end;
  }
  if (covered !== bufferLength) {
    fail({
      expected: `the tensors cover ${covered} bytes, but the data buffer holds ${bufferLength}`,
      rule: 'truncated file or trailing bytes',
    });
  }

  // Object.fromEntries defines own properties, so a tensor named "__proto__" stays an ordinary key.
  const tensors = Object.fromEntries(
    infos.map((info) => [
      info.name,
      {
        dtype: info.dtype,
        shape: info.shape,
        data: bytes.subarray(bufferStart + info.begin, bufferStart + info.end),
      },
    ]),
  ) as Record<string, SafetensorsTensor>;
  return { tensors, metadata: Object.fromEntries(metadata) };
}

/** The typed array `typedArrayOf` returns for each dtype. */
export type SafetensorsTypedArray =
  | Float64Array
  | Float32Array
  | BigInt64Array
  | BigUint64Array
  | Int32Array
  | Uint32Array
  | Int16Array
  | Uint16Array
  | Int8Array
  | Uint8Array;

/**
 * Copies a tensor's bytes into a fresh, aligned typed array: F64 → Float64Array, F32 → Float32Array,
 * C64 → Float32Array (interleaved real, imaginary), I64/U64 → BigInt64Array/BigUint64Array,
 * I32/U32, I16/U16, I8 → the matching integer arrays, F16 and BF16 → Uint16Array of raw bits,
 * U8, BOOL and the 8-, 6- and 4-bit float formats → Uint8Array of raw (packed) bytes. Assumes a
 * little-endian platform, as every JavaScript engine in use is.
 */
export function typedArrayOf(t: SafetensorsTensor): SafetensorsTypedArray {
  const copy = t.data.slice();
  const size = { F64: 8, I64: 8, U64: 8, C64: 4, F32: 4, I32: 4, U32: 4, I16: 2, U16: 2, F16: 2, BF16: 2 }[t.dtype as string] ?? 1;
  if (copy.byteLength % size !== 0) {
    throw formatError('typedArrayOf', {
      expected: `${t.dtype} data of ${copy.byteLength} bytes is not a whole number of ${size}-byte elements`,
    });
  }
  const length = copy.byteLength / size;
  switch (t.dtype) {
    case 'F64':
      return new Float64Array(copy.buffer, 0, length);
    case 'F32':
    case 'C64':
      return new Float32Array(copy.buffer, 0, length);
    case 'I64':
      return new BigInt64Array(copy.buffer, 0, length);
    case 'U64':
      return new BigUint64Array(copy.buffer, 0, length);
    case 'I32':
      return new Int32Array(copy.buffer, 0, length);
    case 'U32':
      return new Uint32Array(copy.buffer, 0, length);
    case 'I16':
      return new Int16Array(copy.buffer, 0, length);
    case 'U16':
    case 'F16':
    case 'BF16':
      return new Uint16Array(copy.buffer, 0, length);
    case 'I8':
      return new Int8Array(copy.buffer, 0, length);
    default:
      return copy;
  }
}
