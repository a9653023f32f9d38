/** What the dataset loaders share: where the cache lives and how a download fails. */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configError } from '../core/index.js';

/** The cache root: `cacheDir`, else `$NEURONA_CACHE_DIR`, else `~/.neurona` (as Keras uses `~/.keras`). */
export function cacheRoot(cacheDir: string | undefined): string {
  return cacheDir ?? (process.env.NEURONA_CACHE_DIR || join(homedir(), '.neurona'));
}

/**
 * Starts downloading `url`: the response of a 2xx answer with a body, to read whole or as a stream. A
 * network failure or an HTTP error is a `ConfigError` that starts with `where` (e.g.
 * `cifar10.loadData`) and ends with the hint `howToProvide`, the ways to get the files without a network.
 */
export async function openDownload(url: string, where: string, howToProvide: string): Promise<Response & { body: ReadableStream }> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    throw configError(where, { expected: `could not download ${url}`, rule: cause, hint: howToProvide });
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw configError(where, { expected: `downloading ${url} failed with HTTP ${response.status}`, hint: howToProvide });
  }
  return response as Response & { body: ReadableStream };
}

/** Fetches `url` whole (errors as openDownload's). */
export async function fetchBytes(url: string, where: string, howToProvide: string): Promise<Uint8Array> {
  return new Uint8Array(await (await openDownload(url, where, howToProvide)).arrayBuffer());
}
