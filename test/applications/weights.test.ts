import { test } from 'node:test';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nr, assert } from '../helpers.js';
import { assertSmallLoaded, smallModel } from '../io/keras-h5-models.js';
import { loadApplicationWeights, publishedWeights, type PublishedWeights } from '../../src/applications/weights.js';
import { fetchWeights } from '../../src/applications/download.js';

/*
 * weights: 'imagenet' against an HTTP server on 127.0.0.1 (NEURONA_WEIGHTS_MIRROR), with the cache,
 * Keras's cache and HOME in fresh temporary folders. Keras publishes no hash for MobileNetV2, so its
 * key carries the small Keras-layout fixture end to end; hashed keys show the hash check.
 */

const SMALL = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'keras-h5', 'small.h5'));
const MOBILE = 'mobilenet_v2_1.0_224';
const MOBILE_FILE = 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_1.0_224_no_top.h5';
const MOBILE_PATH = `/tensorflow/keras-applications/mobilenet_v2/${MOBILE_FILE}`;

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Runs `body` with a server, a fresh cache, Keras home and HOME; restores the environment afterwards. */
async function withServer(handler: Handler, body: (env: { cache: string; home: string; requests: string[] }) => Promise<void>) {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(req.url ?? '');
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const names = ['NEURONA_CACHE_DIR', 'HOME', 'NEURONA_WEIGHTS_MIRROR', 'NEURONA_QUIET', 'KERAS_HOME'];
  const saved = names.map((name) => [name, process.env[name]] as const);
  const root = mkdtempSync(join(tmpdir(), 'neurona-weights-'));
  const cache = join(root, 'neurona');
  const home = join(root, 'home');
  mkdirSync(home);
  Object.assign(process.env, {
    NEURONA_CACHE_DIR: cache,
    HOME: home,
    NEURONA_WEIGHTS_MIRROR: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    NEURONA_QUIET: '1',
  });
  delete process.env.KERAS_HOME;
  try {
    await body({ cache, home, requests });
  } finally {
    // Key by key: assigning a new object to process.env would cut it off from the real environment (homedir() reads HOME).
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    server.close();
  }
}

const serve =
  (bytes: Uint8Array, path = MOBILE_PATH): Handler =>
  (req, res) => {
    if (req.url === path) res.writeHead(200, { 'content-length': bytes.length }).end(bytes);
    else res.writeHead(404).end();
  };

const cached = (cache: string) => readdirSync(join(cache, 'models'));

test("Keras's published names, URLs and hashes", () => {
  const vgg = publishedWeights('vgg16', false)!;
  assert.equal(vgg.path, 'tensorflow/keras-applications/vgg16/vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5');
  assert.equal(vgg.hash, '6d6bbae143d832006294945121d1f1fc');
  assert.deepEqual(publishedWeights('resnet50', true), {
    fileName: 'resnet50_weights_tf_dim_ordering_tf_kernels.h5',
    path: 'tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels.h5',
    hash: '2cb95161c43110f7111970584f804107',
  });
  assert.equal(publishedWeights('efficientnetb3', false)!.path, 'keras-applications/efficientnetb3_notop.h5');
  assert.equal(publishedWeights('inception_v3', false)!.hash, 'bcbd6486424b2319ff4ef7d526e38f63');
  assert.equal(publishedWeights('densenet121', true)!.hash, '9d60b8095a5708f2dcce2bca79d332c7');
  assert.equal(publishedWeights(MOBILE, false)!.path, MOBILE_PATH.slice(1));
  assert.equal(publishedWeights('mobilenet_v2_0.35_96', true)!.fileName, 'mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_96.h5');
  for (const key of ['vgg16', 'vgg19', 'resnet101', 'resnet152', 'resnet50v2', 'efficientnetb0', 'efficientnetb7']) {
    for (const top of [true, false]) assert.match(publishedWeights(key, top)?.hash ?? '', /^[0-9a-f]{32}$/, key);
  }
  for (const key of ['mobilenet_v2_1.0_100', 'mobilenet_v2_0.9_224', 'efficientnetb8', 'resnet', 'toString', '__proto__']) {
    assert.equal(publishedWeights(key, true), null, key);
  }
});

test('download into the cache, then a cache hit with no request; the file is complete and no temporary is left', async () => {
  await withServer(serve(SMALL), async ({ cache, requests }) => {
    // What a download killed midway leaves (a process that no longer runs), and one still running (this one).
    mkdirSync(join(cache, 'models'), { recursive: true });
    const abandoned = `.${MOBILE_FILE}.2147483646.abcdef.tmp`;
    const running = `.${MOBILE_FILE}.${process.pid}.abcdef.tmp`;
    writeFileSync(join(cache, 'models', abandoned), 'partial');
    writeFileSync(join(cache, 'models', running), 'partial');
    const model = smallModel();
    await loadApplicationWeights(model, MOBILE, 'imagenet', false);
    assertSmallLoaded(model);
    assert.deepEqual(requests, [MOBILE_PATH]);
    assert.deepEqual(cached(cache).sort(), [running, MOBILE_FILE].sort(), 'the abandoned temporary file is removed');
    assert.deepEqual(readFileSync(join(cache, 'models', MOBILE_FILE)), SMALL);
    const again = smallModel();
    await loadApplicationWeights(again, MOBILE, 'imagenet', false);
    assertSmallLoaded(again);
    assert.equal(requests.length, 1, 'the second call reads the cache');
  });
});

