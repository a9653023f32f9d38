/**
 * Writing HDF5 files (Keras's `model.weights.h5`): groups, contiguous numeric datasets of any rank
 * and attributes, in pure TypeScript with no Node imports, so the browser build can write them too.
 *
 * Format choice: superblock version 2, version 2 object headers, and groups that keep their links
 * as Link messages inside their own header ("compact" storage, with a Link Info message saying so).
 * The older layout (superblock 0, symbol-table groups) needs a B-tree, a local heap and symbol-table
 * nodes per group, each sized by the superblock's K values, so a group of more than 2K members
 * needs a multi-node tree; the version 2 layout is one self-contained header per object, of any
 * size, at the cost of a lookup3 checksum per header. libhdf5 reads it since 1.8 (2008, every h5py
 * build) and so does jsfive, our reader (test/io/hdf5-write.test.ts checks both: jsfive directly,
 * libhdf5 through committed h5py output). Variable-length strings live in one global heap collection.
 *
 * The bytes depend only on the tree given: no timestamps, members and attributes in insertion
 * order, data after all metadata, each dataset's values 8-byte aligned.
 */
import { configError } from '../core/index.js';

/** A dataset's values; the typed array fixes the stored type (BigInt64Array: int64). */
export type Hdf5WriteArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

/** A fixed-length string attribute (numpy `S`, what h5py gives for `np.array([b'a', b'bc'])`): ASCII, NUL-padded. */
export interface Hdf5FixedStrings {
  readonly fixed: string | readonly string[];
}

/**
 * An attribute value. `string` / `string[]`: variable-length UTF-8 (what h5py writes for `str`);
 * `number`: float64 scalar; `bigint`: int64 scalar; `number[]`: float64 array; a typed array: a
 * 1-D array of its type; `{fixed}`: fixed-length ASCII strings.
 */
export type Hdf5AttrValue = string | readonly string[] | number | bigint | readonly number[] | Hdf5WriteArray | Hdf5FixedStrings;

/** A dataset to write: values in row-major order and the shape (`[]` for a scalar). */
export interface Hdf5WriteDataset {
  readonly data: Hdf5WriteArray;
  readonly shape: readonly number[];
  readonly attrs?: Readonly<Record<string, Hdf5AttrValue>>;
}

/** A group being built: members are created in order; `group` and `dataset` accept `a/b/c` paths. */
export class Hdf5WriteGroup {
  readonly members = new Map<string, Hdf5WriteGroup | Hdf5WriteDataset>();
  readonly attrs = new Map<string, Hdf5AttrValue>();

  constructor(readonly path = '/') {}

  /** The group at `path`, created with its parents when missing. */
  group(path: string): Hdf5WriteGroup {
    let node: Hdf5WriteGroup = this;
    for (const name of splitPath(path, node.path)) {
      const found = node.members.get(name);
      if (found !== undefined && !(found instanceof Hdf5WriteGroup)) {
        throw configError('hdf5 writer', { expected: `${join(node.path, name)} is a dataset, not a group`, hint: 'choose another name' });
      }
      node = found ?? node.add(name, new Hdf5WriteGroup(join(node.path, name)));
    }
    return node;
  }

  /** Adds a dataset at `path` (its parent groups are created); the values are not copied. */
  dataset(path: string, data: Hdf5WriteArray, shape: readonly number[], attrs?: Record<string, Hdf5AttrValue>): void {
    const parts = splitPath(path, this.path);
    const name = parts.pop();
    if (name === undefined) throw configError('hdf5 writer', { expected: 'a dataset needs a name', got: JSON.stringify(path) });
    const parent = this.group(parts.join('/'));
    const where = join(parent.path, name);
    if (!ELEMENT.has(data.constructor as TypedArrayClass)) {
      throw configError('hdf5 writer', {
        expected: `dataset ${where}: values must be a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array`,
        got: Object.prototype.toString.call(data),
      });
    }
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0) || shape.reduce((a, b) => a * b, 1) !== data.length) {
      throw configError('hdf5 writer', {
        expected: `dataset ${where}: shape [${shape.join(', ')}] must be non-negative integers whose product is the ${data.length} values`,
      });
    }
    for (const key of Object.keys(attrs ?? {})) checkAttrName(where, key);
    parent.add(name, { data, shape: [...shape], attrs });
  }

  /** Sets an attribute (replacing one of the same name). */
  attr(name: string, value: Hdf5AttrValue): this {
    checkAttrName(this.path, name);
    this.attrs.set(name, value);
    return this;
  }

  private add<T extends Hdf5WriteGroup | Hdf5WriteDataset>(name: string, member: T): T {
    if (this.members.has(name))
      throw configError('hdf5 writer', { expected: `${join(this.path, name)} already exists`, hint: 'choose another name' });
    this.members.set(name, member);
    return member;
  }
}

