/**
 * The optional native decoder: sharp (libvips, with libjpeg and libspng), an optional peer dependency
 * loaded on first use. Decoding and resizing a 500x375 JPEG to 224x224 runs about thirteen times as
 * fast as with jpeg-js (bench/image-pipeline.ts), the decoding off the JavaScript thread. Chosen per
 * call with `decoder: 'sharp'`, never by default, so that the same files give the same pixels on every
 * machine unless asked otherwise. Pixels then follow libjpeg (smooth chroma upsampling, as PIL and
 * TF), and CMYK files are converted through their colour
 * profile. Only PNG and JPEG files go to sharp: anything else gets decodeImage's own errors.
 */
import type SharpType from 'sharp';
import { configError, formatError } from '../core/index.js';
import { type ColorMode, type DecodedImage, CHANNELS, decodeImage, sniffImageFormat, toChannels } from '../io/image.js';

export type Decoder = 'js' | 'sharp';

let loading: Promise<typeof SharpType> | undefined;

function loadSharp(): Promise<typeof SharpType> {
  loading ??= import('sharp')
    .catch((error: unknown) => {
      loading = undefined;
      const code = (error as { code?: string }).code;
      if (code !== 'ERR_MODULE_NOT_FOUND' || !String(error).includes("'sharp'")) throw error;
      throw configError('decoder', {
        expected: "decoder: 'sharp' needs the optional package sharp, which is not installed",
        hint: "run `npm install sharp`, or leave decoder at 'js'",
        cause: error,
      });
    })
    .then((module) => module.default);
  return loading;
}

/** Decodes PNG or JPEG bytes with the chosen decoder, converted to `colorMode`; failures are FormatErrors naming `name`. */
export async function decodeWith(
  decoder: Decoder,
  bytes: Uint8Array,
  options: { name: string; colorMode: ColorMode; maxPixels?: number },
): Promise<DecodedImage> {
  if (decoder !== 'sharp' || !['png', 'jpeg'].includes(sniffImageFormat(bytes) ?? '')) return decodeImage(bytes, options);
  const sharp = await loadSharp();
  const maxPixels = options.maxPixels ?? 8192 * 8192;
  let decoded: { data: Uint8Array; info: { width: number; height: number; channels: number } };
  try {
    decoded = await sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' })
      .toColourspace('srgb') // gray, then, by toChannels' luma, as with the js decoder
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw formatError(options.name, {
      expected: 'cannot decode the image',
      rule: error instanceof Error ? error.message : String(error),
      cause: error,
    });
  }
  const { data, info } = decoded;
  const image = { width: info.width, height: info.height, channels: info.channels as 1 | 2 | 3 | 4, pixels: new Uint8Array(data) };
  return toChannels(image, CHANNELS[options.colorMode]);
}
