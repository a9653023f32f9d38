/**
 * Atomic file writes (docs/architecture.md, "Saving and loading"): readers see either the old file or the complete new one,
 * never a partial write, even if the process dies midway.
 */
import { type FileHandle, open, rename, unlink } from 'node:fs/promises';
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
  const temp = atomicTempPath(path);
  await writeAndSync(temp, bytes);
  try {
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDirectory(dir);
}

/** Creates `path` (it must not exist) holding `bytes`, flushed to disk; on any error nothing is left. */
async function writeAndSync(path: string, bytes: Uint8Array | string): Promise<void> {
  const file = await open(path, 'wx');
  try {
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
  } catch (error) {
    await unlink(path).catch(() => undefined);
    throw error;
  }
}

/**
 * Writes `bytes` to a new file `path` (it must not exist) and flushes the file and its directory
 * entry: once this resolves, the file survives a crash. Used for files that are only read after a
 * later commit step names them (a model's staged weights); a crash midway leaves a partial file
 * that nothing refers to.
 */
export async function writeNewFileDurably(path: string, bytes: Uint8Array | string): Promise<void> {
  await writeAndSync(path, bytes);
  await syncDirectory(dirname(path));
}

/** Renames `from` to `to` (same directory) and flushes the directory so the rename survives a crash. */
export async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await syncDirectory(dirname(to));
}

/** The temporary file beside `path` that an atomic write fills first (its name matches ATOMIC_TEMP_PATTERN). */
export function atomicTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
}

/** The name atomicTempPath gives the temporary file of `name`: `.<name>.<pid>.<random hex>.tmp`. */
export const ATOMIC_TEMP_PATTERN = /^\.(.+)\.(\d+)\.[0-9a-f]+\.tmp$/;

/** Whether the process `pid` (of a temporary file's name) still runs: its file may be a write in flight. */
export function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // it runs, under another user
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Directories cannot be opened for fsync on Windows (EPERM/EISDIR); there the rename is as durable as it gets.
  let handle: FileHandle | undefined;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort, see above
  } finally {
    await handle?.close();
  }
}
