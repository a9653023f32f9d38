/*
 * Deck 004's transfer-learning exercise, as the deck writes it for Cats vs Dogs:
 *
 *   base_model = tf.keras.applications.ResNet50(include_top=False, weights="imagenet", input_shape=(IMG_SIZE, IMG_SIZE, 3))
 *   base_model.trainable = False
 *   x = base_model(preprocess_input(inputs), training=False) -> GlobalAveragePooling2D -> Dropout(0.4) -> Dense(1, "sigmoid")
 *   phase 1: fit the head; phase 2: base_model.trainable = True, base_model.layers[:FINE_TUNE_AT] frozen, low learning rate
 *   then test accuracy, learning curves and the confusion matrix.
 *
 * With --data it reads a folder of one subfolder per class (Kaggle's Cats vs Dogs unpacked, say); without,
 * it generates a two-class folder of synthetic images (circles and squares) and runs on it at a small size.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError, Random, show } from '../../core/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { program } from './example.js';

type Batch = [nr.Tensor, nr.Tensor];

/** Each base: its model function, its preprocessInput, and the first layer phase 2 trains (the last stage). */
const BASES = {
  resnet50: [nr.applications.ResNet50, nr.applications.resnet50.preprocessInput, 'conv5_block1_1_conv'],
  vgg16: [nr.applications.VGG16, nr.applications.vgg16.preprocessInput, 'block5_conv1'],
  efficientnetb0: [nr.applications.EfficientNetB0, nr.applications.efficientnet.preprocessInput, 'block6a_expand_conv'],
  mobilenetv2: [nr.applications.MobileNetV2, nr.applications.mobilenetV2.preprocessInput, 'block_13_expand'],
} as const;
type BaseName = keyof typeof BASES;

/**
 * `count` PNG images per class into dir/circles and dir/squares: a filled disc or square of random
 * colour, size and place on a noisy background of another random colour.
 */
async function generateFolder(dir: string, count: number, size: number, seed: number): Promise<void> {
  const random = new Random(seed);
  const colour = () => [0, 1, 2].map(() => random.nextInt(256));
  for (const shape of ['circles', 'squares']) {
    await mkdir(join(dir, shape), { recursive: true });
    for (let n = 0; n < count; n++) {
      const [back, fore] = [colour(), colour()];
      const radius = size * (0.15 + 0.2 * random.next());
      const [cx, cy] = [radius + random.next() * (size - 2 * radius), radius + random.next() * (size - 2 * radius)];
      const rgba = new Uint8Array(size * size * 4);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const [dx, dy] = [x + 0.5 - cx, y + 0.5 - cy];
          // Same area for both: a disc of radius r, a square of side r * sqrt(pi).
          const inside =
            shape === 'circles' ? dx * dx + dy * dy <= radius * radius : Math.max(Math.abs(dx), Math.abs(dy)) <= radius * 0.886;
          const pixel = inside ? fore : back;
          for (let c = 0; c < 3; c++) rgba[(y * size + x) * 4 + c] = Math.max(0, Math.min(255, pixel[c]! + random.nextInt(41) - 20));
          rgba[(y * size + x) * 4 + 3] = 255;
        }
      }
      await writeFileAtomic(
        join(dir, shape, `${String(n).padStart(4, '0')}.png`),
        nr.vis.encodeRgbaPng({ width: size, height: size, rgba }),
      );
    }
  }
}

