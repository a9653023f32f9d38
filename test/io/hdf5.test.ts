import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nr, assert } from '../helpers.js';
import { openHdf5, type Hdf5Dataset, type Hdf5Group } from '../../src/io/hdf5.js';
import { runHdf5Fuzz } from './hdf5.fuzz.js';

/* The HDF5 reader on files written by h5py (test/fixtures/keras-h5/make_fixtures.py). */

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'keras-h5');
const bytesOf = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));
const types = openHdf5(bytesOf('types.h5'), 'types.h5');
const dataset = (path: string) => {
  const found = types.get(path);
  assert.equal(found?.kind, 'dataset', path);
  return found as Hdf5Dataset;
};
const values = Array.from({ length: 12 }, (_, i) => i - 3);

test('every stored number type reads back in row-major order: float32 stays float32, the rest become float64', () => {
  for (const name of ['f4', 'f4_be', 'f8', 'i8', 'u1', 'i2', 'i4_be']) {
    const d = dataset(`numbers/${name}`);
    assert.deepEqual(d.shape, [3, 4], name);
    const data = d.read();
    assert.equal(data instanceof Float32Array, name.startsWith('f4'), name);
    // u1 stores -3..-1 as 253..255, as numpy's astype does.
    assert.deepEqual(Array.from(data), name === 'u1' ? values.map((v) => (v + 256) % 256) : values, name);
  }
  assert.equal(dataset('numbers/f4').dtype, '<f4');
  assert.equal(dataset('numbers/i4_be').dtype, '>i4');
});

test('chunked datasets (gzip, shuffle, fletcher32, edge chunks, a deep chunk tree, fill values), scalars, empty ones', () => {
  assert.deepEqual(
    Array.from(dataset('numbers/chunked').read()),
    values.map((v) => v * 0.25),
  );
  assert.deepEqual(
    Array.from(dataset('numbers/fletcher32').read()),
    values.map((v) => v * 0.5),
  );
  assert.deepEqual(dataset('numbers/cube').shape, [3, 4, 5]);
  assert.deepEqual(
    Array.from(dataset('numbers/cube').read()),
    Array.from({ length: 60 }, (_, i) => i),
  );
  assert.deepEqual(
    Array.from(dataset('numbers/many_chunks').read()),
    Array.from({ length: 300 }, (_, i) => i),
  );
  assert.deepEqual(Array.from(dataset('numbers/filled').read()), [1, 2, 7.5, 3, 4, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5, 7.5]);
  const scalar = dataset('numbers/scalar');
  assert.deepEqual(scalar.shape, []);
  assert.deepEqual(Array.from(scalar.read()), [2.5]);
  assert.deepEqual(dataset('numbers/empty').shape, [0, 4]);
  assert.equal(dataset('numbers/empty').read().length, 0);
  assert.deepEqual(Array.from(dataset('numbers/unwritten').read()), [0, 0, 0, 0]);
  assert.deepEqual(Array.from(dataset('numbers/unwritten_filled').read()), [-1.25, -1.25, -1.25]);
});

test('groups, paths and attributes: fixed-length strings lose their NUL padding, numbers stay numbers', () => {
  assert.deepEqual(types.keys().sort(), ['numbers', 'text']);
  const numbers = types.get('numbers') as Hdf5Group;
  assert.equal(numbers.kind, 'group');
  assert.equal(numbers.path, '/numbers');
  assert.equal(types.get('numbers/missing'), null);
  assert.equal(types.get('numbers/f4/below'), null);
  assert.equal((numbers.get('f4') as Hdf5Dataset).path, '/numbers/f4');
  const attrs = types.attrs();
  assert.deepEqual(attrs.fixed, ['conv1_conv/kernel:0', 'bias:0']);
  assert.equal(attrs.variable, 'vérité');
  assert.deepEqual(attrs.variable_list, ['a', 'bc']);
  assert.equal(attrs.number, 7);
  assert.deepEqual(attrs.numbers, [1.5, 2.5]);
});

test('a dataset of strings is refused when read as numbers', () => {
  assert.throws(
    () => types.get('text'),
    (e: Error) => e instanceof nr.FormatError && /types\.h5: dataset \/text holds/.test(e.message),
  );
});

