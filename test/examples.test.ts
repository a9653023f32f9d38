import { test } from 'node:test';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from './helpers.js';

// Every example runs, at a small size, and exits cleanly. The scripts of the course's exercises run
// them through `neurona train <name>` (src/cli/jobs/), so this also runs those jobs, each once.
const small: Record<string, string[]> = {
  'backprop-by-hand.ts': ['--steps', '5'],
  'xor.ts': ['--epochs', '300'],
  'output-heads.ts': ['--epochs', '3', '--samples', '128'],
  'mnist-mlp-deep.ts': ['--epochs', '1', '--limit', '2000'],
  'optimizers-comparison.ts': ['--epochs', '2'],
  'mnist-perceptron.ts': ['--samples', '600', '--out', join(tmpdir(), `neurona-mnist-perceptron-${process.pid}`)],
  'cifar10-v1.ts': ['--synthetic', '--limit', '64', '--epochs', '1'],
  'cifar10-v2.ts': ['--synthetic', '--limit', '64', '--epochs', '1'],
  'cifar10-v3.ts': ['--synthetic', '--limit', '64', '--epochs', '1'],
  'cifar10-v4.ts': ['--synthetic', '--limit', '64', '--epochs', '1'],
  'cifar10-v5.ts': ['--synthetic', '--limit', '64', '--epochs', '1'],
  'fashion-mnist-progression.ts': ['--synthetic', '--limit', '64', '--epochs', '1'],
  'mnist-lenet.ts': ['--epochs', '1', '--limit', '256'],
  'transfer-learning.ts': [
    ...['--base', 'mobilenetv2', '--images', '40', '--epochs', '1', '--fine-tune-epochs', '1', '--batch-size', '8'],
    ...['--out', join(tmpdir(), `neurona-transfer-learning-${process.pid}`)],
  ],
  'architectures.ts': ['--models', 'googlenet,mobilenetv2,efficientnetb0'],
  'fashion-to-mnist-transfer.ts': [
    ...['--pretrain-limit', '256', '--pretrain-epochs', '1', '--labels', '64', '--epochs', '1'],
    ...['--fine-tune-epochs', '1', '--seeds', '2', '--test-limit', '200'],
  ],
  'som-digits.ts': ['--samples', '300', '--epochs', '1', '--out', `${process.env.TMPDIR ?? '/tmp'}/neurona-som-digits-${process.pid}`],
};

/** Each script is run once; the tests that check what it printed reuse the run. */
const runs = new Map<string, SpawnSyncReturns<string>>();
function run(file: string): SpawnSyncReturns<string> {
  if (!runs.has(file)) {
    runs.set(
      file,
      spawnSync(process.execPath, ['--import', 'tsx', `examples/${file}`, ...(small[file] ?? [])], {
        encoding: 'utf8',
        env: { ...process.env, NEURONA_QUIET: '1' },
        timeout: 120_000,
      }),
    );
  }
  return runs.get(file)!;
}

for (const file of readdirSync('examples').filter((f) => f.endsWith('.ts'))) {
  test(`examples/${file} runs`, () => {
    const result = run(file);
    assert.equal(result.status, 0, `examples/${file} failed:\n${result.stderr}`);
    assert.ok(result.stdout.length > 0, `examples/${file} printed nothing`);
  });
}

test('backprop-by-hand: autograd and the hand-derived gradients agree, and the error falls', () => {
  const { stdout } = run('backprop-by-hand.ts');
  const rows = stdout.split('\n').filter((l) => /^w\d\d /.test(l));
  assert.equal(rows.length, 5);
  for (const row of rows) {
    const [, auto, hand] = row.trim().split(/\s+/);
    assert.equal(auto, hand, row);
  }
  const errors = [...stdout.matchAll(/e = ([\d.]+)/g)].map((m) => Number(m[1]));
  assert.ok(errors.at(-1)! < errors[0]!, `error did not fall: ${errors.join(', ')}`);
});

test('fashion-mnist-progression prints one table row per version, v1..v5, with train and test accuracy', () => {
  const { status, stdout, stderr } = run('fashion-mnist-progression.ts');
  assert.equal(status, 0, stderr);
  const table = stdout.slice(stdout.indexOf('| version |'));
  const rows = table.split('\n').filter((l) => /^\| v\d /.test(l));
  assert.deepEqual(
    rows.map((r) => r.split('|')[1]!.trim()),
    ['v1', 'v2', 'v3', 'v4', 'v5'],
  );
  for (const row of rows) {
    const [, , params, trainAcc, testAcc] = row.split('|').map((c) => c.trim());
    assert.match(params!, /^[\d,]+$/);
    for (const acc of [trainAcc, testAcc]) assert.ok(Number(acc) >= 0 && Number(acc) <= 1, row);
  }
});

