/*
 * Deck 004's transfer learning with weights neurona made itself (no ImageNet weights here): a small
 * ResNet-style base is pretrained on one task (MNIST digits 0-4 by default, or Fashion-MNIST) and
 * saved; for each seed it is loaded again, frozen under a new head and trained on a few hundred
 * labelled digits of the new task (5-9, or 0-9) (phase 1), then unfrozen from --fine-tune-from on
 * (the stem stays frozen by default) and fine-tuned at a low learning rate (phase 2). The same
 * network trained from scratch on the same digits for as many epochs is the baseline: test accuracy,
 * and the epochs each needs.
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

/** The rows of `y` in [from, to) whose label passes `keep`. */
function rowsWhere(y: nr.Tensor, from: number, to: number, keep: (label: number) => boolean): number[] {
  const labels = y.data();
  const rows: number[] = [];
  for (let i = from; i < Math.min(to, y.shape[0]!); i++) if (keep(Number(labels[i]))) rows.push(i);
  return rows;
}

/** Those rows of x and y, labels shifted down by `offset` (digits 5-9 become classes 0-4). */
function take([x, y]: [nr.Tensor, nr.Tensor], rows: number[], offset = 0): [nr.Tensor, nr.Tensor] {
  const labels = y.data();
  const index = nr.tensor(rows, [rows.length], 'int32');
  return [
    x.gather(index),
    nr.tensor(
      rows.map((r) => Number(labels[r]) - offset),
      [rows.length],
      'int32',
    ),
  ];
}

/** `count` rows of `pool` drawn from `seed`, as evenly over the classes as the pool allows (a fixed labelled subset per seed). */
function pick(pool: number[], y: nr.Tensor, count: number, classes: number, seed: number): number[] {
  const random = new Random(seed);
  const order = [...pool];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const labels = y.data();
  const perClass = new Map<number, number>();
  const picked: number[] = [];
  for (const row of order) {
    const label = Number(labels[row]);
    if (picked.length === count) break;
    if ((perClass.get(label) ?? 0) >= Math.ceil(count / classes)) continue;
    perClass.set(label, (perClass.get(label) ?? 0) + 1);
    picked.push(row);
  }
  return picked;
}

/** The first epoch (1-based) whose validation accuracy is within one point of the run's best. */
const epochsToBest = (curve: number[]): number => curve.findIndex((a) => a >= Math.max(...curve) - 0.01) + 1;

/**
 * The two exercises. digits-0-4-to-5-9 is the classic one (Keras's old mnist_transfer_cnn): the
 * base learns digits 0-4, the new task is digits 5-9, so the features it needs are the ones it has.
 * fashion-to-digits asks clothing features to tell digits apart, a much weaker start.
 */
const TASKS = {
  'digits-0-4-to-5-9': { pretrainOn: 'MNIST training digits 0-4', classes: 5, offset: 5, keep: (label: number) => label >= 5 },
  'fashion-to-digits': { pretrainOn: 'Fashion-MNIST images', classes: 10, offset: 0, keep: () => true },
};

