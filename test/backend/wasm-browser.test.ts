import { test } from 'node:test';
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { build } from 'esbuild';
import { assert } from '../helpers.js';
import { assertRequestsStayOn, CHROMIUM, launchChromium } from '../chromium.js';

// The wasm backend in headless Chromium (as test/browser-save.test.ts drives it): the browser bundle
// (src/browser.ts through esbuild) calls nr.ready(), which fetches and compiles the module. A page
// served cross-origin isolated (COOP and COEP headers) gets the threaded module and Web Workers; one
// served without them gets the single-threaded module and a notice that says why.
const PAGE = `<!doctype html><html><head><link rel="icon" href="data:,"></head><body>
<script type="module">import * as nr from '/neurona.js'; window.nr = nr; window.ready = true;</script></body></html>`;
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

type Nr = typeof import('../../src/browser.js');

/** Runs in the page: ready(), n threads, a product against js, and a few training steps of a small CNN on wasm. */
async function exercise(nr: Nr, threads: number, wasmUrl: string) {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...parts: unknown[]) => warnings.push(parts.join(' '));
  const backend = await nr.ready({ wasmUrl });
  nr.setNumThreads(threads);
  const info = nr.wasmInfo();
  nr.setSeed(2);
  const a = nr.randn([120, 300]);
  const b = nr.randn([300, 90]);
  const onWasm = nr.matmul(a, b).data();
  nr.setNumThreads(1);
  const oneThread = nr.matmul(a, b).data();
  nr.setNumThreads(threads);
  nr.setBackend('js');
  const onJs = nr.matmul(a, b).data();
  let worst = 0;
  for (let i = 0; i < onJs.length; i++) worst = Math.max(worst, Math.abs(onWasm[i]! - onJs[i]!));
  nr.setBackend('wasm');
  const model = new nr.Sequential([
    nr.Input({ shape: [8, 8, 1] }),
    new nr.layers.Conv2D({ filters: 8, kernelSize: 3, activation: 'relu' }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const x = nr.randu([64, 8, 8, 1]);
  const history = await model.fit(x, x.mean([1, 2, 3]).greater(0.5).cast('int32'), { epochs: 3, batchSize: 16, verbose: 0 });
  console.warn = warn;
  return {
    backend,
    info,
    worst,
    sameBits: onWasm.every((v, i) => Object.is(v, oneThread[i])),
    losses: history.history.loss!,
    warnings,
  };
}

test('in Chromium: ready() brings wasm, threaded on Web Workers when cross-origin isolated, one thread with a notice otherwise', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run the browser check; .ci/run does`);
    return;
  }
  // ignoreAnnotations: package.json's sideEffects list names dist/ files, and this bundles src/.
  const options = { bundle: true, format: 'esm', platform: 'browser', write: false, ignoreAnnotations: true } as const;
  const bundle = await build({ entryPoints: ['src/browser.ts'], ...options });
  const assets = new URL('../../assets/', import.meta.url);
  const server = createServer((req, res) => {
    const [, mode, file] = /^\/(isolated|plain)?\/?(.*)$/.exec(req.url!)!;
    const headers = { 'cross-origin-resource-policy': 'same-origin', ...(mode === 'isolated' ? ISOLATED : {}) };
    if (file === '') return res.writeHead(200, { ...headers, 'content-type': 'text/html' }).end(PAGE);
    if (file === 'neurona.js')
      return res.writeHead(200, { ...headers, 'content-type': 'text/javascript' }).end(bundle.outputFiles[0]!.contents);
    // Under /plain/ the server has the SIMD128 modules only: the backend falls back to them.
    if (/^neurona(-relaxed)?(-threads)?\.wasm$/.test(file!) && !(mode === 'plain' && file!.includes('relaxed'))) {
      return res.writeHead(200, { ...headers, 'content-type': 'application/wasm' }).end(readFileSync(new URL(file, assets)));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { context, close } = await launchChromium();
  try {
    for (const mode of ['isolated', 'plain'] as const) {
      const page = await context.newPage();
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => {
        // The plain page's fetch of the relaxed module fails on purpose (see the server).
        const expected = mode === 'plain' && /Failed to load resource: .* 404/.test(m.text());
        if (m.type() === 'error' && !expected) problems.push(`console error: ${m.text()}`);
      });
      const requested: string[] = [];
      page.on('request', (r) => requested.push(r.url()));
      await page.goto(`${base}/${mode}/`);
      await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
      const result = await page.evaluate(
        ([source, threads, wasmUrl]) =>
          new Function('nr', 'threads', 'wasmUrl', `return (${source})(nr, threads, wasmUrl);`)(
            (globalThis as unknown as { nr: Nr }).nr,
            threads,
            wasmUrl,
          ),
        [exercise.toString(), 2, mode === 'plain' ? '/plain/neurona.wasm' : '/neurona.wasm'] as const,
      );
      await page.close();
      assert.deepEqual(problems, [], mode);
      assert.equal(result.backend, 'wasm', mode);
      assert.ok(result.worst < 1e-3, `${mode}: largest difference from js ${result.worst}`);
      assert.ok(result.sameBits, `${mode}: the GEMM never splits a sum, so 1 and 2 threads give the same bits`);
      assert.ok(result.losses.at(-1) < result.losses[0], `${mode}: the CNN's loss falls (${result.losses.join(', ')})`);
      assertRequestsStayOn(base, requested, mode);
      if (mode === 'isolated') {
        assert.deepEqual(result.info, { available: true, threads: 2, path: `${base}/neurona-relaxed-threads.wasm`, simd: 'relaxed' });
        assert.deepEqual(result.warnings, []);
      } else {
        assert.equal(result.info.available && result.info.threads, 1);
        assert.equal(result.info.available && result.info.simd, 'simd128');
        const noRelaxed = result.info.available ? (result.info.noRelaxed ?? '') : '';
        assert.equal(noRelaxed, `${base}/plain/neurona-relaxed.wasm could not be fetched or compiled: HTTP 404`);
        assert.match(result.info.available ? (result.info.oneThread ?? '') : '', /not cross-origin isolated/);
        assert.ok(
          result.warnings.some((w: string) => /wasm backend: running on one thread, not 2: this page is not cross-origin isolated/.test(w)),
          result.warnings.join('\n'),
        );
      }
    }
  } finally {
    await close();
    server.close();
  }
});
