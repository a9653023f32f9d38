import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { ImagePool, readImageFile } from '../../src/data/image-pool.js';
import { TS_NODE } from '../ts-node.js';

const jpeg = resolve('test/fixtures/images/progressive.jpg');

test('ImagePool: worker threads return what the main thread computes, errors keep their class and the file name', async () => {
  const pool = new ImagePool(2);
  try {
    const job = { path: jpeg, colorMode: 'grayscale' as const, size: [5, 3], interpolation: 'bicubic' as const };
    const [threaded, inline] = await Promise.all([pool.run(job), readImageFile(job)]);
    assert.equal(pool.inline, false);
    assert.deepEqual(threaded, inline);
    await assert.rejects(
      pool.run({ path: 'no/such.png', colorMode: 'rgb' }),
      (e: unknown) => e instanceof nr.FormatError && /^no\/such\.png: cannot read the file \(ENOENT\)/.test(String((e as Error).message)),
    );
  } finally {
    await pool.close();
  }
  assert.throws(() => new ImagePool(-1), /numParallelCalls must be an integer from 0/);
});

test('ImagePool: an idle pool does not keep the process alive (workers started but never used included)', () => {
  const dir = mkdtempSync(join(resolve('.'), '.image-pool-test-'));
  try {
    const script = join(dir, 'run.mts');
    const source = `import { ImagePool } from ${JSON.stringify(resolve('src/data/image-pool.ts'))};
const pool = new ImagePool(3);
const image = await pool.run({ path: ${JSON.stringify(jpeg)}, colorMode: 'rgb', size: [2, 2] });
console.log(pool.inline ? 'inline' : 'threads', image.pixels.length);`;
    writeFileSync(script, source);
    const run = spawnSync(process.execPath, [...TS_NODE, script], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(run.status, 0, `exit ${run.status} ${run.signal ?? ''}: ${run.stderr}`);
    assert.equal(run.stdout.trim(), 'threads 12');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("decoder 'sharp' (optional native): libjpeg's pixels, the same colour modes, FormatErrors naming the file", async () => {
  const { decodeWith } = await import('../../src/data/sharp-decoder.js');
  const fixtures = JSON.parse(readFileSync('test/fixtures/images/jpeg-pixels.json', 'utf8')) as Record<string, { pixels: number[] }>;
  for (const name of ['baseline-444.jpg', 'baseline-420.jpg', 'progressive.jpg', 'gray.jpg']) {
    const bytes = new Uint8Array(readFileSync(join('test/fixtures/images', name)));
    const colorMode = name === 'gray.jpg' ? 'grayscale' : 'rgb';
    const image = await decodeWith('sharp', bytes, { name, colorMode });
    const expected = fixtures[name]!.pixels;
    const worst = expected.reduce((m, v, i) => Math.max(m, Math.abs(v - image.pixels[i]!)), 0);
    // libvips' libjpeg and PIL's decode alike (smooth chroma upsampling too): within a level or two
    assert.ok(image.pixels.length === expected.length && worst <= 2, `${name}: worst difference ${worst}`);
  }
  const png = nr.io.encodePng({ width: 2, height: 1, channels: 4, pixels: new Uint8Array([255, 0, 0, 9, 10, 200, 30, 255]) });
  assert.deepEqual((await decodeWith('sharp', png, { name: 'x.png', colorMode: 'grayscale' })).pixels, new Uint8Array([76, 124]));
  assert.deepEqual(
    (await decodeWith('sharp', png, { name: 'x.png', colorMode: 'rgba' })).pixels,
    new Uint8Array([255, 0, 0, 9, 10, 200, 30, 255]),
  );
  const cut = new Uint8Array(readFileSync('test/fixtures/images/progressive.jpg')).subarray(0, 300);
  await assert.rejects(
    decodeWith('sharp', cut, { name: 'cut.jpg', colorMode: 'rgb' }),
    (e: unknown) => e instanceof nr.FormatError && /^cut\.jpg: cannot decode the image/.test((e as Error).message),
  );
  await assert.rejects(
    decodeWith('sharp', new Uint8Array([1, 2, 3]), { name: 'junk.png', colorMode: 'rgb' }),
    /junk\.png: not a PNG or JPEG file/,
  );
  const image = await nr.io.loadImage(join('test/fixtures/images', 'baseline-444.jpg'), { decoder: 'sharp', targetSize: [7, 10] });
  assert.deepEqual(image.shape, [7, 10, 3]);
});