export const transferLearning = program({
  description: 'deck 004: transfer learning (ResNet50 base, frozen, then fine-tuned) on an image folder, with curves and confusion matrix',
  flags: {
    base: { kind: 'text', default: 'resnet50', help: `the pretrained base: ${Object.keys(BASES).join(', ')}` },
    data: { kind: 'text', help: 'a folder with one subfolder of images per class, two classes (default: a generated one)' },
    weights: { kind: 'text', help: "'imagenet', a weight file or 'none' (default: imagenet with --data, none without)" },
    imgSize: { kind: 'positive', default: 224, help: 'IMG_SIZE: images are resized to IMG_SIZE x IMG_SIZE (generated: 32)' },
    epochs: { kind: 'positive', default: 3, help: 'phase 1 epochs (frozen base)' },
    fineTuneEpochs: { kind: 'positive', default: 2, help: 'phase 2 epochs (fine-tuning, learning rate 1e-5)' },
    fineTuneAt: { kind: 'text', help: "FINE_TUNE_AT: a layer index or name; phase 2 trains from it on (default: the base's last stage)" },
    batchSize: { kind: 'positive', default: 32, help: 'batch size' },
    images: { kind: 'positive', default: 200, help: 'generated images per class (without --data)' },
    out: {
      kind: 'text',
      default: 'out/transfer-learning',
      help: 'folder for learning-curves.png, confusion-matrix.png (and the generated images)',
    },
    seed: { kind: 'count', default: 1337, help: 'seed of the split, the shuffles and the initialisation' },
  },
  async run(options, print) {
    if (!Object.hasOwn(BASES, options.base)) {
      throw configError('transfer-learning', {
        expected: `unknown base ${show(options.base)}`,
        hint: `the bases are ${Object.keys(BASES).join(', ')}`,
      });
    }
    const [baseModel, preprocessInput, lastStage] = BASES[options.base as BaseName];
    nr.setSeed(options.seed);
    let dir = options.data;
    const IMG_SIZE = dir === undefined && options.imgSize === 224 ? 32 : options.imgSize;
    if (dir === undefined) {
      dir = join(options.out, 'generated-images');
      await generateFolder(dir, options.images, 48, options.seed);
      print(`No --data: generated ${2 * options.images} images of circles and squares in ${dir}`);
    }
    const weightsFlag = options.weights ?? (options.data === undefined ? 'none' : 'imagenet');
    const weights = weightsFlag === 'none' ? null : weightsFlag;

    // The deck's split: 80 % training, 20 % validation, a fifth of the validation batches kept for the test.
    const [train, validationAll] = await nr.data.imageDatasetFromDirectory(dir, {
      validationSplit: 0.2,
      subset: 'both',
      seed: options.seed,
      imageSize: [IMG_SIZE, IMG_SIZE],
      batchSize: options.batchSize,
      labelMode: 'binary',
    });
    if (train.classNames.length !== 2) {
      throw configError('transfer-learning', {
        expected: `--data must hold two class subfolders (the head is Dense(1, sigmoid)), got ${show(train.classNames)}`,
        hint: 'keep two of them, e.g. cats and dogs',
      });
    }
    const validationBatches = validationAll.cardinality();
    if (validationBatches < 2) {
      throw configError('transfer-learning', {
        expected: 'the validation fifth of the images must fill at least two batches (one is kept for the test)',
        got: `${validationBatches} batch of at most ${options.batchSize}`,
        hint: 'use more images (--images without --data) or a smaller --batch-size',
      });
    }
    const testBatches = Math.max(1, Math.floor(validationBatches / 5));
    // The folder's elements are [images, labels] batches (labelMode 'binary').
    const prepare = (ds: nr.data.Dataset) =>
      (ds as nr.data.Dataset<Batch>).map(([x, y]): Batch => [preprocessInput(x), y]).prefetch('auto');
    const [trainDs, validationDs, testDs] = [train, validationAll.skip(testBatches), validationAll.take(testBatches)].map(prepare);

    const base = await baseModel({ includeTop: false, weights, inputShape: [IMG_SIZE, IMG_SIZE, 3] });
    base.trainable = false;
    const inputs = nr.Input({ shape: [IMG_SIZE, IMG_SIZE, 3] });
    let x = base.apply(inputs, { training: false });
    x = new nr.layers.GlobalAveragePooling2D().apply(x);
    x = new nr.layers.Dropout({ rate: 0.4 }).apply(x);
    const outputs = new nr.layers.Dense({ units: 1, activation: 'sigmoid' }).apply(x);
    const model = new nr.Model({ inputs, outputs });
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    print(`${base.name} (weights: ${weightsFlag}), IMG_SIZE ${IMG_SIZE}, classes ${train.classNames.join(' / ')}`);
    model.summary(print);
    // FINE_TUNE_AT is resolved before phase 1, so that a wrong --fine-tune-at fails before any training.
    const given = options.fineTuneAt;
    const FINE_TUNE_AT =
      given === undefined
        ? base.layers.findIndex((l) => l.name === lastStage)
        : /^\d+$/.test(given)
          ? Number(given)
          : base.layers.findIndex((l) => l.name === given);
    if (FINE_TUNE_AT < 0 || FINE_TUNE_AT >= base.layers.length) {
      throw configError('transfer-learning', {
        expected: `--fine-tune-at must be a layer index below ${base.layers.length} or a layer name of ${base.name}`,
        got: show(given ?? lastStage),
      });
    }
    const phase1 = await model.fit(trainDs, { epochs: options.epochs, validationData: validationDs, verbose: 2 });

    base.trainable = true;
    for (const layer of base.layers.slice(0, FINE_TUNE_AT)) layer.trainable = false;
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-5 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const trainable = model.trainableWeights.reduce((n, w) => n + w.size, 0);
    print(
      `Fine-tuning from layer ${FINE_TUNE_AT} (${base.layers[FINE_TUNE_AT]!.name}) of ${base.layers.length}: ` +
        `${trainable.toLocaleString('en-US')} trainable parameters`,
    );
    const total = options.epochs + options.fineTuneEpochs;
    const phase2 = await model.fit(trainDs, { epochs: total, initialEpoch: options.epochs, validationData: validationDs, verbose: 2 });

    const { accuracy } = await model.evaluate(testDs, { verbose: 0 });
    print(`Test accuracy: ${accuracy!.toFixed(4)}`);
    const history = Object.fromEntries(Object.keys(phase1.history).map((k) => [k, [...phase1.history[k]!, ...(phase2.history[k] ?? [])]]));
    await nr.vis.saveLearningCurves(history, join(options.out, 'learning-curves.png'), {
      title: `${base.name}: phase 1, then fine-tuning`,
    });
    const matrix = [
      [0, 0],
      [0, 0],
    ];
    for await (const [images, labels] of testDs as AsyncIterable<Batch>) {
      const predicted = (model.predict(images) as nr.Tensor).data();
      const truth = labels.data();
      for (let i = 0; i < truth.length; i++) matrix[Number(truth[i])]![Number(predicted[i]! > 0.5)]! += 1;
    }
    await nr.vis.saveConfusionMatrix(matrix, join(options.out, 'confusion-matrix.png'), { classNames: train.classNames });
    print(`Confusion matrix (rows: true ${train.classNames.join(', ')}): ${JSON.stringify(matrix)}`);
    print(`Wrote ${join(options.out, 'learning-curves.png')} and ${join(options.out, 'confusion-matrix.png')}`);
  },
});
