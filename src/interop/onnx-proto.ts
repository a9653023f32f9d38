import { formatError } from '../core/index.js';

/*
 * The part of ONNX's protobuf schema (onnx/onnx.proto, IR version 8) that models use, read and written
 * by hand: the wire format is five rules, and the few messages below need no generated code, no
 * runtime dependency and no `eval` (protobufjs's reflection builds functions at run time). The reader
 * checks every length against the bytes left, so a damaged file is a FormatError, never a crash.
 */

export enum DataType {
  FLOAT = 1,
  UINT8 = 2,
  INT8 = 3,
  INT32 = 6,
  INT64 = 7,
  BOOL = 9,
  DOUBLE = 11,
}

export interface TensorProto {
  name: string;
  dims: number[];
  dataType: number;
  /** Float values (FLOAT, DOUBLE) or integers (INT*, BOOL), whichever field the file used. */
  data: Float32Array | Float64Array | number[];
}

export interface AttributeProto {
  name: string;
  f?: number;
  i?: number;
  s?: string;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
  strings?: string[];
}

export interface NodeProto {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: AttributeProto[];
}

export interface ValueInfo {
  name: string;
  elemType: number;
  /** Dimensions; a named or missing dimension is null. */
  shape: (number | null)[] | null;
}

export interface GraphProto {
  name: string;
  nodes: NodeProto[];
  initializers: TensorProto[];
  inputs: ValueInfo[];
  outputs: ValueInfo[];
}

export interface ModelProto {
  irVersion: number;
  opset: number;
  producer: string;
  graph: GraphProto;
}

// ---------------------------------------------------------------- writer

