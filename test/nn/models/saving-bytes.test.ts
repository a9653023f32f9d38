import { test } from 'node:test';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { assert, nr } from '../../helpers.js';
import { notice } from '../../../src/core/index.js';

const L = nr.layers;
const bits = (t: nr.Tensor) => Array.from(new Uint8Array(t.data().slice().buffer));

async function trained(): Promise<{ model: nr.Sequential; x: nr.Tensor; y: nr.Tensor }> {
  nr.setSeed(3);
  const model = new nr.Sequential([
    new L.Dense({ units: 5, activation: 'tanh', inputShape: [3], name: 'hidden' }),
    new L.Dense({ units: 2, name: 'out' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.05 }), loss: 'mse' });
  const x = nr.randn([6, 3]);
  const y = nr.randn([6, 2]);
  await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0, shuffle: false });
  return { model, x, y };
}

async function rejectsWith(promise: Promise<unknown>, kind: typeof nr.NeuronaError, pattern: RegExp, what: string): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof kind, `${what}: expected ${kind.name}, got ${String(e)}`);
    assert.match((e as Error).message, pattern, what);
    return true;
  });
}

test('toBytes / loadModel(bytes): identical predictions, and training continues exactly (optimizer state kept)', async () => {
  const { model, x, y } = await trained();
  const bytes = model.toBytes();
  assert.ok(bytes instanceof Uint8Array && bytes.length > 100);
  const loaded = await nr.loadModel(bytes);
  assert.deepEqual(bits(loaded.predict(x) as nr.Tensor), bits(model.predict(x) as nr.Tensor));
  // One more epoch on both: equal weights only if Adam's moments and step came along.
  await model.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, shuffle: false });
  await loaded.fit(x, y, { epochs: 1, batchSize: 3, verbose: 0, shuffle: false });
  model.getWeights().forEach((w, i) => assert.deepEqual(bits(loaded.getWeights()[i]!), bits(w), `weight ${i} after one more epoch`));
  // Without the optimizer the file has no optimizer entries and is smaller.
  const lean = model.toBytes({ includeOptimizer: false });
  assert.ok(lean.length < bytes.length);
  assert.ok(!Object.keys(unzipSync(lean)).some((n) => n.startsWith('optimizer')));
  assert.deepEqual(bits((await nr.loadModel(lean)).predict(x) as nr.Tensor), bits(model.predict(x) as nr.Tensor));
});

