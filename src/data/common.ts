/** What the dataset loaders share: where the cache lives and how a download fails. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../core/index.js';

/** The cache root: `cacheDir`, else `$NEURONA_CACHE_DIR`, else `~/.neurona` (as Keras uses `~/.keras`). */
export function cacheRoot(cacheDir: string | undefined): string {
  return cacheDir ?? (process.env.NEURONA_CACHE_DIR || join(homedir(), '.neurona'));
}

/**
 * Fetches `url` whole. A network failure or an HTTP error is a `ConfigError` that starts with `where`
 * (e.g. `cifar10.loadData`) and ends with `howToProvide`, the ways to get the files without a network.
 */
export async function fetchBytes(url: string, where: string, howToProvide: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw new ConfigError(`${where}: could not download ${url} (${cause}). ${howToProvide}`);
  }
  if (!response.ok) throw new ConfigError(`${where}: downloading ${url} failed with HTTP ${response.status}. ${howToProvide}`);
  return new Uint8Array(await response.arrayBuffer());
}
