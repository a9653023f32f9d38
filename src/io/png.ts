/**
 * PNG encode and decode on plain bytes (no tensors).
 *
 * The encoder writes 8-bit grayscale, gray + alpha, RGB or RGBA, non-interlaced, every scanline
 * with filter type 0 (None), through node:zlib: the images neurona writes (digit grids, heatmaps)
 * are small, and zlib alone compresses their flat areas well. It stays hand-written because it is
 * short and faster than the alternative (a 512x512 RGBA image: 4 ms vs 18 ms for fast-png's
 * encoder on a smooth image, 38 ms vs 55 ms on noise).
 *
 * The decoder reads every valid PNG (bit depths 1, 2, 4, 8 and 16; gray, gray + alpha, RGB, RGBA
 * and palette; tRNS transparency; Adam7 interlacing) through the fast-png library, which also runs
 * in browsers, except the common 8-bit gray, gray + alpha, RGB and RGBA images without interlacing
 * or tRNS, whose rows it unfilters itself from the data it inflated anyway (fast-png would inflate
 * them a second time: a 96x80 RGB image 0.55 -> 0.26 ms with the resize). Before any of that, this
 * module walks the file's chunks (lengths, CRCs, IHDR fields), refuses images above the pixel limit,
 * and inflates the image data once as a stream to check that it holds exactly the bytes the header
 * promises, so that no file, however crafted, makes the decoder allocate more than its header
 * declares. Samples come out as 8 bits.
 *
 * ```ts
 * import { encodePng, decodePng } from './src/io/png.js'; // internal module: run from the repository root
 * const png = encodePng({ width: 2, height: 1, channels: 1, pixels: new Uint8Array([0, 255]) });
 * decodePng(png).pixels; // Uint8Array [0, 255]
 * ```
 */
import { deflateSync } from 'node:zlib';
import { decode } from 'fast-png';
import { Unzlib, zlibSync } from 'fflate';
import { configError, formatError, show, type Problem } from '../core/index.js';

/** An 8-bit image: `pixels` holds `height` rows of `width * channels` bytes, no padding. */
export interface PngImage {
  width: number;
  height: number;
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  pixels: Uint8Array;
}

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG color type for each channel count (PNG spec, section 11.2.2). */
const COLOR_TYPE: Record<1 | 2 | 3 | 4, number> = { 1: 0, 2: 4, 3: 2, 4: 6 };

let crcTable: Uint32Array | undefined;

/** CRC-32 (ISO 3309, polynomial 0xEDB88320 reflected) as PNG uses it over chunk type and data. */
export function crc32(bytes: Uint8Array, start = 0, end = bytes.length): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length, false);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length), false);
  return out;
}

/** Encodes an 8-bit gray, gray + alpha, RGB or RGBA image as a PNG file (signature, IHDR, one IDAT, IEND). */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw configError('encodePng', { expected: 'width and height must be positive integers', got: `${show(width)}x${show(height)}` });
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw configError('encodePng', { expected: 'channels must be 1 (gray), 2 (gray + alpha), 3 (RGB) or 4 (RGBA)', got: show(channels) });
  }
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw configError('encodePng', {
      expected: `a ${width}x${height} image with ${channels} channel(s) needs ${rowBytes * height} bytes`,
      got: String(pixels.length),
    });
  }
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width, false);
  view.setUint32(4, height, false);
  header[8] = 8; // bit depth
  header[9] = COLOR_TYPE[channels];
  // header[10..12]: compression 0 (deflate), filter method 0, no interlace
  const raw = new Uint8Array((rowBytes + 1) * height);
  for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * rowBytes, (y + 1) * rowBytes), y * (rowBytes + 1) + 1);
  return concat([PNG_SIGNATURE, chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]);
}

/** Options of `decodePng`. */
export interface DecodePngOptions {
  /**
   * The most pixels (width x height) accepted, checked from the header before anything is decoded.
   * Default `DEFAULT_MAX_PNG_PIXELS`, 64 megapixels (8192 x 8192).
   */
  maxPixels?: number;
}

/** 64 megapixels (8192 x 8192): 256 MB as 8-bit RGBA. Larger files need `maxPixels`. */
export const DEFAULT_MAX_PNG_PIXELS = 8192 * 8192;

