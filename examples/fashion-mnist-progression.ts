/*
 * Deck 004's five-step progression on real data that is available offline: the CIFAR-10 versions
 * v1..v5 adapted to 28x28x1 Fashion-MNIST images. Prints train and test accuracy per version, so the
 * deck's lessons can be seen: the linear v1 stalls, ReLU helps, depth overfits (train >> test), and
 * augmentation plus BatchNormalization and Dropout narrow the gap.
 *
 * Run: npx tsx examples/fashion-mnist-progression.ts [--epochs 5] [--limit 60000] [--versions v1,v3,v5] [--synthetic]
 */
import * as nr from '../src/index.js';
import { VERSIONS, type VersionName } from '../src/cli/jobs/deck004.js';
import { loadFashion, parseFlags, train } from './lib/deck004-run.js';

const flags = parseFlags({ epochs: 5 });
const chosen = (process.argv[process.argv.indexOf('--versions') + 1] ?? '').split(',').filter((v): v is VersionName => v in VERSIONS);
const versions = process.argv.includes('--versions') ? chosen : (Object.keys(VERSIONS) as VersionName[]);
const data = await loadFashion(flags);
console.log(`Fashion-MNIST progression on ${data.name}: ${data.train.x.shape[0]} training and ${data.test.x.shape[0]} test images, ${flags.epochs} epochs each`);

const rows: string[] = [];
for (const name of versions) {
  nr.setSeed(flags.seed);
  const model = VERSIONS[name]([28, 28, 1]);
  const result = await train(model, data, flags, 0);
  const row = `| ${name} | ${model.countParams().toLocaleString('en-US').padStart(9)} | ${result.trainAccuracy.toFixed(4)} | ${result.testAccuracy.toFixed(4)} | ${(result.trainAccuracy - result.testAccuracy).toFixed(4).padStart(7)} | ${result.seconds.toFixed(1).padStart(6)} |`;
  console.log(row);
  rows.push(row);
}
console.log('\n| version | params | train accuracy | test accuracy | gap | seconds |\n| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