test('the hash is checked: a matching file is kept (md5 and sha256), another file is rejected and nothing is cached', async () => {
  await withServer(serve(SMALL, '/files/small.h5'), async ({ cache }) => {
    for (const algorithm of ['md5', 'sha256']) {
      const file: PublishedWeights = {
        fileName: `small-${algorithm}.h5`,
        path: 'files/small.h5',
        hash: createHash(algorithm).update(SMALL).digest('hex'),
      };
      assert.equal(await fetchWeights(file, 'test'), join(cache, 'models', file.fileName));
    }
    const wrong = { fileName: 'wrong.h5', path: 'files/small.h5', hash: '0123456789abcdef0123456789abcdef' };
    await assert.rejects(fetchWeights(wrong, 'test'), /has md5 [0-9a-f]{32}, Keras publishes 0123456789abcdef0123456789abcdef/);
    assert.deepEqual(cached(cache).sort(), ['small-md5.h5', 'small-sha256.h5']);
  });
  // The real table: the server's bytes are not VGG16's, so the download is refused.
  const vggPath = `/${publishedWeights('vgg16', false)!.path}`;
  await withServer(serve(SMALL, vggPath), async ({ cache, requests }) => {
    const model = smallModel();
    await assert.rejects(loadApplicationWeights(model, 'vgg16', 'imagenet', false), (e: Error) => {
      assert.ok(e instanceof nr.FormatError, e.message);
      assert.match(e.message, /Keras publishes 6d6bbae143d832006294945121d1f1fc.*nothing was kept/);
      assert.ok(e.message.includes(`http://127.0.0.1:`) && e.message.includes(vggPath), e.message);
      return true;
    });
    assert.deepEqual(cached(cache), [], 'neither the file nor a temporary is left');
    assert.equal(requests.length, 1);
  });
});

test('a download that breaks off and an HTTP error leave nothing in the cache', async () => {
  const brokenOff: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': SMALL.length });
    res.write(SMALL.subarray(0, 1000));
    setTimeout(() => res.destroy(), 20);
  };
  await withServer(brokenOff, async ({ cache }) => {
    await assert.rejects(loadApplicationWeights(smallModel(), MOBILE, 'imagenet', false), (e: Error) => {
      assert.ok(e instanceof nr.ConfigError, e.message);
      assert.match(e.message, /the download of http:\/\/127\.0\.0\.1:\d+\/.*broke off after \d+ bytes/);
      return true;
    });
    assert.deepEqual(cached(cache), []);
  });
  await withServer(serve(SMALL, '/elsewhere'), async ({ cache }) => {
    await assert.rejects(loadApplicationWeights(smallModel(), MOBILE, 'imagenet', false), /failed with HTTP 404/);
    assert.throws(() => cached(cache), /ENOENT/, 'the cache folder is not even created');
  });
});

test('a body shorter than its Content-Length is refused and nothing is cached, whether or not fetch notices', async () => {
  const short = SMALL.subarray(0, 1000);
  const announced: Handler = (_req, res) => {
    res.writeHead(200, { 'content-length': SMALL.length, connection: 'close' });
    res.end(short);
  };
  await withServer(announced, async ({ cache }) => {
    await assert.rejects(
      loadApplicationWeights(smallModel(), MOBILE, 'imagenet', false),
      (e: Error) => e instanceof nr.ConfigError && /broke off after \d+ bytes|ended after 1000 of/.test(e.message),
    );
    assert.deepEqual(cached(cache), []);
  });
  // A fetch that passes a short body on without an error (as Node's does not): the count is checked here too.
  await withServer(serve(short), async ({ cache }) => {
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      const response = await realFetch(input, init);
      return new Response(response.body, { status: response.status, headers: { 'content-length': String(SMALL.length) } });
    };
    try {
      await assert.rejects(loadApplicationWeights(smallModel(), MOBILE, 'imagenet', false), (e: Error) => {
        assert.ok(e instanceof nr.ConfigError, e.message);
        assert.match(e.message, new RegExp(`ended after 1000 of the ${SMALL.length} bytes the server announced.*nothing was kept`));
        return true;
      });
    } finally {
      globalThis.fetch = realFetch;
    }
    assert.deepEqual(cached(cache), []);
  });
});

