/**
 * The IDX format (LeCun's MNIST files, also used by Fashion-MNIST and EMNIST): a 4-byte magic
 * `00 00 <type> <rank>`, then `rank` big-endian uint32 dimensions, then the elements in row-major
 * order, big-endian. Byte-level only: this file knows nothing of tensors.
 *
 * Every length is checked before it is used, so a truncated or forged file is rejected with a
 * `FormatError` that names the file and the problem; nothing is half-parsed.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { formatError } from '../core/index.js';

/** The element types IDX defines, by their type byte. */
export type IdxType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64';

/** The typed array each IDX element type is decoded into. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

/** A decoded IDX file: element type, dimensions and the elements in row-major order. */
export interface IdxArray {
  type: IdxType;
  shape: number[];
  data: IdxData;
}

const TYPE_BY_CODE: ReadonlyMap<number, { type: IdxType; bytes: number }> = new Map([
  [0x08, { type: 'uint8', bytes: 1 }],
  [0x09, { type: 'int8', bytes: 1 }],
  [0x0b, { type: 'int16', bytes: 2 }],
  [0x0c, { type: 'int32', bytes: 4 }],
  [0x0d, { type: 'float32', bytes: 4 }],
  [0x0e, { type: 'float64', bytes: 8 }],
]);

/** The magic number of a uint8 rank-3 IDX file (MNIST images). */
export const IDX_IMAGES_MAGIC = 0x00000803;
/** The magic number of a uint8 rank-1 IDX file (MNIST labels). */
export const IDX_LABELS_MAGIC = 0x00000801;

/**
 * Decompressed sizes above this are refused, so a tiny gzip bomb cannot exhaust memory. The largest
 * common IDX file (EMNIST ByClass images, about 550 MB) fits well below it.
 */
export const MAX_GUNZIP_BYTES = 2 ** 30;

/** True when `bytes` begin with the gzip magic `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Returns `bytes` decompressed when they start with the gzip magic, else `bytes` unchanged.
 * A corrupt or oversized gzip stream is a `FormatError` naming `name`.
 *
 * ```ts
 * import { gzipSync } from 'node:zlib';
 * import { gunzipIfNeeded } from './src/io/idx.js'; // internal module: run from the repository root
 * gunzipIfNeeded(gzipSync(Buffer.from([1, 2, 3])), 'x.gz'); // Uint8Array [1, 2, 3]
 * ```
 */
export function gunzipIfNeeded(bytes: Uint8Array, name = 'data'): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: MAX_GUNZIP_BYTES });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw formatError(name, {
      expected: 'starts with the gzip magic but does not decompress',
      rule: reason,
      hint: 're-download the file',
    });
  }
}

/**
 * Parses IDX bytes (gzipped or not). `expect` optionally pins the magic number (e.g.
 * `IDX_IMAGES_MAGIC`); `name` (a file path) is used in error messages.
 * A uint8 result is a view into the (decompressed) input, not a copy.
 *
 * ```ts
 * import { parseIdx, encodeIdx } from './src/io/idx.js'; // internal module: run from the repository root
 * const bytes = encodeIdx(new Uint8Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 * parseIdx(bytes).shape; // [2, 3]
 * ```
 */
export function parseIdx(bytes: Uint8Array, name = 'IDX data', expect?: { magic?: number }): IdxArray {
  const raw = gunzipIfNeeded(bytes, name);
  if (raw.length < 4) {
    throw formatError(name, { expected: `truncated IDX file: ${raw.length} bytes, but the header alone needs at least 4` });
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const magic = view.getUint32(0, false);
  if (raw[0] !== 0 || raw[1] !== 0) {
    throw formatError(name, {
      expected: `not an IDX file: magic number 0x${hex(magic)} should start with two zero bytes`,
      rule: 'e.g. 0x00000803 for images, 0x00000801 for labels',
    });
  }
  if (expect?.magic !== undefined && magic !== expect.magic) {
    throw formatError(name, { expected: `wrong IDX magic number: expected 0x${hex(expect.magic)}`, got: `0x${hex(magic)}` });
  }
  const typeCode = raw[2]!;
  const elementType = TYPE_BY_CODE.get(typeCode);
  if (!elementType) {
    throw formatError(name, {
      expected: `unsupported IDX element type code 0x${typeCode.toString(16).padStart(2, '0')}`,
      hint: 'IDX defines 0x08 (ubyte), 0x09 (byte), 0x0b (short), 0x0c (int), 0x0d (float), 0x0e (double)',
    });
  }
  const rank = raw[3]!;
  const headerBytes = 4 + 4 * rank;
  if (raw.length < headerBytes) {
    throw formatError(name, {
      expected: `truncated IDX header: rank ${rank} needs ${headerBytes} header bytes, the file has ${raw.length}`,
    });
  }
  const available = raw.length - headerBytes;
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i, false);
    shape.push(dim);
    count *= dim;
    // Stop before the product can leave the range of exact doubles; any such size exceeds the file.
    if (count * elementType.bytes > available) {
      throw formatError(name, {
        expected:
          `IDX dimensions [${shape.join(', ')}${i + 1 < rank ? ', ...' : ''}] need more than ` +
          `${available} bytes of ${elementType.type} data, but that is all the file holds after its header`,
        rule: 'truncated or corrupt file',
      });
    }
  }
  const dataBytes = count * elementType.bytes;
  if (dataBytes !== available) {
    throw formatError(name, {
      expected:
        `IDX dimensions [${shape.join(', ')}] of ${elementType.type} need ${dataBytes} data bytes, ` +
        `but the file holds ${available} after its ${headerBytes}-byte header`,
      rule: `${available - dataBytes} extra bytes`,
    });
  }
  return { type: elementType.type, shape, data: decode(raw, headerBytes, count, elementType.type) };
}

