/*
 * Deck 004's five-step progression on real data that is available offline: the CIFAR-10 versions
 * v1..v5 adapted to 28x28x1 Fashion-MNIST images. Prints train and test accuracy per version, so the
 * deck's lessons can be seen: the linear v1 stalls, ReLU helps, depth overfits (train >> test), and
 * augmentation plus BatchNormalization and Dropout narrow the gap.
 *
 * The exercise is in src/cli/jobs/fashion-mnist-progression.ts; this script runs it as `neurona train fashion-mnist-progression`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/fashion-mnist-progression.ts [--epochs 5] [--limit 60000] [--versions v1,v3,v5] [--synthetic]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'fashion-mnist-progression', ...process.argv.slice(2)]);
