import { after, test } from 'node:test';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { setNoticeSink } from '../../src/core/notice.js';
import { readImageFile } from '../../src/data/image-pool.js';
import { numpyShuffle } from '../../src/data/pipeline/numpy-shuffle.js';
import { encodePng } from '../../src/io/png.js';

const root = mkdtempSync(join(tmpdir(), 'neurona-image-folder-'));
after(() => rmSync(root, { recursive: true, force: true }));

/** A solid 6 x 4 RGB PNG whose every sample is `value`, so a batch shows which file each row came from. */
function solidPng(value: number): Uint8Array {
  return encodePng({ width: 6, height: 4, channels: 3, pixels: new Uint8Array(6 * 4 * 3).fill(value) });
}

/**
 * b_dogs (4 files, one in a nested folder, one a JPEG) and a_cats (3 files, one named .PNG), plus what
 * Keras ignores: a dot-folder, a .txt file, a file at the top level.
 */
const pets = join(root, 'pets');
const values: Record<string, number> = {};
function write(path: string, value: number): void {
  writeFileSync(join(pets, path), solidPng(value));
  values[join(pets, path)] = value;
}
mkdirSync(join(pets, 'b_dogs', 'nested'), { recursive: true });
mkdirSync(join(pets, 'a_cats'));
mkdirSync(join(pets, '.thumbnails'));
write('a_cats/c1.png', 10);
write('a_cats/c0.PNG', 11);
write('a_cats/c2.png', 12);
write('b_dogs/d0.png', 20);
write('b_dogs/nested/d9.png', 21);
write('b_dogs/d1.png', 22);
copyFileSync('test/fixtures/images/gray.jpg', join(pets, 'b_dogs', 'd2.jpg'));
writeFileSync(join(pets, '.thumbnails', 'x.png'), solidPng(99));
writeFileSync(join(pets, 'b_dogs', 'notes.txt'), 'not an image');
writeFileSync(join(pets, 'top.png'), solidPng(99));

// Keras's order before shuffling: classes sorted, then folders by path and files by name within each.
const listed = [
  'a_cats/c0.PNG',
  'a_cats/c1.png',
  'a_cats/c2.png',
  'b_dogs/d0.png',
  'b_dogs/d1.png',
  'b_dogs/d2.jpg',
  'b_dogs/nested/d9.png',
].map((p) => join(pets, p));
const listedLabels = [0, 0, 0, 1, 1, 1, 1];

async function collect(ds: AsyncIterable<unknown>): Promise<{ x: nr.Tensor; y: nr.Tensor }[]> {
  const out: { x: nr.Tensor; y: nr.Tensor }[] = [];
  for await (const element of ds) {
    const [x, y] = element as [nr.Tensor, nr.Tensor];
    out.push({ x, y });
  }
  return out;
}

const quiet = { verbose: false, numParallelCalls: 1 };

test('classes from sorted subfolders, files found at any depth, the split of numpy-shuffled files as in Keras', async () => {
  const [train, val] = await nr.data.imageDatasetFromDirectory(pets, {
    ...quiet,
    imageSize: [2, 3],
    batchSize: 4,
    validationSplit: 0.3,
    subset: 'both',
    seed: 1337,
  });
  assert.deepEqual(train.classNames, ['a_cats', 'b_dogs']);
  const order = numpyShuffle([...listed.keys()], 1337);
  // int(0.3 * 7) = 2 validation files: the last two of the shuffled list
  assert.deepEqual(
    train.filePaths,
    order.slice(0, 5).map((i) => listed[i]),
  );
  assert.deepEqual(
    val.filePaths,
    order.slice(5).map((i) => listed[i]),
  );
  assert.equal(train.cardinality(), 2);
  assert.equal(val.cardinality(), 1);

  // validation keeps its order; each image's label is its folder, and solid images stay solid when resized
  const [batch] = await collect(val);
  assert.deepEqual(batch!.x.shape, [2, 2, 3, 3]);
  assert.equal(batch!.x.dtype, 'float32');
  assert.deepEqual(batch!.y.dtype, 'int32');
  assert.deepEqual(
    Array.from(batch!.y.data()),
    order.slice(5).map((i) => listedLabels[i]),
  );
  const x = batch!.x.data();
  val.filePaths.forEach((path, row) => {
    if (path.endsWith('.jpg')) return;
    assert.ok(
      x.subarray(row * 18, (row + 1) * 18).every((v) => v === values[path]),
      path,
    );
  });

  // training: all five files every epoch, in a new order each time (the JPEG's first sample is not a solid value)
  const firstSamples = async () =>
    (await collect(train)).flatMap((b) => Array.from({ length: b.x.shape[0]! }, (_, i) => Math.round(b.x.data()[i * 18]!)));
  const [first, second] = [await firstSamples(), await firstSamples()];
  const solid = train.filePaths.filter((p) => !p.endsWith('.jpg')).map((p) => values[p]!);
  for (const epoch of [first, second]) {
    assert.equal(epoch.length, 5);
    assert.deepEqual(epoch.filter((v) => solid.includes(v)).sort(), [...solid].sort());
  }
  assert.notDeepEqual(first, second);
});

