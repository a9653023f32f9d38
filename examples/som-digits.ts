/*
 * A Kohonen self-organizing map on MNIST digits: a 10x10 map of 784-pixel prototypes. Writes
 * u-matrix.png (the U-matrix as a grayscale heatmap: dark = prototypes close to their neighbours,
 * light = borders between clusters) and prototypes.png (every unit's prototype as a 28x28 digit),
 * prints the quantization and topographic errors and, for each unit, the majority label of the
 * digits mapped to it.
 *
 * The exercise is in src/cli/jobs/som-digits.ts; this script runs it as `neurona train som-digits`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/som-digits.ts [--samples 5000] [--epochs 10] [--out out/som-digits]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'som-digits', ...process.argv.slice(2)]);