test('the container unzips to a model directory that loadModel(dir) reads', async () => {
  const { model, x } = await trained();
  const files = unzipSync(model.toBytes());
  assert.deepEqual(Object.keys(files).sort(), ['model.json', 'model.safetensors']);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-bytes-'));
  try {
    for (const [name, data] of Object.entries(files)) writeFileSync(join(dir, name), data);
    assert.deepEqual(bits((await nr.loadModel(dir)).predict(x) as nr.Tensor), bits(model.predict(x) as nr.Tensor));
    // And a directory zipped by hand loads as bytes.
    await model.save(dir);
    const zipped = zipSync({
      'model.json': readFileSync(join(dir, 'model.json')),
      'model.safetensors': readFileSync(join(dir, 'model.safetensors')),
    });
    assert.deepEqual(bits((await nr.loadModel(zipped)).predict(x) as nr.Tensor), bits(model.predict(x) as nr.Tensor));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('corrupted, truncated or foreign bytes are a FormatError that says what is wrong', async () => {
  const { model } = await trained();
  const bytes = model.toBytes();
  const files = unzipSync(bytes);
  const bad = (b: Uint8Array, pattern: RegExp, what: string) => rejectsWith(nr.loadModel(b), nr.FormatError, pattern, what);
  await bad(bytes.subarray(0, bytes.length - 10), /^model bytes: is not a readable zip/, 'truncated');
  await bad(bytes.subarray(0, 3), /is not a neurona model container/, 'three bytes');
  await bad(strToU8('{"format":"neurona"}'), /is not a neurona model container .*nr\.loadModel\(dir\)/, 'a model.json');
  await bad(
    zipSync({ 'model.json': files['model.json']! }),
    /must hold exactly model\.json and model\.safetensors.*"model\.json"/,
    'no weights',
  );
  await bad(zipSync({ ...files, 'extra.txt': strToU8('x') }), /must hold exactly model\.json and model\.safetensors/, 'an extra entry');
  await bad(
    zipSync({ 'm/model.json': files['model.json']!, 'm/model.safetensors': files['model.safetensors']! }),
    /"m\/model\.json"/,
    'in a folder',
  );
  const json = JSON.parse(new TextDecoder().decode(files['model.json']));
  const withJson = (j: unknown) => zipSync({ 'model.json': strToU8(JSON.stringify(j)), 'model.safetensors': files['model.safetensors']! });
  await bad(withJson({ ...json, formatVersion: 2 }), /newer/, 'a newer format');
  await bad(withJson({ ...json, weights: ['hidden/kernel'] }), /weight list/, 'weight list');
  const weights = files['model.safetensors']!;
  const shortWeights = zipSync({ 'model.json': files['model.json']!, 'model.safetensors': weights.subarray(0, weights.length - 4) });
  await bad(shortWeights, /^model bytes: model\.safetensors/, 'truncated weights');
  // A stored entry whose declared size is not what it holds (the zip's size fields edited).
  const stored = zipSync({ 'model.json': [files['model.json']!, { level: 0 }], 'model.safetensors': [weights, { level: 0 }] });
  const lying = stored.slice();
  const view = new DataView(lying.buffer);
  const central = lying.length - 22 - 2 * 46 - 'model.json'.length - 'model.safetensors'.length;
  view.setUint32(central + 24, view.getUint32(central + 24, true) + 1, true); // model.json's uncompressed size
  await bad(lying, /model\.json declares \d+ bytes but holds \d+/, 'declared size');
  await rejectsWith(
    nr.loadModel(42 as never),
    nr.ConfigError,
    /expected a directory path, a URL or the bytes of model\.toBytes\(\)/,
    'a number',
  );
});

function serve(root: string): Promise<{ server: Server; base: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url!);
    try {
      const body = readFileSync(join(root, decodeURIComponent(req.url!.split('?')[0]!)));
      res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}`, requests }),
    ),
  );
}

test('loadModel over http from 127.0.0.1: a model directory, its model.json, a .neurona file; missing files', async () => {
  const { model, x } = await trained();
  const root = mkdtempSync(join(tmpdir(), 'neurona-http-'));
  const { server, base, requests } = await serve(root);
  try {
    await model.save(join(root, 'm'));
    writeFileSync(join(root, 'one.neurona'), model.toBytes());
    const expected = bits(model.predict(x) as nr.Tensor);
    for (const url of [`${base}/m/`, `${base}/m`, `${base}/m/model.json`, `${base}/one.neurona`]) {
      const loaded = await nr.loadModel(url);
      assert.deepEqual(bits(loaded.predict(x) as nr.Tensor), expected, url);
      assert.ok(loaded.compiled, `${url}: compiled again`);
    }
    assert.ok(requests.includes('/m/model.json') && requests.includes('/m/model.safetensors'), requests.join(' '));
    await rejectsWith(
      nr.loadModel(`${base}/none/`),
      nr.FormatError,
      /GET http:\/\/127\.0\.0\.1:\d+\/none\/model\.json answered 404/,
      '404',
    );
    writeFileSync(join(root, 'm', 'model.safetensors'), new Uint8Array(7));
    await rejectsWith(nr.loadModel(`${base}/m/`), nr.FormatError, /model\.safetensors/, 'broken weights');
  } finally {
    server.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('schemes: unknown ones, and browser ones on Node, are a ConfigError naming what works', async () => {
  const { model } = await trained();
  await rejectsWith(
    nr.loadModel('ftp://host/m/'),
    nr.ConfigError,
    /unknown scheme in "ftp:\/\/host\/m\/".*indexeddb:\/\/, http:\/\/ and https:\/\//,
    'load ftp',
  );
  await rejectsWith(model.save('s3://bucket/m'), nr.ConfigError, /unknown scheme .*indexeddb:\/\/ and downloads:\/\//, 'save s3');
  await rejectsWith(model.save('http://127.0.0.1:1/m/'), nr.ConfigError, /http\(s\) URLs are for loading/, 'save http');
  await rejectsWith(model.save('indexeddb://m'), nr.ConfigError, /indexeddb:\/\/ needs IndexedDB.*save to a directory/, 'indexeddb');
  await rejectsWith(nr.loadModel('indexeddb://m'), nr.ConfigError, /needs IndexedDB/, 'load indexeddb');
  await rejectsWith(nr.listModels(), nr.ConfigError, /needs IndexedDB/, 'listModels');
  await rejectsWith(model.save('downloads://m'), nr.ConfigError, /downloads:\/\/ needs a browser page/, 'downloads');
});

test('setQuiet silences notices and overrides NEURONA_QUIET', () => {
  const printed: string[] = [];
  const warn = console.warn;
  console.warn = (line: string) => printed.push(line);
  try {
    nr.setQuiet(false);
    notice('saving-bytes test notice 1');
    nr.setQuiet(true);
    notice('saving-bytes test notice 2');
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(printed, ['neurona: saving-bytes test notice 1']);
  assert.throws(
    () => nr.setQuiet('yes' as never),
    (e: unknown) => e instanceof nr.ConfigError && /setQuiet: expected true or false/.test((e as Error).message),
  );
});