class Writer {
  private buf = new Uint8Array(1024);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  varint(v: number): void {
    this.ensure(10);
    if (v < 0) {
      // int64 two's complement: ten bytes
      let lo = (v % 2 ** 32) >>> 0;
      let hi = Math.floor(v / 2 ** 32) >>> 0;
      for (let i = 0; i < 9; i++) {
        this.buf[this.len++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      this.buf[this.len++] = 1;
      return;
    }
    while (v >= 0x80) {
      this.buf[this.len++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.len++] = v;
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  int(field: number, v: number): void {
    this.tag(field, 0);
    this.varint(v);
  }

  bytes(field: number, b: Uint8Array): void {
    this.tag(field, 2);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(field: number, s: string): void {
    this.bytes(field, new TextEncoder().encode(s));
  }

  float(field: number, v: number): void {
    this.tag(field, 5);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, v, true);
    this.len += 4;
  }

  message(field: number, write: (w: Writer) => void): void {
    const w = new Writer();
    write(w);
    this.bytes(field, w.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

function writeTensor(w: Writer, t: TensorProto): void {
  for (const d of t.dims) w.int(1, d);
  w.int(2, t.dataType);
  w.string(8, t.name);
  let raw: Uint8Array;
  if (t.dataType === DataType.FLOAT) raw = new Uint8Array(Float32Array.from(t.data as ArrayLike<number>).buffer);
  else if (t.dataType === DataType.DOUBLE) raw = new Uint8Array(Float64Array.from(t.data as ArrayLike<number>).buffer);
  else if (t.dataType === DataType.INT64) raw = new Uint8Array(BigInt64Array.from(Array.from(t.data, (v) => BigInt(v))).buffer);
  else if (t.dataType === DataType.INT32) raw = new Uint8Array(Int32Array.from(t.data as ArrayLike<number>).buffer);
  else raw = Uint8Array.from(t.data as ArrayLike<number>);
  w.bytes(9, raw);
}

function writeValueInfo(w: Writer, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tt) => {
      tt.int(1, v.elemType);
      if (v.shape)
        tt.message(2, (shape) => {
          for (const d of v.shape!) shape.message(1, (dim) => (d === null ? dim.string(2, 'batch') : dim.int(1, d)));
        });
    }),
  );
}

/** The bytes of an ONNX file. */
export function encodeModel(model: ModelProto): Uint8Array {
  const w = new Writer();
  w.int(1, model.irVersion);
  w.string(2, model.producer);
  w.message(7, (g) => {
    for (const n of model.graph.nodes) {
      g.message(1, (nw) => {
        for (const i of n.inputs) nw.string(1, i);
        for (const o of n.outputs) nw.string(2, o);
        nw.string(3, n.name);
        nw.string(4, n.opType);
        for (const a of n.attributes) {
          nw.message(5, (aw) => {
            aw.string(1, a.name);
            if (a.f !== undefined) aw.float(2, a.f);
            else if (a.i !== undefined) aw.int(3, a.i);
            else if (a.s !== undefined) aw.string(4, a.s);
            else if (a.t !== undefined) aw.message(5, (tw) => writeTensor(tw, a.t!));
            else if (a.floats !== undefined) for (const f of a.floats) aw.float(7, f);
            else if (a.ints !== undefined) for (const i of a.ints) aw.int(8, i);
            else if (a.strings !== undefined) for (const v of a.strings) aw.string(9, v);
            // field 20 values: FLOAT 1, INT 2, STRING 3, TENSOR 4, FLOATS 6, INTS 7, STRINGS 8
            const kinds: [unknown, number][] = [
              [a.f, 1],
              [a.i, 2],
              [a.s, 3],
              [a.t, 4],
              [a.floats, 6],
              [a.ints, 7],
              [a.strings, 8],
            ];
            const type = kinds.find(([v]) => v !== undefined)![1];
            aw.int(20, type);
          });
        }
        if (n.domain) nw.string(7, n.domain);
      });
    }
    g.string(2, model.graph.name);
    for (const t of model.graph.initializers) g.message(5, (tw) => writeTensor(tw, t));
    for (const v of model.graph.inputs) g.message(11, (vw) => writeValueInfo(vw, v));
    for (const v of model.graph.outputs) g.message(12, (vw) => writeValueInfo(vw, v));
  });
  w.message(8, (o) => {
    o.string(1, '');
    o.int(2, model.opset);
  });
  return w.finish();
}

// ---------------------------------------------------------------- reader

const WHERE = 'fromOnnx';

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  fail(what: string): never {
    throw formatError(WHERE, {
      expected: `a valid ONNX protobuf file`,
      got: `${what} at byte ${this.pos}`,
      hint: 'export the model again',
    });
  }

  varint(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('a truncated varint');
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) return (hi | 0) * 2 ** 32 + (lo >>> 0);
    }
    return this.fail('a varint longer than 10 bytes');
  }

  /** The [start, end) of a length-delimited field. */
  span(): [number, number] {
    const n = this.varint();
    if (n < 0 || n > this.end - this.pos) this.fail(`a length of ${n} past the end of its message`);
    const start = this.pos;
    this.pos += n;
    return [start, this.pos];
  }

  sub(): Reader {
    const [s, e] = this.span();
    return new Reader(this.buf, s, e);
  }

  string(): string {
    const [s, e] = this.span();
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(this.buf.subarray(s, e));
    } catch {
      return this.fail('a string that is not UTF-8');
    }
  }

  fixed(n: 4 | 8): DataView {
    if (this.end - this.pos < n) this.fail('a truncated fixed-width value');
    const view = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return view;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.fixed(8);
    else if (wire === 2) this.span();
    else if (wire === 5) this.fixed(4);
    else this.fail(`wire type ${wire}`);
  }

  /** Calls `field` for each field of the message; `field` returns false for those it does not read. */
  each(field: (num: number, wire: number) => boolean): void {
    while (this.pos < this.end) {
      const key = this.varint();
      const num = Math.floor(key / 8);
      const wire = key % 8;
      if (num < 1) this.fail(`field number ${num}`);
      if (!field(num, wire)) this.skip(wire);
    }
  }

