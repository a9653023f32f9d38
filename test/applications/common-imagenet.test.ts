import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { nr, assert, assertClose } from '../helpers.js';

const { preprocessInput, decodePredictions, imagenetClasses } = nr.applications;

// Two RGB pixels in [0, 255] and their images under each mode, computed by hand from Keras's formulas.
const pixels = nr.tensor([0, 127.5, 255, 10, 20, 30], [1, 1, 2, 3]);

test("preprocessInput 'caffe': RGB to BGR, minus the BGR mean", () => {
  const out = preprocessInput(pixels);
  assert.deepEqual(out.shape, [1, 1, 2, 3]);
  const mean = [103.939, 116.779, 123.68];
  assertClose(out, [255 - mean[0]!, 127.5 - mean[1]!, 0 - mean[2]!, 30 - mean[0]!, 20 - mean[1]!, 10 - mean[2]!], { rtol: 1e-6 });
  assert.deepEqual(preprocessInput(pixels, 'caffe').toArray(), out.toArray());
});

test("preprocessInput 'tf' and 'torch'", () => {
  assertClose(preprocessInput(pixels, { mode: 'tf' }), [-1, 0, 1, 10 / 127.5 - 1, 20 / 127.5 - 1, 30 / 127.5 - 1], { rtol: 1e-6 });
  const mean = [0.485, 0.456, 0.406];
  const std = [0.229, 0.224, 0.225];
  const expected = [0, 127.5, 255, 10, 20, 30].map((v, i) => (v / 255 - mean[i % 3]!) / std[i % 3]!);
  assertClose(preprocessInput(pixels, { mode: 'torch' }), expected, { rtol: 1e-6 });
  // One image without a batch axis, and integer pixels (cast to float32).
  const image = preprocessInput(nr.tensor([255, 0, 0], [1, 1, 3], 'int32'), 'torch');
  assert.equal(image.dtype, 'float32');
  assertClose(image, [(1 - mean[0]!) / std[0]!, -mean[1]! / std[1]!, -mean[2]! / std[2]!], { rtol: 1e-6 });
});

test('preprocessInput: gradients flow through it', () => {
  const x = nr.variable(nr.ones([1, 1, 1, 3]));
  preprocessInput(x, 'torch')
    .mul(nr.tensor([1, 2, 3]))
    .sum()
    .backward();
  assertClose(x.grad!, [1 / 255 / 0.229, 2 / 255 / 0.224, 3 / 255 / 0.225], { rtol: 1e-6 });
});

test('preprocessInput: bad input', () => {
  assert.throws(
    () => preprocessInput(nr.ones([2, 2, 4])),
    (e: unknown) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.match(e.message, /preprocessInput: mode 'caffe' expects RGB images with 3 channels last.*got \[2, 2, 4\]/);
      return true;
    },
  );
  assert.throws(() => preprocessInput(pixels, { mode: 'keras' as 'tf' }), /mode must be 'caffe', 'tf' or 'torch', got "keras"/);
  assert.throws(() => preprocessInput(pixels, { mdoe: 'tf' } as never), /unknown option 'mdoe'.*did you mean 'mode'/);
});

test("the class index is Keras's file, shipped as an asset and as a module", () => {
  const text = readFileSync(new URL('../../assets/imagenet_class_index.json', import.meta.url), 'utf8');
  // Keras's get_file checks this md5 (file_hash in keras/src/applications/imagenet_utils.py).
  assert.equal(createHash('md5').update(text).digest('hex'), 'c2c37ea517e94d9795004a39431a14cb');
  const index = JSON.parse(text) as Record<string, [string, string]>;
  const classes = imagenetClasses();
  assert.equal(classes.length, 1000);
  classes.forEach((entry, i) => assert.deepEqual([...entry], index[String(i)], `class ${i}`));
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { files: string[] };
  assert.ok(pkg.files.includes('assets'), 'package.json files must ship assets/');
});

test('decodePredictions: top classes per row, best first', () => {
  const scores = new Float32Array(2000);
  scores[207] = 0.5; // golden_retriever
  scores[281] = 0.3; // tabby
  scores[0] = 0.2; // tench
  scores[1000 + 999] = 0.9; // toilet_tissue
  scores[1000 + 1] = 0.1;
  scores[1000 + 2] = 0.1; // equal scores keep class order
  const rows = decodePredictions(nr.tensor(scores, [2, 1000]), { top: 3 });
  assert.deepEqual(
    rows.map((r) => r.map(([wnid, name]) => `${wnid} ${name}`)),
    [
      ['n02099601 golden_retriever', 'n02123045 tabby', 'n01440764 tench'],
      ['n15075141 toilet_tissue', 'n01443537 goldfish', 'n01484850 great_white_shark'],
    ],
  );
  assertClose(
    rows.flat().map((r) => r[2]),
    [0.5, 0.3, 0.2, 0.9, 0.1, 0.1],
  );
  assert.equal(decodePredictions(nr.tensor(scores, [2, 1000]))[0]!.length, 5);
  assert.equal(decodePredictions(nr.tensor(scores, [2, 1000]), 1)[1]![0]![1], 'toilet_tissue');
});

test('decodePredictions: bad input', () => {
  assert.throws(
    () => decodePredictions(nr.ones([1000])),
    (e: unknown) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.match(e.message, /decodePredictions: expected a batch of ImageNet predictions of shape \[batch, 1000\], got \[1000\]/);
      return true;
    },
  );
  assert.throws(() => decodePredictions(nr.ones([1, 10])), /\[batch, 1000\], got \[1, 10\]/);
  assert.throws(() => decodePredictions(nr.ones([1, 1000]), { top: 0 }), /top must be a positive integer/);
  assert.throws(() => decodePredictions(nr.ones([1, 1000]), { top: 1001 }), /top must be at most 1000/);
  assert.throws(
    () => decodePredictions(nr.full([1, 1000], Number.NaN)),
    (e: unknown) => e instanceof nr.NumericsError,
  );
});