/** The bit depths the PNG spec (table 11.1) allows for each color type, and its samples per pixel. */
const COLOR_TYPES: Record<number, { samples: number; depths: readonly number[]; name: string }> = {
  0: { samples: 1, depths: [1, 2, 4, 8, 16], name: 'gray' },
  2: { samples: 3, depths: [8, 16], name: 'RGB' },
  3: { samples: 1, depths: [1, 2, 4, 8], name: 'palette' },
  4: { samples: 2, depths: [8, 16], name: 'gray + alpha' },
  6: { samples: 4, depths: [8, 16], name: 'RGBA' },
};

/** Adam7 passes: first column, first row, column step, row step (PNG spec section 8.2). */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

/** Throws the FormatError that names the file being decoded. */
type Fail = (parts: Problem) => never;

interface Header {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlaced: boolean;
}

/** The sub-images a file's data holds: the whole image, or the non-empty Adam7 passes. */
function passesOf(h: Header): { x0: number; y0: number; dx: number; dy: number; width: number; height: number }[] {
  const all = h.interlaced ? ADAM7 : [[0, 0, 1, 1] as const];
  return all
    .map(([x0, y0, dx, dy]) => ({ x0, y0, dx, dy, width: Math.ceil((h.width - x0) / dx), height: Math.ceil((h.height - y0) / dy) }))
    .filter((p) => p.width > 0 && p.height > 0);
}

/** Bytes of filtered scanlines (one filter byte per row) a sub-image of this size needs. */
function rawBytes(width: number, height: number, h: Header): number {
  return height * (1 + Math.ceil((width * COLOR_TYPES[h.colorType]!.samples * h.depth) / 8));
}

/**
 * Decodes any valid PNG into 8-bit samples: gray (1 channel), gray + alpha (2), RGB (3) or RGBA
 * (4). Depths below 8 are scaled to 0..255, 16-bit samples keep their high byte (as Pillow and
 * libpng's strip_16 do), palettes are expanded to RGB, and a tRNS chunk becomes an alpha channel.
 * Every chunk length and CRC is checked, and the image size against `options.maxPixels`, before
 * anything is decoded; any problem is a FormatError naming `name` (a file path, say) and the
 * problem.
 */
