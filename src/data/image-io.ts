/**
 * `nr.io`: image files to tensors. `loadImage` is Keras's `load_img` followed by `img_to_array`;
 * `decodeImage`, `resizePixels`, `encodePng` and the decoders work on bytes and pixel arrays.
 */
import { readFile } from 'node:fs/promises';
import { configError, formatError, parseOptions, is, show } from '../core/index.js';
import { Tensor } from '../tensor/index.js';
import { type ColorMode, type DecodedImage, COLOR_MODES, checkSize, prepareImage } from '../io/image.js';
import { type Interpolation, checkInterpolation } from '../io/image-resize.js';
import { type Decoder, decodeWith } from './sharp-decoder.js';

export { decodeImage, prepareImage, sniffImageFormat, type ColorMode, type DecodedImage, type ImagePixels } from '../io/image.js';
export { resizePixels, INTERPOLATIONS, type Interpolation } from '../io/image-resize.js';
export { encodePng, decodePng, type PngImage } from '../io/png.js';
export { decodeJpeg, type JpegImage } from '../io/jpeg.js';

export interface LoadImageOptions {
  /** [height, width] to resize to; default (or null) keeps the file's size. */
  targetSize?: readonly number[] | null;
  /** 'rgb' (default), 'rgba' or 'grayscale'. */
  colorMode?: ColorMode;
  /** Default 'nearest', as Keras's load_img; also 'bilinear', 'bicubic', 'area'. */
  interpolation?: Interpolation;
  /** Centre-crop to the aspect ratio of targetSize before resizing (Keras's keep_aspect_ratio). Default false. */
  keepAspectRatio?: boolean;
  /** The largest image accepted, in pixels (default 64 megapixels). */
  maxPixels?: number;
  /** 'js' (default, pure JavaScript) or 'sharp', the optional native decoder (`npm install sharp`). */
  decoder?: Decoder;
}

const SPEC = {
  keys: {
    targetSize: is.any,
    colorMode: is.any,
    interpolation: is.any,
    keepAspectRatio: is.boolean,
    maxPixels: is.positiveInteger,
    decoder: is.oneOf('js', 'sharp'),
  },
};

/** Reads a file's bytes; a missing or unreadable file is a FormatError naming it. */
export async function readImageBytes(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string')
    throw configError('loadImage', { expected: 'a file path (string) or the bytes (Uint8Array)', got: show(path) });
  try {
    return new Uint8Array(await readFile(path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const rule = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (code ?? String(error));
    throw formatError('', { expected: `cannot read image ${path}`, rule, cause: error });
  }
}

/**
 * Loads a PNG or JPEG file (a path, or its bytes) as a float32 tensor `[height, width, channels]`
 * with values 0..255, as `keras.utils.img_to_array(keras.utils.load_img(path, ...))`. The format is
 * told from the bytes, not the name. Keras resizes through PIL, whose 'bilinear' and 'bicubic'
 * smooth the image when shrinking; here every mode follows tf.image.resize (no smoothing), and the
 * default 'nearest' gives the same pixels as PIL's. EXIF orientation is not applied (nor in Keras).
 *
 * ```ts
 * import { writeFileSync } from 'node:fs';
 * const { encodePng } = nr.io;
 * const path = `${process.env.TMPDIR ?? '/tmp'}/neurona-doc-image.png`;
 * writeFileSync(path, encodePng({ width: 4, height: 4, channels: 1, pixels: new Uint8Array(16).fill(200) }));
 * const image = await nr.io.loadImage(path, { targetSize: [2, 2] });
 * image.shape; // [2, 2, 3]
 * const batch = image.expandDims(0); // [1, 2, 2, 3], ready for model.predict
 * ```
 */
export async function loadImage(source: string | Uint8Array, options: LoadImageOptions = {}): Promise<Tensor> {
  const o = parseOptions<LoadImageOptions>('loadImage', options, SPEC);
  const colorMode = o.colorMode ?? 'rgb';
  if (!COLOR_MODES.includes(colorMode)) {
    throw configError('loadImage', { expected: "colorMode must be 'rgb', 'rgba' or 'grayscale'", got: show(colorMode) });
  }
  const interpolation = checkInterpolation('loadImage', o.interpolation ?? 'nearest');
  const size = o.targetSize == null ? undefined : checkSize('loadImage', o.targetSize, 'targetSize');
  const name = typeof source === 'string' ? source : 'image data';
  const bytes = source instanceof Uint8Array ? source : await readImageBytes(source);
  const image: DecodedImage = await decodeWith(o.decoder ?? 'js', bytes, { name, colorMode, maxPixels: o.maxPixels });
  const prepared = prepareImage(image, { size, interpolation, cropToAspectRatio: o.keepAspectRatio ?? false });
  return new Tensor(prepared.pixels, [prepared.height, prepared.width, prepared.channels], 'float32');
}
