/**
 * Reading HDF5 files (Keras's weight files) through jsfive, a pure-JavaScript reader: no native
 * build, no WebAssembly, works in Node and browsers. Nothing outside this file sees jsfive: every
 * failure inside it (a truncated or damaged file throws strings and RangeErrors there) becomes a
 * FormatError naming the file. Reading only parses structure and copies numbers; nothing in a file
 * is ever executed. Why jsfive, with measurements: docs/saving.md, "Keras weight files".
 *
 * jsfive returns dataset values as plain arrays of numbers, which costs about 25 s and 3 GB for
 * VGG16's 102-million-value fc1 kernel. Keras and h5py write weights contiguously (unchunked,
 * uncompressed), so for that layout this file takes the data's address from jsfive's parsed layout
 * message and copies the bytes straight into a typed array; chunked or compressed datasets go
 * through jsfive's own reader. The package version is pinned because the address lookup uses
 * jsfive's internals (test/io/hdf5.test.ts covers both paths).
 */
import * as jsfive from 'jsfive';
import { NeuronaError, formatError } from '../core/index.js';

const SIGNATURE = [0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a];
/** The "no storage allocated" address of HDF5 (all ones). */
const UNDEFINED_ADDRESS = 0xffffffffffffffffn;
const DATA_LAYOUT_MESSAGE = 0x0008;

/** A dataset's values: float64 for 64-bit floats and every integer type, float32 otherwise. */
export type Hdf5Array = Float32Array | Float64Array;

/** A dataset, read on demand. */
export interface Hdf5Dataset {
  readonly kind: 'dataset';
  /** The path inside the file, `/group/name`. */
  readonly path: string;
  readonly shape: number[];
  /** numpy's name for the stored type: `<f4`, `>f8`, `<i8`, ... */
  readonly dtype: string;
  read(): Hdf5Array;
}

/** A group: its members by name and its attributes. */
export interface Hdf5Group {
  readonly kind: 'group';
  readonly path: string;
  keys(): string[];
  /** The member at `path` (relative, `/`-separated), or null when there is none. */
  get(path: string): Hdf5Group | Hdf5Dataset | null;
  /** Attribute values: numbers, strings (fixed-length strings lose their NUL padding) and arrays of them. */
  attrs(): Record<string, unknown>;
}

/** Opens an HDF5 file held in memory; `source` names it in errors (a path or URL). */
export function openHdf5(bytes: Uint8Array, source: string): Hdf5Group {
  if (!hasSignature(bytes)) {
    throw formatError(source, {
      expected: 'is not an HDF5 file (no HDF5 signature at its start)',
      hint: 'a Keras weight file (.h5, .weights.h5) was expected; the file may be truncated or of another format',
    });
  }
  if (bytes.length < 48) {
    throw formatError(source, {
      expected: `is truncated: ${bytes.length} bytes, shorter than an HDF5 superblock`,
      hint: 'fetch or save the file again',
    });
  }
  const declared = endOfFile(bytes);
  if (declared !== null && declared > bytes.length) {
    throw formatError(source, {
      expected: `is truncated: its HDF5 superblock says the file is ${declared} bytes, it has ${bytes.length}`,
      hint: 'the download or copy stopped early: fetch or save the file again',
    });
  }
  // jsfive reads an ArrayBuffer from offset 0: pass the file's own buffer when it is exactly the file.
  const buffer =
    bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? (bytes.buffer as ArrayBuffer) : bytes.slice().buffer;
  const file = guard(source, 'the file', () => new jsfive.File(buffer, source));
  return wrapGroup(file, source);
}

function hasSignature(bytes: Uint8Array): boolean {
  // HDF5 allows a user block before the superblock: the signature may sit at 0, 512, 1024, 2048, ...
  // jsfive reads the superblock at 0 only, so only that position is accepted.
  return bytes.length >= 8 && SIGNATURE.every((b, i) => bytes[i] === b);
}

/**
 * The end-of-file address the superblock records (a truncated file is shorter), or null when the
 * superblock uses offsets other than 8 bytes (h5py always writes 8). Superblock versions 0 and 1
 * keep it at byte 40 (44 in version 1, which adds 4 bytes before it); versions 2 and 3 at byte 28.
 */
function endOfFile(bytes: Uint8Array): number | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = bytes[8]!;
  const offsetSize = version <= 1 ? bytes[13] : bytes[9];
  if (offsetSize !== 8) return null;
  const at = version === 0 ? 40 : version === 1 ? 44 : 28;
  return Number(view.getBigUint64(at, true));
}

/** Runs `f`, turning anything jsfive throws into a FormatError naming the file and the object read. */
function guard<T>(source: string, what: string, f: () => T): T {
  // jsfive prints unsupported attribute types with console.warn and returns null for them; an attribute
  // that matters then fails its own check with a FormatError, so the library's printing is muted here.
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    return f();
  } catch (e) {
    if (e instanceof NeuronaError) throw e;
    const detail = e instanceof Error ? e.message : String(e);
    throw formatError(source, {
      expected: `cannot read ${what}: the HDF5 file is damaged or truncated`,
      rule: detail.length > 200 ? `${detail.slice(0, 200)}...` : detail,
      hint: 'fetch or save the file again',
      cause: e,
    });
  } finally {
    console.warn = warn;
  }
}