export function decodePng(bytes: Uint8Array, name = 'PNG data', options: DecodePngOptions = {}): PngImage {
  const fail: Fail = (parts) => {
    throw formatError(name, parts);
  };
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PNG_PIXELS;
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw configError('decodePng', { expected: 'maxPixels must be a positive integer', got: show(maxPixels) });
  }
  if (!(bytes instanceof Uint8Array)) {
    throw configError('decodePng', { expected: "expected the file's bytes as a Uint8Array", got: show(bytes) });
  }
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    fail({ expected: 'not a PNG file', rule: 'the 8-byte signature 89 50 4E 47 0D 0A 1A 0A is missing' });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = PNG_SIGNATURE.length;
  let header: Header | undefined;
  let paletteEntries = 0;
  const idat: Uint8Array[] = [];
  const seen = new Set<string>();
  let ended = false;
  while (!ended) {
    if (offset + 12 > bytes.length) {
      fail({
        expected: `truncated: a chunk header at byte ${offset} needs 12 bytes, only ${bytes.length - offset} left`,
        rule: 'no IEND chunk',
      });
    }
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail({ expected: `bad chunk type ${show(type)} at byte ${offset + 4}` });
    if (length > 0x7fffffff || offset + 12 + length > bytes.length) {
      const left = Math.max(0, bytes.length - offset - 12);
      fail({ expected: `truncated: chunk ${type} at byte ${offset} declares ${length} data bytes, only ${left} left` });
    }
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const stored = view.getUint32(offset + 8 + length, false);
    const computed = crc32(bytes, offset + 4, offset + 8 + length);
    if (stored !== computed) {
      fail({
        expected: `CRC mismatch in chunk ${type} at byte ${offset}: stored 0x${hex(stored)}, computed 0x${hex(computed)}`,
        rule: 'the file is corrupt',
      });
    }
    offset += 12 + length;
    if (!header && type !== 'IHDR') fail({ expected: 'the first chunk must be IHDR', got: type });
    // fast-png appends every tRNS to the palette entries, so a second one would widen them past the pixel size.
    if ((type === 'PLTE' || type === 'tRNS') && seen.has(type)) {
      fail({ expected: `more than one ${type} chunk`, rule: 'the PNG spec allows one' });
    }
    seen.add(type);
    if (type === 'IHDR') {
      if (header) fail({ expected: 'expected one IHDR chunk', got: 'more than one' });
      if (length !== 13) fail({ expected: 'IHDR must hold 13 bytes', got: String(length) });
      const fields = new DataView(data.buffer, data.byteOffset, 13);
      const width = fields.getUint32(0, false);
      const height = fields.getUint32(4, false);
      const [depth, colorType, compression, filter, interlace] = data.subarray(8, 13) as unknown as number[];
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) {
        fail({ expected: 'width and height from 1 to 2^31 - 1', got: `a bad image size ${width}x${height}` });
      }
      if (width * height > maxPixels) {
        fail({
          expected:
            `the image is ${width} x ${height} = ${(width * height).toLocaleString('en-US')} pixels, more than the limit of ` +
            maxPixels.toLocaleString('en-US'),
          hint: 'pass a larger maxPixels to read it',
        });
      }
      const kind = COLOR_TYPES[colorType!];
      if (!kind?.depths.includes(depth!)) {
        fail({
          expected: `invalid pixel format: bit depth ${depth}, color type ${colorType}`,
          rule:
            'the PNG spec allows gray (0) at 1, 2, 4, 8, 16 bits; ' +
            'RGB (2), gray + alpha (4), RGBA (6) at 8, 16; palette (3) at 1, 2, 4, 8',
        });
      }
      if (compression !== 0 || filter !== 0) {
        fail({ expected: `unknown compression method ${compression} or filter method ${filter}`, rule: 'both must be 0' });
      }
      if (interlace !== 0 && interlace !== 1) fail({ expected: `unknown interlace method ${interlace}`, rule: '0 none, 1 Adam7' });
      header = { width, height, depth: depth!, colorType: colorType!, interlaced: interlace === 1 };
    } else if (type === 'PLTE') {
      if (length % 3 !== 0 || length === 0 || length > 768) {
        fail({ expected: 'PLTE must hold 1 to 256 RGB entries (a multiple of 3 bytes)', got: `${length} bytes` });
      }
      paletteEntries = length / 3;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    } else if ((type.charCodeAt(0) & 0x20) === 0) {
      fail({ expected: `unknown critical chunk ${type}` }); // ancillary chunks (lowercase first letter) are skipped
    }
  }
  if (idat.length === 0) fail({ expected: 'no IDAT chunk', rule: 'no image data' });
  const h = header!;
  if (h.colorType === 3 && paletteEntries === 0) fail({ expected: 'a palette image (color type 3) without a PLTE chunk' });
  const passes = passesOf(h);
  const expected = passes.reduce((n, p) => n + rawBytes(p.width, p.height, h), 0);
  const raw = inflateBounded(idat, expected, fail);
  // The common case, 8-bit gray, gray + alpha, RGB or RGBA without interlacing or a tRNS key: its
  // samples are the unfiltered rows, so fast-png need not inflate the data a second time.
  if (h.depth === 8 && !h.interlaced && h.colorType !== 3 && !seen.has('tRNS')) {
    const channels = COLOR_TYPES[h.colorType]!.samples as PngImage['channels'];
    return { width: h.width, height: h.height, channels, pixels: unfilter(raw, h.height, h.width * channels, channels, fail) };
  }

  let decoded: { data: Uint8Array | Uint16Array | Uint8ClampedArray; palette?: number[][]; transparency?: Uint16Array };
  try {
    // fast-png's Adam7 path assumes whole bytes per pixel; for depths below 8, each pass is decoded
    // as an image of its own and the passes are put together here.
    decoded = h.interlaced && h.depth < 8 ? decodePassesApart(bytes, h, passes, raw) : decode(bytes, { checkCrc: false });
  } catch (error) {
    return fail({ expected: 'cannot decode the image data', rule: error instanceof Error ? error.message : String(error) });
  }
  return toEightBit(h, decoded, fail);
}

