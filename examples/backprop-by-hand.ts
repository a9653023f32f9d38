/*
 * The worked example of the course's first deck: a 2-1-1 network
 *   f = S(w20 + w21 * tanh(w10 + w11 x1 + w12 x2)),  e = 1/2 (y - f)^2,   S = sigmoid,
 * differentiated by autograd and by the chain rule written out by hand, side by side, followed by
 * a few steps of gradient descent.
 *
 * The exercise is in src/cli/jobs/backprop-by-hand.ts; this script runs it as `neurona train backprop-by-hand`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/backprop-by-hand.ts [--steps 20]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'backprop-by-hand', ...process.argv.slice(2)]);