export const fashionToMnistTransfer = program({
  description:
    'deck 004 transfer without ImageNet: a small ResNet pretrained on MNIST digits 0-4 (or Fashion-MNIST), ' +
    'frozen, fine-tuned on 500 labelled digits 5-9 (or 0-9), against training from scratch',
  flags: {
    task: {
      kind: 'text',
      default: 'digits-0-4-to-5-9',
      help: 'digits-0-4-to-5-9 or fashion-to-digits (what to pretrain on, what to transfer to)',
    },
    pretrainEpochs: { kind: 'positive', default: 2, help: 'epochs of pretraining' },
    pretrainLimit: { kind: 'positive', default: Infinity, help: 'pretrain on the first N images' },
    labels: { kind: 'positive', default: 500, help: 'labelled digits for the new task, as many of each class' },
    epochs: { kind: 'positive', default: 10, help: 'phase 1 epochs (frozen base)' },
    headLearningRate: { kind: 'text', default: '1e-2', help: "phase 1's Adam learning rate (the new head alone)" },
    fineTuneEpochs: { kind: 'positive', default: 20, help: 'phase 2 epochs (from --fine-tune-from on unfrozen, learning rate 1e-4)' },
    fineTuneFrom: { kind: 'text', default: 'stage1', help: "phase 2 unfreezes the base's layers from this stage on (stage1..3)" },
    batchSize: { kind: 'positive', default: 16, help: 'batch size on the new task' },
    seeds: { kind: 'positive', default: 3, help: 'runs, each with its own labelled digits and initialisation' },
    testLimit: {
      kind: 'positive',
      default: 10000,
      help: "score on the new task's digits among the first N of the 10,000 MNIST test digits",
    },
    base: { kind: 'text', help: 'a base saved by an earlier run (--save) of the same task: skip pretraining' },
    save: { kind: 'text', help: 'keep the pretrained base in this directory (with --base nothing is pretrained)' },
  },
  async run(options, print) {
    const where = 'fashion-to-mnist-transfer';
    if (!Object.hasOwn(TASKS, options.task)) {
      throw configError(where, { expected: '--task must be digits-0-4-to-5-9 or fashion-to-digits', got: show(options.task) });
    }
    const task = TASKS[options.task as keyof typeof TASKS];
    const headLearningRate = Number(options.headLearningRate);
    if (!(headLearningRate > 0 && headLearningRate < 1)) {
      throw configError(where, {
        expected: '--head-learning-rate must be a number between 0 and 1, e.g. 1e-2',
        got: show(options.headLearningRate),
      });
    }
    if (!/^stage[123]$/.test(options.fineTuneFrom)) {
      throw configError(where, {
        expected: '--fine-tune-from must name a stage of the base: stage1, stage2 or stage3',
        got: show(options.fineTuneFrom),
      });
    }
    const started = performance.now();
    const seconds = () => ((performance.now() - started) / 1000).toFixed(0);
    const dir = options.base ?? options.save ?? mkdtempSync(join(tmpdir(), 'neurona-transfer-base-'));
    const mnist = await loadMnist({ channels: true });
    try {
      if (options.base === undefined) {
        nr.setSeed(1);
        let pretrain: { train: [nr.Tensor, nr.Tensor]; test: [nr.Tensor, nr.Tensor] };
        if (options.task === 'fashion-to-digits') {
          pretrain = await loadFashionMnist({ limit: options.pretrainLimit });
        } else {
          const old = (label: number) => label < 5;
          pretrain = {
            train: take(mnist.train, rowsWhere(mnist.train[1], 0, Infinity, old).slice(0, options.pretrainLimit)),
            test: take(mnist.test, rowsWhere(mnist.test[1], 0, Infinity, old)),
          };
        }
        const base = smallResNet();
        const model = compile(withHead(base, options.task === 'fashion-to-digits' ? 10 : 5), 1e-3);
        print(
          `Pretraining ${base.name} (${base.countParams().toLocaleString('en-US')} parameters) ` +
            `on ${pretrain.train[0].shape[0]} ${task.pretrainOn}`,
        );
        await model.fit(pretrain.train[0], pretrain.train[1], { epochs: options.pretrainEpochs, batchSize: 64, verbose: 0 });
        const { accuracy } = await model.evaluate(pretrain.test[0], pretrain.test[1], { batchSize: 256, verbose: 0 });
        print(
          `Test accuracy ${accuracy!.toFixed(4)} on the pretraining task after ${options.pretrainEpochs} epochs (${seconds()} s); ` +
            `saving the base to ${dir}`,
        );
        await base.save(dir);
      }
      // The new task's digits: a labelled pool (among the first 59,000 training digits), the last
      // 1,000 training digits held out for the per-epoch validation curves, the test digits for the score.
      const pool = rowsWhere(mnist.train[1], 0, 59000, task.keep);
      const validation = take(mnist.train, rowsWhere(mnist.train[1], 59000, 60000, task.keep), task.offset);
      const test = take(mnist.test, rowsWhere(mnist.test[1], 0, options.testLimit, task.keep), task.offset);
      const score = async (model: nr.Model) => (await model.evaluate(test[0], test[1], { batchSize: 256, verbose: 0 })).accuracy!;
      const epochs = options.epochs + options.fineTuneEpochs;
      const fitOptions = { batchSize: options.batchSize, validationData: validation, verbose: 0 } as const;
      const rows: string[] = [];
      for (let seed = 1; seed <= options.seeds; seed++) {
        const [x, y] = take(mnist.train, pick(pool, mnist.train[1], options.labels, task.classes, seed), task.offset);

        nr.setSeed(seed);
        const base = await nr.loadModel(dir);
        base.trainable = false;
        const model = compile(withHead(base, task.classes, false), headLearningRate);
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
        const scratch = compile(withHead(smallResNet(), task.classes), 1e-3);
        const scratchCurve = (await scratch.fit(x, y, { ...fitOptions, epochs })).history.val_accuracy!;
        const scratchAccuracy = await score(scratch);

        const row =
          `| ${seed} | ${frozenAccuracy.toFixed(4)} | ${transferAccuracy.toFixed(4)} | ${scratchAccuracy.toFixed(4)} | ` +
          `${epochsToBest(transferCurve)} | ${epochsToBest(scratchCurve)} |`;
        print(`${row} ${seconds()} s`);
        rows.push(row);
      }
      print(
        `\n${options.task}: test accuracy on ${test[0].shape[0]} MNIST test digits after training on ${options.labels} labelled ` +
          `digits; transfer: ${options.epochs} epochs frozen (Adam ${options.headLearningRate}), then ${options.fineTuneEpochs} ` +
          `fine-tuning (1e-4); scratch: ${epochs} epochs (1e-3). Epochs to best: ` +
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
