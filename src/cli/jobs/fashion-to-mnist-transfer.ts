/*
 * Deck 004's transfer learning with weights neurona made itself (no ImageNet weights here): a small
 * ResNet-style base is pretrained on Fashion-MNIST and saved; for each seed it is loaded again,
 * frozen under a new head and trained on a few hundred MNIST digits (phase 1), then unfrozen from
 * --fine-tune-from on (the stem stays frozen by default) and fine-tuned at a low learning rate (phase 2).
 * The same network trained from scratch on the same digits for as many epochs is the baseline: test
 * accuracy, and the epochs each needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError, Random, show } from '../../core/index.js';
import type { SymbolicTensor } from '../../nn/layer.js';
import { program } from './example.js';
import { loadFashionMnist } from './deck004.js';
import { loadMnist } from './mnist-data.js';

/** Conv2D -> BatchNormalization [-> ReLU], Keras-style names `${name}_conv` / `_bn` / `_relu`. */
function convBn(x: SymbolicTensor, filters: number, kernelSize: number, strides: number, name: string, relu = true) {
  x = new nr.layers.Conv2D({ filters, kernelSize, strides, padding: 'same', name: `${name}_conv` }).apply(x);
  x = new nr.layers.BatchNormalization({ name: `${name}_bn` }).apply(x);
  return relu ? new nr.layers.ReLU({ name: `${name}_relu` }).apply(x) : x;
}

/** ResNet's basic block: two 3x3 convolutions plus a shortcut (a strided 1x1 projection when the shape changes). */
function block(x: SymbolicTensor, filters: number, strides: number, name: string): SymbolicTensor {
  const shortcut = strides === 1 ? x : convBn(x, filters, 1, strides, `${name}_0`, false);
  const y = convBn(convBn(x, filters, 3, strides, `${name}_1`), filters, 3, 1, `${name}_2`, false);
  return new nr.layers.ReLU({ name: `${name}_out` }).apply(new nr.layers.Add({ name: `${name}_add` }).apply([shortcut, y]));
}

/** 28x28x1 -> 4x4x64 feature maps (include_top=False): a strided stem, then stages of 16, 32 and 64 filters. */
export function smallResNet(): nr.Model {
  const inputs = nr.Input({ shape: [28, 28, 1] });
  let x = convBn(inputs, 16, 3, 2, 'stem');
  x = block(x, 16, 1, 'stage1');
  x = block(x, 32, 2, 'stage2');
  x = block(x, 64, 2, 'stage3');
  return new nr.Model({ inputs, outputs: x, name: 'small_resnet' });
}

/** The deck's head on a base: GlobalAveragePooling2D -> Dropout(0.4) -> Dense(classes, softmax). */
function withHead(base: nr.Model, classes: number, training?: false): nr.Model {
  const inputs = nr.Input({ shape: [28, 28, 1] });
  let x = base.apply(inputs, training === undefined ? {} : { training });
  x = new nr.layers.GlobalAveragePooling2D().apply(x);
  x = new nr.layers.Dropout({ rate: 0.4 }).apply(x);
  const outputs = new nr.layers.Dense({ units: classes, activation: 'softmax', name: 'head' }).apply(x);
  return new nr.Model({ inputs, outputs });
}