test('label modes: int32 [b], one-hot float32 [b, k], float32 [b, 1]; null gives images alone; batchSize null single images', async () => {
  const options = { ...quiet, imageSize: [2, 2], batchSize: 7, shuffle: false };
  const [int] = await collect(await nr.data.imageDatasetFromDirectory(pets, options));
  assert.deepEqual(Array.from(int!.y.data()), listedLabels);
  const [categorical] = await collect(await nr.data.imageDatasetFromDirectory(pets, { ...options, labelMode: 'categorical' }));
  assert.deepEqual([categorical!.y.dtype, categorical!.y.shape], ['float32', [7, 2]]);
  assert.deepEqual(Array.from(categorical!.y.data().subarray(4, 8)), [1, 0, 0, 1]);
  const [binary] = await collect(await nr.data.imageDatasetFromDirectory(pets, { ...options, labelMode: 'binary' }));
  assert.deepEqual([binary!.y.dtype, binary!.y.shape], ['float32', [7, 1]]);
  for (const unlabelled of [{ labelMode: null }, { labels: null }] as const) {
    const elements = await (await nr.data.imageDatasetFromDirectory(pets, { ...options, ...unlabelled })).toArray();
    assert.ok(elements[0] instanceof nr.Tensor);
  }
  const single = await collect(await nr.data.imageDatasetFromDirectory(pets, { ...options, batchSize: null, colorMode: 'grayscale' }));
  assert.equal(single.length, 7);
  assert.deepEqual(single[0]!.x.shape, [2, 2, 1]);
  assert.deepEqual(single[0]!.y.shape, []);
  const explicit = await nr.data.imageDatasetFromDirectory(join(pets, 'a_cats'), { ...options, labels: [5, 6, 7] });
  assert.deepEqual(Array.from((await collect(explicit))[0]!.y.data()), [5, 6, 7]);
});

test('classNames picks and orders the folders; Keras snake_case options are accepted', async () => {
  const ds = await nr.data.imageDatasetFromDirectory(pets, {
    ...quiet,
    classNames: ['b_dogs', 'a_cats'],
    shuffle: false,
    image_size: [2, 2],
  } as nr.data.ImageFolderOptions);
  assert.deepEqual(ds.classNames, ['b_dogs', 'a_cats']);
  assert.deepEqual(ds.filePaths.slice(0, 4), listed.slice(3));
});

test('worker threads and the main thread give the same batches', async () => {
  const options = { verbose: false, imageSize: [3, 5], batchSize: 3, shuffle: false, interpolation: 'bicubic' as const };
  const threaded = await collect(await nr.data.imageDatasetFromDirectory(pets, { ...options, numParallelCalls: 2 }));
  const inline = await collect(await nr.data.imageDatasetFromDirectory(pets, { ...options, numParallelCalls: 0 }));
  assert.deepEqual(
    threaded.map((b) => Array.from(b.x.data())),
    inline.map((b) => Array.from(b.x.data())),
  );
  // the native decoder reads the same PNG pixels (the JPEG differs by libjpeg's rounding and chroma)
  const native = await collect(await nr.data.imageDatasetFromDirectory(pets, { ...options, numParallelCalls: 1, decoder: 'sharp' }));
  const pngRows = (batches: { x: nr.Tensor }[]) =>
    batches.flatMap((b) => Array.from(b.x.data())).filter((_, i) => i < 5 * 45 || i >= 6 * 45);
  assert.deepEqual(pngRows(native), pngRows(inline));
});

