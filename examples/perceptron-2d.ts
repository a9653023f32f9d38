/*
 * Decks 001 and 003: Rosenblatt's perceptron on 2-D points. On linearly separable points the rule
 * w <- w + eta * y * x (on misclassified points) finds a separating line w.x + b = 0 in finitely
 * many epochs; on XOR no line exists, the rule never settles and the fit ends with a
 * non-convergence notice at maxIter.
 *
 * The exercise is in src/cli/jobs/perceptron-2d.ts; this script runs it as `neurona train perceptron-2d`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/perceptron-2d.ts [--points 200]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'perceptron-2d', ...process.argv.slice(2)]);
