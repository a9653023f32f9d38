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
 * build) and jsfive, our reader, reads it (test/io/hdf5-write.test.ts checks both, the latter
 * through committed h5py output). Variable-length strings live in one global heap collection.
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
    const at = this.length;
    this.length += n;
    return at;
  }
  u8(...values: number[]): this {
    for (const v of values) {
      const at = this.room(1); // before reading this.buf, which room() may replace
      this.buf[at] = v;
    }
    return this;
  }
  u16(v: number): this {
    this.view.setUint16(this.room(2), v, true);
    return this;
  }
  u32(v: number): this {
    this.view.setUint32(this.room(4), v, true);
    return this;
  }
  u64(v: number | bigint): this {
    this.view.setBigUint64(this.room(8), BigInt(v), true);
    return this;
  }
  bytes(b: Uint8Array): this {
    const at = this.room(b.length);
    this.buf.set(b, at);
    return this;
  }
  zeros(n: number): this {
    const at = this.room(n);
    this.buf.fill(0, at, this.length);
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

/** Datatype message (version 1) of a numeric element. */
function numericType(out: Bytes, float: boolean, size: number, signed: boolean): Bytes {
  if (float) {
    // IEEE little-endian: implied leading mantissa bit (0x20), sign at the top bit.
    out
      .u8(0x11, 0x20, size * 8 - 1, 0)
      .u32(size)
      .u16(0)
      .u16(size * 8);
    return size === 4 ? out.u8(23, 8, 0, 23).u32(127) : out.u8(52, 11, 0, 52).u32(1023);
  }
  return out
    .u8(0x10, signed ? 0x08 : 0, 0, 0)
    .u32(size)
    .u16(0)
    .u16(size * 8);
}

/** An attribute reduced to what its message needs: datatype bytes, shape and a writer of the values. */
interface AttrPlan {
  type: Uint8Array;
  shape: number[] | null; // null: scalar
  values: (out: Bytes, heap: Map<string, number>, heapAddress: number) => void;
  strings: string[]; // variable-length strings to put in the global heap
}

function planAttr(owner: string, name: string, value: Hdf5AttrValue): AttrPlan {
  const plan = (type: Bytes, shape: number[] | null, values: AttrPlan['values'], strings: string[] = []): AttrPlan => ({
    type: type.done().slice(),
    shape,
    values,
    strings,
  });
  if (typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'))) {
    const strings = typeof value === 'string' ? [value] : [...(value as string[])];
    // Variable-length string, UTF-8, NUL-terminated; its base type is an unsigned byte, as libhdf5 writes it.
    const type = new Bytes().u8(0x19, 0x01, 0x01, 0).u32(16);
    numericType(type, false, 1, false);
    return plan(
      type,
      typeof value === 'string' ? null : [strings.length],
      (out, heap, at) => {
        for (const s of strings) out.u32(utf8.encode(s).length).u64(at).u32(heap.get(s)!);
      },
      strings,
    );
  }
  if (typeof value === 'number' || (Array.isArray(value) && value.every((v) => typeof v === 'number'))) {
    const numbers = typeof value === 'number' ? [value] : (value as number[]);
    return plan(numericType(new Bytes(), true, 8, true), typeof value === 'number' ? null : [numbers.length], (out) => {
      const b = new Uint8Array(new Float64Array(numbers).buffer);
      out.bytes(b);
    });
  }
  if (typeof value === 'bigint') {
    return plan(numericType(new Bytes(), false, 8, true), null, (out) => out.bytes(new Uint8Array(new BigInt64Array([value]).buffer)));
  }
  if (ArrayBuffer.isView(value) && ELEMENT.has(value.constructor as TypedArrayClass)) {
    const { float, size, signed } = ELEMENT.get(value.constructor as TypedArrayClass)!;
    const array = value as Hdf5WriteArray;
    return plan(numericType(new Bytes(), float, size, signed), [array.length], (out) =>
      out.bytes(new Uint8Array(array.buffer, array.byteOffset, array.byteLength)),
    );
  }
  if (value !== null && typeof value === 'object' && 'fixed' in value) {
    const list = typeof value.fixed === 'string' ? [value.fixed] : [...value.fixed];
    if (!list.every((s) => typeof s === 'string' && isAscii(s) && !s.includes('\0'))) {
      throw configError('hdf5 writer', {
        expected: `attribute ${name} of ${owner}: fixed-length strings are ASCII without NUL`,
        hint: 'give a plain string (variable-length UTF-8) for other text',
      });
    }
    // numpy's S dtype: NUL-padded to the longest, at least one byte.
    const width = Math.max(1, ...list.map((s) => s.length));
    const type = new Bytes().u8(0x13, 0x01, 0, 0).u32(width);
    return plan(type, typeof value.fixed === 'string' ? null : [list.length], (out) => {
      for (const s of list) out.bytes(utf8.encode(s)).zeros(width - s.length);
    });
  }
  throw configError('hdf5 writer', {
    expected: `attribute ${name} of ${owner}: a string, number, bigint, array of strings or numbers, typed array or {fixed}`,
    got: Object.prototype.toString.call(value),
  });
}

/** Dataspace message (version 2): scalar when `shape` is null. */
function dataspace(shape: readonly number[] | null): Uint8Array {
  const out = new Bytes().u8(2, shape ? shape.length : 0, 0, shape ? 1 : 0);
  for (const d of shape ?? []) out.u64(d);
  return out.done().slice();
}

/** An object header (version 2) whose link and heap addresses are filled in once the layout is known. */
interface Planned {
  size: number;
  address: number;
  write(out: Bytes, addressOf: (member: object) => number, heapAddress: number, heap: Map<string, number>): void;
}

const MESSAGE = { dataspace: 0x01, linkInfo: 0x02, datatype: 0x03, fill: 0x05, link: 0x06, layout: 0x08, groupInfo: 0x0a, attribute: 0x0c };

function attrMessage(
  owner: string,
  name: string,
  value: Hdf5AttrValue,
): { plan: AttrPlan; size: number; body: (h: Map<string, number>, at: number) => Uint8Array } {
  const plan = planAttr(owner, name, value);
  const nameBytes = utf8.encode(name);
  const space = dataspace(plan.shape);
  const body = (heap: Map<string, number>, at: number) => {
    const out = new Bytes()
      .u8(3, 0)
      .u16(nameBytes.length + 1)
      .u16(plan.type.length)
      .u16(space.length);
    out
      .u8(isAscii(name) ? 0 : 1)
      .bytes(nameBytes)
      .u8(0)
      .bytes(plan.type)
      .bytes(space);
    plan.values(out, heap, at);
    return out.done().slice();
  };
  const size = body(new Map(plan.strings.map((s) => [s, 0])), 0).length;
  if (size > 0xffff) {
    throw configError('hdf5 writer', {
      expected: `attribute ${name} of ${owner} takes ${size} bytes; an attribute in an object header holds at most 65535`,
      hint: 'split it into several attributes (Keras names the parts name0, name1, ...)',
    });
  }
  return { plan, size, body };
}

/** Serialises `root` into the bytes of an HDF5 file. */
export function writeHdf5(root: Hdf5WriteGroup): Uint8Array {
  const objects = new Map<object, Planned>();
  const strings = new Set<string>();
  const datasets: Hdf5WriteDataset[] = [];

  const planAttrs = (owner: string, attrs: Iterable<[string, Hdf5AttrValue]>) =>
    [...attrs].map(([name, value]) => {
      const m = attrMessage(owner, name, value);
      for (const s of m.plan.strings) strings.add(s);
      return m;
    });

  const visit = (node: Hdf5WriteGroup | Hdf5WriteDataset, path: string) => {
    type Msg = { type: number; size: number; flags?: number; write: (out: Bytes, ctx: Ctx) => void };
    type Ctx = { addressOf: (m: object) => number; heapAddress: number; heap: Map<string, number>; dataAddress: number };
    const messages: Msg[] = [];
    const fixed = (type: number, body: Uint8Array, flags = 0): Msg => ({ type, size: body.length, flags, write: (out) => out.bytes(body) });
    let attrs: Iterable<[string, Hdf5AttrValue]>;
    if (node instanceof Hdf5WriteGroup) {
      // Link Info (no dense storage, no creation order) and Group Info mark a new-style compact group.
      messages.push(fixed(MESSAGE.linkInfo, new Bytes().u8(0, 0).u64(UNDEFINED).u64(UNDEFINED).done().slice()));
      messages.push(fixed(MESSAGE.groupInfo, new Uint8Array([0, 0])));
      for (const [name, member] of node.members) {
        const nameBytes = utf8.encode(name);
        const lengthSize = nameBytes.length < 0x100 ? 0 : nameBytes.length < 0x10000 ? 1 : 2;
        const ascii = isAscii(name);
        const size = 2 + (ascii ? 0 : 1) + (1 << lengthSize) + nameBytes.length + 8;
        messages.push({
          type: MESSAGE.link,
          size,
          write: (out, ctx) => {
            out.u8(1, lengthSize | (ascii ? 0 : 0x10));
            if (!ascii) out.u8(1);
            if (lengthSize === 0) out.u8(nameBytes.length);
            else if (lengthSize === 1) out.u16(nameBytes.length);
            else out.u32(nameBytes.length);
            out.bytes(nameBytes).u64(ctx.addressOf(member));
          },
        });
      }
      attrs = node.attrs;
    } else {
      const { float, size, signed } = ELEMENT.get(node.data.constructor as TypedArrayClass)!;
      messages.push(fixed(MESSAGE.dataspace, dataspace(node.shape.length === 0 ? null : node.shape)));
      messages.push(fixed(MESSAGE.datatype, numericType(new Bytes(), float, size, signed).done().slice(), 1));
      // Fill value version 3: allocation late, fill "if set", no value given (reads as zeros).
      messages.push(fixed(MESSAGE.fill, new Uint8Array([3, 0x0a]), 1));
      messages.push({
        type: MESSAGE.layout,
        size: 18,
        write: (out, ctx) =>
          out
            .u8(3, 1)
            .u64(node.data.byteLength === 0 ? UNDEFINED : ctx.dataAddress)
            .u64(node.data.byteLength),
      });
      datasets.push(node);
      attrs = Object.entries(node.attrs ?? {});
    }
    for (const a of planAttrs(path, attrs)) {
      messages.push({ type: MESSAGE.attribute, size: a.size, write: (out, ctx) => out.bytes(a.body(ctx.heap, ctx.heapAddress)) });
    }
    const chunk = messages.reduce((n, m) => n + 4 + m.size, 0);
    const dataIndex = datasets.length - 1;
    objects.set(node, {
      size: 4 + 2 + 4 + chunk + 4,
      address: 0,
      write(out, addressOf, heapAddress, heap) {
        const start = out.length;
        out.bytes(utf8.encode('OHDR')).u8(2, 0x02).u32(chunk);
        const ctx: Ctx = { addressOf, heapAddress, heap, dataAddress: node instanceof Hdf5WriteGroup ? 0 : dataAddresses[dataIndex]! };
        for (const m of messages) {
          const before = out.length;
          out
            .u8(m.type)
            .u16(m.size)
            .u8(m.flags ?? 0);
          m.write(out, ctx);
          if (out.length - before !== 4 + m.size) throw new Error(`hdf5 writer: message ${m.type} of ${path} has the wrong size`);
        }
        out.u32(lookup3(out.done().subarray(start)));
      },
    });
    if (node instanceof Hdf5WriteGroup) for (const [name, member] of node.members) visit(member, join(path, name));
  };
  const dataAddresses: number[] = [];
  visit(root, '/');

  // Layout: superblock, object headers in visiting order, the global heap, then the data.
  let at = SUPERBLOCK_SIZE;
  for (const planned of objects.values()) {
    planned.address = at;
    at += planned.size;
  }
  const heapIndex = new Map<string, number>();
  let heapUsed = 16;
  for (const s of strings) {
    heapIndex.set(s, heapIndex.size + 1);
    heapUsed += 16 + align8(utf8.encode(s).length);
  }
  if (heapIndex.size > 0xffff)
    throw configError('hdf5 writer', { expected: `${heapIndex.size} distinct strings; one heap holds at most 65535` });
  const heapAddress = align8(at);
  const heapSize = strings.size > 0 ? Math.max(HEAP_MIN, heapUsed) : 0;
  at = heapAddress + heapSize;
  for (const d of datasets) {
    at = align8(at);
    dataAddresses.push(at);
    at += d.data.byteLength;
  }
  const end = at;
  if (end > Number.MAX_SAFE_INTEGER) throw configError('hdf5 writer', { expected: `the file would be ${end} bytes` });

  const out = new Bytes(end);
  // Superblock version 2: 8-byte offsets and lengths, no extension, root group header, checksum.
  out.bytes(new Uint8Array([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a])).u8(2, 8, 8, 0);
  out.u64(0).u64(UNDEFINED).u64(end).u64(objects.get(root)!.address);
  out.u32(lookup3(out.done().subarray(0, 44)));
  const addressOf = (member: object) => objects.get(member)!.address;
  for (const planned of objects.values()) {
    if (out.length !== planned.address) throw new Error('hdf5 writer: object header misplaced');
    planned.write(out, addressOf, heapAddress, heapIndex);
  }
  out.zeros(heapAddress - out.length);
  if (heapSize > 0) {
    out.bytes(utf8.encode('GCOL')).u8(1, 0, 0, 0).u64(heapSize);
    for (const [s, index] of heapIndex) {
      const b = utf8.encode(s);
      out
        .u16(index)
        .u16(1)
        .u32(0)
        .u64(b.length)
        .bytes(b)
        .zeros(align8(b.length) - b.length);
    }
    // The rest is free space: object 0, whose size counts its own 16-byte header.
    const free = heapSize - heapUsed;
    if (free >= 16)
      out
        .u16(0)
        .u16(0)
        .u32(0)
        .u64(free)
        .zeros(free - 16);
    else out.zeros(free);
  }
  datasets.forEach((d, i) => {
    out.zeros(dataAddresses[i]! - out.length);
    // Typed arrays hold the platform's byte order: little-endian on every engine neurona runs on.
    out.bytes(new Uint8Array(d.data.buffer, d.data.byteOffset, d.data.byteLength));
  });
  if (out.length !== end) throw new Error('hdf5 writer: the file is not the planned size');
  return out.done();
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;