function wrapGroup(group: jsfive.Group, source: string): Hdf5Group {
  return {
    kind: 'group',
    path: group.name,
    keys: () => guard(source, `the members of ${group.name}`, () => group.keys),
    attrs: () => guard(source, `the attributes of ${group.name}`, () => cleanAttrs(group.attrs)),
    get(path) {
      const where = `${group.name === '/' ? '' : group.name}/${path}`;
      const found = guard(source, where, () => {
        // jsfive throws a string for a missing name; look the path up one step at a time instead.
        let node: jsfive.Group | jsfive.Dataset | null = group;
        for (const part of path.split('/').filter((p) => p !== '')) {
          if (!(node instanceof jsfive.Group) || !node.keys.includes(part)) return null;
          node = node.get(part);
        }
        return node;
      });
      if (found instanceof jsfive.Group) return wrapGroup(found, source);
      if (found instanceof jsfive.Dataset) return wrapDataset(found, source);
      return null;
    },
  };
}

function wrapDataset(dataset: jsfive.Dataset, source: string): Hdf5Dataset {
  const path = dataset.name;
  const [shape, dtype] = guard(source, path, () => [dataset.shape.map(Number), dataset.dtype] as const);
  if (typeof dtype !== 'string' || !/^[<>|=]?[fiu]\d$/.test(dtype)) {
    throw formatError(source, {
      expected: `dataset ${path} holds ${JSON.stringify(dtype)}, not numbers`,
      rule: 'weights are stored as floats or integers',
    });
  }
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw formatError(source, { expected: `dataset ${path} has an invalid shape [${shape.join(', ')}]` });
  }
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    kind: 'dataset',
    path,
    shape,
    dtype,
    read: () => guard(source, path, () => contiguous(dataset, dtype, size, source) ?? fromValues(dataset.value, dtype, size, source, path)),
  };
}

/** The private parts of jsfive 0.4.2 that locate a contiguous dataset's bytes (see the header). */
interface DataObjects {
  fh: ArrayBuffer;
  find_msg_type(type: number): { get(key: 'offset_to_message'): number }[];
  _get_data_message_properties(offset: number): [number, number, number, number];
}

/** Reads a contiguous dataset straight from the file's bytes; null for any other layout. */
function contiguous(dataset: jsfive.Dataset, dtype: string, size: number, source: string): Hdf5Array | null {
  const objects = (dataset as unknown as { _dataobjects?: DataObjects })._dataobjects;
  if (!objects || typeof objects.find_msg_type !== 'function') return null;
  const message = objects.find_msg_type(DATA_LAYOUT_MESSAGE)[0];
  if (!message) return null;
  const [, , layoutClass, propertyOffset] = objects._get_data_message_properties(message.get('offset_to_message'));
  if (layoutClass !== 1) return null;
  const view = new DataView(objects.fh);
  const address = view.getBigUint64(propertyOffset, true);
  const out = dtype.slice(-2) === 'f4' ? new Float32Array(size) : new Float64Array(size);
  if (address === UNDEFINED_ADDRESS) return out; // never written: HDF5's fill value, zero
  const itemSize = Number(dtype.slice(-1));
  const start = Number(address);
  if (start + size * itemSize > view.byteLength) {
    throw formatError(source, {
      expected: `dataset ${dataset.name} runs past the end of the file`,
      rule: `${size * itemSize} bytes at ${start}, the file has ${view.byteLength}`,
      hint: 'the file is truncated: fetch or save it again',
    });
  }
  const little = dtype[0] !== '>';
  const kind = dtype[dtype.length - 2];
  if (dtype.slice(-2) === 'f4' && little && start % 4 === 0) {
    out.set(new Float32Array(objects.fh, start, size));
    return out;
  }
  const get = reader(view, kind!, itemSize, little);
  for (let i = 0; i < size; i++) out[i] = get(start + i * itemSize);
  return out;
}

function reader(view: DataView, kind: string, size: number, little: boolean): (offset: number) => number {
  if (kind === 'f') return size === 4 ? (o) => view.getFloat32(o, little) : (o) => view.getFloat64(o, little);
  const signed = kind === 'i';
  if (size === 1) return signed ? (o) => view.getInt8(o) : (o) => view.getUint8(o);
  if (size === 2) return signed ? (o) => view.getInt16(o, little) : (o) => view.getUint16(o, little);
  if (size === 4) return signed ? (o) => view.getInt32(o, little) : (o) => view.getUint32(o, little);
  return signed ? (o) => Number(view.getBigInt64(o, little)) : (o) => Number(view.getBigUint64(o, little));
}

function fromValues(values: ArrayLike<number | bigint | string>, dtype: string, size: number, source: string, path: string): Hdf5Array {
  if (values.length !== size) {
    throw formatError(source, { expected: `dataset ${path} holds ${values.length} values, its shape says ${size}` });
  }
  const out = dtype.slice(-2) === 'f4' ? new Float32Array(size) : new Float64Array(size);
  for (let i = 0; i < size; i++) out[i] = Number(values[i]);
  return out;
}

function cleanAttrs(attrs: Record<string, unknown>): Record<string, unknown> {
  const clean = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(/\0+$/, '');
    if (typeof v === 'bigint') return Number(v);
    if (Array.isArray(v)) return v.map(clean);
    if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>, clean);
    return v;
  };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(attrs)) out[k] = clean(v);
  return out;
}
