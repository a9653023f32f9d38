import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nr, assert } from '../helpers.js';
import { Hdf5WriteGroup, lookup3, writeHdf5, type Hdf5AttrValue, type Hdf5WriteArray } from '../../src/io/hdf5-write.js';
import { openHdf5, type Hdf5Dataset, type Hdf5Group } from '../../src/io/hdf5.js';
import { kerasWeightsTree } from '../../src/nn/saving/keras-h5-write.js';

/*
 * The HDF5 writer against our reader (jsfive) and against libhdf5: the files built below are
 * committed in test/fixtures/hdf5/written/, and test/fixtures/hdf5/check_written.py records in
 * written.json what h5py saw in them. The test asserts the writer still produces those exact bytes
 * and that h5py's view matches what was written. After a deliberate change to the writer:
 *   NEURONA_UPDATE_HDF5=1 node scripts/test.mjs test/io/hdf5-write.test.ts
 *   /usr/bin/python3 test/fixtures/hdf5/check_written.py
 */

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'hdf5');
const WRITTEN = join(FIXTURES, 'written');

/** Values 0.25 * (k % 13) - 1 + offset, exactly representable in every float type. */
const ramp = (n: number, offset = 0) => Array.from({ length: n }, (_, k) => 0.25 * (k % 13) - 1 + offset);

/** One dataset of every stored type and rank (scalar, empty and rank 4 included), and every attribute kind. */
function typesTree(): Hdf5WriteGroup {
  const root = new Hdf5WriteGroup();
  root.attr('vlen', 'vérité').attr('vlen_list', ['a', 'bc', '']).attr('fixed', { fixed: 'conv1/kernel:0' });
  root
    .attr('fixed_list', { fixed: ['kernel:0', 'bias:0'] })
    .attr('number', 2.5)
    .attr('numbers', [1.5, -2, 1e300]);
  root
    .attr('int64', 7n)
    .attr('int32s', new Int32Array([-1, 2]))
    .attr('float32s', new Float32Array([0.5, 3]));
  root
    .attr('uint8s', new Uint8Array([0, 255]))
    .attr('int64s', new BigInt64Array([-(2n ** 40n), 3n]))
    .attr('empty_list', []);
  const shapes = [[], [5], [2, 3], [2, 1, 3], [1, 2, 2, 2], [0, 4]];
  const make: Record<string, (n: number) => Hdf5WriteArray> = {
    float32: (n) => new Float32Array(ramp(n)),
    float64: (n) => new Float64Array(ramp(n, 1 / 3)),
    int32: (n) => new Int32Array(ramp(n).map((v) => v * 4 - 100)),
    int64: (n) => new BigInt64Array(ramp(n).map((v) => BigInt(v * 4) * 2n ** 33n)),
    uint8: (n) => new Uint8Array(ramp(n).map((v) => v * 4 + 200)),
  };
  for (const [dtype, values] of Object.entries(make)) {
    for (const shape of shapes) root.dataset(`${dtype}/rank${shape.length}${shape[0] === 0 ? '_empty' : ''}`, values(size(shape)), shape);
  }
  root.dataset('with_attrs', new Float32Array([1, 2]), [2], { units: 'm/s', scale: 0.5, names: { fixed: ['x', 'yy'] } });
  const deep = root.group('a/b/c/d/e');
  deep.attr('depth', 5);
  deep.dataset('leaf', new Float64Array([Math.PI]), []);
  root.group('ünïcode name/σ').dataset('x', new Int32Array([1]), [1]);
  // Many members in one group and a name past 255 bytes (a 2-byte length field in its link).
  const many = root.group('many');
  for (let i = 0; i < 300; i++) many.group(`g${String(i).padStart(3, '0')}`);
  many.dataset('n'.repeat(300), new Uint8Array([9]), [1]);
  return root;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** A small model with fixed weights: Conv2D, BatchNormalization, a nested Sequential and Dense layers. */
export function writtenModel(): nr.Model {
  const input = nr.Input([6, 6, 2], { name: 'image' });
  let x = new nr.layers.Conv2D(3, 3, { name: 'conv' }).apply(input);
  x = new nr.layers.BatchNormalization({ name: 'bn' }).apply(x);
  x = new nr.layers.Flatten({ name: 'flat' }).apply(x);
  const inner = new nr.Sequential(
    [new nr.layers.Dense(4, { activation: 'relu', name: 'inner_dense', inputShape: [48] }), new nr.layers.Dense(3, { name: 'inner_out' })],
    { name: 'head' },
  );
  x = inner.apply(x);
  const model = new nr.Model({ inputs: input, outputs: new nr.layers.Dense(2, { name: 'out' }).apply(x), name: 'written' });
  model.weights.forEach((w, i) => w.assign(nr.tensor(ramp(w.size, i), [...w.shape])));
  return model;
}

const TREES: Record<string, () => Hdf5WriteGroup> = {
  'types.h5': typesTree,
  'model.weights.h5': () => kerasWeightsTree(writtenModel()),
};

const sha256 = (a: ArrayBufferView) =>
  createHash('sha256')
    .update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength))
    .digest('hex');

