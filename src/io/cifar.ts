/**
 * The CIFAR-10 binary format (cifar-10-batches-bin): each file is a run of fixed-size records, one per
 * image: 1 label byte (0..9), then 3072 pixel bytes, the 1024 red values of the 32x32 image in row-major
 * order, then the 1024 green, then the 1024 blue. The standard files hold 10,000 records each.
 *
 * Byte-level only: this file knows nothing of tensors. Pixels come out channels-last
 * (`[count, 32, 32, 3]`, as Keras's `cifar10.load_data()` gives them), so the planes are interleaved here.
 */
import { formatError } from '../core/index.js';

export const CIFAR_SIDE = 32;
export const CIFAR_CHANNELS = 3;
/** Bytes of one record: the label and the three 32x32 planes. */
export const CIFAR_RECORD_BYTES = 1 + CIFAR_SIDE * CIFAR_SIDE * CIFAR_CHANNELS;
export const CIFAR10_CLASSES = 10;

/** A parsed batch: `images` holds `count * 32 * 32 * 3` bytes channels-last, `labels` `count` class ids. */
export interface CifarBatch {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/**
 * Parses one CIFAR-10 binary batch. `name` (the file's path or URL) prefixes every error. A length
 * that is not a whole number of records, an empty file or a label outside 0..9 is a `FormatError`;
 * `expectedCount`, when given, must match the number of records.
 */
export function parseCifarBatch(bytes: Uint8Array, name: string, expectedCount?: number): CifarBatch {
  if (bytes.length === 0 || bytes.length % CIFAR_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
    throw formatError(name, {
      expected: `a CIFAR-10 batch is a whole number of ${CIFAR_RECORD_BYTES}-byte records (1 label byte + 32x32x3 pixels)`,
      got: `${bytes.length} bytes (${whole} records and ${bytes.length - whole * CIFAR_RECORD_BYTES} bytes left over)`,
      hint: 'the file is truncated or not a CIFAR-10 binary batch',
    });
  }
  const count = bytes.length / CIFAR_RECORD_BYTES;
  if (expectedCount !== undefined && count !== expectedCount) {
    throw formatError(name, {
      expected: `expected ${expectedCount} CIFAR-10 records (${expectedCount * CIFAR_RECORD_BYTES} bytes)`,
      got: `${count} (${bytes.length} bytes)`,
    });
  }
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const images = new Uint8Array(count * plane * CIFAR_CHANNELS);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const record = i * CIFAR_RECORD_BYTES;
    const label = bytes[record]!;
    if (label >= CIFAR10_CLASSES) {
      throw formatError(name, {
        expected: `record ${i} has label ${label}, but CIFAR-10 labels are 0..${CIFAR10_CLASSES - 1}`,
        hint: 'this is not a CIFAR-10 batch (CIFAR-100 has 2 label bytes per record)',
      });
    }
    labels[i] = label;
    const pixels = record + 1;
    const out = i * plane * CIFAR_CHANNELS;
    for (let p = 0; p < plane; p++) {
      images[out + p * 3] = bytes[pixels + p]!;
      images[out + p * 3 + 1] = bytes[pixels + plane + p]!;
      images[out + p * 3 + 2] = bytes[pixels + 2 * plane + p]!;
    }
  }
  return { images, labels, count };
}

/** The inverse of `parseCifarBatch` (channels-last pixels back to planes); tests write small batches with it. */
export function encodeCifarBatch(images: Uint8Array, labels: Uint8Array): Uint8Array {
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const count = labels.length;
  if (images.length !== count * plane * CIFAR_CHANNELS) {
    throw formatError('encodeCifarBatch', {
      expected: `${count} labels need ${count * plane * CIFAR_CHANNELS} pixel bytes`,
      got: String(images.length),
    });
  }
  const bytes = new Uint8Array(count * CIFAR_RECORD_BYTES);
  for (let i = 0; i < count; i++) {
    const record = i * CIFAR_RECORD_BYTES;
    bytes[record] = labels[i]!;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < CIFAR_CHANNELS; c++) bytes[record + 1 + c * plane + p] = images[(i * plane + p) * CIFAR_CHANNELS + c]!;
    }
  }
  return bytes;
}