function checkAttrName(owner: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.includes('\0')) {
    throw configError('hdf5 writer', {
      expected: `attribute names of ${owner} are non-empty strings without NUL`,
      got: JSON.stringify(name),
    });
  }
}

const join = (path: string, name: string) => (path === '/' ? `/${name}` : `${path}/${name}`);

function splitPath(path: string, from: string): string[] {
  if (typeof path !== 'string') throw configError('hdf5 writer', { expected: 'a member path is a string', got: String(path) });
  const parts = path.split('/').filter((p) => p !== '');
  for (const part of parts) {
    if (part === '.' || part.includes('\0')) {
      throw configError('hdf5 writer', { expected: `member names in ${from} may not be "." or hold NUL`, got: JSON.stringify(path) });
    }
  }
  return parts;
}

type TypedArrayClass = new (n: number) => Hdf5WriteArray;
/** Each value class: HDF5 datatype class, bytes per element, signedness. */
const ELEMENT = new Map<TypedArrayClass, { float: boolean; size: number; signed: boolean }>([
  [Float32Array, { float: true, size: 4, signed: true }],
  [Float64Array, { float: true, size: 8, signed: true }],
  [Int32Array, { float: false, size: 4, signed: true }],
  [BigInt64Array, { float: false, size: 8, signed: true }],
  [Uint8Array, { float: false, size: 1, signed: false }],
]);

const UNDEFINED = 0xffffffffffffffffn;
const SUPERBLOCK_SIZE = 48;
/** libhdf5 reads a global heap collection's first 4 KiB before its size field: a smaller one would read past the end. */
const HEAP_MIN = 4096;
const utf8 = new TextEncoder();
const isAscii = (text: string) => [...text].every((c) => c.charCodeAt(0) < 0x80);

