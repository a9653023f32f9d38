/*
 * Semi-supervised node classification on Zachary's karate club with a two-layer GCN: one labelled
 * member per club (nodes 0 and 33), the accuracy on the other 32 per seed and as the median over the
 * seeds, and karate.png, the graph in a force-directed layout coloured by the predictions.
 *
 * The exercise is in src/cli/jobs/gcn-karate.ts; this script runs it as `neurona train gcn-karate`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/gcn-karate.ts [--seeds 10] [--epochs 200] [--hidden 16] [--out out/gcn-karate]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'gcn-karate', ...process.argv.slice(2)]);