function compile(model: nr.Model, learningRate: number): nr.Model {
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate }), loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** `count` distinct row indices below `below`, drawn from `seed` (a fixed labelled subset per seed). */
function pick(count: number, below: number, seed: number): nr.Tensor {
  const random = new Random(seed);
  const order = Array.from({ length: below }, (_, i) => i);
  for (let i = 0; i < count; i++) {
    const j = i + random.nextInt(below - i);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return nr.tensor(order.slice(0, count), [count], 'int32');
}

/** The first epoch (1-based) whose validation accuracy is within one point of the run's best. */
const epochsToBest = (curve: number[]): number => curve.findIndex((a) => a >= Math.max(...curve) - 0.01) + 1;

export const fashionToMnistTransfer = program({
  description: 'deck 004 transfer without ImageNet: a small ResNet pretrained on Fashion-MNIST, frozen, fine-tuned on 500 MNIST digits',
  flags: {
    pretrainEpochs: { kind: 'positive', default: 2, help: 'epochs of pretraining on Fashion-MNIST' },
    pretrainLimit: { kind: 'positive', default: Infinity, help: 'pretrain on the first N Fashion-MNIST images' },
    labels: { kind: 'positive', default: 500, help: 'labelled MNIST digits for the new task' },
    epochs: { kind: 'positive', default: 5, help: 'phase 1 epochs (frozen base)' },
    fineTuneEpochs: { kind: 'positive', default: 25, help: 'phase 2 epochs (from --fine-tune-from on unfrozen, learning rate 1e-4)' },
    fineTuneFrom: { kind: 'text', default: 'stage1', help: "phase 2 unfreezes the base's layers from this stage on (stage1..3)" },
    batchSize: { kind: 'positive', default: 16, help: 'batch size on the MNIST digits' },
    seeds: { kind: 'positive', default: 3, help: 'runs, each with its own labelled digits and initialisation' },
    testLimit: { kind: 'positive', default: 10000, help: 'score on the first N of the 10,000 MNIST test digits' },
    base: { kind: 'text', help: 'a base saved by an earlier run (--save): skip pretraining' },
    save: { kind: 'text', help: 'keep the pretrained base in this directory (with --base nothing is pretrained)' },
  },
  async run(options, print) {
    if (!/^stage[123]$/.test(options.fineTuneFrom)) {
      throw configError('fashion-to-mnist-transfer', {
        expected: '--fine-tune-from must name a stage of the base: stage1, stage2 or stage3',
        got: show(options.fineTuneFrom),
      });
    }
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
    const dir = options.base ?? options.save ?? mkdtempSync(join(tmpdir(), 'neurona-transfer-base-'));
    try {
      if (options.base === undefined) {
        nr.setSeed(1);
        const fashion = await loadFashionMnist({ limit: options.pretrainLimit });
        const base = smallResNet();
        const model = compile(withHead(base, 10), 1e-3);
        print(
          `Pretraining ${base.name} (${base.countParams().toLocaleString('en-US')} parameters) ` +
            `on ${fashion.train[0].shape[0]} Fashion-MNIST images`,
        );
        await model.fit(fashion.train[0], fashion.train[1], { epochs: options.pretrainEpochs, batchSize: 64, verbose: 0 });
        const { accuracy } = await model.evaluate(fashion.test[0], fashion.test[1], { batchSize: 256, verbose: 0 });
        print(
          `Fashion-MNIST test accuracy ${accuracy!.toFixed(4)} after ${options.pretrainEpochs} epochs (${seconds()} s); ` +
            `saving the base to ${dir}`,
        );
        await base.save(dir);
      }
      // The MNIST digits: a labelled pool (the first 59,000 training digits), 1,000 held out for the
      // per-epoch validation curves, and the test digits for the final score.
      const mnist = await loadMnist({ channels: true });
      const [xAll, yAll] = mnist.train;
      const validation: [nr.Tensor, nr.Tensor] = [xAll.slice(59000, 1000), yAll.slice(59000, 1000)];
      const testCount = Math.min(options.testLimit, mnist.test[0].shape[0]!);
      const test: [nr.Tensor, nr.Tensor] = [mnist.test[0].slice(0, testCount), mnist.test[1].slice(0, testCount)];
      const score = async (model: nr.Model) => (await model.evaluate(test[0], test[1], { batchSize: 256, verbose: 0 })).accuracy!;
      const epochs = options.epochs + options.fineTuneEpochs;
      const fitOptions = { batchSize: options.batchSize, validationData: validation, verbose: 0 } as const;
      const rows: string[] = [];
      for (let seed = 1; seed <= options.seeds; seed++) {
        const rowsOf = pick(options.labels, 59000, seed);
        const [x, y] = [xAll.gather(rowsOf), yAll.gather(rowsOf)];

        nr.setSeed(seed);
        const base = await nr.loadModel(dir);
        base.trainable = false;
        const model = compile(withHead(base, 10, false), 1e-3);
        const phase1 = await model.fit(x, y, { ...fitOptions, epochs: options.epochs });
        const frozenAccuracy = await score(model);
        // Phase 2, the deck's way: unfreeze, freeze base.layers[:FINE_TUNE_AT] again, recompile with a low learning rate.
        base.trainable = true;
        const fineTuneAt = base.layers.findIndex((l) => l.name.startsWith(`${options.fineTuneFrom}_`));
        for (const layer of base.layers.slice(0, fineTuneAt)) layer.trainable = false;
        compile(model, 1e-4);
        const phase2 = await model.fit(x, y, { ...fitOptions, epochs: options.fineTuneEpochs });
        const transferAccuracy = await score(model);
        const transferCurve = [...phase1.history.val_accuracy!, ...phase2.history.val_accuracy!];

        nr.setSeed(seed);
        const scratch = compile(withHead(smallResNet(), 10), 1e-3);
        const scratchCurve = (await scratch.fit(x, y, { ...fitOptions, epochs })).history.val_accuracy!;
        const scratchAccuracy = await score(scratch);

        const row =
          `| ${seed} | ${frozenAccuracy.toFixed(4)} | ${transferAccuracy.toFixed(4)} | ${scratchAccuracy.toFixed(4)} | ` +
          `${epochsToBest(transferCurve)} | ${epochsToBest(scratchCurve)} |`;
        print(`${row} ${seconds()} s`);
        rows.push(row);
      }
      print(
        `\nMNIST test accuracy on ${test[0].shape[0]} digits after training on ${options.labels} labelled digits; transfer: ` +
          `${options.epochs} epochs frozen, then ${options.fineTuneEpochs} fine-tuning; scratch: ${epochs} epochs. Epochs to best: ` +
          "the first epoch whose validation accuracy is within 1 point of the run's best.\n" +
          '| seed | transfer, phase 1 (frozen) | transfer + fine-tuning | from scratch | ' +
          'epochs to best, transfer | epochs to best, scratch |\n' +
          '| ---: | ---: | ---: | ---: | ---: | ---: |',
      );
      for (const row of rows) print(row);
    } finally {
      if (options.save === undefined && options.base === undefined) rmSync(dir, { recursive: true, force: true });
    }
  },
});
