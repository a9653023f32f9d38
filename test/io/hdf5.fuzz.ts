/**
 * Fuzz harness for the HDF5 reader and the Keras weight-file loader: seeded mutations of the h5py
 * fixtures (test/fixtures/keras-h5), each opened, walked (every attribute and dataset, depth- and
 * count-limited) and then loaded into the small model the fixtures were written for, as
 * model.loadWeights does. Besides format-blind damage, mutations rewrite what HDF5 is built from:
 * addresses (8-byte values pointing inside the file), small integer fields (sizes, counts, versions,
 * dimensions) and cuts or insertions with the superblock's end-of-file address made to agree, so the
 * damage reaches jsfive and the chunk reader instead of the early truncation check. Used by
 * test/io/hdf5.test.ts (CI) and scripts/fuzz.ts (`npm run fuzz`). Besides the h5py files, one seed is the
 * same weights written by neurona's own writer (src/io/hdf5-write.ts), whose structures h5py does not use.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openHdf5, type Hdf5Group } from '../../src/io/hdf5.js';
import { assignKerasWeights } from '../../src/nn/saving/keras-h5.js';
import { kerasWeightsH5 } from '../../src/nn/saving/keras-h5-write.js';
import type { Model } from '../../src/nn/models/model.js';
import { smallModel } from './keras-h5-models.js';
import { BYTE_MUTATIONS, concat, pick, runBytesFuzz, type Mutation } from './bytes.fuzz.js';
import type { FuzzReport } from './safetensors.fuzz.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'keras-h5');
const SEEDS = ['small.h5', 'small_gzip.h5', 'small_split.h5', 'small_full.h5', 'small_slashes.h5', 'small.weights.h5', 'types.h5'];
/** The metadata h5py writes sits in the first few KiB; the rest is mostly raw values. */
const META = 4096;

/** Sets the superblock's end-of-file address (8-byte offsets: version 0 as h5py writes, 2 as neurona does) to the length. */
function fixEnd(b: Uint8Array): Uint8Array {
  const at = b[8] === 0 ? 40 : b[8] === 2 ? 28 : null;
  if (b.length >= 48 && at !== null) new DataView(b.buffer, b.byteOffset).setBigUint64(at, BigInt(b.length), true);
  return b;
}

/**
 * Offsets in the metadata holding a little-endian u64 that could be an address in the file: at
 * multiples of 8 in h5py's files (superblock 0, whose fields are 8-aligned), at any byte in
 * neurona's (superblock 2, version 2 headers pack their fields).
 */
function addresses(b: Uint8Array): number[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const found: number[] = [];
  const step = b[8] === 0 ? 8 : 1;
  for (let at = 8; at + 8 <= Math.min(b.length, META); at += step) {
    const v = view.getBigUint64(at, true);
    if (v > 0n && v < BigInt(b.length)) found.push(at);
  }
  return found;
}

const HDF5_MUTATIONS: Mutation[] = [
  // a non-zero metadata byte set to anything
  (b, r) => {
    const out = b.slice();
    const at = 8 + Math.floor(r() * (Math.min(b.length, META) - 8));
    out[at] = r() * 256;
    return out;
  },
  // an address moved a little, to another address, past the end, or to "undefined" (a byte changed when no address is left)
  (b, r) => {
    const found = addresses(b);
    if (found.length === 0) return HDF5_MUTATIONS[0]!(b, r);
    const out = b.slice();
    const view = new DataView(out.buffer);
    const at = pick(found, r);
    const v = view.getBigUint64(at, true);
    const options = [v + 1n, v - 1n, v + 8n, v - 8n, 0n, BigInt(b.length), 2n ** 64n - 1n, 2n ** 63n, BigInt(pick(found, r))];
    view.setBigUint64(at, pick(options, r) & (2n ** 64n - 1n), true);
    return out;
  },
  // a 1-, 2- or 4-byte field set to an extreme
  (b, r) => {
    const out = b.slice();
    const view = new DataView(out.buffer);
    const width = pick([1, 2, 4], r);
    const at = 8 + Math.floor(r() * (Math.min(b.length, META) - 12));
    const value = pick([0, 1, 2, 3, 7, 255, 0xffff, 0x7fffffff, 0xffffffff, Math.floor(r() * 2 ** 32)], r);
    if (width === 1) out[at] = value;
    else if (width === 2) view.setUint16(at, value & 0xffff, true);
    else view.setUint32(at, value >>> 0, true);
    return out;
  },
  // cut, with the end-of-file address agreeing
  (b, r) => fixEnd(b.slice(0, 48 + Math.floor(r() * (b.length - 48)))),
  // bytes inserted or dropped in the metadata (everything after moves), end-of-file agreeing
  (b, r) => {
    const at = 48 + Math.floor(r() * (Math.min(b.length, META) - 48));
    const n = 1 + Math.floor(r() * 16);
    return fixEnd(
      r() < 0.5
        ? concat(
            b.subarray(0, at),
            new Uint8Array(n).map(() => r() * 256),
            b.subarray(at),
          )
        : concat(b.subarray(0, at), b.subarray(at + n)),
    );
  },
];

/** Reads every attribute and dataset, to a limited depth and count (a damaged file may link groups in a cycle). */
function walk(root: Hdf5Group): void {
  let budget = 400;
  const visit = (g: Hdf5Group, depth: number) => {
    g.attrs();
    for (const key of g.keys()) {
      if (--budget < 0 || depth > 8) return;
      const child = g.get(key);
      if (child?.kind === 'group') visit(child, depth + 1);
      else child?.read();
    }
  };
  visit(root, 0);
}

/** Runs `cases` mutations from `seed`; each case must finish within `timeBoxMs`. */
export function runHdf5Fuzz(cases: number, seed = 1, timeBoxMs = 2000): FuzzReport {
  const seeds = SEEDS.map((name) => new Uint8Array(readFileSync(join(FIXTURES, name))));
  // The same weights as written by neurona's writer: superblock 2, version 2 headers, compact links, a global heap.
  const written = smallModel();
  assignKerasWeights(written, openHdf5(seeds[SEEDS.indexOf('small.weights.h5')]!, 'small.weights.h5'), 'small.weights.h5');
  seeds.push(new Uint8Array(kerasWeightsH5(written)));
  let model: Model = smallModel();
  return runBytesFuzz(cases, seed, {
    seeds,
    mutations: [...BYTE_MUTATIONS, ...HDF5_MUTATIONS],
    name: (i) => `case-${i}.h5`,
    timeBoxMs,
    decode(bytes, name) {
      const root = openHdf5(bytes, name);
      walk(root);
      assignKerasWeights(model, root, name);
      // A mutant that loads may have put any values in; the next case starts from a fresh model.
      model = smallModel();
    },
  });
}