/** What written.json says of an object, from the tree that was written (the shape of check_written.py's output). */
type Described = Record<string, unknown>;
const DTYPES = new Map<unknown, string>([
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Int32Array, '<i4'],
  [BigInt64Array, '<i8'],
  [Uint8Array, '|u1'],
]);

function describeAttr(v: Hdf5AttrValue): unknown {
  if (typeof v === 'string' || (Array.isArray(v) && v.every((s) => typeof s === 'string'))) return { kind: 'vlen-str', value: v };
  if (typeof v === 'number') return { kind: '<f8', value: v };
  if (typeof v === 'bigint') return { kind: '<i8', value: Number(v) };
  if (Array.isArray(v)) return { kind: '<f8', shape: [v.length], value: v };
  if (ArrayBuffer.isView(v))
    return { kind: DTYPES.get(v.constructor), shape: [v.length], value: Array.from(v as ArrayLike<number | bigint>, Number) };
  const fixed = (v as { fixed: string | string[] }).fixed;
  const width = Math.max(1, ...(typeof fixed === 'string' ? [fixed] : fixed).map((s) => s.length));
  return { kind: `|S${width}`, value: fixed };
}

function describeTree(root: Hdf5WriteGroup): Record<string, Described> {
  const out: Record<string, Described> = {};
  const attrs = (entries: Iterable<[string, Hdf5AttrValue]>) =>
    Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, describeAttr(v)]));
  const walk = (g: Hdf5WriteGroup) => {
    out[g.path] = { kind: 'group', members: [...g.members.keys()].sort(), attrs: attrs(g.attrs) };
    for (const [name, m] of g.members) {
      if (m instanceof Hdf5WriteGroup) walk(m);
      else {
        const path = `${g.path === '/' ? '' : g.path}/${name}`;
        out[path] = {
          kind: 'dataset',
          shape: m.shape,
          dtype: DTYPES.get(m.data.constructor),
          sha256: sha256(m.data),
          attrs: attrs(Object.entries(m.attrs ?? {})),
        };
      }
    }
  };
  walk(root);
  return out;
}

test('lookup3 gives the reference values of lookup3.c (the checksum libhdf5 verifies on every header)', () => {
  const text = new TextEncoder().encode('Four score and seven years ago');
  assert.equal(lookup3(new Uint8Array()), 0xdeadbeef);
  assert.equal(lookup3(text), 0x17770551);
  assert.equal(lookup3(text, 1), 0xcd628161);
});

test('every dtype, rank and attribute kind round-trips through our reader, nested and many-membered groups included', () => {
  const tree = typesTree();
  const file = openHdf5(writeHdf5(tree), 'types.h5');
  const check = (written: Hdf5WriteGroup, read: Hdf5Group) => {
    assert.deepEqual(read.keys().sort(), [...written.members.keys()].sort(), read.path);
    const attrs = read.attrs();
    assert.deepEqual(Object.keys(attrs).sort(), [...written.attrs.keys()].sort(), `${read.path} attributes`);
    for (const [k, v] of written.attrs) {
      const expected = typeof v === 'bigint' ? Number(v) : ArrayBuffer.isView(v) ? Array.from(v as ArrayLike<number | bigint>, Number) : v;
      assert.deepEqual(attrs[k], typeof expected === 'object' && 'fixed' in expected ? expected.fixed : expected, `${read.path} @${k}`);
    }
    for (const [name, member] of written.members) {
      const found = read.get(name);
      if (member instanceof Hdf5WriteGroup) check(member, found as Hdf5Group);
      else {
        const d = found as Hdf5Dataset;
        assert.equal(d.kind, 'dataset');
        assert.deepEqual(d.shape, member.shape, d.path);
        assert.equal(d.dtype.replace('<u1', '|u1'), DTYPES.get(member.data.constructor), d.path); // jsfive says <u1, numpy |u1
        assert.deepEqual(Array.from(d.read()), Array.from(member.data as ArrayLike<number | bigint>, Number), d.path);
      }
    }
  };
  check(tree, file);
  assert.deepEqual((file.get('with_attrs') as Hdf5Dataset).shape, [2]);
});