  /** A repeated integer field, packed (wire 2) or not. */
  ints(wire: number, into: number[]): void {
    if (wire === 0) into.push(this.varint());
    else if (wire === 2) {
      const r = this.sub();
      while (r.pos < r.end) into.push(r.varint());
    } else this.fail(`wire type ${wire} for an integer field`);
  }

  floats(wire: number, into: number[], width: 4 | 8): void {
    const one = () => (width === 4 ? this.fixed(4).getFloat32(0, true) : this.fixed(8).getFloat64(0, true));
    if (wire === (width === 4 ? 5 : 1)) into.push(one());
    else if (wire === 2) {
      const [s, e] = this.span();
      if ((e - s) % width !== 0) this.fail('a packed float field of a length not a multiple of its width');
      const view = new DataView(this.buf.buffer, this.buf.byteOffset + s, e - s);
      for (let o = 0; o < e - s; o += width) into.push(width === 4 ? view.getFloat32(o, true) : view.getFloat64(o, true));
    } else this.fail(`wire type ${wire} for a float field`);
  }
}

const ELEMENT_BYTES: Record<number, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 11: 8 };

function readTensor(r: Reader): TensorProto {
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Uint8Array | null = null;
  const floats: number[] = [];
  const ints: number[] = [];
  r.each((num, wire) => {
    if (num === 1) r.ints(wire, dims);
    else if (num === 2 && wire === 0) dataType = r.varint();
    else if (num === 8 && wire === 2) name = r.string();
    else if (num === 9 && wire === 2) {
      const [s, e] = r.span();
      raw = r.buf.subarray(s, e);
    } else if (num === 4) r.floats(wire, floats, 4);
    else if (num === 10) r.floats(wire, floats, 8);
    else if (num === 5 || num === 7) r.ints(wire, ints);
    else if (num === 13 || num === 14) r.fail(`tensor "${name}" with external data, which is not read`);
    else return false;
    return true;
  });
  const width = ELEMENT_BYTES[dataType];
  if (width === undefined) r.fail(`tensor "${name}" of data type ${dataType}, which is not read`);
  if (dims.some((d) => d < 0 || !Number.isSafeInteger(d))) r.fail(`tensor "${name}" with dimensions [${dims.join(', ')}]`);
  const size = dims.reduce((a, b) => a * b, 1);
  let data: TensorProto['data'];
  if (raw !== null) {
    const bytes = raw as Uint8Array;
    if (bytes.length !== size * width) r.fail(`tensor "${name}" with ${bytes.length} bytes of data for ${size} values`);
    const copy = bytes.slice().buffer;
    if (dataType === DataType.FLOAT) data = new Float32Array(copy);
    else if (dataType === DataType.DOUBLE) data = new Float64Array(copy);
    else if (dataType === DataType.INT64) data = Array.from(new BigInt64Array(copy), (v) => Number(v));
    else if (dataType === DataType.INT32) data = Array.from(new Int32Array(copy));
    else if (dataType === DataType.INT8) data = Array.from(new Int8Array(copy));
    else data = Array.from(bytes);
  } else {
    const values = dataType === DataType.FLOAT || dataType === DataType.DOUBLE ? floats : ints;
    if (values.length !== size) r.fail(`tensor "${name}" with ${values.length} values for dimensions [${dims.join(', ')}]`);
    data = dataType === DataType.FLOAT ? Float32Array.from(values) : dataType === DataType.DOUBLE ? Float64Array.from(values) : values;
  }
  return { name, dims, dataType, data };
}

