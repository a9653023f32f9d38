/**
 * PNG encode and decode on plain bytes (no tensors; Node-only, through node:zlib).
 *
 * The encoder writes 8-bit grayscale, RGB or RGBA, non-interlaced, every scanline with filter type 0
 * (None): the images neurona writes (digit grids, heatmaps) are small, and zlib alone compresses
 * their flat areas well. The decoder reads 8-bit gray, RGB and RGBA with any of the five scanline
 * filters (so files from other tools load too); other bit depths, palettes, gray+alpha and interlaced
 * files are rejected with a FormatError that says so.
 *
 * ```ts
 * import { encodePng, decodePng } from './src/io/png.js'; // internal module: run from the repository root
 * const png = encodePng({ width: 2, height: 1, channels: 1, pixels: new Uint8Array([0, 255]) });
 * decodePng(png).pixels; // Uint8Array [0, 255]
 * ```
 */
import { deflateSync, inflateSync } from 'node:zlib';
import { ConfigError, FormatError } from '../core/index.js';

/** An 8-bit image: `pixels` holds `height` rows of `width * channels` bytes, no padding. */
export interface PngImage {
  width: number;
  height: number;
  /** 1 gray, 3 RGB, 4 RGBA. */
  channels: 1 | 3 | 4;
  pixels: Uint8Array;
}

export const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG color type for each channel count (PNG spec, section 11.2.2). */
const COLOR_TYPE: Record<1 | 3 | 4, number> = { 1: 0, 3: 2, 4: 6 };
const CHANNELS_OF_COLOR_TYPE: Record<number, 1 | 3 | 4 | undefined> = { 0: 1, 2: 3, 6: 4 };

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

/** Encodes an 8-bit gray, RGB or RGBA image as a PNG file (signature, IHDR, one IDAT, IEND). */
export function encodePng(image: PngImage): Uint8Array {
  const { width, height, channels, pixels } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) {
    throw new ConfigError(`encodePng: width and height must be positive integers, got ${width}x${height}`);
  }
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw new ConfigError(`encodePng: channels must be 1 (gray), 3 (RGB) or 4 (RGBA), got ${String(channels)}`);
  }
  const rowBytes = width * channels;
  if (pixels.length !== rowBytes * height) {
    throw new ConfigError(`encodePng: a ${width}x${height} image with ${channels} channel(s) needs ${rowBytes * height} bytes, got ${pixels.length}`);
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

/**
 * Decodes a non-interlaced 8-bit gray, RGB or RGBA PNG (any of the five scanline filters). Every
 * chunk length and CRC is checked before use; anything else is a FormatError naming the problem.
 * `name` is used in messages (a file path, say).
 */
export function decodePng(bytes: Uint8Array, name = 'PNG data'): PngImage {
  const fail = (what: string): never => {
    throw new FormatError(`${name}: ${what}`);
  };
  if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    fail('not a PNG file (the 8-byte signature 89 50 4E 47 0D 0A 1A 0A is missing)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = PNG_SIGNATURE.length;
  let header: { width: number; height: number; channels: 1 | 3 | 4 } | undefined;
  const idat: Uint8Array[] = [];
  let ended = false;
  while (!ended) {
    if (offset + 12 > bytes.length) fail(`truncated: a chunk header at byte ${offset} needs 12 bytes, only ${bytes.length - offset} left (no IEND chunk)`);
    const length = view.getUint32(offset, false);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) fail(`bad chunk type ${JSON.stringify(type)} at byte ${offset + 4}`);
    if (length > 0x7fffffff || offset + 12 + length > bytes.length) {
      fail(`truncated: chunk ${type} at byte ${offset} declares ${length} data bytes, only ${Math.max(0, bytes.length - offset - 12)} left`);
    }
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const stored = view.getUint32(offset + 8 + length, false);
    const computed = crc32(bytes, offset + 4, offset + 8 + length);
    if (stored !== computed) fail(`CRC mismatch in chunk ${type} at byte ${offset}: stored 0x${hex(stored)}, computed 0x${hex(computed)} (the file is corrupt)`);
    offset += 12 + length;
    if (!header && type !== 'IHDR') fail(`the first chunk must be IHDR, got ${type}`);
    if (type === 'IHDR') {
      if (header) fail('more than one IHDR chunk');
      if (length !== 13) fail(`IHDR must hold 13 bytes, got ${length}`);
      const width = view.getUint32(offset - 12 - length + 8, false);
      const height = view.getUint32(offset - 12 - length + 12, false);
      const [depth, colorType, compression, filter, interlace] = data.subarray(8, 13);
      if (width === 0 || height === 0 || width > 0x7fffffff || height > 0x7fffffff) fail(`bad image size ${width}x${height}`);
      const channels = CHANNELS_OF_COLOR_TYPE[colorType!];
      if (depth !== 8 || channels === undefined) {
        fail(`unsupported pixel format: bit depth ${depth}, color type ${colorType} (supported: 8-bit gray (0), RGB (2), RGBA (6))`);
      }
      if (compression !== 0 || filter !== 0) fail(`unknown compression method ${compression} or filter method ${filter} (both must be 0)`);
      if (interlace !== 0) fail('interlaced (Adam7) images are not supported');
      header = { width, height, channels: channels! };
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      ended = true;
    } else if ((type.charCodeAt(0) & 0x20) === 0) {
      fail(`unknown critical chunk ${type}`); // ancillary chunks (lowercase first letter) are skipped
    }
  }
  if (idat.length === 0) fail('no IDAT chunk (no image data)');
  const { width, height, channels } = header!;
  const rowBytes = width * channels;
  const expected = (rowBytes + 1) * height;
  let raw: Uint8Array;
  try {
    raw = inflateSync(concat(idat), { maxOutputLength: expected + 1 });
  } catch (error) {
    return fail(`image data does not inflate: ${(error as Error).message}`);
  }
  if (raw.length !== expected) fail(`image data inflates to ${raw.length} bytes, a ${width}x${height} image with ${channels} channel(s) needs ${expected}`);
  const pixels = new Uint8Array(rowBytes * height);
  for (let y = 0; y < height; y++) {
    const filterType = raw[y * (rowBytes + 1)]!;
    if (filterType > 4) fail(`scanline ${y} has unknown filter type ${filterType} (0 to 4 allowed)`);
    unfilter(filterType, raw.subarray(y * (rowBytes + 1) + 1, (y + 1) * (rowBytes + 1)), pixels, y * rowBytes, rowBytes, channels, y > 0);
  }
  return { width, height, channels, pixels };
}

/** Undoes one scanline's filter (PNG spec section 9) into `out` at `at`; the row above is at `at - rowBytes`. */
function unfilter(type: number, line: Uint8Array, out: Uint8Array, at: number, rowBytes: number, bpp: number, hasPrior: boolean): void {
  for (let i = 0; i < rowBytes; i++) {
    const a = i >= bpp ? out[at + i - bpp]! : 0;
    const b = hasPrior ? out[at + i - rowBytes]! : 0;
    const c = hasPrior && i >= bpp ? out[at + i - rowBytes - bpp]! : 0;
    let predictor = 0;
    if (type === 1) predictor = a;
    else if (type === 2) predictor = b;
    else if (type === 3) predictor = (a + b) >> 1;
    else if (type === 4) predictor = paeth(a, b, c);
    out[at + i] = (line[i]! + predictor) & 0xff;
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
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