test('the bytes depend only on the tree: written twice, identical; float32 values 8-byte aligned in the file', () => {
  const a = writeHdf5(typesTree());
  assert.deepEqual(writeHdf5(typesTree()), a);
  const g = new Hdf5WriteGroup();
  g.attr('s', 'x');
  g.dataset('v', new Float32Array([1.25, -2, 3]), [3]);
  const bytes = writeHdf5(g);
  const at = bytes.length - 12; // the one dataset's values are the file's last bytes
  assert.equal(at % 8, 0);
  assert.deepEqual(Array.from(new Float32Array(bytes.slice(at).buffer)), [1.25, -2, 3]);
  // The superblock's end-of-file address is the length, which the reader's truncation check relies on.
  assert.equal(Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(28, true)), bytes.length);
});

test('the committed files: the writer still produces them byte for byte, and h5py (libhdf5) read what was written', () => {
  const seen = JSON.parse(readFileSync(join(FIXTURES, 'written.json'), 'utf8')) as Record<string, { h5py: string; objects: unknown }>;
  if (process.env.NEURONA_UPDATE_HDF5 === '1') {
    mkdirSync(WRITTEN, { recursive: true });
    for (const [name, tree] of Object.entries(TREES)) writeFileSync(join(WRITTEN, name), writeHdf5(tree()));
  }
  for (const [name, tree] of Object.entries(TREES)) {
    const bytes = writeHdf5(tree());
    assert.ok(Buffer.from(bytes).equals(readFileSync(join(WRITTEN, name))), `${name}: the writer's output differs from the committed file`);
    assert.ok(seen[name], `written.json has no entry for ${name}: run check_written.py`);
    const h5py = seen[name]!.objects as Record<string, Described>;
    assert.deepEqual(h5py, describeTree(tree()), `${name}: what h5py saw is not what was written`);
    // h5py saw the same bytes our reader sees: every dataset's checksum, shape and dtype agree with ours.
    const file = openHdf5(bytes, name);
    for (const [path, what] of Object.entries(h5py)) {
      const found = file.get(path.slice(1));
      if (path === '/') continue;
      assert.equal(found?.kind, what.kind, path);
      if (what.kind === 'dataset') {
        const d = found as Hdf5Dataset;
        assert.deepEqual([d.shape, d.dtype.replace('<u1', '|u1')], [what.shape, what.dtype], path);
        // Floats come back in their own type: the same bytes h5py hashed (integers come back as float64).
        if (d.dtype === '<f4' || d.dtype === '<f8') assert.equal(sha256(d.read()), what.sha256, path);
      }
    }
  }
});

test('misuse of the writer: ConfigErrors naming the object and what to change', () => {
  const g = new Hdf5WriteGroup();
  const fails = (f: () => unknown, message: RegExp) =>
    assert.throws(f, (e: Error) => e instanceof nr.ConfigError && message.test(e.message) && e.message.includes('hdf5 writer'));
  fails(() => g.dataset('x', new Float32Array(3), [2, 2]), /dataset \/x: shape \[2, 2\].*3 values/);
  fails(
    () => g.dataset('x', [1, 2] as unknown as Float32Array, [2]),
    /Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array/,
  );
  g.dataset('d', new Float32Array(1), [1]);
  fails(() => g.dataset('d', new Float32Array(1), [1]), /\/d already exists/);
  fails(() => g.group('d/e'), /\/d is a dataset, not a group/);
  fails(() => g.dataset('', new Float32Array(1), [1]), /a dataset needs a name/);
  fails(() => g.group('a/./b'), /may not be "\." or hold NUL/);
  fails(() => g.attr('', 1), /attribute names of \/ are non-empty strings/);
  fails(() => g.dataset('e', new Uint8Array(1), [1], { 'a\0': 1 }), /attribute names of \/e are non-empty strings without NUL/);
  fails(() => writeHdf5(new Hdf5WriteGroup().attr('f', { fixed: 'é' })), /attribute f of \/: fixed-length strings are ASCII/);
  fails(() => writeHdf5(new Hdf5WriteGroup().attr('o', { a: 1 } as never)), /attribute o of \/: a string, number/);
  fails(() => writeHdf5(new Hdf5WriteGroup().attr('big', new Float64Array(9000))), /attribute big of \/ takes \d+ bytes.*65535/);
});