test('fashion-to-mnist-transfer (digits 0-4 to 5-9) prints a row per seed: phase 1, fine-tuned, scratch accuracy, epochs to best', () => {
  const { status, stdout, stderr } = run('fashion-to-mnist-transfer.ts');
  assert.equal(status, 0, stderr);
  assert.match(stdout, /Pretraining small_resnet \([\d,]+ parameters\) on 256 MNIST training digits 0-4/);
  // Scored on digits 5-9 only: 5 classes among the first 200 test digits.
  assert.match(stdout, /digits-0-4-to-5-9: test accuracy on \d+ MNIST test digits after training on 64 labelled digits/);
  const rows = stdout
    .slice(stdout.indexOf('| seed |'))
    .split('\n')
    .filter((l) => /^\| \d /.test(l));
  assert.deepEqual(
    rows.map((r) => r.split('|')[1]!.trim()),
    ['1', '2'],
  );
  for (const row of rows) {
    const cells = row.split('|').map((c) => c.trim());
    for (const cell of cells.slice(2, 5)) assert.ok(/^[01]\.\d{4}$/.test(cell), row);
    // One phase-1 epoch and one fine-tuning epoch for transfer, two for scratch: the best is at epoch 1 or 2.
    for (const cell of cells.slice(5, 7)) assert.match(cell, /^[12]$/, row);
  }
});

test('fashion-to-mnist-transfer --task fashion-to-digits pretrains on Fashion-MNIST and scores all ten digits', () => {
  const args = ['--task', 'fashion-to-digits', ...small['fashion-to-mnist-transfer.ts']!, '--seeds', '1'];
  const { status, stdout, stderr } = spawnSync(process.execPath, ['--import', 'tsx', 'examples/fashion-to-mnist-transfer.ts', ...args], {
    encoding: 'utf8',
    env: { ...process.env, NEURONA_QUIET: '1' },
    timeout: 120_000,
  });
  assert.equal(status, 0, stderr);
  assert.match(stdout, /Pretraining small_resnet \([\d,]+ parameters\) on 256 Fashion-MNIST images/);
  assert.match(stdout, /fashion-to-digits: test accuracy on 200 MNIST test digits after training on 64 labelled digits/);
  assert.match(stdout, /^\| 1 \| [01]\.\d{4} \| [01]\.\d{4} \| [01]\.\d{4} \| [12] \| [12] \|$/m);
});

test("architectures prints each model's parameter counts as Keras counts them, beside the published figure", () => {
  const { status, stdout, stderr } = run('architectures.ts');
  assert.equal(status, 0, stderr);
  const rows = stdout.slice(stdout.indexOf('| model |')).split('\n').slice(2, 5);
  assert.deepEqual(rows, [
    '| googlenet | [224, 224, 3] | [1000] | 198 | 6,639,464 | 6,624,904 | 14,560 | ~4-7M (deck) |', // torchvision: 6,624,904 trainable
    '| mobilenetv2_1.00_224 | [224, 224, 3] | [1000] | 156 | 3,538,984 | 3,504,872 | 34,112 | 3.5M |',
    '| efficientnetb0 | [224, 224, 3] | [1000] | 240 | 5,330,571 | 5,288,548 | 42,023 | 5.3M |',
  ]);
});

test('transfer-learning runs both phases on a generated folder and writes the curves and the confusion matrix', () => {
  const { status, stdout, stderr } = run('transfer-learning.ts');
  assert.equal(status, 0, stderr);
  const out = join(tmpdir(), `neurona-transfer-learning-${process.pid}`);
  try {
    assert.match(stdout, /generated 80 images of circles and squares/);
    assert.match(stdout, /Fine-tuning from layer \d+ \(block_13_expand\) of 154: [\d,]+ trainable parameters/);
    assert.match(stdout, /Test accuracy: [01]\.\d{4}/);
    // 16 validation images in batches of 8: one batch is the test, its 8 images fill the matrix.
    const matrix = JSON.parse(stdout.match(/Confusion matrix \(rows: true circles, squares\): (.*)/)![1]!) as number[][];
    assert.equal(
      matrix.flat().reduce((a, b) => a + b, 0),
      8,
    );
    for (const png of ['learning-curves.png', 'confusion-matrix.png']) {
      assert.deepEqual([...readFileSync(join(out, png)).subarray(1, 4)], [0x50, 0x4e, 0x47], png); // "PNG"
    }
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
