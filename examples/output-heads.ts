/*
 * Deck 001: the four kinds of output layer, each trained on generated data.
 * - regression 3 -> 1: linear output, mean squared error
 * - multivariate regression 3 -> 2: two linear outputs, mean squared error
 * - binary classification: one sigmoid unit, binary crossentropy
 * - multi-class classification: softmax over 3 classes, categorical crossentropy
 *
 * The exercise is in src/cli/jobs/output-heads.ts; this script runs it as `neurona train output-heads`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/output-heads.ts [--epochs 40] [--samples 512]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'output-heads', ...process.argv.slice(2)]);
