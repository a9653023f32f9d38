import { test } from 'node:test';
import { existsSync } from 'node:fs';
import { build } from 'esbuild';
import { assert, assertClose } from '../helpers.js';
import { assertRequestsStayOn, CHROMIUM, launchChromium, serveIsolated } from '../chromium.js';

// The webgpu backend in headless Chromium on its SwiftShader adapter (navigator.gpu): the page's main
// thread may not block, so setBackend('webgpu') there says to use a Web Worker; a module worker of the
// cross-origin isolated page then trains a small CNN on webgpu and on js from the same weights, and
// reads the predictions back with dataAsync().
const PAGE = `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module">
import * as nr from '/neurona.js';
let mainThread = 'no error';
try { nr.setBackend('webgpu'); } catch (e) { mainThread = e.name + ': ' + e.message; }
const worker = new Worker('/worker.js', { type: 'module' });
worker.onmessage = (e) => { window.result = { mainThread, ...e.data }; };
worker.onerror = (e) => { window.result = { mainThread, error: String(e.message) }; };
worker.postMessage('go');
</script></body></html>`;

const WORKER = `import * as nr from '/neurona.js';
async function run(backend) {
  if (backend === 'webgpu') await nr.ready({ webgpu: true });
  else nr.setBackend(backend);
  nr.setSeed(5);
  const model = new nr.Sequential([
    nr.Input({ shape: [8, 8, 1] }),
    new nr.layers.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const x = nr.randu([16, 8, 8, 1]);
  const y = x.mean([1, 2, 3]).greater(0.5).cast('int32');
  const losses = [];
  for (let s = 0; s < 8; s++) losses.push((await model.trainOnBatch(x, y)).loss);
  const predictions = Array.from(await model.predict(x, { verbose: 0 }).dataAsync());
  const memory = nr.memory().webgpu;
  nr.setBackend('js');
  return { losses, predictions, memory };
}
self.onmessage = async () => {
  try {
    const js = await run('js');
    const gpu = await run('webgpu');
    self.postMessage({ js, gpu });
  } catch (e) {
    self.postMessage({ error: String(e && e.stack || e) });
  }
};`;

interface Run {
  losses: number[];
  predictions: number[];
  memory: { bytesInUse: number; bytesPooled: number } | null;
}

test('in Chromium: webgpu trains in a Web Worker like js, reads back with dataAsync, and the main thread is told to use a worker', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run the browser check; .ci/run does`);
    return;
  }
  const options = { bundle: true, format: 'esm', platform: 'browser', write: false, ignoreAnnotations: true } as const;
  const bundle = await build({ entryPoints: ['src/browser.ts'], ...options });
  const server = await serveIsolated({
    '/': { type: 'text/html', body: PAGE },
    '/neurona.js': { type: 'text/javascript', body: bundle.outputFiles[0]!.contents },
    '/worker.js': { type: 'text/javascript', body: WORKER },
  });
  const base = server.base;
  // SwiftShader's WebGPU adapter: a CPU implementation, so this needs no GPU.
  const { context, close } = await launchChromium(['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader']);
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    await page.goto(`${base}/`);
    await page.waitForFunction(() => (globalThis as { result?: unknown }).result !== undefined, undefined, { timeout: 180_000 });
    const result = (await page.evaluate(() => (globalThis as { result?: unknown }).result)) as {
      mainThread: string;
      error?: string;
      js: Run;
      gpu: Run;
    };
    assert.deepEqual(problems, []);
    assert.equal(result.error, undefined, result.error);
    assert.match(result.mainThread, /ConfigError: .*main thread.*Web Worker/s);
    assertClose(result.gpu.losses, result.js.losses, { rtol: 1e-4, atol: 1e-5, message: 'losses, webgpu vs js' });
    assert.ok(result.gpu.losses.at(-1)! < result.gpu.losses[0]!, `the loss falls: ${result.gpu.losses.join(', ')}`);
    assertClose(result.gpu.predictions, result.js.predictions, { rtol: 1e-3, atol: 1e-4, message: 'predictions (dataAsync)' });
    assert.ok(result.gpu.memory !== null && result.gpu.memory.bytesInUse > 0, `GPU bytes in use: ${JSON.stringify(result.gpu.memory)}`);
    assertRequestsStayOn(base, requested);
  } finally {
    await close();
    server.close();
  }
});
