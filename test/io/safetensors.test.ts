import { test } from 'node:test';
import { readFileSync, writeFileSync } from 'node:fs';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { SAFETENSORS_DTYPES, decodeSafetensors, encodeSafetensors, typedArrayOf, type SafetensorsDType } from '../../src/io/safetensors.js';

const FIXTURES = 'test/fixtures';

function assertFormatError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof nr.FormatError, `expected FormatError, got ${String(error)}`);
    for (const p of patterns) assert.match((error as Error).message, p);
    return true;
  });
}

/** Builds a file by hand: header text as given (no padding unless included), then `data`. */
function rawFile(header: string, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const json = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const BITS: Record<string, number> = { F4: 4, F6_E2M3: 6, F6_E3M2: 6 };
const BYTES: Record<string, number> = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  C64: 8,
  F64: 8,
  I64: 8,
  U64: 8,
};

test('safetensors: every spec dtype round-trips bit for bit, with metadata', () => {
  const tensors: Record<string, { dtype: SafetensorsDType; shape: number[]; data: Uint8Array }> = {};
  for (const dtype of SAFETENSORS_DTYPES) {
    const shape = [2, 4];
    const byteLength = BITS[dtype] ? (8 * BITS[dtype]!) / 8 : 8 * BYTES[dtype]!;
    const data = Uint8Array.from({ length: byteLength }, (_, i) => (i * 37 + dtype.length) & 255);
    tensors[`t_${dtype}`] = { dtype, shape, data };
  }
  const bytes = encodeSafetensors(tensors, { b: '2', a: 'é \n "' });
  assert.equal(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8, 0);
  const decoded = decodeSafetensors(bytes, 'all.safetensors');
  assert.deepEqual(decoded.metadata, { a: 'é \n "', b: '2' });
  for (const [name, t] of Object.entries(tensors)) {
    const got = decoded.tensors[name]!;
    assert.equal(got.dtype, t.dtype);
    assert.deepEqual(got.shape, t.shape);
    assert.deepEqual([...got.data], [...t.data], name);
  }
});

test('safetensors: typedArrayOf returns aligned copies of the right type', () => {
  const cases: [SafetensorsDType, ArrayBufferView & { length: number }, string][] = [
    ['F64', new Float64Array([1.5, -0, Infinity]), 'Float64Array'],
    ['F32', new Float32Array([0.1, NaN]), 'Float32Array'],
    ['I64', new BigInt64Array([-(2n ** 63n), 5n]), 'BigInt64Array'],
    ['U64', new BigUint64Array([2n ** 64n - 1n]), 'BigUint64Array'],
    ['I32', new Int32Array([-1, 2 ** 31 - 1]), 'Int32Array'],
    ['U32', new Uint32Array([2 ** 32 - 1]), 'Uint32Array'],
    ['I16', new Int16Array([-32768, 7]), 'Int16Array'],
    ['U16', new Uint16Array([65535]), 'Uint16Array'],
    ['F16', new Uint16Array([0x3c00]), 'Uint16Array'],
    ['BF16', new Uint16Array([0x3f80]), 'Uint16Array'],
    ['I8', new Int8Array([-128, 127]), 'Int8Array'],
    ['U8', new Uint8Array([0, 255]), 'Uint8Array'],
    ['BOOL', new Uint8Array([1, 0]), 'Uint8Array'],
  ];
  const input = Object.fromEntries(cases.map(([dtype, data]) => [dtype, { dtype, shape: [data.length], data }]));
  // One odd-sized tensor first in the buffer, so later data sit at unaligned file offsets.
  input.odd = { dtype: 'U8', shape: [3], data: new Uint8Array([9, 9, 9]) };
  const decoded = decodeSafetensors(encodeSafetensors(input));
  for (const [dtype, data, type] of cases) {
    const array = typedArrayOf(decoded.tensors[dtype]!);
    assert.equal(array.constructor.name, type, dtype);
    assert.deepEqual([...(array as unknown as Iterable<unknown>)], [...(data as unknown as Iterable<unknown>)], dtype);
  }
  const complex = typedArrayOf(
    decodeSafetensors(encodeSafetensors({ c: { dtype: 'C64', shape: [1], data: new Float32Array([1, -2]) } })).tensors.c!,
  );
  assert.deepEqual([...(complex as Float32Array)], [1, -2]);
});

