/**
 * Image files to pixels, with no tensors and no Node modules (the browser build uses it too):
 * `decodeImage` reads PNG and JPEG, told apart by their first bytes (never by the file name),
 * and converts channels as Keras's `color_mode` does; `prepareImage` crops or pads to an aspect
 * ratio and resizes, as `image_dataset_from_directory` does, to float32 samples 0..255.
 *
 * ```ts
 * import { encodePng } from './src/io/png.js'; // internal modules: run from the repository root
 * import { decodeImage, prepareImage } from './src/io/image.js';
 * const png = encodePng({ width: 4, height: 2, channels: 1, pixels: new Uint8Array(8).fill(200) });
 * const image = decodeImage(png, { colorMode: 'rgb' }); // 4x2, 3 channels
 * prepareImage(image, { size: [1, 2] }).pixels; // Float32Array(6) [200, 200, 200, 200, 200, 200]
 * ```
 */
import { configError, formatError, show } from '../core/index.js';
import { type Interpolation, checkInterpolation, resizePixels } from './image-resize.js';
import { decodeJpeg, isJpeg } from './jpeg.js';
import { PNG_SIGNATURE, decodePng } from './png.js';

export type ColorMode = 'rgb' | 'rgba' | 'grayscale';
export const COLOR_MODES: readonly ColorMode[] = ['rgb', 'rgba', 'grayscale'];
/** Channels per pixel for each colour mode. */
export const CHANNELS: Record<ColorMode, 1 | 3 | 4> = { grayscale: 1, rgb: 3, rgba: 4 };

/** 8-bit samples: `height` rows of `width * channels` bytes. */
export interface DecodedImage {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  pixels: Uint8Array;
}

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'bmp';

/** The format of an image file from its first bytes, or null for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return 'png';
  if (isJpeg(bytes)) return 'jpeg';
  if (bytes.length >= 6 && String.fromCharCode(...bytes.subarray(0, 4)) === 'GIF8') return 'gif';
  if (bytes.length >= 14 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  return null;
}

export interface DecodeImageOptions {
  /** Channels of the result: 'rgb' (3, default), 'rgba' (4) or 'grayscale' (1); null keeps the file's own. */
  colorMode?: ColorMode | null;
  /** The most pixels accepted, checked from the header before decoding (default 64 megapixels). */
  maxPixels?: number;
  /** What error messages call the data (a file path). Default 'image data'. */
  name?: string;
}

/**
 * Decodes a PNG or JPEG file. Channels follow Keras (through PIL): gray to RGB repeats the gray
 * value; RGB to gray is ITU-R 601 luma rounded as PIL's convert('L'); dropping alpha keeps the colour
 * as stored (no compositing, as PIL and tf.io.decode_image); adding alpha makes it 255. GIF and BMP
 * files, which Keras also lists, are refused with a FormatError that says to convert them, as is
 * anything else, whatever its bytes.
 */
export function decodeImage(bytes: Uint8Array, options: DecodeImageOptions = {}): DecodedImage {
  const name = options.name ?? 'image data';
  if (!(bytes instanceof Uint8Array)) throw configError('decodeImage', { expected: "the file's bytes as a Uint8Array", got: show(bytes) });
  const colorMode = options.colorMode ?? null;
  if (colorMode !== null && !COLOR_MODES.includes(colorMode)) {
    throw configError('decodeImage', { expected: "colorMode must be 'rgb', 'rgba' or 'grayscale'", got: show(colorMode) });
  }
  const format = sniffImageFormat(bytes);
  let image: DecodedImage;
  if (format === 'png') image = decodePng(bytes, name, { maxPixels: options.maxPixels });
  else if (format === 'jpeg') image = decodeJpeg(bytes, name, { maxPixels: options.maxPixels });
  else if (format === 'gif' || format === 'bmp') {
    throw formatError(name, {
      expected: `a ${format.toUpperCase()} file, which neurona does not decode`,
      rule: 'PNG and JPEG are read',
      hint: 'convert it to PNG',
    });
  } else {
    const head = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    throw formatError(name, { expected: 'not a PNG or JPEG file', got: bytes.length === 0 ? 'an empty file' : `first bytes ${head}` });
  }
  return colorMode === null ? image : toChannels(image, CHANNELS[colorMode]);
}

