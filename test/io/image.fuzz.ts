/**
 * Fuzz harness for decodeImage (PNG through src/io/png.ts, JPEG through src/io/jpeg.ts): seeded
 * mutations of the fixtures under test/fixtures/png and test/fixtures/images, each decoded once in a
 * random colour mode. Besides format-blind damage, mutations work on the formats' structure so the
 * damage gets past the checksums and framing: PNG chunk data changed with its CRC recomputed, chunk
 * lengths edited, IHDR fields set to extremes, chunks dropped or repeated, and the inflated image
 * data damaged (filter bytes, short or long rows) then deflated again; JPEG segment lengths edited,
 * frame-header sizes and component counts set to extremes, table bytes changed, scan data flipped.
 * Decoding is capped at 4 megapixels so a mutant header cannot turn a case into a long decode. Used
 * by test/io/image.test.ts (CI) and scripts/fuzz.ts (`npm run fuzz`).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { decodeImage, type ColorMode } from '../../src/io/image.js';
import { crc32 } from '../../src/io/png.js';
import { BYTE_MUTATIONS, concat, pick, runBytesFuzz, type Mutation } from './bytes.fuzz.js';
import type { FuzzReport } from './safetensors.fuzz.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

interface Chunk {
  at: number;
  length: number;
  type: string;
}

function chunks(b: Uint8Array): Chunk[] {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const found: Chunk[] = [];
  for (let at = 8; at + 12 <= b.length; ) {
    const length = view.getUint32(at);
    found.push({ at, length, type: String.fromCharCode(...b.subarray(at + 4, at + 8)) });
    at += 12 + length;
  }
  return found;
}

/** A chunk with a correct CRC. */
function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

const fixCrc = (b: Uint8Array, c: Chunk): Uint8Array => {
  if (c.at + 12 + c.length <= b.length)
    new DataView(b.buffer, b.byteOffset).setUint32(c.at + 8 + c.length, crc32(b, c.at + 4, c.at + 8 + c.length));
  return b;
};

const PNG_MUTATIONS: Mutation[] = [
  // chunk data changed, CRC recomputed
  (b, r) => {
    const out = b.slice();
    const c = pick(chunks(b), r);
    if (c.length === 0) return out;
    for (let k = 1 + Math.floor(r() * 3); k > 0; k--) out[c.at + 8 + Math.floor(r() * c.length)] = r() * 256;
    return fixCrc(out, c);
  },
  // chunk length edited
  (b, r) => {
    const out = b.slice();
    const c = pick(chunks(b), r);
    new DataView(out.buffer).setUint32(
      c.at,
      pick([0, 1, c.length - 1, c.length + 1, c.length + 13, 0x7fffffff, 0x80000000, 0xffffffff], r) >>> 0,
    );
    return out;
  },
  // IHDR field set to an extreme, CRC recomputed
  (b, r) => {
    const out = b.slice();
    const view = new DataView(out.buffer);
    const field = Math.floor(r() * 7);
    if (field < 2) view.setUint32(16 + 4 * field, pick([0, 1, 3, 255, 4097, 65536, 0x7fffffff, 0xffffffff], r) >>> 0);
    else out[24 + field - 2] = pick([0, 1, 2, 3, 4, 5, 6, 7, 8, 16, 255], r);
    return fixCrc(out, chunks(b)[0]!);
  },
  // a chunk dropped or repeated
  (b, r) => {
    const c = pick(chunks(b), r);
    const end = c.at + 12 + c.length;
    return r() < 0.5 ? concat(b.subarray(0, c.at), b.subarray(end)) : concat(b.subarray(0, end), b.subarray(c.at));
  },
  // the inflated image data damaged, then deflated again into one IDAT
  (b, r) => {
    const all = chunks(b);
    const idats = all.filter((c) => c.type === 'IDAT');
    if (idats.length === 0) return b.slice();
    let raw: Uint8Array;
    try {
      raw = inflateSync(concat(...idats.map((c) => b.subarray(c.at + 8, c.at + 8 + c.length))));
    } catch {
      return b.slice(); // an input damaged by an earlier mutation
    }
    const at = Math.floor(r() * raw.length);
    const edit = Math.floor(r() * 3);
    if (edit === 0) raw = concat(raw.subarray(0, at), new Uint8Array([pick([5, 6, 255, 0, 4], r)]), raw.subarray(at + 1));
    else if (edit === 1) raw = raw.subarray(0, at);
    else raw = concat(raw, new Uint8Array(1 + Math.floor(r() * 64)));
    const first = idats[0]!;
    const last = idats[idats.length - 1]!;
    return concat(b.subarray(0, first.at), chunk('IDAT', deflateSync(raw)), b.subarray(last.at + 12 + last.length));
  },
];

