/**
 * The Node side of `weights: 'imagenet'` (registered into ./weights.ts by the Node entry): find
 * Keras's published file in neurona's cache (`$NEURONA_CACHE_DIR` or `~/.neurona`, under
 * `models/`) or in Keras's own (`$KERAS_HOME` or `~/.keras`, under `models/`), else download it
 * into neurona's cache. A file is used only after its hash matches Keras's published one or, where
 * Keras publishes none (MobileNetV2), after it opens as HDF5. A download goes to a temporary file
 * that is renamed into place only once complete (every byte the server announced) and checked, so
 * the cache never holds a partial or corrupted file under the real name.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { FormatError, configError, formatError, isQuiet, notice } from '../core/index.js';
import { cacheRoot, openDownload } from '../data/common.js';
import { ATOMIC_TEMP_PATTERN, atomicTempPath, processRuns, renameDurably } from '../io/atomic.js';
import { openHdf5 } from '../io/hdf5.js';
import { KERAS_WEIGHTS_ORIGIN, registerWeightsFetcher, type PublishedWeights } from './weights.js';

/** The folder neurona keeps downloaded weight files in. */
export const weightsCacheDir = (): string => join(cacheRoot(undefined), 'models');

const kerasCacheDir = (): string => join(process.env.KERAS_HOME || join(homedir(), '.keras'), 'models');

/** Keras's rule (keras.utils.get_file): a 64-digit hash is sha256, any other md5. */
const algorithmOf = (hash: string) => (hash.length === 64 ? 'sha256' : 'md5');

async function hashOfFile(path: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Why `path` does not hold the published file, or null when it does: its hash differs from Keras's,
 * or where Keras publishes none, it does not open as HDF5 (a truncated copy fails the size check).
 */
async function mismatch(path: string, file: PublishedWeights, name = path): Promise<string | null> {
  if (file.hash !== null) {
    const algorithm = algorithmOf(file.hash);
    return (await hashOfFile(path, algorithm)) === file.hash.toLowerCase() ? null : `it does not match Keras's published ${algorithm} hash`;
  }
  try {
    openHdf5(new Uint8Array(await readFile(path)), name).keys();
    return null;
  } catch (error) {
    if (error instanceof FormatError) return `it cannot be opened: ${error.message}`;
    throw error;
  }
}

/** The local path of a published file: from a cache when it checks out (see mismatch), else downloaded (exported for tests). */
export async function fetchWeights(file: PublishedWeights, where: string): Promise<string> {
  const target = join(weightsCacheDir(), file.fileName);
  if (await isFile(target)) {
    const why = await mismatch(target, file);
    if (why === null) return target;
    notice(`${target} is not Keras's file (${why}): downloading it again`);
    // Removed first, so a bad copy is not met again on every later call when this download fails too.
    await unlink(target).catch(() => undefined);
  }
  const keras = join(kerasCacheDir(), file.fileName);
  if ((await isFile(keras)) && (await mismatch(keras, file)) === null) return keras;
  const origin = process.env.NEURONA_WEIGHTS_MIRROR || KERAS_WEIGHTS_ORIGIN;
  const url = `${origin.replace(/\/?$/, '/')}${file.path}`;
  await download(url, target, file, where);
  return target;
}

async function download(url: string, target: string, file: PublishedWeights, where: string): Promise<void> {
  const howToProvide =
    `download ${url} yourself (e.g. curl -L -o "${target}" "${url}") and run again` +
    (file.hash ? `; it is checked against Keras's ${algorithmOf(file.hash)} ${file.hash}` : '');
  const response = await openDownload(url, where, howToProvide);
  await mkdir(weightsCacheDir(), { recursive: true });
  await removeAbandoned(file.fileName);
  const temp = atomicTempPath(target);
  const hash = file.hash ? createHash(algorithmOf(file.hash)) : null;
  const total = Number(response.headers.get('content-length')) || 0;
  const progress = progressBar(file.fileName, total);
  const handle = await open(temp, 'wx');
  try {
    let received = 0;
    try {
      for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
        await handle.write(chunk);
        hash?.update(chunk);
        received += chunk.length;
        progress(received);
      }
    } catch (error) {
      const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
      throw configError(where, { expected: `the download of ${url} broke off after ${received} bytes`, rule: cause, hint: howToProvide });
    }
    progress(received, true);
    // Content-Length counts the bytes on the wire, which are the file's only without a content encoding.
    const encoding = response.headers.get('content-encoding');
    if (total > 0 && (!encoding || encoding === 'identity') && received !== total) {
      throw configError(where, {
        expected: `the download of ${url} ended after ${received} of the ${total} bytes the server announced`,
        rule: 'nothing was kept',
        hint: howToProvide,
      });
    }
    const digest = hash?.digest('hex');
    if (file.hash && digest !== file.hash.toLowerCase()) {
      throw formatError(where, {
        expected: `the file downloaded from ${url} has ${algorithmOf(file.hash)} ${digest}, Keras publishes ${file.hash}`,
        rule: 'the download was damaged or the server sent another file; nothing was kept',
        hint: howToProvide,
      });
    }
    await handle.sync();
    await handle.close();
    const why = file.hash === null ? await mismatch(temp, file, url) : null;
    if (why !== null) {
      throw formatError(where, {
        expected: `the file downloaded from ${url} is not a weight file: ${why}`,
        rule: 'nothing was kept',
        hint: howToProvide,
      });
    }
    await renameDurably(temp, target);
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

/** Removes the temporary files of downloads of `fileName` whose process no longer runs (killed midway). */
async function removeAbandoned(fileName: string): Promise<void> {
  for (const name of await readdir(weightsCacheDir())) {
    const match = ATOMIC_TEMP_PATTERN.exec(name);
    if (!match || match[1] !== fileName || processRuns(Number(match[2]))) continue;
    await unlink(join(weightsCacheDir(), name)).catch(() => undefined);
  }
}

/**
 * A one-line progress bar on stderr: redrawn in place on a terminal, a line per quarter otherwise
 * (logs stay short); silent under NEURONA_QUIET=1 or nr.setQuiet(true).
 */
function progressBar(name: string, total: number): (received: number, done?: boolean) => void {
  const stream = process.stderr;
  if (isQuiet()) return () => undefined;
  const live = stream.isTTY === true;
  let last = -1;
  return (received, done = false) => {
    const fraction = total > 0 ? Math.min(received / total, 1) : 0;
    const step = live ? Math.floor(fraction * 100) : Math.floor(fraction * 4);
    if (step === last && !done) return;
    last = step;
    const mb = (n: number) => (n / 1048576).toFixed(1);
    const width = 30;
    const filled = Math.round(fraction * width);
    const bar = total > 0 ? `[${'='.repeat(filled)}${' '.repeat(width - filled)}] ${mb(received)}/${mb(total)} MB` : `${mb(received)} MB`;
    const line = `neurona: downloading ${name} ${bar}${done ? ' done' : ''}`;
    if (live) stream.write(`\r${line}${done ? '\n' : ''}`);
    else if (done || (step > 0 && step < 4)) stream.write(`${line}\n`);
  };
}

registerWeightsFetcher(fetchWeights);
