/** What the dataset loaders share: where the cache lives and how a download fails. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configError } from '../core/index.js';

/** The cache root: `cacheDir`, else `$NEURONA_CACHE_DIR`, else `~/.neurona` (as Keras uses `~/.keras`). */
export function cacheRoot(cacheDir: string | undefined): string {
  return cacheDir ?? (process.env.NEURONA_CACHE_DIR || join(homedir(), '.neurona'));
}

/**
 * Fetches `url` whole. A network failure or an HTTP error is a `ConfigError` that starts with `where`
 * (e.g. `cifar10.loadData`) and ends with the hint `howToProvide`, the ways to get the files without a network.
 */
export async function fetchBytes(url: string, where: string, howToProvide: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw configError(where, { expected: `could not download ${url}`, rule: cause, hint: howToProvide });
  }
  if (!response.ok) throw configError(where, { expected: `downloading ${url} failed with HTTP ${response.status}`, hint: howToProvide });
  return new Uint8Array(await response.arrayBuffer());
}