test("decoder: 'sharp' reaches the decoding, on worker threads and on the main thread", async () => {
  const dir = join(root, 'photo');
  mkdirSync(join(dir, 'a'), { recursive: true });
  const path = join(dir, 'a', 'p.jpg');
  copyFileSync('test/fixtures/images/baseline-420.jpg', path);
  const job = { path, colorMode: 'rgb' as const, size: [5, 7] as [number, number], interpolation: 'bilinear' as const };
  const [js, sharp] = await Promise.all([readImageFile(job), readImageFile({ ...job, decoder: 'sharp' })]);
  // libjpeg interpolates 4:2:0 chroma where jpeg-js repeats it, so the two decoders tell themselves apart
  assert.notDeepEqual(Array.from(sharp.pixels), Array.from(js.pixels));
  for (const numParallelCalls of [1, 0]) {
    const ds = await nr.data.imageDatasetFromDirectory(dir, { verbose: false, numParallelCalls, imageSize: [5, 7], decoder: 'sharp' });
    const [batch] = await collect(ds);
    assert.deepEqual(Array.from(batch!.x.data()), Array.from(sharp.pixels), `numParallelCalls ${numParallelCalls}`);
  }
});

test('explicit labels: classNames are the sorted distinct labels as strings, one-hot as wide as them; binary needs two', async () => {
  const cats = join(pets, 'a_cats');
  const options = { ...quiet, imageSize: [2, 2], shuffle: false };
  const categorical = await nr.data.imageDatasetFromDirectory(cats, { ...options, labels: [2, 0, 1], labelMode: 'categorical' });
  assert.deepEqual(categorical.classNames, ['0', '1', '2']);
  const { y } = (await collect(categorical))[0]!;
  assert.deepEqual(
    [y.shape, Array.from(y.data())],
    [
      [3, 3],
      [0, 0, 1, 1, 0, 0, 0, 1, 0],
    ],
  );
  const lines: string[] = [];
  const previous = setNoticeSink((line) => lines.push(line));
  try {
    await nr.data.imageDatasetFromDirectory(cats, { ...options, verbose: true, labels: [10, 9, 10] });
  } finally {
    setNoticeSink(previous);
  }
  assert.deepEqual(lines, ['neurona: Found 3 files belonging to 2 classes.']);
  const binary = await nr.data.imageDatasetFromDirectory(cats, { ...options, labels: [1, 0, 1], labelMode: 'binary' });
  assert.deepEqual(binary.classNames, ['0', '1']);
  const reject = (options: object, pattern: RegExp) =>
    assert.rejects(
      nr.data.imageDatasetFromDirectory(cats, { ...quiet, ...options }),
      (e: unknown) => e instanceof nr.ConfigError && pattern.test((e as Error).message),
    );
  await reject({ labels: [0, 1, 2], labelMode: 'binary' }, /labelMode 'binary' needs exactly 2 classes.*labels with two values/s);
  await reject({ labels: [0, 2, 2], labelMode: 'categorical' }, /labels must run from 0 to 1 \(2 distinct labels\)/);
  await reject({ labels: [3, 7, 3], labelMode: 'binary' }, /labels must run from 0 to 1/);
  await reject({ labels: [0, 1.5, 1] }, /labels must be integers/);
});

test("subset 'validation' alone is shuffled each epoch, as Keras; shuffle false keeps its order", async () => {
  const options = { ...quiet, imageSize: [2, 3], batchSize: null, validationSplit: 0.9, subset: 'validation' as const, seed: 5 };
  const epoch = async (ds: nr.data.ImageFolderDataset) => (await collect(ds)).map((e) => Math.round(e.x.data()[0]!)).join(' ');
  const val = await nr.data.imageDatasetFromDirectory(pets, options);
  assert.equal(val.filePaths.length, 6);
  const epochs = [await epoch(val), await epoch(val), await epoch(val)];
  assert.ok(new Set(epochs).size > 1, epochs.join(' | '));
  const fixed = await nr.data.imageDatasetFromDirectory(pets, { ...options, shuffle: false });
  assert.equal(await epoch(fixed), await epoch(fixed));
});

test('classNames may name some of the subfolders, as in Keras 3: only their files are read', async () => {
  const ds = await nr.data.imageDatasetFromDirectory(pets, { ...quiet, classNames: ['b_dogs'], shuffle: false, imageSize: [2, 2] });
  assert.deepEqual(ds.classNames, ['b_dogs']);
  assert.deepEqual(ds.filePaths, listed.slice(3));
  assert.deepEqual(Array.from((await collect(ds))[0]!.y.data()), [0, 0, 0, 0]);
});

