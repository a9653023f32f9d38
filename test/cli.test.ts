import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from './helpers.js';
import { EXAMPLES, main } from '../src/cli/commands.js';
import { benchUnavailable } from '../src/cli/bench.js';
import { trainExample } from '../src/cli/jobs/example.js';
import { mnistMlp } from '../src/cli/jobs/mnist-mlp.js';
import { preprocessImage, probabilitiesOf, resizeImage } from '../src/cli/predict.js';
import jpegJs from 'jpeg-js';
import { encodePng, type PngImage } from '../src/io/png.js';
import { TS_NODE } from './ts-node.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };

/** Runs the CLI in-process; returns the exit code and what it printed. */
async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(
    args,
    (s) => {
      out += s;
    },
    (s) => {
      err += s;
    },
  );
  return { code, out, err };
}

/** Asserts a failure: exit code, exactly one line on stderr, matching `pattern`. */
function assertOneLineError(result: { code: number; err: string }, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, result.err);
  assert.equal(result.err.trimEnd().split('\n').length, 1, `one line, got: ${result.err}`);
  assert.match(result.err, /^neurona: /);
  assert.match(result.err, pattern);
}

test('VERSION equals package.json version', () => {
  assert.equal(nr.VERSION, pkg.version);
});

test('neurona --version and --help', async () => {
  const version = await cli('--version');
  assert.equal(version.code, 0);
  assert.equal(version.out.trim(), pkg.version);
  const help = await cli('--help');
  assert.equal(help.code, 0);
  for (const word of [
    'Usage:',
    '--version',
    'examples',
    'train <example>',
    'summary <model dir>',
    'predict <model dir>',
    'bench',
    'inspect',
    '--report',
    '--save',
  ]) {
    assert.ok(help.out.includes(word), `help mentions ${word}`);
  }
});

test('an unknown command prints one clear line and exits non-zero', async () => {
  assertOneLineError(await cli('frobnicate'), 2, /unknown command 'frobnicate'/);
});

