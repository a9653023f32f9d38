/**
 * Reading HDF5 files (Keras's weight files) through jsfive, a pure-JavaScript reader: no native
 * build, no WebAssembly, works in Node and browsers. Nothing outside this file sees jsfive: every
 * failure inside it (a truncated or damaged file throws strings and RangeErrors there) becomes a
 * FormatError naming the file. Reading only parses structure and copies numbers; nothing in a file
 * is ever executed. Why jsfive, with measurements: docs/saving.md, "Keras weight files".
 *
 * jsfive parses the structure (groups, attributes, types, shapes, layouts, filter pipelines); its
 * own value reader builds plain arrays element by element, which costs tens of seconds and 3 GB for
 * VGG16's 102-million-value fc1 kernel. So the values are read here, into typed arrays: a contiguous
 * dataset (what Keras and h5py write) is one copy from the file's bytes; a chunked one walks the
 * chunk B-tree, decodes each chunk with jsfive's filters (deflate, shuffle, fletcher32) and copies
 * it into place, where jsfive's reader would also leave never-written chunks undefined instead of
 * the fill value. The package version is pinned because this uses jsfive's internals (the parsed
 * layout and filter messages); test/io/hdf5.test.ts covers every path.
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
  boundAttributeReads(file);
  return wrapGroup(file, source);
}

/*
 * jsfive reads an attribute's values one by one, as many as its dataspace declares: a damaged file
 * declaring 33 million values in a 20 KB file kept it busy for most of a minute. Every value takes
 * at least one byte of the message (a variable-length string 16), so a count above the bytes left
 * is rejected before the loop. The check wraps jsfive's reader once, on its shared prototype.
 */
let attributesBounded = false;
function boundAttributeReads(file: jsfive.File): void {
  if (attributesBounded) return;
  const objects = (file as unknown as { _dataobjects?: object })._dataobjects;
  type Reader = (dtype: unknown, buf: ArrayBuffer, count: number, offset: number) => unknown;
  const proto = objects ? (Object.getPrototypeOf(objects) as { _attr_value?: Reader }) : null;
  const read = proto?._attr_value;
  if (!proto || typeof read !== 'function') return;
  proto._attr_value = function (this: unknown, dtype: unknown, buf: ArrayBuffer, count: number, offset: number) {
    const each = Array.isArray(dtype) && dtype[0] === 'VLEN_STRING' ? 16 : 1;
    if (!(count * each <= buf.byteLength - offset)) throw `an attribute declares ${count} values, more than the file has bytes for`;
    return read.call(this, dtype, buf, count, offset);
  };
  attributesBounded = true;
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
  return {
    kind: 'dataset',
    path,
    shape,
    dtype,
    read: () => guard(source, path, () => readValues(dataset, dtype, shape, source)),
  };
}

/** The private parts of jsfive 0.4.2 that this file reads (see the header). */
interface DataObjects {
  fh: ArrayBuffer;
  fillvalue: number | bigint;
  filter_pipeline: Map<string, unknown>[] | null;
  _chunks: number[];
  _chunk_address: number | bigint;
  find_msg_type(type: number): { get(key: 'offset_to_message'): number }[];
  _get_data_message_properties(offset: number): [number, number, number, number];
  _get_chunk_params(): void;
}