/** A little-endian byte buffer that grows as it is written. */
class Bytes {
  private buf: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): number {
    if (this.length + n > this.buf.length) {
      const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
      next.set(this.buf);
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    this.length += n;
    return this.length - n;
  }
  /** Appends unsigned integers laid out as `format` says, one letter each: B 1 byte, H 2, I 4, Q 8 (as Python's struct). */
  put(format: string, ...values: (number | bigint)[]): this {
    [...format].forEach((f, i) => {
      const v = values[i]!;
      if (f === 'Q') this.view.setBigUint64(this.room(8), BigInt(v), true);
      else if (f === 'I') this.view.setUint32(this.room(4), Number(v), true);
      else if (f === 'H') this.view.setUint16(this.room(2), Number(v), true);
      else this.view.setUint8(this.room(1), Number(v));
    });
    return this;
  }
  bytes(b: Uint8Array, padTo = b.length): this {
    const at = this.room(padTo); // before reading this.buf, which room() may replace
    this.buf.set(b, at);
    this.buf.fill(0, at + b.length, this.length);
    return this;
  }
  done(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Bob Jenkins's lookup3 `hashlittle`, the checksum of HDF5's version 2 metadata (H5_checksum_lookup3). */
export function lookup3(k: Uint8Array, init = 0): number {
  const s = [0, 0, 0].map(() => (0xdeadbeef + k.length + init) | 0) as [number, number, number];
  const rot = (x: number, n: number) => (x << n) | (x >>> (32 - n));
  /** Adds up to 12 bytes from `at` to a, b, c as three little-endian words. */
  const add = (at: number, n: number) => {
    for (let j = 0; j < n; j++) s[j >> 2] = (s[j >> 2]! + (k[at + j]! << ((j & 3) * 8))) | 0;
  };
  // mix(): six rounds; round r updates x = r % 3 from z = the one before it and y = the one after.
  const mix = () => {
    [4, 6, 8, 16, 19, 4].forEach((r, round) => {
      const x = round % 3;
      const y = (x + 1) % 3;
      const z = (x + 2) % 3;
      s[x] = ((s[x]! - s[z]!) | 0) ^ rot(s[z]!, r);
      s[z] = (s[z]! + s[y]!) | 0;
    });
  };
  // final(): seven steps on c, a, b, c, a, b, c, each from the one before it.
  const final = () => {
    [14, 11, 25, 16, 4, 14, 24].forEach((r, step) => {
      const x = (2 + step) % 3;
      const z = (x + 2) % 3;
      s[x] = ((s[x]! ^ s[z]!) - rot(s[z]!, r)) | 0;
    });
  };
  let at = 0;
  for (; k.length - at > 12; at += 12) {
    add(at, 12);
    mix();
  }
  if (k.length - at === 0) return s[2] >>> 0;
  add(at, k.length - at);
  final();
  return s[2] >>> 0;
}

/** The bytes of `values` laid out as `format` says (see Bytes.put). */
function pack(format: string, ...values: (number | bigint)[]): Uint8Array {
  return new Bytes()
    .put(format, ...values)
    .done()
    .slice();
}

/** Datatype message (version 1) of a numeric element: fixed-point, or IEEE float with an implied leading mantissa bit. */
function numericType(float: boolean, size: number, signed: boolean): Uint8Array {
  const bits = size * 8;
  if (!float) return pack('BBBBIHH', 0x10, signed ? 0x08 : 0, 0, 0, size, 0, bits);
  const [exponent, mantissa, bias] = size === 4 ? [8, 23, 127] : [11, 52, 1023];
  return pack('BBBBIHHBBBBI', 0x11, 0x20, bits - 1, 0, size, 0, bits, mantissa, exponent, 0, mantissa, bias);
}

/** Dataspace message (version 2): scalar when `shape` is null. */
function dataspace(shape: readonly number[] | null): Uint8Array {
  return pack(`BBBB${'Q'.repeat(shape?.length ?? 0)}`, 2, shape?.length ?? 0, 0, shape ? 1 : 0, ...(shape ?? []));
}

/** What an attribute message needs: the datatype, the shape (null: scalar), the values given the global heap's layout. */
interface AttrPlan {
  type: Uint8Array;
  shape: number[] | null;
  values: (out: Bytes, heap: Map<string, number>, heapAddress: number) => void;
  strings: string[]; // variable-length strings, kept in the global heap
}

const raw = (a: ArrayBufferView) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function planAttr(owner: string, name: string, value: Hdf5AttrValue): AttrPlan {
  const list = Array.isArray(value) ? (value as unknown[]) : null;
  const shape = (n: number) => (list || ArrayBuffer.isView(value) ? [n] : null);
  if (typeof value === 'string' || list?.every((v) => typeof v === 'string')) {
    const strings = (list ?? [value]) as string[];
    // Variable-length string (class 9, type 1), UTF-8, NUL-terminated; its base type an unsigned byte, as libhdf5 writes it.
    const type = new Uint8Array([...pack('BBBBI', 0x19, 0x01, 0x01, 0, 16), ...numericType(false, 1, false)]);
    const values: AttrPlan['values'] = (out, heap, at) => {
      for (const s of strings) out.put('IQI', utf8.encode(s).length, at, heap.get(s)!);
    };
    return { type, shape: shape(strings.length), values, strings };
  }
  const numeric = (data: Hdf5WriteArray): AttrPlan => {
    const { float, size, signed } = ELEMENT.get(data.constructor as TypedArrayClass)!;
    return { type: numericType(float, size, signed), shape: shape(data.length), values: (out) => out.bytes(raw(data)), strings: [] };
  };
  if (typeof value === 'number' || list?.every((v) => typeof v === 'number'))
    return numeric(new Float64Array((list ?? [value]) as number[]));
  if (typeof value === 'bigint') return numeric(new BigInt64Array([value]));
  if (ArrayBuffer.isView(value) && ELEMENT.has(value.constructor as TypedArrayClass)) return numeric(value as Hdf5WriteArray);
  if (value !== null && typeof value === 'object' && 'fixed' in value) {
    const texts = typeof value.fixed === 'string' ? [value.fixed] : [...value.fixed];
    if (!texts.every((s) => typeof s === 'string' && isAscii(s) && !s.includes('\0'))) {
      throw configError('hdf5 writer', {
        expected: `attribute ${name} of ${owner}: fixed-length strings are ASCII without NUL`,
        hint: 'give a plain string (variable-length UTF-8) for other text',
      });
    }
    // numpy's S dtype: string class, NUL-padded, ASCII, as wide as the longest (at least one byte).
    const width = Math.max(1, ...texts.map((s) => s.length));
    const values: AttrPlan['values'] = (out) => {
      for (const s of texts) out.bytes(utf8.encode(s), width);
    };
    return {
      type: pack('BBBBI', 0x13, 0x01, 0, 0, width),
      shape: typeof value.fixed === 'string' ? null : [texts.length],
      values,
      strings: [],
    };
  }
  throw configError('hdf5 writer', {
    expected: `attribute ${name} of ${owner}: a string, number, bigint, array of strings or numbers, typed array or {fixed}`,
    got: Object.prototype.toString.call(value),
  });
}

/** Everything a header's messages need once the layout is known. */
interface Layout {
  addressOf: (member: object) => number;
  heap: Map<string, number>;
  heapAddress: number;
  dataAddress: number;
}

/** A header message: its type, body size and a writer of the body. */
interface Message {
  type: number;
  size: number;
  flags?: number;
  write: (out: Bytes, layout: Layout) => void;
}

const MESSAGE = { dataspace: 0x01, linkInfo: 0x02, datatype: 0x03, fill: 0x05, link: 0x06, layout: 0x08, groupInfo: 0x0a, attribute: 0x0c };
const fixed = (type: number, body: Uint8Array, flags = 0): Message => ({ type, size: body.length, flags, write: (out) => out.bytes(body) });

/** Attribute message (version 3, no padding); at most 64 KiB, the size field of a header message. */
function attrMessage(owner: string, name: string, value: Hdf5AttrValue): { message: Message; strings: string[] } {
  const plan = planAttr(owner, name, value);
  const nameBytes = utf8.encode(name);
  const space = dataspace(plan.shape);
  const write = (out: Bytes, layout: Pick<Layout, 'heap' | 'heapAddress'>) => {
    out.put('BBHHHB', 3, 0, nameBytes.length + 1, plan.type.length, space.length, isAscii(name) ? 0 : 1);
    out
      .bytes(nameBytes, nameBytes.length + 1)
      .bytes(plan.type)
      .bytes(space);
    plan.values(out, layout.heap, layout.heapAddress);
  };
  const probe = new Bytes();
  write(probe, { heap: new Map(plan.strings.map((s) => [s, 0])), heapAddress: 0 });
  const size = probe.length;
  if (size > 0xffff) {
    throw configError('hdf5 writer', {
      expected: `attribute ${name} of ${owner} takes ${size} bytes; an attribute in an object header holds at most 65535`,
      hint: 'split it into several attributes (Keras names the parts name0, name1, ...)',
    });
  }
  return { message: { type: MESSAGE.attribute, size, write }, strings: plan.strings };
}

/** Link message (version 1): a hard link, with a 1-, 2- or 4-byte name length and the UTF-8 flag when needed. */
function linkMessage(name: string, member: object): Message {
  const nameBytes = utf8.encode(name);
  const lengthSize = nameBytes.length < 0x100 ? 0 : nameBytes.length < 0x10000 ? 1 : 2;
  const ascii = isAscii(name);
  const format = `BB${ascii ? '' : 'B'}${'BHI'[lengthSize]}`;
  return {
    type: MESSAGE.link,
    size: format.length + (1 << lengthSize) - 1 + nameBytes.length + 8,
    write: (out, layout) => {
      out.put(format, 1, lengthSize | (ascii ? 0 : 0x10), ...(ascii ? [] : [1]), nameBytes.length);
      out.bytes(nameBytes).put('Q', layout.addressOf(member));
    },
  };
}

/** The messages of one object's header: a group's links, or a dataset's space, type, fill value and layout; then attributes. */
function messagesOf(node: Hdf5WriteGroup | Hdf5WriteDataset, path: string, strings: Set<string>): Message[] {
  let messages: Message[];
  let attrs: Iterable<[string, Hdf5AttrValue]>;
  if (node instanceof Hdf5WriteGroup) {
    // Link Info (no dense storage, no creation order) and Group Info mark a new-style group, its links in the header.
    const linkInfo = pack('BBQQ', 0, 0, UNDEFINED, UNDEFINED);
    messages = [fixed(MESSAGE.linkInfo, linkInfo), fixed(MESSAGE.groupInfo, new Uint8Array([0, 0]))];
    for (const [name, member] of node.members) messages.push(linkMessage(name, member));
    attrs = node.attrs;
  } else {
    const { float, size, signed } = ELEMENT.get(node.data.constructor as TypedArrayClass)!;
    const bytes = node.data.byteLength;
    messages = [
      fixed(MESSAGE.dataspace, dataspace(node.shape.length === 0 ? null : node.shape)),
      fixed(MESSAGE.datatype, numericType(float, size, signed), 1),
      // Fill value version 3: allocated late, filled "if set", no value given (unwritten storage reads as zeros).
      fixed(MESSAGE.fill, new Uint8Array([3, 0x0a]), 1),
      // Layout version 3, contiguous; an empty dataset has no storage (the undefined address).
      { type: MESSAGE.layout, size: 18, write: (out, l) => out.put('BBQQ', 3, 1, bytes === 0 ? UNDEFINED : l.dataAddress, bytes) },
    ];
    attrs = Object.entries(node.attrs ?? {});
  }
  for (const [name, value] of attrs) {
    const a = attrMessage(path, name, value);
    for (const s of a.strings) strings.add(s);
    messages.push(a.message);
  }
  return messages;
}

/** Serialises `root` into the bytes of an HDF5 file. */
export function writeHdf5(root: Hdf5WriteGroup): Uint8Array {
  const headers: { node: Hdf5WriteGroup | Hdf5WriteDataset; messages: Message[]; chunk: number; address: number }[] = [];
  const strings = new Set<string>();
  const visit = (node: Hdf5WriteGroup | Hdf5WriteDataset, path: string) => {
    const messages = messagesOf(node, path, strings);
    headers.push({ node, messages, chunk: messages.reduce((n, m) => n + 4 + m.size, 0), address: 0 });
    if (node instanceof Hdf5WriteGroup) for (const [name, member] of node.members) visit(member, join(path, name));
  };
  visit(root, '/');

  // Layout: superblock, object headers in visiting order, the global heap, then the data.
  let at = SUPERBLOCK_SIZE;
  for (const h of headers) {
    h.address = at;
    at += 4 + 2 + 4 + h.chunk + 4; // OHDR, version and flags, chunk size, messages, checksum
  }
  const heap = new Map<string, number>();
  let heapUsed = 16;
  for (const s of strings) {
    heap.set(s, heap.size + 1);
    heapUsed += 16 + align8(utf8.encode(s).length);
  }
  if (heap.size > 0xffff) throw configError('hdf5 writer', { expected: `${heap.size} distinct strings; one heap holds at most 65535` });
  const heapAddress = align8(at);
  const heapSize = strings.size > 0 ? Math.max(HEAP_MIN, heapUsed) : 0;
  at = heapAddress + heapSize;
  const dataAddress = new Map<object, number>();
  for (const { node } of headers) {
    if (node instanceof Hdf5WriteGroup) continue;
    at = align8(at);
    dataAddress.set(node, at);
    at += node.data.byteLength;
  }
  const end = at;
  if (end > Number.MAX_SAFE_INTEGER) throw configError('hdf5 writer', { expected: `the file would be ${end} bytes` });

  const out = new Bytes(end);
  // Superblock version 2: 8-byte offsets and lengths, no extension, the root group's header, checksum.
  out
    .bytes(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]))
    .put('BBBBQQQQ', 2, 8, 8, 0, 0, UNDEFINED, end, headers[0]!.address);
  out.put('I', lookup3(out.done()));
  const addresses = new Map<object, number>(headers.map((h) => [h.node, h.address]));
  for (const { node, messages, chunk, address } of headers) {
    if (out.length !== address) throw new Error('hdf5 writer: object header misplaced');
    // Object header version 2, flags 2 (a 4-byte chunk size; no times, no attribute phase change).
    out.bytes(utf8.encode('OHDR')).put('BBI', 2, 0x02, chunk);
    const layout: Layout = { addressOf: (m) => addresses.get(m)!, heap, heapAddress, dataAddress: dataAddress.get(node) ?? 0 };
    for (const m of messages) {
      const before = out.length;
      m.write(out.put('BHB', m.type, m.size, m.flags ?? 0), layout);
      if (out.length - before !== 4 + m.size) throw new Error(`hdf5 writer: message ${m.type} has the wrong size`);
    }
    out.put('I', lookup3(out.done().subarray(address)));
  }
  out.bytes(new Uint8Array(), heapAddress - out.length);
  if (heapSize > 0) {
    out.bytes(utf8.encode('GCOL')).put('BBBBQ', 1, 0, 0, 0, heapSize);
    for (const [s, index] of heap) {
      const b = utf8.encode(s);
      out.put('HHIQ', index, 1, 0, b.length).bytes(b, align8(b.length));
    }
    // The rest is free space: object 0, whose size counts its own 16-byte header (less than 16 bytes is left bare).
    const free = heapSize - heapUsed;
    if (free >= 16) out.put('HHIQ', 0, 0, 0, free);
    out.bytes(new Uint8Array(), free >= 16 ? free - 16 : free);
  }
  for (const { node } of headers) {
    if (node instanceof Hdf5WriteGroup) continue;
    out.bytes(new Uint8Array(), dataAddress.get(node)! - out.length);
    // Typed arrays hold the platform's byte order: little-endian on every engine neurona runs on.
    out.bytes(raw(node.data));
  }
  if (out.length !== end) throw new Error('hdf5 writer: the file is not the planned size');
  return out.done();
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;
