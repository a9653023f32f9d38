/*
 * W2b and W3 training in headless Chromium: neurona's browser build on its wasm backend against
 * TensorFlow.js 4.22 on its wasm and webgl backends, in the same page, one after another (issue 22).
 *
 *   node --import tsx bench/browser.ts [--epochs 3] [--w3-samples 512]
 *
 * The page is served from 127.0.0.1 cross-origin isolated (COOP/COEP), so both wasm backends may use
 * threads. TF.js comes from $PEERS_DIR (default /tmp/peers: `npm install @tensorflow/tfjs@4.22.0
 * @tensorflow/tfjs-backend-wasm@4.22.0` there, as ../shared/bench/peers says) and the MNIST split from
 * $DATA_DIR (default $PEERS_DIR/data). W2b as the peers define it (8,000 digits, batch 128, Adam 1e-3);
 * W3's CNN on `--w3-samples` synthetic images (default 512, not the peers' 2,048: webgl runs on
 * SwiftShader here, a CPU). Samples/s per epoch from the epoch callbacks, the median of epochs 2 onward.
 * Chromium renders WebGL with SwiftShader on a machine without a GPU, so its webgl figures are a CPU's.
 * Prints one JSON line per run. Never part of `npm test`.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CHROMIUM, launchChromium } from '../test/chromium.js';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : fallback;
};
const epochs = option('--epochs', 3);
const w3Samples = option('--w3-samples', 512);
const peers = process.env.PEERS_DIR ?? '/tmp/peers';
const dataDir = process.env.DATA_DIR ?? join(peers, 'data');
const tfWasmDir = join(peers, 'node_modules/@tensorflow/tfjs-backend-wasm/dist');

const common = { bundle: true, format: 'esm', platform: 'browser', write: false, ignoreAnnotations: true } as const;
const neurona = await build({ entryPoints: ['src/browser.ts'], ...common });
const tfjs = await build({
  stdin: {
    contents: "export * as tf from '@tensorflow/tfjs'; export * as tfwasm from '@tensorflow/tfjs-backend-wasm';",
    resolveDir: peers,
  },
  ...common,
});

/** Runs in the page: one workload on one library and backend; returns samples/s per epoch. */
async function workload(lib: 'neurona' | 'tfjs', backend: string, which: 'W2b' | 'W3', epochs: number, w3Samples: number) {
  // biome-ignore lint/suspicious/noExplicitAny: the page's globals, neurona's and TF.js's bundles
  const g = globalThis as unknown as Record<string, any>;
  let x: Float32Array;
  let labels: Uint8Array;
  let shape: number[];
  if (which === 'W2b') {
    x = new Float32Array(await (await fetch('/data/mnist_train_x.f32')).arrayBuffer());
    labels = new Uint8Array(await (await fetch('/data/mnist_train_y.u8')).arrayBuffer());
    shape = [labels.length, 28, 28];
  } else {
    let s = 7;
    const random = () => {
      s = (s * 1103515245 + 12345) % 2147483648;
      return s / 2147483648;
    };
    x = Float32Array.from({ length: w3Samples * 32 * 32 * 3 }, random);
    labels = Uint8Array.from({ length: w3Samples }, () => Math.floor(random() * 10));
    shape = [w3Samples, 32, 32, 3];
  }
  const n = labels.length;
  const oneHot = new Float32Array(n * 10);
  labels.forEach((l, i) => {
    oneHot[i * 10 + l] = 1;
  });
  const batchSize = which === 'W2b' ? 128 : 32;
  const perEpoch: number[] = [];
  let start = 0;
  const timing = {
    onEpochBegin: async () => {
      start = performance.now();
    },
    onEpochEnd: async () => {
      perEpoch.push(n / ((performance.now() - start) / 1000));
    },
  };
  if (lib === 'neurona') {
    const nr = g.nr;
    nr.setBackend(backend);
    const L = nr.layers;
    const conv = (filters: number, strides: number) =>
      new L.Conv2D({ filters, kernelSize: 3, strides, padding: 'same', activation: 'relu' });
    const layers =
      which === 'W2b'
        ? [
            nr.Input({ shape: [28, 28] }),
            new L.Flatten(),
            new L.Dense({ units: 256, activation: 'relu' }),
            new L.Dense({ units: 256, activation: 'relu' }),
          ]
        : [
            nr.Input({ shape: [32, 32, 3] }),
            conv(32, 1),
            conv(32, 2),
            conv(64, 1),
            conv(64, 2),
            new L.Flatten(),
            new L.Dense({ units: 128, activation: 'relu' }),
          ];
    const model = new nr.Sequential([...layers, new L.Dense({ units: 10, activation: 'softmax' })]);
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3, epsilon: 1e-7 }), loss: 'categorical_crossentropy' });
    const callback = new nr.callbacks.LambdaCallback({ onEpochBegin: timing.onEpochBegin, onEpochEnd: timing.onEpochEnd });
    await model.fit(nr.tensor(x, shape), nr.tensor(oneHot, [n, 10]), {
      epochs,
      batchSize,
      shuffle: true,
      verbose: 0,
      callbacks: [callback],
    });
    const info = nr.wasmInfo();
    return { perEpoch, detail: info.available ? `${info.simd}, ${info.threads} threads` : info.reason };
  }
  const { tf, tfwasm } = g.tfjs;
  tfwasm.setWasmPaths('/tfjs-wasm/');
  if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  const m = tf.sequential();
  if (which === 'W2b') {
    m.add(tf.layers.flatten({ inputShape: [28, 28] }));
    m.add(tf.layers.dense({ units: 256, activation: 'relu' }));
    m.add(tf.layers.dense({ units: 256, activation: 'relu' }));
  } else {
    const conv = (filters: number, strides: number, first = false) =>
      tf.layers.conv2d({
        filters,
        kernelSize: 3,
        strides,
        padding: 'same',
        activation: 'relu',
        ...(first ? { inputShape: [32, 32, 3] } : {}),
      });
    for (const layer of [
      conv(32, 1, true),
      conv(32, 2),
      conv(64, 1),
      conv(64, 2),
      tf.layers.flatten(),
      tf.layers.dense({ units: 128, activation: 'relu' }),
    ]) {
      m.add(layer);
    }
  }
  m.add(tf.layers.dense({ units: 10, activation: 'softmax' }));
  m.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  await m.fit(tf.tensor(x, shape), tf.tensor2d(oneHot, [n, 10]), { epochs, batchSize, shuffle: true, verbose: 0, callbacks: timing });
  const detail = backend === 'wasm' ? `${tfwasm.getThreadsCount()} threads` : String(tf.env().getNumber('WEBGL_VERSION'));
  return { perEpoch, detail };
}