function readValues(dataset: jsfive.Dataset, dtype: string, shape: number[], source: string): Hdf5Array {
  const objects = (dataset as unknown as { _dataobjects: DataObjects })._dataobjects;
  const size = shape.reduce((a, b) => a * b, 1);
  const message = objects.find_msg_type(DATA_LAYOUT_MESSAGE)[0];
  if (!message) throw new Error('no data layout message');
  const [, , layoutClass, propertyOffset] = objects._get_data_message_properties(message.get('offset_to_message'));
  const file = new DataView(objects.fh);
  const itemSize = Number(dtype.slice(-1));
  const little = dtype[0] !== '>';
  const get = reader(dtype[dtype.length - 2]!, itemSize, little);
  const damaged = (expected: string, rule: string) =>
    formatError(source, {
      expected: `dataset ${dataset.name} ${expected}`,
      rule,
      hint: 'the file is truncated or damaged: fetch or save it again',
    });
  const outSize = dtype.slice(-2) === 'f4' ? 4 : 8;
  // A damaged shape must not allocate more than a gigabyte: stored contiguous data fits in the file; chunks
  // (deflate can expand a chunk a thousandfold) and storage never written (read as the fill value)
  // get at most 1 GiB, well above VGG16's fc1 kernel (411 MB), the largest weight Keras publishes.
  const stored = layoutClass === 1 && file.getBigUint64(propertyOffset, true) !== UNDEFINED_ADDRESS;
  if (stored ? size > file.byteLength / itemSize : size * outSize > 2 ** 30)
    throw damaged(`claims ${size} elements`, stored ? 'more than the file can hold' : `more than 1 GiB of values outside the file's bytes`);
  const out = outSize === 4 ? new Float32Array(size) : new Float64Array(size);
  /** Copies `count` elements stored at byte `at` of `bytes` to `out[to...]`. */
  const place = (bytes: DataView, at: number, count: number, to: number) => {
    if (at + count * itemSize > bytes.byteLength) {
      throw damaged('runs past the end of its data', `${count * itemSize} bytes at ${at}, ${bytes.byteLength} there`);
    }
    const start = bytes.byteOffset + at;
    if (out instanceof Float32Array && little && start % 4 === 0) out.set(new Float32Array(bytes.buffer, start, count), to);
    else for (let i = 0; i < count; i++) out[to + i] = get(bytes, at + i * itemSize);
  };
  if (layoutClass !== 1 && layoutClass !== 2) throw new Error(`data layout class ${layoutClass} (compact storage) is not supported`);
  // Storage never written (contiguous) or chunks never written read as the dataset's fill value.
  const fill = () => {
    const value = Number(objects.fillvalue);
    if (value !== 0) out.fill(value);
    return out;
  };
  if (layoutClass === 1) {
    const address = file.getBigUint64(propertyOffset, true);
    if (address === UNDEFINED_ADDRESS) return fill();
    place(file, Number(address), size, 0);
    return out;
  }
  objects._get_chunk_params();
  fill();
  // jsfive reads the B-tree's address as a float, where the undefined one (2^64 - 1) rounds to 2^64.
  if (Number(objects._chunk_address) >= 2 ** 63 || size === 0) return out;
  const chunk = objects._chunks.map(Number);
  const rank = shape.length;
  // The walk below does work per chunk row and per chunk listed: both stay within the dataset's
  // size only if every chunk fits in the dataset's shape (as HDF5 requires of fixed-size datasets)
  // and the B-tree lists each chunk once, at an offset inside the dataset. Each stored chunk is
  // decoded once (no two share bytes) and may not decode to more than a chunk.
  if (chunk.length !== rank || chunk.some((c, d) => !(c >= 1 && c <= shape[d]!))) {
    throw damaged(
      `has chunk shape [${chunk.join(', ')}], which does not fit in its shape [${shape.join(', ')}]`,
      'HDF5 chunks lie inside the dataset',
    );
  }
  const filters = objects.filter_pipeline;
  // Row-major strides of the dataset; a chunk is copied one run of its last axis at a time.
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const chunkSize = chunk.reduce((a, b) => a * b, 1);
  const listed = new Set<number>();
  const addresses = new Set<number>();
  forEachChunk(file, Number(objects._chunk_address), rank, (offsets, address, stored, mask) => {
    if (offsets.some((o, d) => o % chunk[d]! !== 0 || o >= shape[d]!)) {
      throw damaged(
        `lists a chunk at [${offsets.join(', ')}]`,
        `chunks start at multiples of [${chunk.join(', ')}] inside [${shape.join(', ')}]`,
      );
    }
    // The chunk's index in the grid of chunks: a repeated one would be decoded again and again.
    const index = offsets.reduce((i, o, d) => i * Math.ceil(shape[d]! / chunk[d]!) + o / chunk[d]!, 0);
    if (listed.has(index)) throw damaged(`lists the chunk at [${offsets.join(', ')}] twice`, 'each chunk is stored once');
    listed.add(index);
    if (addresses.has(address)) throw damaged(`stores the chunk at [${offsets.join(', ')}] in another chunk's bytes`, `at ${address}`);
    addresses.add(address);
    let bytes = new DataView(objects.fh, address, filters ? stored : chunkSize * itemSize);
    if (filters) bytes = new DataView(decode(objects.fh.slice(address, address + stored), filters, mask, itemSize));
    if (bytes.byteLength > chunkSize * itemSize) {
      throw damaged(
        `has a chunk at [${offsets.join(', ')}] that decodes to ${bytes.byteLength} bytes`,
        `a chunk holds ${chunkSize * itemSize}`,
      );
    }
    const run = Math.min(chunk[rank - 1]!, shape[rank - 1]! - offsets[rank - 1]!);
    const rows = chunkSize / chunk[rank - 1]!;
    for (let row = 0; row < rows; row++) {
      let target = offsets[rank - 1]!;
      let rest = row;
      let inside = true;
      for (let d = rank - 2; d >= 0; d--) {
        const i = offsets[d]! + (rest % chunk[d]!);
        rest = Math.floor(rest / chunk[d]!);
        if (i >= shape[d]!) inside = false;
        target += i * strides[d]!;
      }
      if (inside && run > 0) place(bytes, row * chunk[rank - 1]! * itemSize, run, target);
    }
  });
  return out;
}

