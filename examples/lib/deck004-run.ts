/*
 * What the CIFAR-10 scripts of deck 004 share: command-line flags and the data (CIFAR-10 or
 * synthetic images of the same shape). The models and the training run are in src/cli/jobs/deck004.ts.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadCifar10, syntheticData, type ImageData } from '../../src/cli/jobs/deck004.js';

export { trainAndEvaluate } from '../../src/cli/jobs/deck004.js';

export interface Flags {
  epochs: number;
  batchSize: number;
  /** Use at most this many training images (and a sixth as many test images). */
  limit: number;
  seed: number;
  data?: string;
  synthetic: boolean;
}

export function parseFlags(defaults: Partial<Flags> = {}): Flags {
  const argv = process.argv.slice(2);
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const number = (flag: string, fallback: number) => {
    const v = Number(value(flag));
    return Number.isFinite(v) && v > 0 ? v : fallback;
  };
  return {
    epochs: number('--epochs', defaults.epochs ?? 10),
    batchSize: number('--batch-size', defaults.batchSize ?? 32),
    limit: number('--limit', defaults.limit ?? Infinity),
    seed: number('--seed', defaults.seed ?? 1),
    data: value('--data'),
    synthetic: argv.includes('--synthetic'),
  };
}

const CIFAR_CACHE = join(process.env.NEURONA_CACHE_DIR || join(homedir(), '.neurona'), 'datasets', 'cifar-10');
const HOW_TO_GET_CIFAR = [
  'CIFAR-10 is not on this machine. To get it:',
  '  1. download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (about 160 MB),',
  '  2. run this example with --data <the .tar.gz, or the directory with data_batch_1.bin ... test_batch.bin>,',
  `     or unpack the six .bin files into ${CIFAR_CACHE}/ (an online machine downloads them there itself).`,
  'Or run on random images of the same shape: add --synthetic.',
].join('\n');

export async function loadCifar(flags: Flags): Promise<ImageData> {
  if (flags.synthetic) return syntheticData([32, 32, 3], flags.limit, 'synthetic CIFAR-shaped images');
  try {
    const { train, test } = await loadCifar10({ data: flags.data, limit: flags.limit });
    return { train, test, name: 'CIFAR-10' };
  } catch (error) {
    console.error((error as Error).message);
    console.error(HOW_TO_GET_CIFAR);
    process.exit(2);
  }
}
