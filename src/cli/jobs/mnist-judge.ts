/*
 * The judge of the generative examples (dcgan, wgan-gp, diffusion): a small MNIST CNN trained apart
 * from the generator, whose predictions on generated digits give two figures, class coverage (how
 * many of the 10 digits appear among the samples' predicted classes: a collapsed generator scores
 * few) and mean confidence (the mean max-softmax: blurry or broken digits score low). Trained once
 * per setting and cached, so the three examples and reruns share it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as nr from '../../index.js';
import { cacheRoot } from '../../data/common.js';
import { loadMnist } from './mnist-data.js';

export interface JudgeOptions {
  /** Training digits (the full set is 60,000). */
  images: number;
  epochs: number;
  /** Directory that caches the trained judges (one subdirectory per setting). */
  dir?: string;
}

/** Where the judges are cached unless --judge-dir says otherwise. */
export const defaultJudgeDir = (): string => join(cacheRoot(undefined), 'judges');

/** The judge's layers: LeNet-like, about 99 % on the MNIST test set when trained on all digits. */
function judgeModel(): nr.Model {
  const model = new nr.Sequential([
    new nr.layers.Conv2D({ filters: 16, kernelSize: 3, activation: 'relu', inputShape: [28, 28, 1] }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Conv2D({ filters: 32, kernelSize: 3, activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 2e-3 }),
    loss: 'sparse_categorical_crossentropy',
    metrics: ['accuracy'],
  });
  return model;
}

/** Loads the cached judge of this setting, or trains it (printing its test accuracy) and caches it. */
export async function mnistJudge(options: JudgeOptions, print: (line: string) => void): Promise<nr.Model> {
  const path = join(options.dir ?? defaultJudgeDir(), `mnist-cnn-${options.images}x${options.epochs}`);
  const { train, test } = await loadMnist({ channels: true });
  if (existsSync(join(path, 'config.json'))) {
    const judge = await nr.loadModel(path);
    judge.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    const { accuracy } = await judge.evaluate(test[0], test[1], { verbose: 0, batchSize: 500 });
    print(`judge: the MNIST classifier cached in ${path}, test accuracy ${accuracy!.toFixed(4)}`);
    return judge;
  }
  // Its own seed, so the judge of a setting is the same whichever example trains it first.
  nr.setSeed(1234);
  const judge = judgeModel();
  const count = Math.min(options.images, train[0].shape[0]!);
  await judge.fit(train[0].slice(0, count), train[1].slice(0, count), { epochs: options.epochs, batchSize: 128, verbose: 0 });
  const { accuracy } = await judge.evaluate(test[0], test[1], { verbose: 0, batchSize: 500 });
  await judge.save(path);
  print(`judge: trained an MNIST classifier on ${count} digits, test accuracy ${accuracy!.toFixed(4)} (cached in ${path})`);
  return judge;
}

export interface JudgeFigures {
  /** How many of the 10 digits are some sample's predicted class. */
  coverage: number;
  /** Mean over the samples of the judge's largest class probability. */
  confidence: number;
  /** Samples predicted as each digit. */
  counts: number[];
}

/** The judge's figures for generated digits `images` [n, 28, 28, 1] with pixels in [0, 1]. */
export function judgeSamples(judge: nr.Model, images: nr.Tensor): JudgeFigures {
  const probabilities = judge.predict(images.clip(0, 1), { batchSize: 500 }) as nr.Tensor;
  const classes = probabilities.argmax(-1).data();
  const counts = new Array<number>(10).fill(0);
  for (const c of classes) counts[c]!++;
  const confidence = probabilities.max(-1).mean().item();
  return { coverage: counts.filter((n) => n > 0).length, confidence, counts };
}

/** `judge on 1000 samples: coverage 10/10 digits, mean confidence 0.9312 (per digit: ...)`. */
export function printJudgement(figures: JudgeFigures, samples: number, print: (line: string) => void): void {
  print(`judge on ${samples} samples: coverage ${figures.coverage}/10 digits, mean confidence ${figures.confidence.toFixed(4)}`);
  print(`  samples per predicted digit 0-9: ${figures.counts.join(' ')}`);
}