/**
 * PNG's five scanline filters (None, Sub, Up, Average, Paeth) undone: `raw` holds `height` rows of a
 * filter byte and `stride` bytes, `bpp` bytes per pixel; returns the rows without their filter bytes.
 */
function unfilter(raw: Uint8Array, height: number, stride: number, bpp: number, fail: Fail): Uint8Array {
  const out = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    const up = row - stride;
    const filter = raw[src - 1]!;
    // Each filter adds a prediction from the bytes already decoded (a Uint8Array store wraps mod 256).
    if (filter === 0 || (filter === 2 && y === 0)) {
      out.set(raw.subarray(src, src + stride), row);
    } else if (filter === 1) {
      for (let i = 0; i < stride; i++) out[row + i] = raw[src + i]! + (i >= bpp ? out[row + i - bpp]! : 0);
    } else if (filter === 2) {
      for (let i = 0; i < stride; i++) out[row + i] = raw[src + i]! + out[up + i]!;
    } else if (filter === 3) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? out[row + i - bpp]! : 0;
        const b = y > 0 ? out[up + i]! : 0;
        out[row + i] = raw[src + i]! + ((a + b) >> 1);
      }
    } else if (filter === 4) {
      for (let i = 0; i < stride; i++) {
        const a = i >= bpp ? out[row + i - bpp]! : 0;
        const b = y > 0 ? out[up + i]! : 0;
        const c = i >= bpp && y > 0 ? out[up + i - bpp]! : 0;
        const pa = Math.abs(b - c);
        const pb = Math.abs(a - c);
        const pc = Math.abs(a + b - 2 * c);
        out[row + i] = raw[src + i]! + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
    } else {
      fail({ expected: 'cannot decode the image data', rule: `Unsupported filter: ${filter}` });
    }
  }
  return out;
}

/** Inflates the IDAT stream in pieces, stopping as soon as it outgrows `expected` bytes. */
function inflateBounded(idat: Uint8Array[], expected: number, fail: Fail): Uint8Array {
  const out = new Uint8Array(expected);
  let filled = 0;
  let overflow = false;
  const stream = new Unzlib((chunk) => {
    if (filled + chunk.length > expected) overflow = true;
    else out.set(chunk, filled);
    filled += chunk.length;
  });
  const piece = 16384; // at most ~16 MB of output per push, even for a maximally compressed stream
  try {
    for (const [k, data] of idat.entries()) {
      for (let at = 0; at < data.length && !overflow; at += piece) stream.push(data.subarray(at, at + piece), false);
      if (overflow) break;
      if (k === idat.length - 1) stream.push(new Uint8Array(0), true);
    }
  } catch (error) {
    return fail({ expected: `image data does not inflate: ${error instanceof Error ? error.message : String(error)}` });
  }
  if (overflow) fail({ expected: `image data inflates to more than the ${expected} bytes the header's size and pixel format need` });
  if (filled !== expected) {
    fail({ expected: `image data inflates to ${filled} bytes, the header's size and pixel format need ${expected}` });
  }
  return out;
}

/** Decodes each Adam7 pass of a sub-byte image as a non-interlaced image, and interleaves them. */
function decodePassesApart(
  bytes: Uint8Array,
  h: Header,
  passes: ReturnType<typeof passesOf>,
  raw: Uint8Array,
): { data: Uint8Array; palette?: number[][]; transparency?: Uint16Array } {
  const samples = COLOR_TYPES[h.colorType]!.samples;
  const data = new Uint8Array(h.width * h.height * samples);
  let at = 0;
  let result: { palette?: number[][]; transparency?: Uint16Array } = {};
  for (const p of passes) {
    const size = rawBytes(p.width, p.height, h);
    const header = new Uint8Array(13);
    new DataView(header.buffer).setUint32(0, p.width, false);
    new DataView(header.buffer).setUint32(4, p.height, false);
    header.set([h.depth, h.colorType, 0, 0, 0], 8);
    const extra = ancillaryForPalette(bytes);
    const file = concat([
      PNG_SIGNATURE,
      chunk('IHDR', header),
      ...extra,
      chunk('IDAT', zlibSync(raw.subarray(at, at + size), { level: 0 })),
      chunk('IEND', new Uint8Array(0)),
    ]);
    at += size;
    const pass = decode(file, { checkCrc: false });
    result = { palette: pass.palette, transparency: pass.transparency };
    const unpacked = unpack(pass.data as Uint8Array, p.width, p.height, samples, h.depth);
    for (let y = 0; y < p.height; y++) {
      for (let x = 0; x < p.width; x++) {
        const to = ((p.y0 + y * p.dy) * h.width + p.x0 + x * p.dx) * samples;
        for (let c = 0; c < samples; c++) data[to + c] = unpacked[(y * p.width + x) * samples + c]!;
      }
    }
  }
  return { data, ...result };
}

