import { test } from 'node:test';
import { createServer } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { assert, nr, withBackend } from './helpers.js';
import { CHROMIUM, launchChromium } from './chromium.js';

// The browser build's saving and loading, in headless Chromium (as test/report.test.ts drives it):
// src/browser.ts bundled by esbuild into one ESM file, served with the page from 127.0.0.1.
const PAGE = `<!doctype html><html><head><link rel="icon" href="data:,"></head><body>
<script type="module">import * as nr from './neurona.js'; window.nr = nr; window.ready = true;</script></body></html>`;

type Page = import('playwright-core').Page;
type Nr = typeof import('../src/browser.js');
const inPage = <T, A>(page: Page, fn: (nr: Nr, arg: A) => Promise<T> | T, arg: A): Promise<T> =>
  page.evaluate(
    // The function travels as text and runs against the page's bundle (window.nr).
    ([source, a]) => new Function('nr', 'arg', `return (${source})(nr, arg);`)((globalThis as unknown as { nr: Nr }).nr, a),
    [fn.toString(), arg] as const,
  ) as Promise<T>;

test('in Chromium: a model trained on the page survives a reload in IndexedDB; a model saved by Node loads over http', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`${CHROMIUM} is absent: install Debian's chromium (apt-get install chromium) to run the browser check; .ci/run does`);
    return;
  }
  // ignoreAnnotations: package.json's sideEffects list names dist/ files, and this bundles src/. Minified as an
  // app's bundler would: classes get short names, and configs must still say Sequential, Dense, ... (registered names).
  const options = { bundle: true, format: 'esm', platform: 'browser', write: false, ignoreAnnotations: true, minify: true } as const;
  const bundle = await build({ entryPoints: ['src/browser.ts'], ...options });
  const root = mkdtempSync(join(tmpdir(), 'neurona-browser-save-'));
  nr.setSeed(11);
  const nodeModel = new nr.Sequential([
    new nr.layers.Dense({ units: 6, activation: 'relu', inputShape: [4] }),
    new nr.layers.Dense({ units: 3, activation: 'softmax' }),
  ]);
  nodeModel.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  const x = nr.randn([5, 4]);
  await nodeModel.fit(x, nr.tensor([0, 1, 2, 1, 0], [5], 'int32'), { epochs: 2, verbose: 0 });
  await nodeModel.save(join(root, 'node-model'));
  // The page runs the js backend: Node's predictions on js too, so that identical means bit for bit.
  const nodePredictions = withBackend('js', () => Array.from((nodeModel.predict(x) as nr.Tensor).data()));

  const served: string[] = [];
  const server = createServer((req, res) => {
    const url = req.url!;
    served.push(url);
    if (url === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end(PAGE);
    if (url === '/neurona.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.outputFiles[0]!.contents);
    const file = join(root, url);
    if (url.startsWith('/node-model/') && existsSync(file)) return res.writeHead(200).end(readFileSync(file));
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const { context, close } = await launchChromium();
  try {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const open = async () => {
      await page.goto(`${base}/`);
      await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    };
    await open();

    const trained = await inPage(
      page,
      async (nr) => {
        nr.setSeed(5);
        const model = new nr.Sequential([
          new nr.layers.Dense({ units: 8, activation: 'relu', inputShape: [4] }),
          new nr.layers.Dense({ units: 3, activation: 'softmax' }),
        ]);
        model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.05 }), loss: 'sparse_categorical_crossentropy' });
        const x = nr.randn([12, 4]);
        await model.fit(x, nr.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2], [12], 'int32'), { epochs: 3, verbose: 0 });
        await model.save('indexeddb://tiny');
        // A save that fails leaves the saved model as it was (checked after the reload).
        const unbuilt = new nr.Sequential([new nr.layers.Dense({ units: 3 })]);
        const failedSave = await unbuilt.save('indexeddb://tiny').then(
          () => 'saved',
          (e: Error) => e.name,
        );
        let weightsError = '';
        await model.saveWeights('w.safetensors').catch((e: Error) => {
          weightsError = `${e.name}: ${e.message}`;
        });
        const predictions = Array.from((model.predict(x) as InstanceType<Nr['Tensor']>).data());
        return { x: Array.from(x.data()), predictions, weightsError, failedSave };
      },
      null,
    );
    assert.equal(trained.failedSave, 'ConfigError');
    assert.match(trained.weightsError, /^ConfigError: model\.saveWeights: .*model\.save\('indexeddb:\/\/name'\)/);

    await page.reload();
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true);
    const download = page.waitForEvent('download');
    const reloaded = await inPage(
      page,
      async (nr, arg: { x: number[]; nodeX: number[] }) => {
        type T = InstanceType<Nr['Tensor']>;
        const model = await nr.loadModel('indexeddb://tiny');
        const input = nr.tensor(arg.x, [arg.x.length / 4, 4]);
        const fromNode = await nr.loadModel('node-model/'); // relative to the page
        await model.save('downloads://tiny');
        return {
          predictions: Array.from((model.predict(input) as T).data()),
          compiled: model.compiled !== null,
          fromBytes: Array.from(((await nr.loadModel(model.toBytes())).predict(input) as T).data()),
          nodePredictions: Array.from((fromNode.predict(nr.tensor(arg.nodeX, [arg.nodeX.length / 4, 4])) as T).data()),
          listed: await nr.listModels(),
          backend: nr.getBackend(),
        };
      },
      { x: trained.x, nodeX: Array.from(x.data()) },
    );
    assert.deepEqual(reloaded.predictions, trained.predictions, 'predictions after the reload, from IndexedDB');
    assert.ok(reloaded.compiled, 'the loaded model is compiled again');
    assert.deepEqual(reloaded.fromBytes, trained.predictions, 'toBytes / loadModel(bytes) in the page');
    assert.deepEqual(reloaded.listed, ['tiny']);
    assert.equal(reloaded.backend, 'js');
    assert.deepEqual(reloaded.nodePredictions, nodePredictions, 'the model saved by Node, in the page');
    // The download is the .neurona container: it loads on Node with the page's predictions.
    const file = await download;
    assert.equal(file.suggestedFilename(), 'tiny.neurona');
    const downloaded = await nr.loadModel(new Uint8Array(readFileSync((await file.path())!)));
    const pageX = nr.tensor(trained.x, [trained.x.length / 4, 4]);
    assert.deepEqual(
      withBackend('js', () => Array.from((downloaded.predict(pageX) as nr.Tensor).data())),
      trained.predictions,
    );
    assert.deepEqual(problems, [], 'no console errors or warnings (the native notice is not printed in a browser)');
    assert.ok(
      requested.length > 0 && requested.every((u) => u.startsWith(`${base}/`)),
      `requests outside 127.0.0.1: ${requested.join(' ')}`,
    );
    assert.ok(served.includes('/node-model/model.json') && served.includes('/node-model/model.safetensors'), served.join(' '));
  } finally {
    await close();
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});