const PAGE = `<!doctype html><html><head><link rel="icon" href="data:,"></head><body><script type="module">
import * as nr from '/neurona.js'; import * as tfjs from '/tfjs.js';
window.nr = nr; window.tfjs = tfjs; window.__name = (f) => f; // what tsx's keepNames calls in workload()
await nr.ready({ wasmUrl: '/neurona.wasm' }); window.ready = true;
</script></body></html>`;
const ISOLATED = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
const server = createServer((req, res) => {
  const url = req.url!;
  const send = (type: string, body: string | Uint8Array) => res.writeHead(200, { ...ISOLATED, 'content-type': type }).end(body);
  if (url === '/') return send('text/html', PAGE);
  if (url === '/neurona.js') return send('text/javascript', neurona.outputFiles[0]!.contents);
  if (url === '/tfjs.js') return send('text/javascript', tfjs.outputFiles[0]!.contents);
  if (/^\/neurona(-relaxed)?(-threads)?\.wasm$/.test(url)) return send('application/wasm', readFileSync(join('assets', url.slice(1))));
  if (url.startsWith('/tfjs-wasm/')) return send('application/wasm', readFileSync(join(tfWasmDir, url.slice('/tfjs-wasm/'.length))));
  if (/^\/data\/mnist_train_[xy]\.(f32|u8)$/.test(url)) return send('application/octet-stream', readFileSync(join(dataDir, url.slice(6))));
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/`;
const { context, close } = await launchChromium(['--enable-unsafe-swiftshader']);
console.error(`chromium: ${CHROMIUM}; epochs ${epochs}; W3 on ${w3Samples} images`);
try {
  const runs: ['neurona' | 'tfjs', string, 'W2b' | 'W3'][] = [];
  for (const which of ['W2b', 'W3'] as const) runs.push(['neurona', 'wasm', which], ['tfjs', 'wasm', which], ['tfjs', 'webgl', which]);
  for (const [lib, backend, which] of runs) {
    // A fresh page each: no library state carries over.
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(base);
    await page.waitForFunction(() => (globalThis as unknown as { ready?: boolean }).ready === true, undefined, { timeout: 60_000 });
    const source = workload.toString();
    const result = await page
      .evaluate(([src, args]) => new Function(`return (${src})(...arguments)`)(...args), [
        source,
        [lib, backend, which, epochs, w3Samples],
      ] as const)
      .then((r) => r as { perEpoch: number[]; detail: string })
      .catch((e: Error) => ({ error: e.message.split('\n')[0] }));
    await page.close();
    const row: Record<string, unknown> = {
      workload: which,
      library: lib,
      backend,
      browser: 'chromium-headless',
      ...(errors.length ? { pageErrors: errors } : {}),
    };
    if ('error' in result) row.error = result.error;
    else {
      const later = result.perEpoch.length > 1 ? result.perEpoch.slice(1).sort((a, b) => a - b) : result.perEpoch;
      const middle = later.length / 2;
      row.samples_per_s_median = Math.round(later.length % 2 ? later[Math.floor(middle)]! : (later[middle - 1]! + later[middle]!) / 2);
      row.per_epoch = result.perEpoch.map(Math.round);
      row.detail = result.detail;
    }
    console.log(JSON.stringify(row));
  }
} finally {
  await close();
  server.close();
}