test('the bin entry runs as a program', () => {
  const run = spawnSync(process.execPath, [...TS_NODE, 'src/cli/main.ts', '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), pkg.version);
  assert.equal(pkg.bin.neurona, './dist/cli/main.js');
});

test('neurona examples lists each example with a description; jobs is an alias', async () => {
  const examples = await cli('examples');
  assert.equal(examples.code, 0);
  assert.match(examples.out, /^mnist-mlp\s+deck 001: Flatten -> Dense\(8, relu\) -> Dense\(10, softmax\)/m);
  assert.equal((await cli('jobs')).out, examples.out);
  // Every registered example, each description starting in one column: two spaces after the longest name.
  const names = Object.keys(EXAMPLES);
  const generative = ['autoencoder', 'vae', 'dcgan', 'wgan-gp', 'pixelcnn', 'realnvp', 'ebm', 'diffusion'];
  for (const name of ['fashion-mnist-v5', 'siamese-mnist', 'gcn-karate', ...generative]) assert.ok(names.includes(name), name);
  assert.equal(names.length, 39, names.join(' '));
  // Every script in examples/ is an example of the command (the course's exercises run both ways).
  for (const file of readdirSync('examples').filter((f) => f.endsWith('.ts')))
    assert.ok(names.includes(file.slice(0, -3)), `${file} is listed`);
  const column = Math.max(...names.map((name) => name.length)) + 2;
  const lines = examples.out.trimEnd().split('\n');
  assert.deepEqual(
    lines.map((line) => line.slice(0, column).trimEnd()),
    names,
  );
  lines.forEach((line, i) => assert.equal(line.slice(column), EXAMPLES[names[i]!]!.description, line));
});

test('diffusion rejects a learning rate or a U-Net width it cannot use before loading any data', async () => {
  assertOneLineError(
    await cli('train', 'diffusion', '--learning-rate', 'fast'),
    1,
    /diffusion: .*--learning-rate must be a number in \(0, 1\)/,
  );
  assertOneLineError(await cli('train', 'diffusion', '--width', '12'), 1, /diffusion: .*--width must be a multiple of 8 .*12/);
});

test('the deck-004 transfer examples reject an unknown base, model or stage before any work, naming the choices', async () => {
  assertOneLineError(
    await cli('train', 'transfer-learning', '--base', 'resnet18'),
    1,
    /transfer-learning: unknown base "resnet18"; the bases are resnet50, vgg16, efficientnetb0, mobilenetv2$/m,
  );
  assertOneLineError(
    await cli('train', 'architectures', '--models', 'vgg16,lenet'),
    1,
    /unknown model "lenet" in --models; the models are alexnet,/,
  );
  // Names an object inherits are not models either.
  assertOneLineError(await cli('train', 'transfer-learning', '--base', 'toString'), 1, /unknown base "toString"/);
  assertOneLineError(await cli('train', 'architectures', '--models', 'constructor'), 1, /unknown model "constructor"/);
  assertOneLineError(
    await cli('train', 'fashion-to-mnist-transfer', '--fine-tune-from', 'stage4'),
    1,
    /--fine-tune-from must name a stage of the base: stage1, stage2 or stage3, got "stage4"/,
  );
  assertOneLineError(
    await cli('train', 'fashion-to-mnist-transfer', '--task', 'cifar-to-digits'),
    1,
    /--task must be digits-0-4-to-5-9 or fashion-to-digits, got "cifar-to-digits"/,
  );
  assertOneLineError(await cli('train', 'fashion-to-mnist-transfer', '--task', 'toString'), 1, /--task must be/);
  assertOneLineError(
    await cli('train', 'fashion-to-mnist-transfer', '--head-learning-rate', 'fast'),
    1,
    /--head-learning-rate must be a number between 0 and 1, e.g. 1e-2, got "fast"/,
  );
});

test('the sequence examples reject flags that cannot work before reading any data, naming the flag', async () => {
  assertOneLineError(
    await cli('train', 'mini-gpt', '--width', '30', '--heads', '4'),
    1,
    /--width must be a multiple of --heads, got --width 30 --heads 4/,
  );
  for (const name of ['names-lstm', 'mini-gpt']) {
    assertOneLineError(
      await cli('train', name, '--temperature', 'hot'),
      1,
      new RegExp(`${name}: --temperature must be a number >= 0 .*, got "hot"`),
    );
  }
  assertOneLineError(
    await cli('train', 'sine-forecast', '--points', '50'),
    1,
    /--points must leave windows of 40 values to train and test on, got --points 50; use --points 55 or more, or a smaller --window/,
  );
});

test('train errors: unknown example lists the available ones; bad flags name the flag', async () => {
  assertOneLineError(await cli('train', 'mnist-nope'), 2, /unknown example 'mnist-nope'; available: mnist-mlp/);
  assertOneLineError(await cli('train'), 2, /train needs an example name; available: mnist-mlp/);
  assertOneLineError(await cli('train', 'mnist-mlp', '--epochs', 'two'), 2, /option --epochs needs a positive integer, got 'two'/);
  assertOneLineError(await cli('train', 'mnist-mlp', '--verbose', '5'), 2, /option --verbose must be one of 0, 1, 2, got '5'/);
  assertOneLineError(await cli('train', 'mnist-mlp', '--speed', '9'), 2, /unknown option '--speed'/);
  assertOneLineError(await cli('train', 'mnist-mlp', '--save'), 2, /option --save needs a value/);
  assertOneLineError(await cli('train', 'mnist-mlp', '--backend', 'foo'), 2, /option --backend must be one of js, native, got 'foo'/);
  const missing = join(tmpdir(), 'neurona-no-such-mnist');
  assertOneLineError(
    await cli('train', 'mnist-mlp', '--data', missing, '--verbose', '0'),
    1,
    new RegExp(`path ${missing} lacks train-images-idx3-ubyte`),
  );
});

test('train rejects a flag the example does not take, listing the flags it takes', async () => {
  assertOneLineError(
    await cli('train', 'xor', '--limit', '5'),
    2,
    /^neurona: train: unknown option '--limit'; xor takes --epochs N \(default 1000\), --backend js\|native, --threads N$/m,
  );
  assertOneLineError(await cli('train', 'perceptron-2d', '--epochs', '5'), 2, /perceptron-2d takes --points N \(default 200\), --backend/);
  assertOneLineError(
    await cli('train', 'mnist-perceptron', '--report', 'x'),
    2,
    /mnist-perceptron takes --samples N \(default 10000\), --out <text> \(default out\/mnist-perceptron\),/,
  );
  assertOneLineError(
    await cli('train', 'mnist-mlp', '--samples', '5'),
    2,
    /mnist-mlp takes --epochs N \(default 5\), --batch-size N \(default 32\), .*--save <dir>, --backend js\|native, --threads N$/m,
  );
  assertOneLineError(await cli('train', 'fashion-mnist-progression', '--synthetic=yes'), 2, /option --synthetic takes no value, got 'yes'/);
  assertOneLineError(await cli('train', 'som-digits', '--samples', '0'), 2, /option --samples needs a positive integer, got '0'/);
  assertOneLineError(await cli('train', '--epochs', '3', 'xor'), 2, /train needs the example name before the flags/);
  // --help lists them with a line of help each.
  const help = await cli('train', 'mnist-perceptron', '--help');
  assert.equal(help.code, 0, help.err);
  assert.equal(help.out.split('\n')[0], `neurona train mnist-perceptron [flags]: ${EXAMPLES['mnist-perceptron']!.description}`);
  assert.match(help.out, /^ {2}--samples N \(default 10000\) +the first N training digits, split 80 \/ 20$/m);
  assert.match(help.out, /^ {2}--threads N +threads of the native backend/m);
  assert.match((await cli('train', 'cifar10-v3', '-h')).out, /^ {2}--epochs N \(default 10\) +epochs to train$/m);
});

test('train perceptron-2d: a program example runs in the command, its notice included', async () => {
  const run = await cli('train', 'perceptron-2d', '--points', '50');
  assert.equal(run.code, 0, run.err);
  const separable = run.out
    .split('\n')
    .filter((line) => /: 50 points, learned line .* converged after \d+ epoch\(s\), accuracy 1$/.test(line));
  assert.equal(separable.length, 4, run.out);
  assert.match(run.out, /neurona: Perceptron: maximum number of iterations \(maxIter = 100\) reached/);
  assert.match(run.out, /XOR: after 100 epochs .* accuracy 0\.5 \(< 1: no line separates XOR\)/);
});

test("train mnist-perceptron --samples 600: deck 003's six steps, the split of train_test_split, both PNGs", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cli-'));
  try {
    const run = await cli('train', 'mnist-perceptron', '--samples', '600', `--out=${dir}`);
    assert.equal(run.code, 0, run.err);
    assert.match(run.out, /^1\. read 600 digits of 28x28 pixels$/m);
    assert.match(run.out, /^3\. 480 digits to train on, 120 to test$/m);
    assert.match(run.out, /^4\. trained in [\d.]+ s, \d+ epochs; coef shape \[10, 784\], intercept shape \[10\]$/m);
    const accuracy = Number(/^5\. test accuracy ([\d.]+)/m.exec(run.out)?.[1]);
    assert.ok(accuracy > 0.7, `the perceptron learns digits (test accuracy ${accuracy})`);
    const matrix = run.out
      .split('\n')
      .filter((line) => /^ {3}\d: /.test(line))
      .map((line) => line.slice(6).trim().split(/\s+/).map(Number));
    assert.equal(matrix.length, 10);
    assert.equal(
      matrix.flat().reduce((a, b) => a + b, 0),
      120,
      'the confusion matrix counts the 120 test digits',
    );
    for (const png of ['samples.png', 'misclassified.png']) assert.ok(existsSync(join(dir, png)), `${png} written`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train mnist-mlp --limit --epochs 1 --save --report, then summary of the saved model', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cli-'));
  try {
    const train = await cli(
      'train',
      'mnist-mlp',
      '--limit',
      '6000',
      '--epochs',
      '1',
      '--batch-size',
      '32',
      '--seed',
      '3',
      '--verbose',
      '0',
      '--save',
      join(dir, 'model'),
      '--report',
      join(dir, 'report'),
    );
    assert.equal(train.code, 0, train.err);
    const accuracy = Number(/Test accuracy: ([\d.]+) - test loss: ([\d.]+)/.exec(train.out)?.[1]);
    assert.ok(accuracy > 0.5 && accuracy <= 1, `one epoch on 6000 digits learns (test accuracy ${accuracy}; chance is 0.1)`);
    assert.match(train.out, /Total params: 6,370/);
    assert.match(train.out, /Saved the model to .*model/);

    const summary = await cli('summary', join(dir, 'model'));
    assert.equal(summary.code, 0, summary.err);
    assert.match(summary.out, /Total params: 6,370 \(24\.88 KB\)/);
    assert.match(summary.out, /dense_1 \(Dense\)\s+│ \(None, 10\)\s+│\s+90 │/);

    const page = readFileSync(join(dir, 'report', 'index.html'), 'utf8');
    for (const id of ['final-metrics', 'summary', 'curves', 'confusion-matrix', 'samples'])
      assert.ok(page.includes(`id="${id}"`), `report has #${id}`);
    assert.match(page, /Validation data: 1000 examples/); // the test split, 6000 / 6
    assert.equal(page.match(/<figure /g)?.length, 32, '32 test images as samples');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train mnist-lenet --report: validation figures in the progress, the final metrics and the curves', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cli-'));
  try {
    const train = await cli('train', 'mnist-lenet', '--epochs', '1', '--limit', '600', '--verbose', '0', '--report', dir);
    assert.equal(train.code, 0, train.err);
    assert.match(train.out, /Total params: 144,766/);
    const testAccuracy = /Test accuracy: ([\d.]+) - test loss: ([\d.]+)/.exec(train.out);
    assert.ok(testAccuracy, train.out);

    const page = readFileSync(join(dir, 'index.html'), 'utf8');
    for (const id of ['final-metrics', 'summary', 'curves', 'confusion-matrix', 'samples'])
      assert.ok(page.includes(`id="${id}"`), `report has #${id}`);
    assert.match(page, /<pre id="summary">[\s\S]*Total params: 144,766/);
    // fit got the test split as validation data: its last val_accuracy is what evaluate printed.
    const metric = (name: string) =>
      Number(new RegExp(`<tr data-metric="${name}"><th>[^<]*</th><td class="number" data-value="([^"]+)"`).exec(page)?.[1]);
    for (const name of ['loss', 'accuracy', 'val_loss', 'val_accuracy'])
      assert.ok(Number.isFinite(metric(name)), `final metrics have ${name}`);
    assert.equal(metric('val_accuracy').toFixed(4), testAccuracy[1]);
    assert.equal(metric('val_loss').toFixed(4), testAccuracy[2]);
    // The curves draw the validation series (orange) beside the training one.
    const curves = page.slice(page.indexOf('id="curves"'), page.indexOf('</section>', page.indexOf('id="curves"')));
    assert.match(curves, /<svg/);
    assert.ok(/aria-label="[^"]*split: validation/.test(curves), 'a validation mark in the curves');
    assert.match(page, /Validation data: 100 examples/); // the test split, 600 / 6
    assert.equal(page.match(/<figure /g)?.length, 32, '32 test images as samples');
    assert.ok(!page.includes('<script'), 'the finished page does not reload');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a train run that fails leaves a report page that says so instead of reloading forever', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cli-'));
  try {
    const crash = new nr.callbacks.LambdaCallback({
      onTrainBatchEnd: (batch) => {
        if (batch === 1) throw new Error('disk full');
      },
    });
    await assert.rejects(
      trainExample('mnist-mlp', mnistMlp, { limit: 120, epochs: 1, verbose: 0, report: dir, callbacks: [crash], print: () => {} }),
      /disk full/,
    );
    const page = readFileSync(join(dir, 'index.html'), 'utf8');
    assert.match(page, /<span id="status" class="failed">/);
    assert.match(page, /<pre>Error: disk full<\/pre>/);
    assert.ok(!page.includes('<script'), 'no reload script');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('train cifar10-v1 with no data and no network: one line that says to give the files with --data', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cli-'));
  // A port nothing listens on: the download is refused at once.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  server.close();
  const saved = { NEURONA_CACHE_DIR: process.env.NEURONA_CACHE_DIR, NEURONA_DATASETS_MIRROR: process.env.NEURONA_DATASETS_MIRROR };
  process.env.NEURONA_CACHE_DIR = dir;
  process.env.NEURONA_DATASETS_MIRROR = `http://127.0.0.1:${port}/`;
  try {
    assertOneLineError(await cli('train', 'cifar10-v1', '--epochs', '1'), 1, /cifar10\.loadData: could not download .*--data <path>/);
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

test('summary and predict name a missing model directory in one line', async () => {
  const missing = join(tmpdir(), 'neurona-no-such-model');
  assertOneLineError(await cli('summary', missing), 1, new RegExp(`no model directory at ${missing}`));
  assertOneLineError(await cli('predict', missing, 'x.png'), 1, new RegExp(`no model directory at ${missing}`));
  const empty = mkdtempSync(join(tmpdir(), 'neurona-empty-'));
  try {
    assertOneLineError(await cli('summary', empty), 1, new RegExp(`${empty} holds no model\\.json`));
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
  assertOneLineError(await cli('summary'), 2, /summary needs one model directory/);
  assertOneLineError(await cli('predict', missing), 2, /predict needs a model directory and one or more PNG or JPEG images/);
});

/**
 * Draws a digit the way a person would in a paint program, not taken from MNIST: a "1" (an upright
 * bar) or a "0" (an elliptic ring), antialiased by 4x4 supersampling, in a size x size image laid out
 * like MNIST (about 20 units of 28 tall). White on black, or black on white; gray or RGB.
 */
function drawDigit(digit: 0 | 1, size: number, { darkOnLight = false, rgb = false } = {}): PngImage {
  const channels = rgb ? 3 : 1;
  const pixels = new Uint8Array(size * size * channels);
  const unit = size / 28;
  const inside = (x: number, y: number): boolean => {
    const [u, v] = [x / unit - 14, y / unit - 14]; // coordinates on a 28-unit canvas, centred
    if (digit === 1) return Math.abs(u + v * 0.08) <= 1.6 && Math.abs(v) <= 9.5; // slightly slanted, like handwriting
    const r = Math.hypot(u / 5.5, v / 8.5);
    return Math.abs(r - 1) * 6.5 <= 1.6;
  };
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let covered = 0;
      for (let sy = 0; sy < 4; sy++) for (let sx = 0; sx < 4; sx++) if (inside(px + (sx + 0.5) / 4, py + (sy + 0.5) / 4)) covered++;
      const level = Math.round((covered / 16) * 255);
      const value = darkOnLight ? 255 - level : level;
      for (let c = 0; c < channels; c++) pixels[(py * size + px) * channels + c] = value;
    }
  }
  return { width: size, height: size, channels: channels as 1 | 3, pixels };
}

test('predict: a model trained here recognises digits drawn here, on black or on white, at any size', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-predict-'));
  try {
    nr.setSeed(11);
    const { train, test: testSplit } = await nr.datasets.mnist.loadData();
    const x = train[0].slice(0, 10000).cast('float32').div(255);
    const y = train[1].slice(0, 10000);
    const model = new nr.Sequential([
      new nr.layers.Flatten({ inputShape: [28, 28] }),
      new nr.layers.Dense({ units: 64, activation: 'relu' }),
      new nr.layers.Dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(x, y, { epochs: 5, batchSize: 32, verbose: 0 });
    const { accuracy } = await model.evaluate(testSplit[0].slice(0, 2000).cast('float32').div(255), testSplit[1].slice(0, 2000), {
      verbose: 0,
    });
    assert.ok(accuracy! >= 0.9, `the model is good enough to judge by (test accuracy ${accuracy})`);
    await model.save(join(dir, 'model'));

    const cases: Array<{ file: string; digit: 0 | 1; image: PngImage; inverted: boolean }> = [
      { file: 'one-white-on-black.png', digit: 1, image: drawDigit(1, 28), inverted: false },
      { file: 'one-black-on-white-112px.png', digit: 1, image: drawDigit(1, 112, { darkOnLight: true }), inverted: true },
      { file: 'zero-white-on-black.png', digit: 0, image: drawDigit(0, 28), inverted: false },
      { file: 'zero-black-on-white-rgb-56px.png', digit: 0, image: drawDigit(0, 56, { darkOnLight: true, rgb: true }), inverted: true },
    ];
    for (const c of cases) writeFileSync(join(dir, c.file), encodePng(c.image));
    const result = await cli('predict', join(dir, 'model'), ...cases.map((c) => join(dir, c.file)));
    assert.equal(result.code, 0, result.err);
    const lines = result.out.trimEnd().split('\n');
    assert.equal(lines.length, cases.length);
    cases.forEach((c, i) => {
      const match = /^(.+): (\d) \(([\d.]+)%\), (\d) \(([\d.]+)%\), (\d) \(([\d.]+)%\)(.*)$/.exec(lines[i]!);
      assert.ok(match, `top-3 line: ${lines[i]}`);
      assert.equal(match[1], join(dir, c.file));
      assert.equal(Number(match[2]), c.digit, `${c.file} is read as ${c.digit}: ${lines[i]}`);
      const [p1, p2, p3] = [Number(match[3]), Number(match[5]), Number(match[7])];
      assert.ok(p1 >= p2 && p2 >= p3 && p1 + p2 + p3 <= 100.2, `probabilities ranked: ${lines[i]}`);
      assert.equal(match[8]!.includes('inverted to white on black'), c.inverted, `inversion note: ${lines[i]}`);
    });
    // The printed probabilities are the model's: run the same 28x28 input through it directly.
    const direct = model.predict(nr.tensor(drawDigit(1, 28).pixels, [1, 28, 28], 'int32').cast('float32').div(255)).data();
    assert.match(lines[0]!, new RegExp(`: 1 \\(${(100 * direct[1]!).toFixed(1)}%\\)`));

    // --invert no keeps the black-on-white image as is: the model then sees a white page.
    const kept = await cli('predict', join(dir, 'model'), join(dir, cases[1]!.file), '--invert', 'no', '--top', '1');
    assert.equal(kept.code, 0, kept.err);
    assert.match(kept.out, /^.+: \d \([\d.]+%\)\n$/);
    assert.ok(!kept.out.includes('inverted'));

    // JPEG files are read too, told from PNG by their bytes, not their names.
    const asJpeg = (image: PngImage) => {
      const rgba = new Uint8Array(image.width * image.height * 4).fill(255);
      for (let i = 0; i < image.width * image.height; i++) rgba.fill(image.pixels[i]!, i * 4, i * 4 + 3);
      return new Uint8Array(jpegJs.encode({ width: image.width, height: image.height, data: rgba }, 95).data);
    };
    writeFileSync(join(dir, 'one.jpg'), asJpeg(drawDigit(1, 28)));
    writeFileSync(join(dir, 'zero-named.png'), asJpeg(drawDigit(0, 56, { darkOnLight: true })));
    const jpegs = await cli('predict', join(dir, 'model'), join(dir, 'one.jpg'), join(dir, 'zero-named.png'), '--top', '1');
    assert.equal(jpegs.code, 0, jpegs.err);
    assert.match(jpegs.out, /one\.jpg: 1 \([\d.]+%\)\n.*zero-named\.png: 0 \([\d.]+%\) +\[dark on light: inverted/);

    // A file that is not an image, a truncated JPEG, and one that does not exist, are named.
    const notPng = join(dir, 'digit.png');
    writeFileSync(notPng, 'a text file');
    assertOneLineError(await cli('predict', join(dir, 'model'), notPng), 1, new RegExp(`${notPng}: not a PNG or JPEG file`));
    const cut = join(dir, 'cut.jpg');
    writeFileSync(cut, new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16]));
    assertOneLineError(await cli('predict', join(dir, 'model'), cut), 1, new RegExp(`${cut}: truncated or corrupt JPEG`));
    assertOneLineError(
      await cli('predict', join(dir, 'model'), join(dir, 'nope.png')),
      1,
      new RegExp(`cannot read image ${join(dir, 'nope.png')} \\(no such file\\)`),
    );
    assertOneLineError(
      await cli('predict', join(dir, 'model'), notPng, '--resize', 'cubic'),
      2,
      /--resize must be one of bilinear, nearest/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resizeImage: area averaging when shrinking, linear between centres when enlarging, nearest', () => {
  // 4x1 -> 2x1 averages pairs; 2x1 -> 4x1 interpolates between the two centres (clamped at the ends).
  assert.deepEqual(Array.from(resizeImage(new Float32Array([0, 1, 0.5, 0.5]), 4, 1, 1, 2, 1)), [0.5, 0.5]);
  assert.deepEqual(Array.from(resizeImage(new Float32Array([0, 1]), 2, 1, 1, 4, 1)), [0, 0.25, 0.75, 1]);
  assert.deepEqual(Array.from(resizeImage(new Float32Array([0, 1]), 2, 1, 1, 4, 1, 'nearest')), [0, 0, 1, 1]);
  // 3 -> 2: each output covers 1.5 source pixels.
  const shrunk = Array.from(resizeImage(new Float32Array([0.3, 0.6, 0.9]), 3, 1, 1, 2, 1));
  assert.ok(Math.abs(shrunk[0]! - (0.3 + 0.6 * 0.5) / 1.5) < 1e-6 && Math.abs(shrunk[1]! - (0.6 * 0.5 + 0.9) / 1.5) < 1e-6, String(shrunk));
  // 2-D and channels: a 2x2 RGB image to 1x1 is the mean colour.
  const rgb = resizeImage(new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]), 2, 2, 3, 1, 1);
  assert.deepEqual(
    Array.from(rgb).map((v) => Number(v.toFixed(6))),
    [0.5, 0.5, 0.5],
  );
});

test('preprocessImage: luma, alpha over white, and inversion of bright borders for gray models', () => {
  const input = { height: 1, width: 3, channels: 1 as const, shape: [1, 3] };
  // RGBA: opaque red, half-transparent black, fully transparent -> luma 0.299, 0.5 (half over white), 1.
  const rgba: PngImage = { width: 3, height: 1, channels: 4, pixels: new Uint8Array([255, 0, 0, 255, 0, 0, 0, 128, 0, 0, 0, 0]) };
  const kept = preprocessImage(rgba, input, { invert: 'no' });
  assert.deepEqual(
    Array.from(kept.values).map((v) => Number(v.toFixed(3))),
    [0.299, Number((1 - 128 / 255).toFixed(3)), 1],
  );
  const auto = preprocessImage(rgba, input);
  assert.equal(auto.inverted, true, 'the border (every pixel here) is bright');
  assert.deepEqual(
    Array.from(auto.values).map((v) => Number(v.toFixed(3))),
    [0.701, Number((128 / 255).toFixed(3)), 0],
  );
  const dark: PngImage = { width: 3, height: 1, channels: 1, pixels: new Uint8Array([0, 255, 0]) };
  assert.equal(preprocessImage(dark, input).inverted, false);
  assert.equal(preprocessImage(dark, { ...input, channels: 3 }, {}).inverted, false, 'RGB models are never inverted by auto');
});

test('probabilitiesOf keeps distributions and applies softmax or sigmoid to scores', () => {
  assert.deepEqual(probabilitiesOf(nr.tensor([[0.25, 0.75]])), [[0.25, 0.75]]);
  const logits = probabilitiesOf(nr.tensor([[0, Math.log(3)]]))[0]!;
  assert.ok(Math.abs(logits[0]! - 0.25) < 1e-6 && Math.abs(logits[1]! - 0.75) < 1e-6, String(logits));
  const binary = probabilitiesOf(nr.tensor([[0.8], [0]]));
  assert.ok(Math.abs(binary[0]![1]! - 0.8) < 1e-6 && binary[1]![1] === 0, JSON.stringify(binary));
});

test('bench runs bench/run.ts from a checkout, and says why it cannot elsewhere', async () => {
  const elsewhere = mkdtempSync(join(tmpdir(), 'neurona-installed-'));
  try {
    assert.match(benchUnavailable(elsewhere)!, /bench needs the source checkout: .*bench\/run\.ts is not in this installation/);
  } finally {
    rmSync(elsewhere, { recursive: true, force: true });
  }
  assert.equal(benchUnavailable(), null);
  const run = await cli('bench', 'W1', '--sizes', '8', '--reps', '1', '--backend', 'js');
  assert.equal(run.code, 0, run.err);
  const line = run.out.split('\n').find((l) => l.startsWith('{"workload":"W1"'));
  assert.ok(line, run.out);
  assert.equal(JSON.parse(line).n, 8);
});
