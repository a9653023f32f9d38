/*
 * Deck 004's LeNet-like CNN on full MNIST (lenet() in src/cli/jobs/deck004.ts, also run by
 * `neurona train mnist-lenet`): ZeroPadding2D(2) makes the 28x28 digits 32x32 as in LeNet-5, then
 * Conv 16@5x5 valid relu, MaxPool, Conv 32@5x5 same relu, MaxPool, Conv 64@5x5 same relu, MaxPool,
 * Flatten, Dense 120, Dense 84, Dense 10 softmax. Three epochs reach about 0.99 test accuracy.
 *
 * Run: npx tsx examples/mnist-lenet.ts [--epochs 3] [--limit 60000] [--batch-size 32]
 */
import * as nr from '../src/index.js';
import { compiled, lenet } from '../src/cli/jobs/deck004.js';
import { parseFlags } from './lib/deck004-run.js';

const { epochs, limit, batchSize, seed } = parseFlags({ epochs: 3, batchSize: 32 });

nr.setSeed(seed);
const { train, test } = await nr.datasets.mnist.loadData();
const prepare = (x: nr.Tensor) => x.cast('float32').div(255).reshape([-1, 28, 28, 1]);
const count = Math.min(limit, train[0].shape[0]!);
const model = compiled(lenet());
model.summary();
await model.fit(prepare(train[0].slice(0, count)), train[1].slice(0, count), { epochs, batchSize, verbose: 2 });
const result = await model.evaluate(prepare(test[0]), test[1], { batchSize: 500, verbose: 0 });
console.log(`test accuracy: ${result.accuracy!.toFixed(4)}`);
