/*
 * Deck 003: scikit-learn's Perceptron on MNIST in six steps.
 *   1. read the data      2. look at sample digits (PNG grid)      3. split train / test
 *   4. train              5. predict: accuracy and confusion matrix  6. look at the mistakes (PNG grid)
 *
 * The exercise is in src/cli/jobs/mnist-perceptron.ts; this script runs it as `neurona train mnist-perceptron`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/mnist-perceptron.ts [--samples 10000] [--out out/mnist-perceptron]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'mnist-perceptron', ...process.argv.slice(2)]);