test('safetensors: layout matches the reference writer (dtype alignment, then name; padding; empty file)', () => {
  const bytes = encodeSafetensors({
    b: { dtype: 'U8', shape: [1], data: new Uint8Array([1]) },
    a: { dtype: 'U8', shape: [1], data: new Uint8Array([2]) },
    w: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
  });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.equal(
    header.trimEnd(),
    '{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[1],"data_offsets":[4,5]},' +
      '"b":{"dtype":"U8","shape":[1],"data_offsets":[5,6]}}',
  );
  // The reference's own test vectors (safetensors/src/tensor.rs, test_empty).
  assert.deepEqual([...encodeSafetensors({})], [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
  assert.deepEqual(
    [...encodeSafetensors({}, { framework: 'pt' })],
    [40, 0, 0, 0, 0, 0, 0, 0, ...new TextEncoder().encode('{"__metadata__":{"framework":"pt"}}'), 32, 32, 32, 32, 32],
  );
});

test('safetensors: reads the file written by the spec-only Python script, and writes it byte for byte', () => {
  const bytes = new Uint8Array(readFileSync(`${FIXTURES}/reference.safetensors`));
  const file = decodeSafetensors(bytes, 'reference.safetensors');
  assert.deepEqual(file.metadata, { format: 'pt', producer: 'generate_safetensors.py' });
  const t = file.tensors;
  assert.deepEqual([...(typedArrayOf(t['dense/kernel']!) as Float32Array)], [-1, -0.5, 0, 0.5, 1, 1.5]);
  assert.deepEqual(t['dense/kernel']!.shape, [2, 3]);
  assert.deepEqual([...(typedArrayOf(t['dense/bias']!) as Float32Array)], [0.25, -0.125, 3]);
  assert.deepEqual([...(typedArrayOf(t.double!) as Float64Array)], [1 / 3, -2.5e300]);
  assert.deepEqual([...(typedArrayOf(t.step!) as BigInt64Array)], [7n]);
  assert.deepEqual(t.step!.shape, []);
  assert.deepEqual([...(typedArrayOf(t.ids!) as Int32Array)], [1, -2, 2147483647, -2147483648]);
  assert.deepEqual([...(typedArrayOf(t.short!) as Int16Array)], [-32768, 0, 32767]);
  assert.deepEqual([...(typedArrayOf(t.half!) as Uint16Array)], [0x3e00, 0xc000]);
  assert.deepEqual([...(typedArrayOf(t.brain!) as Uint16Array)], [0x3f80, 0xc040]);
  assert.deepEqual([...(typedArrayOf(t.tiny!) as Int8Array)], [-1, 0, 127]);
  assert.deepEqual([...typedArrayOf(t.pixels!)], [0, 1, 128, 255]);
  assert.deepEqual([...typedArrayOf(t.mask!)], [1, 0, 1, 1]);
  assert.deepEqual(t.empty!.shape, [0, 3]);
  assert.equal(t.empty!.data.length, 0);
  // Re-encoding what was read reproduces the Python writer's file exactly.
  assert.deepEqual(encodeSafetensors(file.tensors, file.metadata), bytes);
});

/** Mirrors NEURONA_CASE in test/fixtures/generate_safetensors.py, which verifies this file. */
function neuronaCase(): Uint8Array {
  return encodeSafetensors(
    {
      'layer_0/kernel': { dtype: 'F32', shape: [2, 2], data: new Float32Array([NaN, Infinity, -Infinity, -0]) },
      z: { dtype: 'U16', shape: [2], data: new Uint16Array([0, 65535]) },
      Z: { dtype: 'U32', shape: [1], data: new Uint32Array([4294967295]) },
      été: { dtype: 'U64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) },
      'optimizer/step': { dtype: 'I64', shape: [1], data: new BigInt64Array([-(2n ** 63n)]) },
      complex: { dtype: 'C64', shape: [1], data: new Float32Array([1.5, -2]) },
      fp8: { dtype: 'F8_E4M3', shape: [2], data: new Uint8Array([0x38, 0xb8]) },
      scalar: { dtype: 'F64', shape: [], data: new Float64Array([0.1]) },
    },
    { format: 'neurona', note: 'quote " backslash \\ newline \n tab \t café 😀' },
  );
}

test('safetensors: the file neurona writes is unchanged from the committed fixture the Python reader checked', () => {
  const bytes = neuronaCase();
  const path = `${FIXTURES}/neurona_written.safetensors`;
  if (process.env.NEURONA_UPDATE_FIXTURES === '1') writeFileSync(path, bytes);
  assert.deepEqual(
    bytes,
    new Uint8Array(readFileSync(path)),
    'neurona_written.safetensors differs: rerun with NEURONA_UPDATE_FIXTURES=1, ' +
      'then /usr/bin/python3 test/fixtures/generate_safetensors.py',
  );
  const decoded = decodeSafetensors(bytes);
  assert.deepEqual(decoded.tensors.été!.shape, [1]);
  assert.ok(Number.isNaN((typedArrayOf(decoded.tensors['layer_0/kernel']!) as Float32Array)[0]));
});

test('safetensors: header-level rejections name the file and the problem', () => {
  const f = 'bad.safetensors';
  assertFormatError(() => decodeSafetensors(new Uint8Array(5), f), /bad\.safetensors/, /5 bytes/);
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
  assertFormatError(() => decodeSafetensors(huge, f), /exceeds the limit/);
  const long = rawFile('{}      ');
  new DataView(long.buffer).setUint32(0, 9, true);
  assertFormatError(() => decodeSafetensors(long, f), /runs past the end/);
  assertFormatError(() => decodeSafetensors(rawFile('  {}    '), f), /start with "\{"/);
  assertFormatError(() => decodeSafetensors(rawFile('{}'), f, { maxHeaderBytes: 1 }), /limit of 1 bytes/);
  const bad = rawFile('{"a":1} ');
  bad[10] = 0xff;
  assertFormatError(() => decodeSafetensors(bad, f), /not valid UTF-8/);
  assertFormatError(() => decodeSafetensors(rawFile('{"a":'), f), /not valid JSON/);
  assertFormatError(() => decodeSafetensors(rawFile('[]'), f), /start with/);
  assertFormatError(() => decodeSafetensors(rawFile(`{"a":${'['.repeat(100000)}`), f), /nests deeper/);
  assertFormatError(() => decodeSafetensors(rawFile('{"a":{"b":[[1]]}}'), f), /nests deeper than 3/);
  assertFormatError(() => decodeSafetensors(rawFile('{"__metadata__":{"k":"1","k":"2"}}'), f), /repeats the key "k"/);
  assertFormatError(
    () => decodeSafetensors(rawFile('{"x":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"\\u0078":{}}'), f),
    /repeats the key "x"/,
  );
  assertFormatError(() => decodeSafetensors(rawFile('{"__metadata__":{"k":1}}'), f), /metadata "k" is number/);
  assertFormatError(() => decodeSafetensors(rawFile('{"__metadata__":["a"]}'), f), /must be an object/);
});

test('safetensors: tensor-level rejections: dtype, shape, byte count, offsets, coverage, caps', () => {
  const f = 'bad.safetensors';
  const entry = (dtype: string, shape: string, offsets: string) => `{"dtype":${dtype},"shape":${shape},"data_offsets":${offsets}}`;
  const one = (e: string, bytes = 4) => decodeSafetensors(rawFile(`{"t":${e}}`, new Uint8Array(bytes)), f);
  assertFormatError(() => one(entry('"F128"', '[1]', '[0,4]')), /unknown dtype "F128"/);
  assertFormatError(() => one(entry('"f32"', '[1]', '[0,4]')), /unknown dtype/);
  assertFormatError(() => one(entry('"F32"', '[-1]', '[0,4]')), /shape \[-1\]/);
  assertFormatError(() => one(entry('"F32"', '[1.5]', '[0,4]')), /non-negative integers/);
  assertFormatError(() => one(entry('"F32"', '"1"', '[0,4]')), /shape/);
  assertFormatError(() => one(entry('"F32"', '[1e300,1e300]', '[0,4]')), /shape/);
  assertFormatError(() => one(entry('"F32"', '[9007199254740991,9007199254740991]', '[0,4]')), /needs more bytes than the whole/);
  assertFormatError(() => one(entry('"F32"', '[2]', '[0,4]'), 8), /needs 8 bytes, but data_offsets \[0, 4\] hold 4/);
  assertFormatError(() => one(entry('"F32"', '[1]', '[0,5]')), /outside the 4-byte data buffer/);
  assertFormatError(() => one(entry('"F32"', '[1]', '[4,0]')), /outside/);
  assertFormatError(() => one(entry('"F32"', '[1]', '[0,4,8]')), /\[begin, end\]/);
  assertFormatError(() => one(entry('"F32"', '[1]', '[0,4]'), 5), /cover 4 bytes, but the data buffer holds 5/);
  assertFormatError(() => one(entry('"F4"', '[3]', '[0,2]')), /whole number of bytes/);
  assertFormatError(() => one(`{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":1}`), /unknown field "extra"/);
  assertFormatError(() => one('[1]'), /must be an object/);
  const two = (a: string, b: string, bytes: number) => decodeSafetensors(rawFile(`{"a":${a},"b":${b}}`, new Uint8Array(bytes)), f);
  assertFormatError(() => two(entry('"U8"', '[4]', '[0,4]'), entry('"U8"', '[4]', '[2,6]'), 6), /overlapping/);
  assertFormatError(() => two(entry('"U8"', '[2]', '[0,2]'), entry('"U8"', '[2]', '[4,6]'), 6), /gap/);
  assertFormatError(() => two(entry('"U8"', '[2]', '[2,4]'), entry('"U8"', '[2]', '[2,4]'), 4), /gap|overlapping/);
  assertFormatError(
    () =>
      decodeSafetensors(rawFile(`{"a":${entry('"U8"', '[2]', '[0,2]')},"b":${entry('"U8"', '[2]', '[2,4]')}}`, new Uint8Array(4)), f, {
        maxTensors: 1,
      }),
    /2 tensors exceed the limit of 1/,
  );
  // Out-of-order entries are fine as long as the offsets tile the buffer (the reference sorts them).
  const ok = two(entry('"U8"', '[2]', '[2,4]'), entry('"U8"', '[2]', '[0,2]'), 4);
  assert.deepEqual(Object.keys(ok.tensors).sort(), ['a', 'b']);
  // A tensor named "__proto__" is an ordinary key, never the prototype.
  const proto = decodeSafetensors(rawFile(`{"__proto__":${entry('"U8"', '[1]', '[0,1]')}}`, new Uint8Array(1)), f);
  assert.ok(Object.hasOwn(proto.tensors, '__proto__'));
});

test('safetensors: encode rejects bad arguments with ConfigError', () => {
  const bad = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (e: unknown) => e instanceof nr.ConfigError && pattern.test((e as Error).message));
  bad(() => encodeSafetensors({ a: { dtype: 'F32', shape: [3], data: new Float32Array(2) } }), /needs 12 bytes, but its data holds 8/);
  bad(() => encodeSafetensors({ a: { dtype: 'X' as SafetensorsDType, shape: [1], data: new Uint8Array(1) } }), /unknown dtype/);
  bad(() => encodeSafetensors({ a: { dtype: 'U8', shape: [-1], data: new Uint8Array(1) } }), /non-negative/);
  bad(() => encodeSafetensors({ __metadata__: { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }), /reserved/);
  bad(() => encodeSafetensors({}, { a: 1 as unknown as string }), /only string values/);
  bad(() => encodeSafetensors({ '\ud800': { dtype: 'U8', shape: [1], data: new Uint8Array(1) } }), /lone UTF-16 surrogate/);
});
