/*
 * Deck 001: XOR, which no single perceptron can compute, solved two ways:
 * 1. by hand: two step units (OR and NAND) feeding an AND unit, weights set by hand;
 * 2. by training a 2-2-1 network with tanh hidden units and a sigmoid output.
 *
 * The exercise is in src/cli/jobs/xor.ts; this script runs it as `neurona train xor`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/xor.ts [--epochs 1000]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'xor', ...process.argv.slice(2)]);