/**
 * Reads and parses an IDX file (plain or gzipped) from disk.
 *
 * ```ts
 * import { readIdxFile } from './src/io/idx.js'; // internal module: run from the repository root
 * const { shape, data } = readIdxFile('data/train-images-idx3-ubyte.gz'); // [60000, 28, 28], Uint8Array
 * ```
 */
export function readIdxFile(path: string, expect?: { magic?: number }): IdxArray {
  const bytes = readFileSync(path);
  return parseIdx(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path, expect);
}

/**
 * Encodes elements into IDX bytes (big-endian, uncompressed). `data.length` must equal the product
 * of `shape`; the element type follows the typed array (a plain array is written as uint8).
 *
 * ```ts
 * import { encodeIdx } from './src/io/idx.js'; // internal module: run from the repository root
 * encodeIdx(new Uint8Array([7, 2, 1]), [3]); // an MNIST-style labels file
 * ```
 */
export function encodeIdx(data: IdxData | ArrayLike<number>, shape: readonly number[]): Uint8Array {
  const type = typeOf(data);
  const entry = [...TYPE_BY_CODE].find(([, t]) => t.type === type)!;
  const count = shape.reduce((a, b) => a * b, 1);
  if (shape.length > 255 || shape.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff) || count !== data.length) {
    throw formatError('encodeIdx', {
      expected: `shape [${shape.join(', ')}] does not describe ${data.length} elements`,
      rule: 'rank <= 255, dimensions uint32',
    });
  }
  const headerBytes = 4 + 4 * shape.length;
  const out = new Uint8Array(headerBytes + count * entry[1].bytes);
  const view = new DataView(out.buffer);
  out[2] = entry[0];
  out[3] = shape.length;
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  for (let i = 0; i < count; i++) {
    const v = data[i]!;
    const at = headerBytes + i * entry[1].bytes;
    switch (type) {
      case 'uint8':
        view.setUint8(at, v);
        break;
      case 'int8':
        view.setInt8(at, v);
        break;
      case 'int16':
        view.setInt16(at, v, false);
        break;
      case 'int32':
        view.setInt32(at, v, false);
        break;
      case 'float32':
        view.setFloat32(at, v, false);
        break;
      case 'float64':
        view.setFloat64(at, v, false);
        break;
    }
  }
  return out;
}

function typeOf(data: IdxData | ArrayLike<number>): IdxType {
  if (data instanceof Int8Array) return 'int8';
  if (data instanceof Int16Array) return 'int16';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  return 'uint8';
}

function decode(raw: Uint8Array, offset: number, count: number, type: IdxType): IdxData {
  if (type === 'uint8') return raw.subarray(offset, offset + count);
  if (type === 'int8') return new Int8Array(raw.buffer, raw.byteOffset + offset, count).slice();
  const view = new DataView(raw.buffer, raw.byteOffset + offset);
  // Multi-byte elements are big-endian in IDX, so they are read one by one rather than viewed.
  switch (type) {
    case 'int16': {
      const out = new Int16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(2 * i, false);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(4 * i, false);
      return out;
    }
    case 'float32': {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, false);
      return out;
    }
    default: {
      const out = new Float64Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, false);
      return out;
    }
  }
}

function hex(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
