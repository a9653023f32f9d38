/*
 * Deck 002's MLP exercise: a 784-256-256-10 ReLU network on MNIST (Adam, batch 128).
 * Full data and 10 epochs reach about 0.98 test accuracy.
 *
 * The exercise is in src/cli/jobs/mnist-mlp-deep.ts; this script runs it as `neurona train mnist-mlp-deep`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/mnist-mlp-deep.ts [--epochs 10] [--limit 60000]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'mnist-mlp-deep', ...process.argv.slice(2)]);