/** The PLTE and tRNS chunks of a file, copied whole (they are needed to decode a pass alone). */
function ancillaryForPalette(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Uint8Array[] = [];
  for (let offset = PNG_SIGNATURE.length; offset + 12 <= bytes.length; ) {
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (type === 'PLTE' || type === 'tRNS') out.push(bytes.subarray(offset, offset + 12 + length));
    if (type === 'IEND') break;
    offset += 12 + length;
  }
  return out;
}

/** Sub-byte samples (rows padded to whole bytes) to one byte per sample, values unchanged. */
function unpack(packed: Uint8Array, width: number, height: number, samples: number, depth: number): Uint8Array {
  if (depth >= 8) return packed;
  const perRow = width * samples;
  const rowBytes = Math.ceil((perRow * depth) / 8);
  const out = new Uint8Array(perRow * height);
  const mask = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < perRow; i++) {
      const bit = i * depth;
      out[y * perRow + i] = (packed[y * rowBytes + (bit >> 3)]! >> (8 - depth - (bit & 7))) & mask;
    }
  }
  return out;
}

/** fast-png's samples (packed sub-byte rows, 16-bit, palette indices) as 8-bit gray, gray + alpha, RGB or RGBA. */
function toEightBit(
  h: Header,
  decoded: { data: Uint8Array | Uint16Array | Uint8ClampedArray; palette?: number[][]; transparency?: Uint16Array },
  fail: Fail,
): PngImage {
  const { width, height, depth, colorType } = h;
  const samples = COLOR_TYPES[colorType]!.samples;
  const n = width * height;
  const values =
    decoded.data instanceof Uint16Array
      ? decoded.data
      : unpack(
          decoded.data as Uint8Array,
          h.interlaced ? width * height : width,
          h.interlaced ? 1 : height,
          samples,
          h.interlaced ? 8 : depth,
        );
  const trns = decoded.transparency;
  if (colorType === 3) {
    // fast-png appends each entry's tRNS alpha (255 past the end of tRNS) to the palette.
    const palette = decoded.palette ?? fail({ expected: 'a palette image without a palette' });
    const channels = palette[0]!.length === 4 ? 4 : 3;
    const pixels = new Uint8Array(n * channels);
    for (let i = 0; i < n; i++) {
      const index = values[i]!;
      const entry = palette[index] ?? fail({ expected: `pixel ${i} uses palette entry ${index}, but the palette holds ${palette.length}` });
      pixels.set(entry, i * channels);
    }
    return { width, height, channels: channels as 3 | 4, pixels };
  }
  const scale = depth === 16 ? (v: number) => v >> 8 : depth === 8 ? (v: number) => v : (v: number) => (v * 255) / ((1 << depth) - 1);
  const keyed = trns !== undefined && (colorType === 0 || colorType === 2);
  const channels = samples + (keyed ? 1 : 0);
  const pixels = new Uint8Array(n * channels);
  for (let i = 0; i < n; i++) {
    let transparent = keyed;
    for (let c = 0; c < samples; c++) {
      const v = values[i * samples + c]!;
      pixels[i * channels + c] = scale(v);
      if (keyed && v !== trns![c]) transparent = false;
    }
    if (keyed) pixels[i * channels + samples] = transparent ? 0 : 255;
  }
  return { width, height, channels: channels as 1 | 2 | 3 | 4, pixels };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

function hex(n: number): string {
  return n.toString(16).toUpperCase().padStart(8, '0');
}
