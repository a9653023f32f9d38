/*
 * Deck 004, CIFAR-10 version 1: two strided convolutions, no activation (a linear model).
 * The model, as the deck builds it, is version1 in src/cli/jobs/deck004.ts (`neurona train cifar10-v1` runs it too).
 *
 * Run: npx tsx examples/cifar10-v1.ts --data <cifar-10-binary.tar.gz or its directory> [--epochs 10] [--limit N]
 *      npx tsx examples/cifar10-v1.ts --synthetic [--limit 256] [--epochs 1]   (random images of the same shape)
 */
import * as nr from '../src/index.js';
import { version1 } from '../src/cli/jobs/deck004.js';
import { loadCifar, parseFlags, trainAndEvaluate } from './lib/deck004-run.js';

const flags = parseFlags();
nr.setSeed(flags.seed);
const data = await loadCifar(flags);
const model = version1([32, 32, 3]);
model.summary();
const result = await trainAndEvaluate(model, data, flags);
console.log(
  `cifar10-v1 on ${data.name}: train accuracy ${result.trainAccuracy.toFixed(4)}, ` +
    `test accuracy ${result.testAccuracy.toFixed(4)} (${result.seconds.toFixed(1)} s)`,
);
