/*
 * Every optimizer on the same problem (a small two-moons-like classification), same initial
 * weights, same batches: the final loss and accuracy side by side.
 *
 * The exercise is in src/cli/jobs/optimizers-comparison.ts; this script runs it as `neurona train optimizers-comparison`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/optimizers-comparison.ts [--epochs 30]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'optimizers-comparison', ...process.argv.slice(2)]);