test('a buffer that is a view into a larger one reads the same (the offset is honoured)', () => {
  const file = bytesOf('types.h5');
  const padded = new Uint8Array(file.length + 16);
  padded.set(file, 16);
  const view = openHdf5(padded.subarray(16), 'view.h5');
  assert.deepEqual(Array.from((view.get('numbers/f8') as Hdf5Dataset).read()), values);
});

test('damaged files (test/io/hdf5.fuzz.ts, 500 cases): each reads and loads, or is a FormatError naming the file, quickly', () => {
  // Whatever jsfive or the Keras loader meets (a bad address, a bad checksum, a cycle), the caller sees a
  // FormatError, never a RangeError, a string or a hang. `npm run fuzz` runs the same harness longer.
  const report = runHdf5Fuzz(500, 20240607);
  assert.equal(report.crashes, 0, report.examples.join('\n'));
  assert.equal(report.hangs, 0, report.examples.join('\n'));
  assert.ok(report.rejected > 250 && report.accepted > 25, `most mutants are rejected, some still load: ${JSON.stringify(report)}`);
});

test('not HDF5 and truncated before the superblock ends', () => {
  assert.throws(() => openHdf5(new TextEncoder().encode('hello'), 'x.h5'), /x\.h5: is not an HDF5 file/);
  const file = bytesOf('small.h5');
  assert.throws(() => openHdf5(file.subarray(0, 40), 'x.h5'), /x\.h5: is truncated: 40 bytes, shorter than an HDF5 superblock/);
});

test('hostile chunk layouts are refused quickly: chunks larger than the dataset or empty, repeated chunks, huge shapes', () => {
  // test/fixtures/keras-h5/make_hostile_fixtures.py: each dataset's layout or chunk B-tree was altered after writing.
  const hostile = openHdf5(bytesOf('hostile.h5'), 'hostile.h5');
  const refused = (name: string, rule: RegExp) => {
    const started = Date.now();
    assert.throws(
      () => (hostile.get(name) as Hdf5Dataset).read(),
      (e: Error) => e instanceof nr.FormatError && e.message.startsWith(`hostile.h5: dataset /${name} `) && rule.test(e.message),
      name,
    );
    assert.ok(Date.now() - started < 2000, `${name} is refused quickly`);
  };
  refused('chunk_too_big', /has chunk shape \[65536, 65536, 4\], which does not fit in its shape \[1, 1, 4\]/);
  refused('chunk_zero', /chunk shape \[0, 3\], which does not fit in its shape \[2, 3\]/);
  refused('chunk_repeated', /lists the chunk at \[0\] twice/);
  refused('chunk_outside', /lists a chunk at \[4\] \(chunks start at multiples of \[2\] inside \[4\]\)/);
  refused('chunk_shared', /stores the chunk at \[1\] in another chunk's bytes/);
  refused('chunk_bomb', /has a chunk at \[0\] that decodes to 1048576 bytes \(a chunk holds 2\)/);
  refused('too_many', /claims 536870912 elements.*more than 1 GiB/);
  assert.deepEqual(Array.from((hostile.get('unwritten_chunks') as Hdf5Dataset).read()), Array(12).fill(0.5));
});

test('an attribute declaring more values than the file has bytes is a FormatError at once', () => {
  // The fuzzer's case 14792 (seed 1): one byte of small.h5's /bn2 attribute dataspace set to 2 makes
  // it declare 33,554,435 strings; reading them one by one took about 47 s before the bound.
  const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'small.h5')));
  bytes[18851] = 2;
  assert.throws(
    () => (openHdf5(bytes, 'mutant.h5').get('bn2') as Hdf5Group).attrs(),
    (e: Error) => e instanceof nr.FormatError && /declares 33554435 values, more than the file has bytes for/.test(e.message),
  );
  // The intact file still reads its attributes.
  const intact = openHdf5(new Uint8Array(readFileSync(join(FIXTURES, 'small.h5'))), 'small.h5');
  assert.ok(Object.keys((intact.get('bn2') as Hdf5Group).attrs()).length > 0);
});
