import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Headless Chromium as the browser tests drive it through playwright-core: Debian's package, and the
 * flags that keep it from reaching the network on its own (the tests assert that every request stays
 * on 127.0.0.1). A test skips when the binary is missing; CI installs it (.ci/run).
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Starts Chromium on a fresh profile with CHROMIUM_ARGS and `extraArgs`; `close()` ends it and removes
 * the profile. The caller checks that CHROMIUM exists first (and skips without it).
 */
export async function launchChromium(extraArgs: readonly string[] = []) {
  const { chromium } = await import('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'neurona-chromium-'));
  const args = [...CHROMIUM_ARGS, ...extraArgs];
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args });
  const close = async () => {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  };
  return { context, close };
}

/**
 * Serves `routes` (path -> content type and body; anything else 404) on 127.0.0.1 with the headers of a
 * cross-origin isolated page (SharedArrayBuffer, which the webgpu and wasm-threads backends need).
 * Resolves to the base URL and a `close()`.
 */
export async function serveIsolated(routes: Readonly<Record<string, { type: string; body: string | Uint8Array }>>) {
  const headers = {
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-embedder-policy': 'require-corp',
    'cross-origin-resource-policy': 'same-origin',
  };
  const server = createServer((req, res) => {
    const route = routes[req.url ?? ''];
    if (route) res.writeHead(200, { ...headers, 'content-type': route.type }).end(route.body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, close: () => server.close() };
}

/**
 * Asserts that every request the page and its workers made went to the test server at `base` (or to a
 * blob: URL of its origin, where workers' scripts come from): nothing reached the network.
 */
export function assertRequestsStayOn(base: string, requested: readonly string[], what = ''): void {
  assert.ok(
    requested.every((url) => url.startsWith(`${base}/`) || url.startsWith(`blob:${base}/`)),
    `${what ? `${what}: ` : ''}requests outside the server: ${requested.join(', ')}`,
  );
}