test('corrupt, truncated, empty and non-image files are skipped with a warning naming each; onError raise throws', async () => {
  const dir = join(root, 'broken');
  mkdirSync(join(dir, 'a'), { recursive: true });
  writeFileSync(join(dir, 'a', 'good.png'), solidPng(5));
  writeFileSync(join(dir, 'a', 'empty.png'), new Uint8Array(0));
  writeFileSync(join(dir, 'a', 'text.jpg'), 'hello');
  writeFileSync(join(dir, 'a', 'cut.png'), solidPng(6).subarray(0, 40));
  writeFileSync(join(dir, 'a', 'anim.gif'), 'GIF89a................');
  const jpeg = readFileSync('test/fixtures/images/progressive.jpg');
  writeFileSync(join(dir, 'a', 'cut.jpg'), jpeg.subarray(0, jpeg.length >> 1));
  symlinkSync(join(dir, 'nowhere.png'), join(dir, 'a', 'dangling.png'));
  const lines: string[] = [];
  const previous = setNoticeSink((line) => lines.push(line));
  try {
    const ds = await nr.data.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [2, 2] });
    const batches = await collect(ds);
    assert.deepEqual(
      batches.map((b) => b.x.shape[0]),
      [1],
    );
    for (const name of ['empty.png', 'text.jpg', 'cut.png', 'anim.gif', 'cut.jpg']) {
      assert.ok(
        lines.some((l) => l.includes(`skipped ${join(dir, 'a', name)}: `)),
        `no warning for ${name} in ${lines.join('\n')}`,
      );
    }
    const strict = await nr.data.imageDatasetFromDirectory(dir, { ...quiet, imageSize: [2, 2], onError: 'raise', shuffle: false });
    await assert.rejects(
      collect(strict),
      (e: unknown) => e instanceof nr.FormatError && /anim\.gif: a GIF file/.test((e as Error).message),
    );
  } finally {
    setNoticeSink(previous);
  }
});

test('bad options are ConfigErrors that say what to change', async () => {
  const reject = (options: object, pattern: RegExp) =>
    assert.rejects(
      nr.data.imageDatasetFromDirectory(pets, { ...quiet, ...options }),
      (e: unknown) => e instanceof nr.ConfigError && pattern.test((e as Error).message),
    );
  await reject({ validationSplit: 0.2, subset: 'training' }, /a seed is required when shuffling with validationSplit/);
  await reject({ validationSplit: 0.2 }, /validationSplit and subset go together/);
  await reject({ validationSplit: 1.5, subset: 'training', seed: 1 }, /between 0 and 1/);
  await reject({ validationSplit: 0.01, subset: 'validation', seed: 1 }, /no image files for the validation subset/);
  await reject({ classNames: ['a_cats', 'fish'] }, /\["fish"\] is not/);
  await reject({ labelMode: 'sparse' }, /labelMode must be/);
  await reject({ colorMode: 'cmyk' }, /colorMode must be/);
  await reject({ imageSize: [0, 3] }, /imageSize must be \[height, width\]/);
  await reject({ batchSize: 0 }, /batchSize must be a positive integer or null/);
  await reject({ interpolation: 'lanczos5' }, /interpolation must be one of/);
  await reject({ labels: [1, 2] }, /one label per image file, 9 found/);
  await reject({ batchSzie: 2 }, /did you mean 'batchSize'/);
  await reject({ decoder: 'libjpeg' }, /decoder must be 'js' or 'sharp'/);
  const three = join(root, 'three');
  for (const c of ['x', 'y', 'z']) {
    mkdirSync(join(three, c), { recursive: true });
    writeFileSync(join(three, c, 'a.png'), solidPng(1));
  }
  await assert.rejects(
    nr.data.imageDatasetFromDirectory(three, { ...quiet, labelMode: 'binary' }),
    /labelMode 'binary' needs exactly 2 classes/,
  );
  await assert.rejects(nr.data.imageDatasetFromDirectory(join(root, 'missing'), quiet), /directory must be the path of a folder/);
});

test("numpyShuffle gives numpy's RandomState(seed).shuffle orders (fixture from test/fixtures/images/make_fixtures.py)", () => {
  const cases = JSON.parse(readFileSync('test/fixtures/images/numpy-shuffle.json', 'utf8')) as {
    seed: number;
    n: number;
    order: number[];
  }[];
  for (const { seed, n, order } of cases) assert.deepEqual(numpyShuffle([...Array(n).keys()], seed), order, `seed ${seed}, ${n} items`);
  assert.throws(() => numpyShuffle([1, 2], -1), /seed must be an integer from 0 to 2\^32 - 1/);
});
