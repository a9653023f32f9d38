import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';

/*
 * The deck's CNNs: summary() must print what Keras 3 prints for them (names, output shapes,
 * parameter counts and totals). The expected values are Keras's, worked out from its rules:
 * 'same' keeps ceil(size / stride), 'valid' floor((size - kernel) / stride) + 1, pooling halves
 * (flooring), and a conv has kh * kw * inChannels * filters + filters parameters.
 */

const { Conv2D, Dense, Flatten, MaxPooling2D, ZeroPadding2D } = nr.layers;

function summaryOf(model: nr.Model): string[] {
  const lines: string[] = [];
  model.summary((line) => lines.push(line));
  return lines;
}

/** The [name (Class), output shape, params] cells of each table row. */
function rows(lines: string[]): string[][] {
  return lines
    .filter((l) => l.startsWith('│'))
    .map((l) =>
      l
        .split('│')
        .slice(1, -1)
        .map((cell) => cell.trim()),
    );
}

test('CIFAR v1: two strided convs, Flatten, Dense; the whole table as Keras prints it', () => {
  nr.layers.resetLayerNames();
  const model = new nr.Sequential([
    nr.Input({ shape: [32, 32, 3] }),
    new Conv2D({ filters: 10, kernelSize: 4, strides: 2, padding: 'same' }),
    new Conv2D({ filters: 20, kernelSize: 3, strides: 2, padding: 'same' }),
    new Flatten(),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
  assert.deepEqual(summaryOf(model), [
    'Model: "sequential"',
    '┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓',
    '┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃',
    '┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩',
    '│ conv2d (Conv2D)                 │ (None, 16, 16, 10)     │           490 │',
    '├─────────────────────────────────┼────────────────────────┼───────────────┤',
    '│ conv2d_1 (Conv2D)               │ (None, 8, 8, 20)       │         1,820 │',
    '├─────────────────────────────────┼────────────────────────┼───────────────┤',
    '│ flatten (Flatten)               │ (None, 1280)           │             0 │',
    '├─────────────────────────────────┼────────────────────────┼───────────────┤',
    '│ dense (Dense)                   │ (None, 10)             │        12,810 │',
    '└─────────────────────────────────┴────────────────────────┴───────────────┘',
    ' Total params: 15,120 (59.06 KB)',
    ' Trainable params: 15,120 (59.06 KB)',
    ' Non-trainable params: 0 (0.00 B)',
  ]);
});

test('CIFAR v3: four convs with ReLU, Flatten 4096, Dense 128: 591,274 parameters', () => {
  nr.layers.resetLayerNames();
  const model = new nr.Sequential([
    nr.Input({ shape: [32, 32, 3] }),
    new Conv2D({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new Conv2D({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new Conv2D({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new Conv2D({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new Flatten(),
    new Dense({ units: 128, activation: 'relu' }),
    new Dense({ units: 10, activation: 'softmax' }),
  ]);
  const lines = summaryOf(model);
  assert.deepEqual(rows(lines), [
    ['conv2d (Conv2D)', '(None, 32, 32, 32)', '896'],
    ['conv2d_1 (Conv2D)', '(None, 16, 16, 32)', '9,248'],
    ['conv2d_2 (Conv2D)', '(None, 16, 16, 64)', '18,496'],
    ['conv2d_3 (Conv2D)', '(None, 8, 8, 64)', '36,928'],
    ['flatten (Flatten)', '(None, 4096)', '0'],
    ['dense (Dense)', '(None, 128)', '524,416'],
    ['dense_1 (Dense)', '(None, 10)', '1,290'],
  ]);
  assert.ok(lines.includes(' Total params: 591,274 (2.26 MB)'), lines.join('\n'));
  assert.equal(model.countParams(), 591274);
});

test('MNIST LeNet: ZeroPadding2D, three conv + max-pool blocks, Flatten 576, Dense 120/84/10: 144,766 parameters', () => {
  nr.layers.resetLayerNames();
  const input = nr.Input({ shape: [28, 28, 1] });
  let x = new ZeroPadding2D({ padding: 2 }).apply(input);
  x = new MaxPooling2D().apply(new Conv2D({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }).apply(x));
  x = new MaxPooling2D().apply(new Conv2D({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }).apply(x));
  x = new MaxPooling2D().apply(new Conv2D({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }).apply(x));
  x = new Flatten().apply(x);
  x = new Dense({ units: 120, activation: 'relu' }).apply(x);
  x = new Dense({ units: 84, activation: 'relu' }).apply(x);
  const model = new nr.Model({ inputs: input, outputs: new Dense({ units: 10, activation: 'softmax' }).apply(x), name: 'lenet' });
  const lines = summaryOf(model);
  assert.equal(lines[0], 'Model: "lenet"');
  assert.deepEqual(rows(lines), [
    ['input_layer (InputLayer)', '(None, 28, 28, 1)', '0'],
    ['zero_padding2d (ZeroPadding2D)', '(None, 32, 32, 1)', '0'],
    ['conv2d (Conv2D)', '(None, 28, 28, 16)', '416'],
    ['max_pooling2d (MaxPooling2D)', '(None, 14, 14, 16)', '0'],
    ['conv2d_1 (Conv2D)', '(None, 14, 14, 32)', '12,832'],
    ['max_pooling2d_1 (MaxPooling2D)', '(None, 7, 7, 32)', '0'],
    ['conv2d_2 (Conv2D)', '(None, 7, 7, 64)', '51,264'],
    ['max_pooling2d_2 (MaxPooling2D)', '(None, 3, 3, 64)', '0'],
    ['flatten (Flatten)', '(None, 576)', '0'],
    ['dense (Dense)', '(None, 120)', '69,240'],
    ['dense_1 (Dense)', '(None, 84)', '10,164'],
    ['dense_2 (Dense)', '(None, 10)', '850'],
  ]);
  assert.ok(lines.includes(' Total params: 144,766 (565.49 KB)'), lines.join('\n'));
});

test('BatchNormalization in a summary: moving statistics count as non-trainable parameters', () => {
  nr.layers.resetLayerNames();
  const model = new nr.Sequential([
    nr.Input({ shape: [8, 8, 3] }),
    new Conv2D({ filters: 4, kernelSize: 3, padding: 'same' }),
    new nr.layers.BatchNormalization(),
    new nr.layers.GlobalAveragePooling2D(),
  ]);
  const lines = summaryOf(model);
  assert.deepEqual(
    rows(lines).map((r) => r[2]),
    ['112', '16', '0'],
  );
  assert.ok(lines.includes(' Total params: 128 (512.00 B)'), lines.join('\n'));
  assert.ok(lines.includes(' Trainable params: 120 (480.00 B)'), lines.join('\n'));
  assert.ok(lines.includes(' Non-trainable params: 8 (32.00 B)'), lines.join('\n'));
});

test("the examples' own models (src/cli/jobs/deck004.ts) have the totals and output shapes the issue states", async () => {
  const { version1, version3, version5, lenet } = await import('../../../src/cli/jobs/deck004.js');
  const shapes = (model: nr.Model) => rows(summaryOf(model)).map((r) => r[1]);
  const total = (model: nr.Model) =>
    summaryOf(model)
      .find((l) => l.includes('Total params'))!
      .trim();
  nr.layers.resetLayerNames();
  const v1 = version1([32, 32, 3]);
  assert.deepEqual(shapes(v1), ['(None, 16, 16, 10)', '(None, 8, 8, 20)', '(None, 1280)', '(None, 10)']);
  assert.match(total(v1), /^Total params: 15,120 /);
  assert.match(total(version3([32, 32, 3])), /^Total params: 591,274 /);
  assert.match(total(lenet()), /^Total params: 144,766 /);
  // v5 adds BatchNormalization (4 parameters per channel, half of them non-trainable) to v3.
  const v5 = version5([32, 32, 3]);
  assert.equal(v5.countParams(), 591_274 + 4 * (32 + 32 + 64 + 64 + 128));
});