test('without a published hash, a cached file that does not open is removed and downloaded again, once', async () => {
  const truncated = SMALL.subarray(0, 2000);
  await withServer(serve(SMALL), async ({ cache, requests }) => {
    mkdirSync(join(cache, 'models'), { recursive: true });
    writeFileSync(join(cache, 'models', MOBILE_FILE), truncated);
    const model = smallModel();
    await loadApplicationWeights(model, MOBILE, 'imagenet', false);
    assertSmallLoaded(model);
    assert.deepEqual(requests, [MOBILE_PATH]);
    assert.deepEqual(readFileSync(join(cache, 'models', MOBILE_FILE)), SMALL);
  });
  // The server itself sends the truncated file (a consistent Content-Length): refused, not cached, not retried.
  await withServer(serve(truncated), async ({ cache, requests }) => {
    mkdirSync(join(cache, 'models'), { recursive: true });
    writeFileSync(join(cache, 'models', MOBILE_FILE), truncated);
    await assert.rejects(loadApplicationWeights(smallModel(), MOBILE, 'imagenet', false), (e: Error) => {
      assert.ok(e instanceof nr.FormatError, e.message);
      assert.match(
        e.message,
        /the file downloaded from http:\/\/127\.0\.0\.1:\d+\/.* is not a weight file: it cannot be opened: .*is truncated/,
      );
      assert.match(e.message, /nothing was kept/);
      return true;
    });
    assert.deepEqual(requests, [MOBILE_PATH]);
    assert.deepEqual(cached(cache), [], 'the unreadable copy is gone and the new one was not kept');
  });
});

test('offline: the error names the exact URL to fetch and the path to put the file at', async () => {
  await withServer(serve(SMALL), async ({ cache }) => {
    // A port nothing listens on: the connection is refused at once.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/`;
    await new Promise((resolve) => closed.close(resolve));
    process.env.NEURONA_WEIGHTS_MIRROR = url;
    const target = join(cache, 'models', 'resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5');
    const fileUrl = `${url}tensorflow/keras-applications/resnet/resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5`;
    await assert.rejects(loadApplicationWeights(smallModel(), 'resnet50', 'imagenet', false), (e: Error) => {
      assert.ok(e instanceof nr.ConfigError, e.message);
      assert.ok(e.message.includes(`could not download ${fileUrl}`), e.message);
      assert.ok(e.message.includes(`curl -L -o "${target}" "${fileUrl}"`), e.message);
      assert.match(e.message, /checked against Keras's md5 4d473c1dd8becc155b73f8504c6f6626/);
      return true;
    });
  });
});

test("~/.keras/models is reused when its file matches; a file that does not match Keras's hash is not", async () => {
  await withServer(serve(SMALL), async ({ cache, home, requests }) => {
    mkdirSync(join(home, '.keras', 'models'), { recursive: true });
    writeFileSync(join(home, '.keras', 'models', MOBILE_FILE), SMALL);
    const model = smallModel();
    await loadApplicationWeights(model, MOBILE, 'imagenet', false);
    assertSmallLoaded(model);
    assert.deepEqual(requests, [], 'read from ~/.keras, nothing downloaded');
    assert.throws(() => cached(cache), /ENOENT/, 'and nothing copied');
    // A damaged VGG16 file in ~/.keras: not used; the download is tried (this server has no VGG16).
    const vgg = publishedWeights('vgg16', false)!;
    writeFileSync(join(home, '.keras', 'models', vgg.fileName), SMALL);
    await assert.rejects(
      loadApplicationWeights(smallModel(), 'vgg16', 'imagenet', false),
      /vgg16_weights_tf_dim_ordering_tf_kernels_notop\.h5 failed with HTTP 404/,
    );
    assert.deepEqual(requests, [`/${vgg.path}`]);
  });
});

test('a progress bar on stderr, silent under NEURONA_QUIET=1', async () => {
  await withServer(serve(SMALL), async () => {
    delete process.env.NEURONA_QUIET;
    const lines: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => lines.push(String(chunk)) > 0) as typeof process.stderr.write;
    try {
      await loadApplicationWeights(smallModel(), MOBILE, 'imagenet', false);
    } finally {
      process.stderr.write = write;
    }
    const text = lines.join('');
    assert.match(text, new RegExp(`downloading ${MOBILE_FILE.replace(/\./g, '\\.')} \\[=+\\] 0\\.0/0\\.0 MB done`));
  });
});

test('weights given as a path load that file; an unknown key is a ConfigError', async () => {
  const model = smallModel();
  await loadApplicationWeights(model, 'anything', join(import.meta.dirname, '..', 'fixtures', 'keras-h5', 'small.h5'), true);
  assertSmallLoaded(model);
  await assert.rejects(
    loadApplicationWeights(smallModel(), 'resnet18', 'imagenet', true),
    (e: Error) => e instanceof nr.ConfigError && /Keras publishes no ImageNet weights for "resnet18"/.test(e.message),
  );
});