/**
 * Walks a version-1 B-tree of raw data chunks (HDF5 spec, "Version 1 B-trees"), calling `visit`
 * with each chunk's element offsets, file address, stored size and filter mask. Node levels must
 * fall by one at each step and no node is visited twice, so a damaged tree cannot loop.
 */
function forEachChunk(
  file: DataView,
  root: number,
  rank: number,
  visit: (offsets: number[], address: number, stored: number, mask: number) => void,
): void {
  const seen = new Set<number>();
  const walk = (at: number, expectedLevel: number | null) => {
    if (seen.has(at)) throw new Error(`chunk B-tree node at ${at} is reached twice`);
    seen.add(at);
    if (file.getUint32(at, false) !== 0x54524545 || file.getUint8(at + 4) !== 1) throw new Error(`no chunk B-tree node at ${at}`);
    const level = file.getUint8(at + 5);
    if (expectedLevel !== null && level !== expectedLevel) throw new Error(`chunk B-tree node at ${at} has level ${level}`);
    const entries = file.getUint16(at + 6, true);
    const keySize = 8 + 8 * (rank + 1);
    let key = at + 24;
    for (let i = 0; i < entries; i++) {
      const child = Number(file.getBigUint64(key + keySize, true));
      if (level > 0) walk(child, level - 1);
      else {
        const offsets = Array.from({ length: rank }, (_, d) => Number(file.getBigUint64(key + 8 + 8 * d, true)));
        visit(offsets, child, file.getUint32(key, true), file.getUint32(key + 4, true));
      }
      key += keySize + 8;
    }
  };
  walk(root, null);
}

/** Undoes a chunk's filters, last applied first; bit i of `mask` set means filter i was skipped for this chunk. */
function decode(chunk: ArrayBuffer, pipeline: Map<string, unknown>[], mask: number, itemSize: number): ArrayBuffer {
  let buffer = chunk;
  for (let i = pipeline.length - 1; i >= 0; i--) {
    if (mask & (1 << i)) continue;
    const id = pipeline[i]!.get('filter_id') as number;
    const filter = jsfive.Filters.get(id);
    if (!filter) throw new Error(`HDF5 filter ${id} is not supported (deflate, shuffle and fletcher32 are)`);
    buffer = filter(buffer, itemSize, pipeline[i]!.get('client_data'));
  }
  return buffer;
}

function reader(kind: string, size: number, little: boolean): (view: DataView, offset: number) => number {
  if (kind === 'f') return size === 4 ? (v, o) => v.getFloat32(o, little) : (v, o) => v.getFloat64(o, little);
  const signed = kind === 'i';
  if (size === 1) return signed ? (v, o) => v.getInt8(o) : (v, o) => v.getUint8(o);
  if (size === 2) return signed ? (v, o) => v.getInt16(o, little) : (v, o) => v.getUint16(o, little);
  if (size === 4) return signed ? (v, o) => v.getInt32(o, little) : (v, o) => v.getUint32(o, little);
  return signed ? (v, o) => Number(v.getBigInt64(o, little)) : (v, o) => Number(v.getBigUint64(o, little));
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