function readAttribute(r: Reader): AttributeProto {
  const a: AttributeProto = { name: '' };
  r.each((num, wire) => {
    if (num === 1 && wire === 2) a.name = r.string();
    else if (num === 2 && wire === 5) a.f = r.fixed(4).getFloat32(0, true);
    else if (num === 3 && wire === 0) a.i = r.varint();
    else if (num === 4 && wire === 2) a.s = r.string();
    else if (num === 5 && wire === 2) a.t = readTensor(r.sub());
    else if (num === 7) {
      a.floats ??= [];
      r.floats(wire, a.floats, 4);
    } else if (num === 8) {
      a.ints ??= [];
      r.ints(wire, a.ints);
    } else if (num === 9 && wire === 2) {
      a.strings ??= [];
      a.strings.push(r.string());
    } else return false;
    return true;
  });
  return a;
}

function readValueInfo(r: Reader): ValueInfo {
  const v: ValueInfo = { name: '', elemType: 0, shape: null };
  r.each((num, wire) => {
    if (num === 1 && wire === 2) v.name = r.string();
    else if (num === 2 && wire === 2) {
      const type = r.sub();
      type.each((tn, tw) => {
        if (tn !== 1 || tw !== 2) return false;
        const tt = type.sub();
        tt.each((fn, fw) => {
          if (fn === 1 && fw === 0) v.elemType = tt.varint();
          else if (fn === 2 && fw === 2) {
            const shape = tt.sub();
            v.shape = [];
            shape.each((sn, sw) => {
              if (sn !== 1 || sw !== 2) return false;
              const dim = shape.sub();
              let value: number | null = null;
              dim.each((dn, dw) => {
                if (dn !== 1 || dw !== 0) return false;
                value = dim.varint();
                return true;
              });
              v.shape!.push(value !== null && value >= 0 ? value : null);
              return true;
            });
          } else return false;
          return true;
        });
        return true;
      });
    } else return false;
    return true;
  });
  return v;
}

function readGraph(r: Reader): GraphProto {
  const g: GraphProto = { name: '', nodes: [], initializers: [], inputs: [], outputs: [] };
  r.each((num, wire) => {
    if (wire !== 2) return false;
    if (num === 1) {
      const n: NodeProto = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: [] };
      const nr = r.sub();
      nr.each((nn, nw) => {
        if (nw !== 2) return false;
        if (nn === 1) n.inputs.push(nr.string());
        else if (nn === 2) n.outputs.push(nr.string());
        else if (nn === 3) n.name = nr.string();
        else if (nn === 4) n.opType = nr.string();
        else if (nn === 5) n.attributes.push(readAttribute(nr.sub()));
        else if (nn === 7) n.domain = nr.string();
        else return false;
        return true;
      });
      g.nodes.push(n);
    } else if (num === 2) g.name = r.string();
    else if (num === 5) g.initializers.push(readTensor(r.sub()));
    else if (num === 11) g.inputs.push(readValueInfo(r.sub()));
    else if (num === 12) g.outputs.push(readValueInfo(r.sub()));
    else return false;
    return true;
  });
  return g;
}

/** Decodes an ONNX file; FormatError for anything that is not one. Nothing in it is evaluated. */
export function decodeModel(bytes: Uint8Array): ModelProto {
  // A Node Buffer's slice() shares memory; a plain view over it copies as typed arrays do.
  bytes = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const r = new Reader(bytes, 0, bytes.length);
  const m: ModelProto = { irVersion: 0, opset: 0, producer: '', graph: null as unknown as GraphProto };
  r.each((num, wire) => {
    if (num === 1 && wire === 0) m.irVersion = r.varint();
    else if (num === 2 && wire === 2) m.producer = r.string();
    else if (num === 7 && wire === 2) m.graph = readGraph(r.sub());
    else if (num === 8 && wire === 2) {
      const o = r.sub();
      let domain = '';
      let version = 0;
      o.each((on, ow) => {
        if (on === 1 && ow === 2) domain = o.string();
        else if (on === 2 && ow === 0) version = o.varint();
        else return false;
        return true;
      });
      if (domain === '' || domain === 'ai.onnx') m.opset = version;
    } else return false;
    return true;
  });
  if (!m.graph) r.fail('no graph');
  return m;
}
