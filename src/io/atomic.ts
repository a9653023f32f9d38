/**
 * Atomic file writes (DESIGN.md section 7): readers see either the old file or the complete new one,
 * never a partial write, even if the process dies midway.
 */
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * Writes `bytes` to `path` atomically: into a temporary file in the same directory (a rename is only
 * atomic within one file system), flushed with fsync, renamed over `path`, then the directory is
 * fsynced so the rename itself survives a crash. The directory must exist. On failure the temporary
 * file is removed and `path` is untouched.
 *
 * ```ts
 * import { writeFileAtomic } from './src/io/atomic.js'; // internal module: run from the repository root
 * import { tmpdir } from 'node:os';
 * await writeFileAtomic(`${tmpdir()}/neurona-example.bin`, new Uint8Array([1, 2, 3]));
 * ```
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const file = await open(temp, 'wx');
  try {
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

async function syncDirectory(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on Windows (EPERM/EISDIR); there the rename is as durable as it gets.
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort, see above
  } finally {
    await handle?.close();
  }
}
