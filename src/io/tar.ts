/**
 * Reads the regular files out of a POSIX (ustar) or old-GNU tar archive held in memory: 512-byte
 * header blocks, each followed by the file's bytes padded to a multiple of 512. Enough for dataset
 * archives such as cifar-10-binary.tar.gz; links, devices and directories are skipped.
 */
import { formatError, show } from '../core/index.js';

const BLOCK = 512;

export interface TarEntry {
  /** The path inside the archive, e.g. `cifar-10-batches-bin/data_batch_1.bin`. */
  name: string;
  bytes: Uint8Array;
}

function text(bytes: Uint8Array, start: number, length: number): string {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(start, end));
}

function octal(bytes: Uint8Array, start: number, length: number, name: string, field: string): number {
  const raw = text(bytes, start, length).trim();
  if (!/^[0-7]*$/.test(raw)) throw formatError(name, { expected: `tar header field ${field} must be an octal number`, got: show(raw) });
  return raw === '' ? 0 : parseInt(raw, 8);
}

/**
 * The regular files of a tar archive, in archive order. `name` (the archive's path or URL) prefixes
 * errors: a bad header checksum or an entry that runs past the end is a `FormatError`.
 */
export function readTar(archive: Uint8Array, name: string): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  while (offset + BLOCK <= archive.length) {
    const header = archive.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break; // the end-of-archive marker
    const stored = octal(header, 148, 8, name, 'checksum');
    let sum = 0;
    for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
    if (sum !== stored) {
      throw formatError(name, {
        expected: `tar header at byte ${offset} has checksum ${stored} but its bytes sum to ${sum}`,
        hint: 'the archive is corrupt or not a tar file',
      });
    }
    const size = octal(header, 124, 12, name, 'size');
    const type = String.fromCharCode(header[156]!);
    const prefix = text(header, 345, 155);
    const entryName = longName ?? (prefix ? `${prefix}/${text(header, 0, 100)}` : text(header, 0, 100));
    const start = offset + BLOCK;
    if (start + size > archive.length) {
      throw formatError(name, {
        expected: `tar entry ${entryName} needs ${size} bytes but the archive ends after ${archive.length - start}`,
        hint: 'the download is truncated',
      });
    }
    const bytes = archive.subarray(start, start + size);
    longName = undefined;
    if (type === 'L')
      longName = text(bytes, 0, bytes.length); // GNU long name for the next entry
    else if (type === '0' || type === '\0' || type === '7') entries.push({ name: entryName, bytes });
    offset = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  return entries;
}