/** Segments before the first scan: marker position and length field value. */
function segments(b: Uint8Array): { at: number; marker: number; length: number }[] {
  const found: { at: number; marker: number; length: number }[] = [];
  for (let at = 2; at + 4 <= b.length && b[at] === 0xff; ) {
    const marker = b[at + 1]!;
    const length = (b[at + 2]! << 8) | b[at + 3]!;
    found.push({ at, marker, length });
    if (marker === 0xda) break;
    at += 2 + length;
  }
  return found;
}

const JPEG_MUTATIONS: Mutation[] = [
  // a segment length edited
  (b, r) => {
    const out = b.slice();
    const s = pick(segments(b), r);
    new DataView(out.buffer).setUint16(s.at + 2, pick([0, 1, 2, s.length - 1, s.length + 1, s.length + 64, 0xffff], r) & 0xffff);
    return out;
  },
  // frame header: height, width, component count or a component's sampling factors / table set to an extreme
  (b, r) => {
    const out = b.slice();
    const sof = segments(b).find((s) => s.marker >= 0xc0 && s.marker <= 0xc2);
    if (!sof) return out;
    const view = new DataView(out.buffer);
    const field = Math.floor(r() * 4);
    if (field < 2) view.setUint16(sof.at + 5 + 2 * field, pick([0, 1, 7, 9, 2048, 4097, 0xffff], r));
    else if (field === 2) out[sof.at + 9] = pick([0, 1, 2, 3, 4, 5, 255], r);
    else
      out[sof.at + 10 + 3 * Math.floor(r() * out[sof.at + 9]!) + 1 + Math.floor(r() * 2)] = pick(
        [0, 0x11, 0x22, 0x44, 0x55, 0xff, 3, 4],
        r,
      );
    return out;
  },
  // table or header bytes changed (DQT, DHT, SOF, SOS)
  (b, r) => {
    const out = b.slice();
    const s = pick(segments(b), r);
    if (s.length > 2) out[s.at + 4 + Math.floor(r() * (s.length - 2))] = r() * 256;
    return out;
  },
  // scan data flipped
  (b, r) => {
    const out = b.slice();
    const sos = segments(b).find((s) => s.marker === 0xda);
    const start = sos ? sos.at + 2 + sos.length : 2;
    for (let k = 1 + Math.floor(r() * 4); k > 0; k--) out[start + Math.floor(r() * (out.length - start))]! ^= 1 << Math.floor(r() * 8);
    return out;
  },
];

const isPng = (b: Uint8Array) => b[0] === 0x89;
const MODES: (ColorMode | null)[] = [null, 'rgb', 'rgba', 'grayscale'];

/** Runs `cases` mutations from `seed`; each case must finish within `timeBoxMs`. */
export function runImageFuzz(cases: number, seed = 1, timeBoxMs = 2000): FuzzReport {
  const read = (dir: string, ext: string) =>
    readdirSync(join(FIXTURES, dir))
      .filter((f) => f.endsWith(ext))
      .sort()
      .map((f) => new Uint8Array(readFileSync(join(FIXTURES, dir, f))));
  const seeds = [...read('png', '.png'), ...read('images', '.jpg')];
  // Structural mutations apply to their own format; the others to a seed of either.
  const mutations: Mutation[] = [
    ...BYTE_MUTATIONS,
    ...PNG_MUTATIONS.map(
      (m): Mutation =>
        (b, r) =>
          isPng(b) && b.length > 33 ? m(b, r) : pick(BYTE_MUTATIONS, r)(b, r),
    ),
    ...JPEG_MUTATIONS.map(
      (m): Mutation =>
        (b, r) =>
          !isPng(b) && segments(b).length > 0 ? m(b, r) : pick(BYTE_MUTATIONS, r)(b, r),
    ),
  ];
  return runBytesFuzz(cases, seed, {
    seeds,
    mutations,
    name: (i) => `case-${i}.img`,
    timeBoxMs,
    decode: (bytes, name, random) => void decodeImage(bytes, { name, colorMode: pick(MODES, random), maxPixels: 4 * 2 ** 20 }),
  });
}