/** Converts 8-bit pixels between 1, 2, 3 and 4 channels (see decodeImage for the rules). */
export function toChannels(image: DecodedImage, channels: 1 | 3 | 4): DecodedImage {
  const from = image.channels;
  if (from === channels) return image;
  const n = image.width * image.height;
  const p = image.pixels;
  const out = new Uint8Array(n * channels);
  const colour = from >= 3;
  const alpha = from === 2 || from === 4;
  for (let i = 0; i < n; i++) {
    const at = i * from;
    const to = i * channels;
    if (channels === 1) {
      out[i] = colour ? (p[at]! * 19595 + p[at + 1]! * 38470 + p[at + 2]! * 7471 + 0x8000) >>> 16 : p[at]!;
      continue;
    }
    if (colour) {
      out[to] = p[at]!;
      out[to + 1] = p[at + 1]!;
      out[to + 2] = p[at + 2]!;
    } else out[to] = out[to + 1] = out[to + 2] = p[at]!;
    if (channels === 4) out[to + 3] = alpha ? p[at + from - 1]! : 255;
  }
  return { width: image.width, height: image.height, channels, pixels: out };
}

export interface PrepareImageOptions {
  /** [height, width] of the result; without it the size is kept. */
  size?: readonly [number, number] | readonly number[];
  /** Default 'bilinear'; see image-resize.ts. */
  interpolation?: Interpolation;
  /** Centre-crop the largest box with the target's aspect ratio before resizing (Keras's crop_to_aspect_ratio). */
  cropToAspectRatio?: boolean;
  /** Pad (with zeros) to the target's aspect ratio, image centred, before resizing (Keras's pad_to_aspect_ratio). */
  padToAspectRatio?: boolean;
}

/** Float32 samples 0..255: `height` rows of `width * channels`. */
export interface ImagePixels {
  height: number;
  width: number;
  channels: number;
  pixels: Float32Array;
}

/** Checks a [height, width] pair of positive integers. */
export function checkSize(where: string, size: unknown, name = 'imageSize'): [number, number] {
  if (!Array.isArray(size) || size.length !== 2 || !size.every((n) => Number.isInteger(n) && n > 0 && n <= 65535)) {
    throw configError(where, { expected: `${name} must be [height, width], two positive integers`, got: show(size) });
  }
  return [size[0], size[1]];
}

/** Copies the box (top, left, height, width) of an image into a canvas (height, width) at (y, x); the rest stays 0. */
function place(image: DecodedImage, box: number[], canvas: number[]): DecodedImage {
  const [top, left, boxHeight, boxWidth] = box as [number, number, number, number];
  const [height, width, y, x] = canvas as [number, number, number, number];
  const c = image.channels;
  const out = new Uint8Array(height * width * c);
  for (let row = 0; row < boxHeight; row++) {
    const from = ((top + row) * image.width + left) * c;
    out.set(image.pixels.subarray(from, from + boxWidth * c), ((y + row) * width + x) * c);
  }
  return { width, height, channels: image.channels, pixels: out };
}

/** Crops or pads to an aspect ratio (Keras's rules, integer sizes truncated as there), then resizes to `size`. */
export function prepareImage(image: DecodedImage, options: PrepareImageOptions = {}): ImagePixels {
  const interpolation = checkInterpolation('prepareImage', options.interpolation ?? 'bilinear');
  const [toHeight, toWidth] = options.size === undefined ? [image.height, image.width] : checkSize('prepareImage', options.size, 'size');
  if (options.cropToAspectRatio && options.padToAspectRatio) {
    throw configError('prepareImage', { expected: 'cropToAspectRatio and padToAspectRatio cannot both be true', hint: 'choose one' });
  }
  const { width, height } = image;
  if (options.cropToAspectRatio) {
    const cropHeight = Math.max(Math.min(height, Math.trunc((width * toHeight) / toWidth)), 1);
    const cropWidth = Math.max(Math.min(width, Math.trunc((height * toWidth) / toHeight)), 1);
    const top = Math.trunc((height - cropHeight) / 2);
    const left = Math.trunc((width - cropWidth) / 2);
    if (cropHeight !== height || cropWidth !== width)
      image = place(image, [top, left, cropHeight, cropWidth], [cropHeight, cropWidth, 0, 0]);
  } else if (options.padToAspectRatio) {
    const padHeight = Math.max(height, Math.trunc((width * toHeight) / toWidth));
    const padWidth = Math.max(width, Math.trunc((height * toWidth) / toHeight));
    const y = Math.trunc((padHeight - height) / 2);
    const x = Math.trunc((padWidth - width) / 2);
    if (padHeight !== height || padWidth !== width) image = place(image, [0, 0, height, width], [padHeight, padWidth, y, x]);
  }
  const pixels = resizePixels(image.pixels, image.height, image.width, image.channels, toHeight, toWidth, interpolation);
  return { height: toHeight, width: toWidth, channels: image.channels, pixels };
}
