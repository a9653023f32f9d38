/*
 * PixelCNN on binarised MNIST: masked convolutions (A, then B in residual blocks), the test
 * negative log-likelihood in nats per image, and samples.png with digits drawn pixel by pixel.
 *
 * The exercise is in src/cli/jobs/pixelcnn.ts; this script runs it as `neurona train pixelcnn`
 * does, with the same flags (and --backend, --threads).
 *
 * Run: npx tsx examples/pixelcnn.ts [--limit 60000] [--filters 32] [--blocks 2] [--epochs 5] [--samples 16] [--out out/pixelcnn] [--report dir]
 */
import { main } from '../src/cli/commands.js';

process.exitCode = await main(['train', 'pixelcnn', ...process.argv.slice(2)]);
