/**
 * The examples `neurona train <name>` runs. Registering one is one line here (plus its import):
 * `'mnist-lenet': mnistLenet,` with `mnistLenet: Example` in src/cli/jobs/mnist-lenet.ts.
 */
import type { Example } from './jobs/example.js';
import { mnistMlp } from './jobs/mnist-mlp.js';
import { DECK004_EXAMPLES, mnistLenet } from './jobs/deck004.js';

export const EXAMPLES: Record<string, Example> = {
  'mnist-mlp': mnistMlp,
  'mnist-lenet': mnistLenet,
  ...DECK004_EXAMPLES,
};
