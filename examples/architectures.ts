/*
 * Deck 004's classic architectures, built from nr.applications with random weights: each model's
 * input and output shapes, layers and parameter counts (total, trainable, non-trainable) beside the
 * figure the deck or Keras's applications table gives.
 *
 * The exercise is in src/cli/jobs/architectures.ts; this script runs it as `neurona train architectures`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/architectures.ts [--models vgg16,resnet50,efficientnetb0]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'architectures', ...process.argv.slice(2)]);
